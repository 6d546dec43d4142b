// Grid search (Ray's grid_search with the basic variant generator): the cartesian product of the
// space's grid axes, repeated numSamples times; other domains are sampled per trial.
import type { ParamSpace, SearchAlgorithm } from './interface.js'
import { streamRng } from './rng.js'
import { gridPoints, pathKey, resolve, sample } from './search-space.js'

/** Grid search over `space`: every grid point `numSamples` times (trial i takes point i mod the grid's size). */
export function gridSearch (space: ParamSpace, numSamples: number, seed = 0): SearchAlgorithm {
  const points = gridPoints(space)
  return {
    name: 'grid',
    total: points.length * numSamples,
    suggest: (index) => {
      const point = points[index % points.length]
      const rng = streamRng(seed, index)
      return resolve(space, d => d.domain.kind === 'grid' ? point.get(pathKey(d.path)) : sample(d.domain, rng))
    }
  }
}
