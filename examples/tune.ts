// Hyperparameter tuning of a small model: a one-hidden-layer network on two moons (a class
// trainable: each trial is an actor that trains one epoch per step), searched with TPE and
// early-stopped with ASHA; prints the trials' table and the best config, and writes an SVG of the
// validation loss against epochs.
//
//   npx fabric run examples/tune.ts [plot.svg]
//   TUNE_SAMPLES=24 TUNE_EPOCHS=30 npx fabric run examples/tune.ts
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from 'wasm-fabric/build'
import { Fabric, type GuestModule } from 'wasm-fabric'
import * as tune from 'wasm-fabric/tune'

type Model = GuestModule<typeof import('./guests/tune-model.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const SAMPLES = Number(process.env.TUNE_SAMPLES ?? 16)
const EPOCHS = Number(process.env.TUNE_EPOCHS ?? 20)
const PLOT = process.argv[2] ?? path.join(here, '..', '.cache', 'examples', 'tune.svg')
const WORKERS = process.env.FABRIC_WORKERS === undefined ? undefined : Number(process.env.FABRIC_WORKERS)

const wasm = await cachedBuild(path.join(here, 'guests', 'tune-model.ts'), path.join(here, '..', '.cache', 'examples'))
const fabric = await Fabric.start(WORKERS === undefined ? {} : { workers: WORKERS })
try {
  const m = await fabric.load<Model>(wasm)
  const t0 = performance.now()
  const grid = await tune.tuner(fabric, m.MoonsModel, {
    paramSpace: {
      lr: tune.loguniform(1e-3, 1),
      hidden: tune.choice([2, 4, 8, 16]),
      l2: tune.loguniform(1e-6, 1e-1),
      batch: tune.choice([8, 16, 32])
    },
    metric: 'loss',
    mode: 'min',
    numSamples: SAMPLES,
    searchAlg: 'tpe',
    tpe: { nStartup: Math.min(8, SAMPLES) },
    scheduler: tune.asha({ maxT: EPOCHS, gracePeriod: 2, reductionFactor: 3 }),
    seed: 1
  }).fit()
  const seconds = (performance.now() - t0) / 1000
  console.log(grid.table())
  const best = grid.best()
  console.log(`\n${grid.trials.length} trials, ${grid.totalIterations} epochs in all (${SAMPLES * EPOCHS} without early stopping), ${seconds.toFixed(1)} s`)
  console.log(`best: ${best.id} ${JSON.stringify(best.config)} loss ${(best.last?.loss as number).toFixed(4)} accuracy ${(best.last?.accuracy as number).toFixed(3)}`)
  grid.plot(PLOT)
  console.log(`plot: ${PLOT}`)
} finally {
  await fabric.stop()
}
