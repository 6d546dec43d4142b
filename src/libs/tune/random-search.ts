// Random search: each trial's config drawn independently from the space, from the trial's own
// seeded stream (grid axes too, uniformly).
import type { ParamSpace, SearchAlgorithm } from './interface.js'
import { streamRng } from './rng.js'
import { dimensions, resolve, sample } from './search-space.js'

/** Random search over `space`: `numSamples` trials. */
export function randomSearch (space: ParamSpace, numSamples: number, seed = 0): SearchAlgorithm {
  dimensions(space)
  return {
    name: 'random',
    total: numSamples,
    suggest: (index) => {
      const rng = streamRng(seed, index)
      return resolve(space, d => sample(d.domain, rng))
    }
  }
}
