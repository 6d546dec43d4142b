// The differentiable ops of nn: each runs a bridge op forward and says how its output's gradient
// becomes its inputs' (the chain rule, with bridge ops). Broadcasting follows the bridge: the
// second operand of add/sub/mul/div may have the first's shape, a suffix of it, or one element;
// its gradient is summed back to its own shape.
import * as raw from '../gpu.js'
import { result, type Tensor } from './autograd.js'

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i])

/** `g` (shaped as the broadcast result) summed back to `shape` (a suffix of it, or one element). */
function sumTo (g: raw.Tensor, shape: readonly number[]): raw.Tensor {
  const gs = g.shape
  if (sameShape(gs, shape)) return g
  const size = shape.reduce((a, b) => a * b, 1)
  if (size === 1) {
    const all = raw.sum(g)
    const out = raw.reshape(all, shape)
    all.dispose()
    return out
  }
  const rows = raw.reshape(g, [-1, size])
  const summed = raw.sum(rows, { axis: 0 })
  rows.dispose()
  const out = raw.reshape(summed, shape)
  summed.dispose()
  return out
}

/** a + b (b: a's shape, a suffix of it, or one element). */
export function add (a: Tensor, b: Tensor): Tensor {
  return result(raw.add(a.data, b.data), [a, b], g => [g, sumTo(g, b.shape)], a.shape)
}

/** a - b. */
export function sub (a: Tensor, b: Tensor): Tensor {
  return result(raw.sub(a.data, b.data), [a, b], g => {
    const neg = raw.scale(g, -1)
    const gb = sumTo(neg, b.shape)
    if (gb !== neg) neg.dispose()
    return [g, gb]
  }, a.shape)
}

/** a ⊙ b (elementwise). */
export function mul (a: Tensor, b: Tensor): Tensor {
  return result(raw.mul(a.data, b.data), [a, b], g => {
    const ga = a.requiresGrad ? raw.mul(g, b.data) : undefined
    let gb: raw.Tensor | undefined
    if (b.requiresGrad) {
      const full = raw.mul(g, a.data)
      gb = sumTo(full, b.shape)
      if (gb !== full) full.dispose()
    }
    return [ga, gb]
  }, a.shape)
}

/** a / b (elementwise). */
export function div (a: Tensor, b: Tensor): Tensor {
  return result(raw.div(a.data, b.data), [a, b], g => {
    const ga = a.requiresGrad ? raw.div(g, b.data) : undefined
    let gb: raw.Tensor | undefined
    if (b.requiresGrad) {
      // d(a/b)/db = -a / b².
      const ga2 = raw.mul(g, a.data)
      const b2 = raw.mul(b.data, b.data)
      const q = raw.div(ga2, b2)
      const neg = raw.scale(q, -1)
      ga2.dispose(); b2.dispose(); q.dispose()
      gb = sumTo(neg, b.shape)
      if (gb !== neg) neg.dispose()
    }
    return [ga, gb]
  }, a.shape)
}

/** a × factor. */
export function scale (a: Tensor, factor: number): Tensor {
  return result(raw.scale(a.data, factor), [a], g => [raw.scale(g, factor)], a.shape)
}

/** -a. */
export function neg (a: Tensor): Tensor {
  return scale(a, -1)
}

/** a ⊙ a. */
export function square (a: Tensor): Tensor {
  return result(raw.mul(a.data, a.data), [a], g => {
    const ga = raw.mul(g, a.data)
    const out = raw.scale(ga, 2)
    ga.dispose()
    return [out]
  }, a.shape)
}

/** a·b over the last two dimensions (b 2-D, or with a's batch dimensions). */
export function matmul (a: Tensor, b: Tensor): Tensor {
  return result(raw.matmul(a.data, b.data), [a, b], g => {
    const ga = a.requiresGrad ? raw.matmul(g, b.data, { transposeB: true }) : undefined
    let gb: raw.Tensor | undefined
    if (b.requiresGrad) {
      if (b.shape.length === 2 && a.shape.length > 2) {
        // b shared over a's batch: its gradient sums over the batch (one product of the flattened rows).
        const [k, n] = b.shape as [number, number]
        const a2 = raw.reshape(a.data, [-1, k])
        const g2 = raw.reshape(g, [-1, n])
        gb = raw.matmul(a2, g2, { transposeA: true })
        a2.dispose(); g2.dispose()
      } else {
        gb = raw.matmul(a.data, g, { transposeA: true })
      }
    }
    return [ga, gb]
  })
}

