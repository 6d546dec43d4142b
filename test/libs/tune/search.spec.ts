// Search spaces and search algorithms as pure functions: domains checked, grids enumerated
// exactly, seeds reproducible, and TPE finding better points than random search.
import assert from 'node:assert/strict'
import * as tune from '../../../src/libs/tune/index.js'
import { dimensions, gridPoints, sample } from '../../../src/libs/tune/search-space.js'
import { gaussianMixture } from '../../../src/libs/tune/tpe-search.js'
import { mulberry32 } from '../../../src/libs/tune/rng.js'
import type { Observation, SearchAlgorithm } from '../../../src/libs/tune/index.js'

/** Run a searcher sequentially against an objective; the best value found. */
function minimise (alg: SearchAlgorithm, f: (c: Record<string, unknown>) => number): number {
  const obs: Observation[] = []
  for (let i = 0; i < alg.total; i++) {
    const config = alg.suggest(i, obs)
    obs.push({ config, value: f(config) })
  }
  return Math.min(...obs.map(o => o.value))
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

describe('tune: search spaces', () => {
  it('domains sample inside their bounds; randint excludes high; loguniform is uniform in log space', () => {
    const rng = mulberry32(7)
    const logs: number[] = []
    for (let i = 0; i < 2000; i++) {
      const u = sample(tune.uniform(-2, 3), rng) as number
      assert.ok(u >= -2 && u < 3)
      const r = sample(tune.randint(1, 4), rng) as number
      assert.ok([1, 2, 3].includes(r), `randint(1, 4) gave ${r}`)
      const l = sample(tune.loguniform(1e-4, 1), rng) as number
      assert.ok(l >= 1e-4 && l <= 1)
      logs.push(Math.log10(l))
      assert.ok(['a', 'b'].includes(sample(tune.choice(['a', 'b']), rng) as string))
    }
    // A quarter of log10 values in each of the four decades.
    const lowDecade = logs.filter(x => x < -3).length / logs.length
    assert.ok(lowDecade > 0.2 && lowDecade < 0.3, `share in [1e-4, 1e-3): ${lowDecade}`)
  })

  it('bad domains are refused with what to do', () => {
    assert.throws(() => tune.uniform(1, 1), /low must be below high/)
    assert.throws(() => tune.loguniform(0, 1), /0 < low < high/)
    assert.throws(() => tune.randint(1.5, 3), /integers low < high/)
    assert.throws(() => tune.choice([]), /non-empty array/)
    assert.throws(() => tune.grid('abc' as never), /non-empty array/)
    assert.throws(() => dimensions([] as never), /plain object/)
  })

  it('nested spaces resolve every domain and pass constants through', () => {
    const space = { model: { lr: tune.loguniform(1e-3, 1), layers: tune.choice([1, 2]), name: 'mlp' }, epochs: 3, tags: ['x'] }
    const c = tune.randomSearch(space, 1, 1).suggest(0, [])
    const model = c.model as Record<string, unknown>
    assert.equal(model.name, 'mlp')
    assert.equal(c.epochs, 3)
    assert.deepEqual(c.tags, ['x'])
    assert.equal(typeof model.lr, 'number')
    assert.ok([1, 2].includes(model.layers as number))
  })
})

describe('tune: search algorithms', () => {
  it('grid enumerates the cartesian product exactly, numSamples times, sampling the other domains', () => {
    const space = { a: tune.grid([1, 2, 3]), b: { c: tune.grid(['x', 'y']) }, lr: tune.uniform(0, 1) }
    assert.equal(gridPoints(space).length, 6)
    const alg = tune.gridSearch(space, 2, 5)
    assert.equal(alg.total, 12)
    const configs = Array.from({ length: alg.total }, (_, i) => alg.suggest(i, []))
    const keys = configs.map(c => `${String(c.a)}${String((c.b as { c: string }).c)}`)
    assert.deepEqual(keys.slice(0, 6).sort(), ['1x', '1y', '2x', '2y', '3x', '3y'])
    assert.deepEqual(keys.slice(6), keys.slice(0, 6))
    assert.equal(new Set(configs.map(c => c.lr)).size, 12, 'each trial samples lr anew')
  })

  it('random search is reproducible with a seed and differs between seeds', () => {
    const space = { x: tune.uniform(0, 1), k: tune.choice(['a', 'b', 'c']) }
    const run = (seed: number): unknown[] => Array.from({ length: 5 }, (_, i) => tune.randomSearch(space, 5, seed).suggest(i, []))
    assert.deepEqual(run(3), run(3))
    assert.notDeepEqual(run(3), run(4))
  })

  it('TPE finds a lower value than random search on a quadratic, median of 5 seeds', () => {
    const space = { x: tune.uniform(-5, 5), y: tune.uniform(-5, 5), lr: tune.loguniform(1e-5, 1), act: tune.choice(['relu', 'tanh', 'gelu', 'id']) }
    const f = (c: Record<string, unknown>): number => (c.x as number - 1.5) ** 2 + (c.y as number + 2) ** 2 + (Math.log10(c.lr as number) + 3) ** 2 + (c.act === 'gelu' ? 0 : 1)
    const tpe: number[] = []
    const random: number[] = []
    for (let seed = 0; seed < 5; seed++) {
      tpe.push(minimise(tune.tpeSearch(space, 60, 'min', seed), f))
      random.push(minimise(tune.randomSearch(space, 60, seed), f))
    }
    assert.ok(median(tpe) < median(random) / 2, `tpe ${median(tpe)} vs random ${median(random)}`)
    assert.ok(median(tpe) < 1, `tpe median ${median(tpe)}`)
  })

  it('TPE maximises when mode is max, and its suggestions are a pure function of (seed, index, observations)', () => {
    const space = { x: tune.uniform(0, 10) }
    const alg = tune.tpeSearch(space, 40, 'max', 1, { nStartup: 5 })
    const obs: Observation[] = []
    for (let i = 0; i < 40; i++) {
      const config = alg.suggest(i, obs)
      obs.push({ config, value: -((config.x as number - 8) ** 2) })
    }
    const late = obs.slice(20).map(o => o.config.x as number)
    assert.ok(median(late) > 6.5 && median(late) < 9.5, `late suggestions centre near 8: ${median(late)}`)
    assert.deepEqual(tune.tpeSearch(space, 40, 'max', 1, { nStartup: 5 }).suggest(30, obs.slice(0, 30)), alg.suggest(30, obs.slice(0, 30)))
  })

  it('the Parzen mixture is a density on its bounds', () => {
    const k = gaussianMixture([0.2, 0.25, 0.9], 0, 1)
    let integral = 0
    for (let i = 0; i < 1000; i++) integral += Math.exp(k.logPdf((i + 0.5) / 1000)) / 1000
    assert.ok(Math.abs(integral - 1) < 0.01, `integral ${integral}`)
    assert.equal(k.logPdf(1.5), -Infinity)
  })

  it('TPE options are checked', () => {
    assert.throws(() => tune.tpeSearch({}, 1, 'min', 0, { gamma: 2 }), /gamma/)
    assert.throws(() => tune.tpeSearch({}, 1, 'min', 0, { nStartup: 0 }), /nStartup/)
  })
})
