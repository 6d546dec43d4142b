// The tune library (issue 15): model-based search (TPE) against random search on Branin (minimum
// 0.397887) and Hartmann-6 (minimum -3.32237), 60 trials each, median of 5 seeds; and ASHA against
// FIFO on a synthetic learning-curve actor: the same best trial found with a fraction of the steps.
// Every trial is a task or an actor on an embedded fabric, run by tune.tuner.
//
// `npx tsx bench/run.ts tune [--quick]` or `npx tsx bench/tune.bench.ts [--quick]`.
import assert from 'node:assert/strict'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type GuestModule } from '../src/index.js'
import * as tune from '../src/libs/tune/index.js'
import { braninValue, hartmann6Value } from './guests/tune-functions.js'
import { summarize, table, writeResults, type Row } from './harness.js'

type Objectives = GuestModule<typeof import('./guests/tune-objectives.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const SEEDS = 5
const TRIALS = quick ? 30 : 60
const CURVES = 27
const cacheRoot = path.join(here, '..', '.cache', 'bench')

const BRANIN_MIN = 0.397887
const HARTMANN_MIN = -3.32237

const median = (xs: number[]): number => summarize(xs).median

export async function run (): Promise<Row[]> {
  // The functions are the published ones: their known minima where the literature puts them.
  assert.ok(Math.abs(braninValue(Math.PI, 2.275) - BRANIN_MIN) < 1e-5)
  assert.ok(Math.abs(hartmann6Value([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]) - HARTMANN_MIN) < 1e-4)
  const wasm = await cachedBuild(path.join(here, 'guests', 'tune-objectives.ts'), cacheRoot)
  const fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: path.join(cacheRoot, 'transpiled'), log: () => {} })
  const rows: Row[] = []
  try {
    const m = await fabric.load<Objectives>(wasm)
    const problems = [
      { name: 'Branin', fn: m.branin, min: BRANIN_MIN, space: { x1: tune.uniform(-5, 10), x2: tune.uniform(0, 15) } },
      { name: 'Hartmann-6', fn: m.hartmann6, min: HARTMANN_MIN, space: Object.fromEntries([1, 2, 3, 4, 5, 6].map(i => [`x${i}`, tune.uniform(0, 1)])) }
    ]
    for (const p of problems) {
      const best = async (searchAlg: 'tpe' | 'random', seed: number): Promise<number> => {
        const grid = await tune.tuner(fabric, p.fn, { paramSpace: p.space, metric: 'value', mode: 'min', numSamples: TRIALS, searchAlg, seed, maxConcurrentTrials: 2 }).fit()
        return grid.best().last?.value as number
      }
      const tpe: number[] = []
      const random: number[] = []
      for (let seed = 0; seed < SEEDS; seed++) {
        tpe.push(await best('tpe', seed))
        random.push(await best('random', seed))
      }
      // Regret: the distance of the best value found from the known optimum.
      const regret = (xs: number[]): number[] => xs.map(x => x - p.min)
      rows.push({
        metric: `${p.name}: best found − optimum, ${TRIALS} trials, TPE`,
        unit: '',
        value: summarize(regret(tpe)),
        baseline: summarize(regret(random)),
        baselineName: 'random search',
        target: '< random (median of 5 seeds)',
        met: median(tpe) < median(random),
        note: `best values, TPE: ${tpe.map(v => v.toFixed(4)).join(', ')}; random: ${random.map(v => v.toFixed(4)).join(', ')} (optimum ${p.min}); 2 trials at once`
      })
    }

    // ASHA against FIFO: 27 learning curves (floor and rate random per seed), maxT 27.
    const stepsAsha: number[] = []
    const stepsFifo: number[] = []
    let same = 0
    const seeds = quick ? 2 : SEEDS
    for (let seed = 0; seed < seeds; seed++) {
      const init = { paramSpace: { floor: tune.uniform(0, 1), rate: tune.uniform(0.5, 4) }, metric: 'loss', mode: 'min' as const, numSamples: CURVES, seed, maxConcurrentTrials: 2, checkpointFrequency: 0 }
      const fifo = await tune.tuner(fabric, m.LearningCurve, { ...init, stop: { trainingIteration: 27 } }).fit()
      const asha = await tune.tuner(fabric, m.LearningCurve, { ...init, scheduler: tune.asha({ maxT: 27, gracePeriod: 1, reductionFactor: 3 }) }).fit()
      stepsFifo.push(fifo.totalIterations)
      stepsAsha.push(asha.totalIterations)
      if (fifo.best().id === asha.best().id) same++
    }
    rows.push({
      metric: `ASHA: total steps for ${CURVES} trials (maxT 27, rf 3)`,
      unit: 'steps',
      value: summarize(stepsAsha),
      baseline: summarize(stepsFifo),
      baselineName: 'FIFO',
      target: '<= 1/3 of FIFO, same best trial',
      met: median(stepsAsha) <= median(stepsFifo) / 3 && same === seeds,
      note: `the same best trial as FIFO in ${same} of ${seeds} seeds`
    })
  } finally {
    await fabric.stop()
  }
  process.stdout.write(rows.map(r => `- ${r.metric}: ${r.note ?? ''}`).join('\n') + '\n\n')
  return rows
}

// Run directly: `npx tsx bench/tune.bench.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  process.stdout.write(table('tune', rows) + '\n')
  process.stdout.write(`\nwrote ${writeResults('tune', rows)}\n`)
}
