// Data-parallel training of an MLP on Fashion-MNIST (Debian's dataset-fashion-mnist) with two
// workers: wasm-fabric/train places them as a gang, shards the data, averages gradients every
// step and reports each epoch live. Prints a last line `test accuracy: <number>`.
//
//   npx fabric run examples/train-fashion-mnist.ts
//   TRAIN_EPOCHS=2 TRAIN_ROWS=6000 npx fabric run examples/train-fashion-mnist.ts
//   TRAIN_GPUS=1 ...        each worker holds a GPU (its tensors on the CUDA backend)
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from 'wasm-fabric/build'
import { Fabric, type GuestModule } from 'wasm-fabric'
import * as train from 'wasm-fabric/train'
import { data } from 'wasm-fabric/data'
import { fashionMnist, haveFashionMnist, FASHION_MNIST_DIR } from './fashion-mnist.js'

type Mlp = GuestModule<typeof import('./guests/fashion-mlp.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const EPOCHS = Number(process.env.TRAIN_EPOCHS ?? 8)
const ROWS = process.env.TRAIN_ROWS === undefined ? undefined : Number(process.env.TRAIN_ROWS)
const WORKERS = Number(process.env.TRAIN_WORKERS ?? 2)
const GPUS = Number(process.env.TRAIN_GPUS ?? 0)

if (!haveFashionMnist()) {
  console.error(`no Fashion-MNIST at ${FASHION_MNIST_DIR}: apt-get install dataset-fashion-mnist (or set FASHION_MNIST_DIR)`)
  process.exit(2)
}
const wasm = await cachedBuild(path.join(here, 'guests', 'fashion-mlp.ts'), path.join(here, '..', '.cache', 'examples'))
const fabric = await Fabric.start()
try {
  const m = await fabric.load<Mlp>(wasm)
  const { train: trainSet, test } = fashionMnist(data(fabric), { ...(ROWS === undefined ? {} : { train: ROWS, test: Math.ceil(ROWS / 6) }) })
  const trainer = train.dataParallel(fabric, m.Worker, {
    numWorkers: WORKERS,
    resourcesPerWorker: GPUS > 0 ? { cpus: 1, gpus: GPUS } : { cpus: 1 },
    config: { epochs: EPOCHS, batchSize: 128, lr: 1e-3, hidden: 256, seed: 1 },
    datasets: { train: trainSet, test },
    onReport: r => {
      if (r.rank !== 0) return
      const { epoch, loss, accuracy, samples } = r.metrics as Record<string, number>
      console.log(`epoch ${epoch}: loss ${loss!.toFixed(4)}, test accuracy ${accuracy!.toFixed(4)} (${samples} samples)`)
    }
  })
  const result = await trainer.fit()
  const samples = result.history.filter(r => r.rank === 0).reduce((n, r) => n + (r.metrics.samples as number), 0)
  console.log(`${WORKERS} workers, ${EPOCHS} epochs in ${result.seconds.toFixed(1)} s (${(samples / result.seconds).toFixed(0)} samples/s)`)
  console.log(`test accuracy: ${(result.metrics.accuracy as number).toFixed(4)}`)
} finally {
  await fabric.stop()
}
