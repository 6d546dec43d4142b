// Trial schedulers' decisions on synthetic learning curves: ASHA's rungs and cutoffs, PBT's
// exploit of a top trial and its explore step; and the result grid's best, table and plot.
import assert from 'node:assert/strict'
import * as tune from '../../../src/libs/tune/index.js'
import { percentile } from '../../../src/libs/tune/asha.js'
import { explore } from '../../../src/libs/tune/pbt.js'
import { mulberry32 } from '../../../src/libs/tune/rng.js'
import type { TrialRecord, TrialResult, TrialScheduler, TrialView } from '../../../src/libs/tune/index.js'

interface Sim { id: string, index: number, config: Record<string, unknown>, status: 'running' | 'terminated', history: TrialResult[] }

/** Run trials round-robin under a scheduler; each trial's loss at iteration t is curve(index, t). */
function simulate (scheduler: TrialScheduler, n: number, maxIter: number, curve: (i: number, t: number) => number): { trials: Sim[], steps: number } {
  scheduler.bind('loss', 'min', 0)
  const trials: Sim[] = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, index: i, config: {}, status: 'running', history: [] }))
  let steps = 0
  for (let t = 1; t <= maxIter; t++) {
    for (const trial of trials) {
      if (trial.status !== 'running') continue
      const result = { loss: curve(trial.index, t), trainingIteration: t }
      trial.history.push(result)
      steps++
      const d = scheduler.onResult(trial as TrialView, result, trials as TrialView[])
      if (d.action === 'stop' || t === maxIter) trial.status = 'terminated'
    }
  }
  return { trials, steps }
}

describe('tune: schedulers', () => {
  it('ASHA puts rungs at gracePeriod × rf^k below maxT and refuses bad options', () => {
    assert.deepEqual(tune.asha({ maxT: 27, gracePeriod: 1, reductionFactor: 3 }).milestones, [1, 3, 9])
    assert.deepEqual(tune.asha({ maxT: 100, gracePeriod: 2, reductionFactor: 4 }).milestones, [2, 8, 32])
    assert.throws(() => tune.asha({ reductionFactor: 1 }), /reductionFactor/)
    assert.throws(() => tune.asha({ maxT: 5, gracePeriod: 6 }), /gracePeriod/)
  })

  it('ASHA stops a trial below the top 1/rf of its rung, keeps the best one to maxT, and runs far fewer steps than FIFO', () => {
    // Trial i converges to i/10: trial 0 is the best at every iteration.
    const curve = (i: number, t: number): number => i / 10 + 5 / t
    const s = tune.asha({ maxT: 27, gracePeriod: 1, reductionFactor: 3 })
    const { trials, steps } = simulate(s, 27, 27, curve)
    const fifo = simulate(tune.fifo(), 27, 27, curve)
    assert.equal(fifo.steps, 27 * 27)
    assert.equal(trials[0].history.length, 27, 'the best trial runs to maxT')
    assert.ok(steps <= fifo.steps / 3, `asha ${steps} steps vs fifo ${fifo.steps}`)
    assert.ok(trials[26].history.length < 27, 'the worst trial is stopped early')
    // At rung 1 the first trial recorded has no cutoff; later ones must beat the 2/3 percentile.
    assert.equal(s.rungs.get(1)?.size, 27)
  })

  it('ASHA cutoff: a result worse than the percentile of earlier results at the rung stops the trial', () => {
    const s = tune.asha({ maxT: 10, gracePeriod: 2, reductionFactor: 2 })
    s.bind('acc', 'max', 0)
    const view = (id: string): TrialView => ({ id, index: 0, config: {}, status: 'running', history: [] })
    assert.deepEqual(s.onResult(view('a'), { acc: 0.9, trainingIteration: 1 }, []), { action: 'continue' }, 'below the grace period')
    assert.deepEqual(s.onResult(view('a'), { acc: 0.9, trainingIteration: 2 }, []), { action: 'continue' }, 'first at the rung')
    assert.deepEqual(s.onResult(view('b'), { acc: 0.5, trainingIteration: 2 }, []), { action: 'stop' })
    assert.deepEqual(s.onResult(view('c'), { acc: 0.95, trainingIteration: 2 }, []), { action: 'continue' })
    assert.deepEqual(s.onResult(view('c'), { acc: 0.95, trainingIteration: 10 }, []), { action: 'stop' }, 'maxT ends every trial')
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5)
    assert.equal(percentile([], 50), undefined)
  })

  it('PBT: at each perturbation a bottom-quantile trial exploits a top one and explores its config', () => {
    const s = tune.pbt({ perturbationInterval: 4, mutations: { lr: tune.loguniform(1e-4, 1) } })
    s.bind('loss', 'min', 1)
    const trials: TrialView[] = Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, index: i, config: { lr: 0.01 * (i + 1) }, status: 'running', history: [{ loss: i, trainingIteration: 4 }] }))
    const decisions = trials.map(t => s.onResult(t, t.history[0], trials))
    const exploits = decisions.map((d, i) => [i, d] as const).filter(([, d]) => d.action === 'exploit')
    assert.deepEqual(exploits.map(([i]) => i), [6, 7], 'the bottom quarter (largest loss) exploits')
    for (const [, d] of exploits) {
      assert.ok(d.action === 'exploit' && ['t0', 't1'].includes(d.source), 'from the top quarter')
      assert.ok(d.action === 'exploit' && typeof d.config.lr === 'number' && d.config.lr !== 0.07 && d.config.lr !== 0.08)
    }
    // Not again before the next interval.
    assert.deepEqual(s.onResult(trials[7], { loss: 9, trainingIteration: 5 }, trials), { action: 'continue' })
    assert.equal(s.wantsCheckpoint?.(trials[0], { loss: 0, trainingIteration: 8 }), true)
    assert.throws(() => tune.pbt({ mutations: {} }), /mutations must name/)
  })

  it('PBT explore perturbs numbers by 0.8 or 1.2, moves list values to a neighbour, and resamples', () => {
    const rng = mulberry32(3)
    const seen = new Set<number>()
    for (let i = 0; i < 50; i++) {
      const c = explore({ lr: 0.1, bs: 32, keep: 'x' }, { lr: tune.uniform(0, 1), bs: [16, 32, 64] }, rng, 0)
      seen.add(Number((c.lr as number).toFixed(3)))
      assert.ok([16, 64].includes(c.bs as number))
      assert.equal(c.keep, 'x')
    }
    assert.deepEqual([...seen].sort(), [0.08, 0.12])
    const r = explore({ lr: 0.1 }, { lr: tune.uniform(2, 3) }, rng, 1)
    assert.ok((r.lr as number) >= 2, 'resampled from the domain')
  })
})