/** x·wᵀ + b (a fully connected layer): x [..., in], w [out, in], b [out]. */
export function linear (x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const parents = b === undefined ? [x, w] : [x, w, b]
  const outShape = [...x.shape.slice(0, -1), w.shape[0]!]
  return result(raw.linear(x.data, w.data, b?.data), parents, g => {
    const [out, inF] = w.shape as [number, number]
    const g2 = raw.reshape(g, [-1, out])
    let gx: raw.Tensor | undefined
    if (x.requiresGrad) {
      const gx2 = raw.matmul(g2, w.data)
      gx = raw.reshape(gx2, x.shape)
      gx2.dispose()
    }
    let gw: raw.Tensor | undefined
    if (w.requiresGrad) {
      const x2 = raw.reshape(x.data, [-1, inF])
      gw = raw.matmul(g2, x2, { transposeA: true })
      x2.dispose()
    }
    const gb = b?.requiresGrad === true ? raw.sum(g2, { axis: 0 }) : undefined
    g2.dispose()
    return [gx, gw, gb]
  }, outShape)
}

export function relu (a: Tensor): Tensor {
  return result(raw.relu(a.data), [a], g => [raw.reluGrad(a.data, g)], a.shape)
}

/** GELU (tanh approximation). */
export function gelu (a: Tensor): Tensor {
  return result(raw.gelu(a.data), [a], g => [raw.geluGrad(a.data, g)], a.shape)
}

export function tanh (a: Tensor): Tensor {
  const y = raw.tanh(a.data)
  return result(y, [a], g => {
    // (1 - y²) g = g - g y y
    const gy = raw.mul(g, y)
    const gyy = raw.mul(gy, y)
    const out = raw.sub(g, gyy)
    gy.dispose(); gyy.dispose()
    return [out]
  }, a.shape)
}

export function sigmoid (a: Tensor): Tensor {
  // σ(x) = (1 + tanh(x/2)) / 2
  const half = raw.scale(a.data, 0.5)
  const t = raw.tanh(half)
  const one = raw.tensor(Float32Array.of(1), [1])
  const t1 = raw.add(t, one)
  const y = raw.scale(t1, 0.5)
  half.dispose(); t.dispose(); one.dispose(); t1.dispose()
  return result(y, [a], g => {
    // σ' = σ (1 - σ): g σ - g σ σ
    const gy = raw.mul(g, y)
    const gyy = raw.mul(gy, y)
    const out = raw.sub(gy, gyy)
    gy.dispose(); gyy.dispose()
    return [out]
  }, a.shape)
}

export function exp (a: Tensor): Tensor {
  const y = raw.exp(a.data)
  return result(y, [a], g => [raw.mul(g, y)], a.shape)
}

/** Natural logarithm. */
export function log (a: Tensor): Tensor {
  return result(raw.ln(a.data), [a], g => [raw.div(g, a.data)], a.shape)
}

export function sqrt (a: Tensor): Tensor {
  const y = raw.sqrt(a.data)
  return result(y, [a], g => {
    const half = raw.scale(g, 0.5)
    const out = raw.div(half, y)
    half.dispose()
    return [out]
  }, a.shape)
}

/** Softmax along `axis` (default: the last). */
export function softmax (a: Tensor, axis = -1): Tensor {
  const y = raw.softmax(a.data, axis)
  return result(y, [a], g => [raw.softmaxGrad(y, g, axis, false)], a.shape)
}

/** Log-softmax along `axis` (default: the last), computed stably. */
export function logSoftmax (a: Tensor, axis = -1): Tensor {
  const y = raw.logSoftmax(a.data, axis)
  return result(y, [a], g => [raw.softmaxGrad(y, g, axis, true)], a.shape)
}

