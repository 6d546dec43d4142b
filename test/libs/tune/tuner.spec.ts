// Tuning runs on an embedded fabric: task and class trainables, grid/random/TPE search, ASHA and
// PBT, checkpoints and recovery from a failing step, a stopped run restored, errors that say why.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Fabric, type GuestModule } from '../../../src/index.js'
import * as tune from '../../../src/libs/tune/index.js'
import { fixtureComponent, tempDir } from '../../helpers/fixtures.js'

type Trainables = GuestModule<typeof import('../../fixtures/guests/ts/tune-trainables.js')>

/** Equal up to rounding: QuickJS's pow and V8's differ in the last bit. */
const near = (a: unknown, b: number): boolean => typeof a === 'number' && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b))

const curveLoss = (c: { floor: number, rate?: number }, t: number): number => c.floor + 1 / (1 + (c.rate ?? 1) * t)

describe('tune: tuning runs on an embedded fabric', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let m: Trainables

  before(async () => {
    cache = tempDir()
    const componentPath = await fixtureComponent('guests/ts/tune-trainables.ts')
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Trainables>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('memo: a second run with the same seed reuses every trial\'s result without running it', async () => {
    const init = { paramSpace: { x: tune.uniform(-3, 3), y: tune.uniform(-3, 3) }, metric: 'loss', mode: 'min' as const, numSamples: 12, seed: 7, memo: true }
    const before = fabric.embedded!.stats().memo
    const first = await tune.tuner(fabric, m.quadratic, init).fit()
    const between = fabric.embedded!.stats().memo
    const second = await tune.tuner(fabric, m.quadratic, init).fit()
    const after = fabric.embedded!.stats().memo
    assert.equal(between.misses - before.misses, 12, 'the first run ran every trial')
    assert.equal(after.misses - between.misses, 0, 'the second ran none')
    assert.equal(after.hits - between.hits, 12)
    assert.deepEqual(second.trials.map(t => t.last), first.trials.map(t => t.last))
    assert.throws(() => tune.tuner(fabric, m.Curve, { metric: 'loss', mode: 'min', memo: true, stop: { trainingIteration: 2 } }), /memo applies to function trainables/)
  })

  it('grid search over a task runs every grid point once and finds the minimum', async () => {
    const grid = await tune.tuner(fabric, m.quadratic, {
      paramSpace: { x: tune.grid([0, 1, 2]), y: tune.grid([-3, -2, -1]) }, metric: 'loss', mode: 'min'
    }).fit()
    assert.equal(grid.trials.length, 9)
    assert.deepEqual(new Set(grid.trials.map(t => `${String(t.config.x)},${String(t.config.y)}`)).size, 9)
    for (const t of grid.trials) {
      assert.equal(t.status, 'terminated')
      assert.ok(near(t.last?.loss, ((t.config.x as number) - 1) ** 2 + ((t.config.y as number) + 2) ** 2))
      assert.equal(t.last?.trainingIteration, 1)
    }
    assert.deepEqual(grid.best().config, { x: 1, y: -2 })
  })

  it('TPE over a task: every result is the trainable\'s, and the best is close to the optimum', async () => {
    // One trial at a time: TPE suggests from the trials finished so far, so with two at once its
    // choices (and the best, 0.50-0.52 in some runs) depend on which finishes first.
    const grid = await tune.tuner(fabric, m.quadratic, {
      paramSpace: { x: tune.uniform(-5, 5), y: tune.uniform(-5, 5) }, metric: 'loss', mode: 'min', numSamples: 40, searchAlg: 'tpe', seed: 2, maxConcurrentTrials: 1
    }).fit()
    assert.equal(grid.trials.length, 40)
    for (const t of grid.trials) assert.ok(near(t.last?.loss, ((t.config.x as number) - 1) ** 2 + ((t.config.y as number) + 2) ** 2), `${t.id}: ${String(t.last?.loss)}`)
    const random = await tune.tuner(fabric, m.quadratic, {
      paramSpace: { x: tune.uniform(-5, 5), y: tune.uniform(-5, 5) }, metric: 'loss', mode: 'min', numSamples: 40, searchAlg: 'random', seed: 2
    }).fit()
    assert.ok(grid.best().last?.loss as number < 0.5, `tpe best ${String(grid.best().last?.loss)}`)
    // Same seed, same configs: random search is reproducible.
    const again = await tune.tuner(fabric, m.quadratic, {
      paramSpace: { x: tune.uniform(-5, 5), y: tune.uniform(-5, 5) }, metric: 'loss', mode: 'min', numSamples: 40, searchAlg: 'random', seed: 2
    }).fit()
    assert.deepEqual(again.trials.map(t => t.config), random.trials.map(t => t.config))
  })

  it('a class trainable steps until its stop condition; a step that throws resumes from the last checkpoint', async () => {
    const grid = await tune.tuner(fabric, m.Curve, {
      paramSpace: { floor: tune.grid([0, 0.5]), rate: 2, crashAt: 4 }, metric: 'loss', mode: 'min', stop: { trainingIteration: 6 }, maxFailures: 1
    }).fit()
    assert.equal(grid.trials.length, 2)
    for (const t of grid.trials) {
      assert.equal(t.status, 'terminated')
      assert.equal(t.failures, 1, 'the crash at iteration 4 was retried once')
      assert.deepEqual(t.history.map(r => r.t), [1, 2, 3, 4, 5, 6], 'the actor resumed at t=3 from its checkpoint')
      assert.deepEqual(t.history.map(r => r.loss), [1, 2, 3, 4, 5, 6].map(i => curveLoss(t.config as { floor: number, rate: number }, i)))
    }
    assert.equal(grid.best().config.floor, 0)
  })

  it('ASHA stops bad trials early: the best trial runs to maxT, far fewer iterations than FIFO', async () => {
    const space = { floor: tune.grid([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]) }
    const grid = await tune.tuner(fabric, m.Curve, {
      paramSpace: space, metric: 'loss', mode: 'min', scheduler: tune.asha({ maxT: 9, gracePeriod: 1, reductionFactor: 3 }), maxConcurrentTrials: 2, checkpointFrequency: 0
    }).fit()
    assert.equal(grid.best().config.floor, 0)
    assert.equal(grid.best().history.length, 9)
    assert.equal(grid.best().stoppedEarly, false)
    assert.ok(grid.totalIterations <= 81 / 2, `asha ran ${grid.totalIterations} iterations of 81`)
    assert.ok(grid.trials.some(t => t.stoppedEarly && t.history.length < 9))
    const svg = grid.plot(path.join(cache.dir, 'asha.svg'))
    assert.equal(fs.readFileSync(path.join(cache.dir, 'asha.svg'), 'utf8'), svg)
    assert.match(grid.table(), /terminated \(early\)/)
    assert.deepEqual(fabric.nodes()[0]?.cpus, { available: 2, total: 2 }, 'every trial\'s actor was killed: its CPU is free')
  })

  it('PBT: bottom trials copy a top trial\'s checkpoint and explore its config', async () => {
    const scheduler = tune.pbt({ perturbationInterval: 3, mutations: { lr: [0.001, 0.01, 0.1, 0.2, 0.3] }, quantileFraction: 0.5 })
    const grid = await tune.tuner(fabric, m.Curve, {
      paramSpace: { floor: 0, lr: tune.grid([0.001, 0.002, 0.2, 0.3]) }, metric: 'loss', mode: 'min', scheduler, stop: { trainingIteration: 12 }, seed: 1, checkpointFrequency: 0,
      // Four actors at once on two CPUs: the population trains together.
      resourcesPerTrial: { cpus: 0.5 }
    }).fit()
    assert.ok(scheduler.exploits.length > 0, 'some trial exploited')
    const exploited = grid.trials.filter(t => scheduler.exploits.some(e => e.trial === t.id))
    for (const t of exploited) {
      assert.equal(t.status, 'terminated')
      // The copied weight is far past what lr 0.001/0.002 alone reaches in 12 steps (w ≈ 0.02).
      assert.ok((t.last?.w as number) > 0.3, `${t.id} w=${String(t.last?.w)} after exploiting`)
      assert.ok([0.001, 0.01, 0.1, 0.2, 0.3].includes(t.config.lr as number), `${t.id}'s lr ${String(t.config.lr)} comes from the mutations`)
    }
    const original = [0.001, 0.002, 0.2, 0.3]
    assert.ok(exploited.some(t => t.config.lr !== original[t.index]), 'an exploited trial goes on with another lr')
    assert.ok(grid.best().last?.loss as number < 0.05, `best loss ${String(grid.best().last?.loss)}`)
  })

  it('a stopped run written to storagePath is restored: finished trials kept, the others resume from their checkpoints', async () => {
    const storagePath = path.join(cache.dir, 'run.json')
    let stopped = false
    const run = tune.tuner(fabric, m.Curve, {
      paramSpace: { floor: tune.uniform(0, 1), rate: tune.choice([1, 2, 4]) }, metric: 'loss', mode: 'min', numSamples: 4, maxConcurrentTrials: 2, storagePath,
      stop: (_id, r) => {
        if (r.trainingIteration === 3 && !stopped) { stopped = true; run.stop() }
        return r.trainingIteration >= 6
      }
    })
    const first = await run.fit()
    assert.ok(first.trials.some(t => t.status === 'pending'), 'the stopped run left trials unfinished')
    assert.ok(first.trials.length < 4 || first.trials.some(t => t.history.length < 6))
    const restored = await tune.restore(storagePath, fabric, m.Curve, { stop: { trainingIteration: 6 } }).fit()
    assert.equal(restored.trials.length, 4)
    for (const t of restored.trials) {
      assert.equal(t.status, 'terminated', `${t.id}: ${String(t.error)}`)
      assert.deepEqual(t.history.map(r => r.t), [1, 2, 3, 4, 5, 6], `${t.id} continued from its checkpoint`)
      assert.deepEqual(t.history.map(r => r.loss), [1, 2, 3, 4, 5, 6].map(i => curveLoss(t.config as { floor: number, rate: number }, i)))
    }
    for (const t of first.trials) assert.deepEqual(restored.trials.find(r => r.id === t.id)?.config, t.config)
    const state = JSON.parse(fs.readFileSync(storagePath, 'utf8')) as { trials: Array<{ status: string }> }
    assert.deepEqual(state.trials.map(t => t.status), ['terminated', 'terminated', 'terminated', 'terminated'])
  })

  it('fit() again after stop() goes on where the run stopped, in memory (no storagePath)', async () => {
    const ac = new AbortController()
    const run = tune.tuner(fabric, m.Curve, {
      paramSpace: { floor: tune.grid([0.3, 0.1]), rate: 1 }, metric: 'loss', mode: 'min',
      stop: (_id, r) => { if (r.trainingIteration === 2) ac.abort(); return r.trainingIteration >= 5 }
    })
    const first = await run.fit({ signal: ac.signal })
    assert.ok(first.trials.some(t => t.status === 'pending'))
    const second = await run.fit()
    assert.deepEqual(second.trials.map(t => [t.status, t.history.map(r => r.t)]), [['terminated', [1, 2, 3, 4, 5]], ['terminated', [1, 2, 3, 4, 5]]])
    assert.equal(second.best().config.floor, 0.1)
  })

  it('a failing trial is marked errored after maxFailures retries, with its error; the others finish', async () => {
    const grid = await tune.tuner(fabric, m.flaky, {
      paramSpace: { fail: tune.grid([false, true, false]), score: 1 }, metric: 'score', mode: 'max', maxFailures: 2
    }).fit()
    assert.deepEqual(grid.trials.map(t => t.status), ['terminated', 'error', 'terminated'])
    assert.equal(grid.trials[1].failures, 3)
    assert.match(grid.trials[1].error ?? '', /asked to fail \(score 1\)/)
    assert.equal(grid.errors.length, 1)
    assert.equal(grid.best().status, 'terminated')
  })

  it('bad input is refused with what to fix: a missing metric, an unknown searchAlg or option, a class with no stop', async () => {
    await assert.rejects(tune.tuner(fabric, m.noLoss, { metric: 'loss', mode: 'min' }).fit(), { name: 'TuneMetricError', message: /no numeric 'loss' \(it has: accuracy\)/ })
    assert.throws(() => tune.tuner(fabric, m.quadratic, { metric: 'loss', mode: 'min', searchAlg: 'bayes' as never }), /unknown searchAlg bayes \(known: 'grid', 'random', 'tpe'/)
    assert.throws(() => tune.tuner(fabric, m.quadratic, { metric: 'loss', mode: 'min', samples: 3 } as never), /unknown option samples/)
    assert.throws(() => tune.tuner(fabric, m.quadratic, { metric: 'loss', mode: 'best' as never }), /mode must be 'min' or 'max'/)
    assert.throws(() => tune.tuner(fabric, m.Curve, { metric: 'loss', mode: 'min' }), /give stop: \{ trainingIteration: N \}/)
    assert.throws(() => tune.tuner(fabric, m.quadratic, { metric: 'loss', mode: 'min', scheduler: tune.asha() }), /task trainable reports one result/)
    assert.throws(() => tune.restore(path.join(cache.dir, 'missing.json'), fabric, m.Curve), { name: 'TuneStateError', message: /cannot read the tuning state/ })
    // A callback that throws ends the run with its error, and the trials' actors with it.
    await assert.rejects(tune.tuner(fabric, m.Curve, { paramSpace: { floor: tune.grid([0, 1, 2]) }, metric: 'loss', mode: 'min', stop: (_id, r) => { if (r.trainingIteration === 2) throw new Error('bad stop'); return false } }).fit(), { name: 'TuneCallbackError', message: /the stop condition or the fifo scheduler threw on iteration 2: bad stop/ })
    assert.deepEqual(fabric.nodes()[0]?.cpus, { available: 2, total: 2 })
    const broken: tune.SearchAlgorithm = { name: 'broken', total: 3, suggest: (i) => { if (i === 1) throw new Error('no idea'); return {} } }
    await assert.rejects(tune.tuner(fabric, m.quadratic, { metric: 'loss', mode: 'min', searchAlg: broken, maxConcurrentTrials: 1 }).fit(), { name: 'TuneCallbackError', message: /the broken search algorithm threw suggesting trial 1: no idea/ })
  })
})