describe('tune: result grid', () => {
  const rec = (id: string, losses: number[], status: 'terminated' | 'error' = 'terminated'): TrialRecord => {
    const history = losses.map((loss, i) => ({ loss, trainingIteration: i + 1 }))
    return { id, index: 0, config: { lr: 0.1, model: { depth: 2 } }, status, history, last: history[history.length - 1], failures: 0, stoppedEarly: false, ...(status === 'error' ? { error: 'Boom: x' } : {}) }
  }
  const grid = new tune.ResultGrid([rec('a', [5, 3, 4]), rec('b', [6, 3.5]), rec('c', [], 'error')], 'loss', 'min')

  it('best by last result or over all results, in either mode; no metric at all is an error', () => {
    assert.equal(grid.best().id, 'b')
    assert.equal(grid.best('loss', 'min', { scope: 'all' }).id, 'a')
    assert.equal(grid.best('loss', 'max').id, 'a')
    assert.throws(() => grid.best('acc'), /no trial reported metric 'acc'/)
    assert.equal(grid.errors.length, 1)
    assert.equal(grid.totalIterations, 5)
  })

  it('table has a row per trial with flattened config keys; plot draws one polyline per trial that reported', () => {
    const table = grid.table()
    assert.match(table.split('\n')[0], /trial\s+status\s+lr\s+model\.depth\s+iter\s+loss/)
    assert.match(table, /b\s+terminated\s+0\.10000\s+2\s+2\s+3\.5000/)
    assert.equal(table.split('\n').length, 5)
    const svg = grid.plot()
    assert.match(svg, /^<svg xmlns/)
    assert.equal(svg.match(/<polyline/g)?.length, 2)
    assert.match(svg, /data-trial="a"/)
  })
})