/** The shape a reduction over `axis` leaves with keepDims, for broadcasting its gradient back. */
function keptShape (shape: number[], axis: number | undefined): number[] {
  if (axis === undefined) return shape.map(() => 1)
  const ax = axis < 0 ? axis + shape.length : axis
  return shape.map((d, i) => (i === ax ? 1 : d))
}

function reduce (op: 'sum' | 'mean', a: Tensor, options: { axis?: number, keepDims?: boolean }): Tensor {
  const shape = a.shape
  const data = op === 'sum' ? raw.sum(a.data, options) : raw.mean(a.data, options)
  const n = options.axis === undefined ? shape.reduce((x, y) => x * y, 1) : shape[options.axis < 0 ? options.axis + shape.length : options.axis]!
  return result(data, [a], g => {
    const kept = raw.reshape(g, keptShape(shape, options.axis))
    const full = raw.expand(kept, shape)
    kept.dispose()
    if (op === 'sum') return [full]
    const out = raw.scale(full, 1 / n)
    full.dispose()
    return [out]
  })
}

/** Sum along `axis`, or of every element. */
export function sum (a: Tensor, options: { axis?: number, keepDims?: boolean } = {}): Tensor {
  return reduce('sum', a, options)
}

export function mean (a: Tensor, options: { axis?: number, keepDims?: boolean } = {}): Tensor {
  return reduce('mean', a, options)
}

/** The same elements under a new shape (one dimension may be -1). */
export function reshape (a: Tensor, shape: readonly number[]): Tensor {
  const from = a.shape
  return result(raw.reshape(a.data, shape), [a], g => [raw.reshape(g, from)])
}

/** Swap the last two dimensions. */
export function transpose (a: Tensor): Tensor {
  return result(raw.transpose(a.data), [a], g => [raw.transpose(g)])
}

/** `a` repeated to `shape` (numpy broadcasting). */
export function expand (a: Tensor, shape: readonly number[]): Tensor {
  const from = a.shape
  return result(raw.expand(a.data, shape), [a], g => {
    // Sum over the axes that were repeated, back to a's shape.
    const lead = shape.length - from.length
    let cur = g
    for (let ax = shape.length - 1; ax >= 0; ax--) {
      const was = ax < lead ? 1 : from[ax - lead]!
      if (was === 1 && shape[ax] !== 1) {
        const next = raw.sum(cur, { axis: ax, keepDims: true })
        if (cur !== g) cur.dispose()
        cur = next
      }
    }
    const out = raw.reshape(cur, from)
    if (cur !== g) cur.dispose()
    return [out]
  }, [...shape])
}

/** 2-D convolution of input [n, c, h, w] with weight [k, c, r, s] (+ bias [k]), zero padding. */
export function conv2d (input: Tensor, weight: Tensor, options: { bias?: Tensor, stride?: number, padding?: number } = {}): Tensor {
  const stride = options.stride ?? 1
  const padding = options.padding ?? 0
  const bias = options.bias
  const parents = bias === undefined ? [input, weight] : [input, weight, bias]
  return result(raw.conv2d(input.data, weight.data, { ...(bias === undefined ? {} : { bias: bias.data }), stride, padding }), parents, g => {
    const gx = input.requiresGrad ? raw.conv2dGradInput(g, weight.data, input.shape, { stride, padding }) : undefined
    const gw = weight.requiresGrad ? raw.conv2dGradWeight(input.data, g, weight.shape, { stride, padding }) : undefined
    let gb: raw.Tensor | undefined
    if (bias?.requiresGrad === true) {
      const [n, k] = g.shape as [number, number]
      const flat = raw.reshape(g, [n, k, -1])
      const perImage = raw.sum(flat, { axis: 2 })
      gb = raw.sum(perImage, { axis: 0 })
      flat.dispose(); perImage.dispose()
    }
    return [gx, gw, gb]
  })
}

/**
 * Dropout: each element zeroed with probability `p` (the others scaled by 1/(1-p)); `seed` fixes
 * the mask, and the gradient goes through the same mask.
 */
export function dropout (a: Tensor, p: number, seed: number): Tensor {
  if (p === 0) return a
  return result(raw.dropout(a.data, p, seed), [a], g => [raw.dropout(g, p, seed)], a.shape)
}
