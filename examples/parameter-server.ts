// A parameter server (asynchronous SGD) on an embedded fabric: a `ParameterServer` actor holds the
// weights of a linear model; each iteration, `gradient` tasks compute gradients on their own
// synthetic batches at the current weights (a ref from `ps.getWeights.remote()`, passed straight
// to them), and the actor applies each gradient with `ps.applyGradient.remote(gradRef)`.
//
// The driver submits every iteration up front and only reads the losses: an actor runs its calls
// one at a time in submission order, so each `getWeights` sees all the gradients applied before it.
//
//   npx fabric run examples/parameter-server.ts
//   PS_ITERS=500 PS_WORKERS=8 PS_DIM=20 npx fabric run examples/parameter-server.ts
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from 'wasm-fabric/build'
import { Fabric, type GuestModule, type ObjectRef } from 'wasm-fabric'

type PS = GuestModule<typeof import('./guests/parameter-server.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const ITERS = Number(process.env.PS_ITERS ?? 200)
const WORKERS = Number(process.env.PS_WORKERS ?? 4) // gradient tasks per iteration
const DIM = Number(process.env.PS_DIM ?? 10)
const BATCH = Number(process.env.PS_BATCH ?? 32)
const LR = Number(process.env.PS_LR ?? 0.05)
const NOISE = 0.1 // labels carry uniform noise in ±NOISE: the best reachable loss is NOISE²/3
const FABRIC_WORKERS = process.env.FABRIC_WORKERS === undefined ? undefined : Number(process.env.FABRIC_WORKERS)

const t0 = performance.now()
const wasm = await cachedBuild(path.join(here, 'guests', 'parameter-server.ts'), path.join(here, '..', '.cache', 'examples'))
const fabric = await Fabric.start(FABRIC_WORKERS === undefined ? {} : { workers: FABRIC_WORKERS })
try {
  const m = await fabric.load<PS>(wasm)
  const ps = await m.ParameterServer.create(DIM, LR)
  console.log(`linear regression, ${DIM} weights: ${ITERS} iterations x ${WORKERS} gradient tasks of ${BATCH} examples, lr ${LR}`)

  const started = performance.now()
  const losses: Array<Array<ObjectRef<number>>> = []
  for (let it = 0; it < ITERS; it++) {
    const weights = ps.getWeights.remote()
    const grads = Array.from({ length: WORKERS }, (_, k) => m.gradient.remote(weights, it * WORKERS + k, BATCH, NOISE))
    losses.push(grads.map(g => ps.applyGradient.remote(g)))
  }
  const every = Math.max(1, Math.round(ITERS / 10))
  for (let it = 0; it < ITERS; it++) {
    const seen = await fabric.get(losses[it]!)
    if (it % every === 0 || it === ITERS - 1) {
      const mean = seen.reduce((a, b) => a + b, 0) / seen.length
      console.log(`iteration ${String(it + 1).padStart(String(ITERS).length)}: batch loss ${mean.toExponential(3)}`)
    }
  }
  const final = ps.getWeights.remote()
  const [learned, truth, heldOut, stats] = await fabric.get([final, m.trueWeights.remote(DIM), m.evaluate.remote(final, 1e9, 1000, NOISE), ps.stats.remote()] as const)
  const seconds = (performance.now() - started) / 1000

  const fmt = (xs: Float64Array): string => Array.from(xs, x => x.toFixed(3).padStart(7)).join(' ')
  let maxErr = 0
  for (let j = 0; j < DIM; j++) maxErr = Math.max(maxErr, Math.abs(learned[j]! - truth[j]!))
  console.log(`learned: ${fmt(learned)}`)
  console.log(`true:    ${fmt(truth)}`)
  console.log(`max |learned - true|: ${maxErr.toExponential(2)}`)
  console.log(`final loss (1000 held-out examples): ${heldOut.toExponential(3)} (noise floor ${(NOISE * NOISE / 3).toExponential(3)})`)
  console.log(`${stats.updates} gradient updates, ${ITERS * WORKERS} gradient tasks in ${seconds.toFixed(2)} s; wall time ${((performance.now() - t0) / 1000).toFixed(2)} s`)
} finally {
  await fabric.stop()
}
