// A parameter server for linear regression: the `ParameterServer` actor holds the weights; `gradient`
// tasks each draw a synthetic batch from their seed and compute the mean-squared-error gradient at
// the weights they are given; the actor applies the gradients one by one (asynchronous SGD).
import { actor, task } from 'wasm-fabric/guest'

/** A small seeded generator (xorshift32): guests have no entropy, seeds make batches reproducible. */
function rng (seed: number): () => number {
  let s = (Math.imul(seed + 1, 2654435761) ^ 0x9e3779b9) >>> 0 || 1
  return () => {
    s ^= s << 13; s >>>= 0
    s ^= s >>> 17
    s ^= s << 5; s >>>= 0
    return s / 4294967296
  }
}

/** The weights the data is generated from (what training should find): fixed, in [-2, 2). */
function truth (dim: number): Float64Array {
  const random = rng(20250101)
  return Float64Array.from({ length: dim }, () => Math.round((random() * 4 - 2) * 1000) / 1000)
}

/**
 * A batch of `size` examples: x uniform in [-1, 1)^dim, y = truth·x + noise (uniform, ±noise).
 * The same seed always gives the same batch.
 */
function batch (dim: number, size: number, seed: number, noise: number): { xs: Float64Array[], ys: Float64Array } {
  const w = truth(dim)
  const random = rng(seed)
  const xs: Float64Array[] = []
  const ys = new Float64Array(size)
  for (let i = 0; i < size; i++) {
    const x = Float64Array.from({ length: dim }, () => random() * 2 - 1)
    let y = 0
    for (let j = 0; j < dim; j++) y += w[j]! * x[j]!
    xs.push(x)
    ys[i] = y + (random() * 2 - 1) * noise
  }
  return { xs, ys }
}

/** The true weights, for the driver to compare with. */
export const trueWeights = task((dim: number) => truth(dim))

/** A worker's job: the MSE gradient (and the loss) of the batch `seed` at `weights`. */
export const gradient = task((weights: Float64Array, seed: number, size: number, noise: number) => {
  const dim = weights.length
  const { xs, ys } = batch(dim, size, seed, noise)
  const grad = new Float64Array(dim)
  let loss = 0
  for (let i = 0; i < size; i++) {
    const x = xs[i]!
    let err = -ys[i]!
    for (let j = 0; j < dim; j++) err += weights[j]! * x[j]!
    loss += err * err
    for (let j = 0; j < dim; j++) grad[j] += (2 * err * x[j]!) / size
  }
  return { grad, loss: loss / size }
})

/** The loss of `weights` on a held-out batch. */
export const evaluate = task((weights: Float64Array, seed: number, size: number, noise: number) => {
  const { xs, ys } = batch(weights.length, size, seed, noise)
  let loss = 0
  for (let i = 0; i < size; i++) {
    let err = -ys[i]!
    for (let j = 0; j < weights.length; j++) err += weights[j]! * xs[i]![j]!
    loss += err * err
  }
  return loss / size
})

export class ParameterServer extends actor {
  weights: Float64Array
  lr: number
  updates = 0

  constructor (dim: number, lr: number) {
    super()
    this.weights = new Float64Array(dim)
    this.lr = lr
  }

  getWeights (): Float64Array {
    return this.weights
  }

  /** Apply one worker's gradient; returns the loss that worker saw, for the driver to report. */
  applyGradient (result: { grad: Float64Array, loss: number }): number {
    for (let j = 0; j < this.weights.length; j++) this.weights[j] -= this.lr * result.grad[j]!
    this.updates++
    return result.loss
  }

  stats (): { updates: number, weights: Float64Array } {
    return { updates: this.updates, weights: this.weights }
  }
}
