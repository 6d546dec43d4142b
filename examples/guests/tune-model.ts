// A small model to tune: a one-hidden-layer network classifying two interleaved moons, trained
// with minibatch SGD, as a class trainable (setup/step/saveCheckpoint/loadCheckpoint). The data
// set is generated from a fixed seed, so every trial sees the same points.
import { actor } from 'fabric/guest'

interface ModelConfig {
  /** SGD step size. */
  lr: number
  /** Hidden units. */
  hidden: number
  /** L2 penalty on the weights. */
  l2: number
  /** Minibatch size. */
  batch: number
}

/** mulberry32: the guest has no entropy of its own (pass seeds explicitly). */
function rng (seed: number): () => number {
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Two moons with noise: n points, label 0 or 1. */
function moons (n: number, seed: number): Array<{ x: [number, number], y: number }> {
  const r = rng(seed)
  const out: Array<{ x: [number, number], y: number }> = []
  for (let i = 0; i < n; i++) {
    const y = i % 2
    const a = Math.PI * r()
    const x: [number, number] = y === 0 ? [Math.cos(a), Math.sin(a)] : [1 - Math.cos(a), 0.5 - Math.sin(a)]
    out.push({ x: [x[0] + 0.15 * (r() - 0.5) * 2, x[1] + 0.15 * (r() - 0.5) * 2], y })
  }
  return out
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

export class MoonsModel extends actor {
  config: ModelConfig = { lr: 0.1, hidden: 8, l2: 0, batch: 16 }
  train = moons(240, 1)
  valid = moons(120, 2)
  w1: number[] = []
  b1: number[] = []
  w2: number[] = []
  b2 = 0
  epoch = 0

  setup (config: ModelConfig) {
    this.config = config
    const r = rng(7)
    const h = config.hidden
    this.w1 = Array.from({ length: 2 * h }, () => (r() - 0.5) * 2)
    this.b1 = Array.from({ length: h }, () => 0)
    this.w2 = Array.from({ length: h }, () => (r() - 0.5) * 2 / Math.sqrt(h))
    this.b2 = 0
  }

  /** One epoch of minibatch SGD; the validation loss and accuracy after it. */
  step () {
    const { lr, hidden: h, l2, batch } = this.config
    const order = this.train.map((_, i) => i)
    const r = rng(100 + this.epoch)
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [order[i], order[j]] = [order[j], order[i]] }
    for (let start = 0; start < order.length; start += batch) {
      const gw1 = new Array(2 * h).fill(0); const gb1 = new Array(h).fill(0); const gw2 = new Array(h).fill(0); let gb2 = 0
      const idx = order.slice(start, start + batch)
      for (const k of idx) {
        const { x, y } = this.train[k]
        const a = new Array(h)
        let z = this.b2
        for (let j = 0; j < h; j++) { a[j] = Math.tanh(this.w1[2 * j] * x[0] + this.w1[2 * j + 1] * x[1] + this.b1[j]); z += this.w2[j] * a[j] }
        const d = sigmoid(z) - y
        gb2 += d
        for (let j = 0; j < h; j++) {
          gw2[j] += d * a[j]
          const da = d * this.w2[j] * (1 - a[j] * a[j])
          gw1[2 * j] += da * x[0]; gw1[2 * j + 1] += da * x[1]; gb1[j] += da
        }
      }
      const n = idx.length
      for (let j = 0; j < h; j++) {
        this.w2[j] -= lr * (gw2[j] / n + l2 * this.w2[j])
        this.w1[2 * j] -= lr * (gw1[2 * j] / n + l2 * this.w1[2 * j]); this.w1[2 * j + 1] -= lr * (gw1[2 * j + 1] / n + l2 * this.w1[2 * j + 1])
        this.b1[j] -= lr * gb1[j] / n
      }
      this.b2 -= lr * gb2 / n
    }
    this.epoch++
    return this.evaluate()
  }

  evaluate () {
    let loss = 0; let correct = 0
    for (const { x, y } of this.valid) {
      let z = this.b2
      for (let j = 0; j < this.config.hidden; j++) z += this.w2[j] * Math.tanh(this.w1[2 * j] * x[0] + this.w1[2 * j + 1] * x[1] + this.b1[j])
      const p = Math.min(1 - 1e-9, Math.max(1e-9, sigmoid(z)))
      loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p)
      if ((p > 0.5 ? 1 : 0) === y) correct++
    }
    return { loss: loss / this.valid.length, accuracy: correct / this.valid.length }
  }

  saveCheckpoint () { return { w1: this.w1, b1: this.b1, w2: this.w2, b2: this.b2, epoch: this.epoch } }

  loadCheckpoint (c: { w1: number[], b1: number[], w2: number[], b2: number, epoch: number }) {
    this.w1 = c.w1; this.b1 = c.b1; this.w2 = c.w2; this.b2 = c.b2; this.epoch = c.epoch
  }
}
