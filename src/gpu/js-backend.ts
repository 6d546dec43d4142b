// The pure-TypeScript backend: the reference every other backend is tested against, and the one
// that serves where no native addon loads. Straightforward loops; every sum accumulates in f64,
// so its answers are the most accurate f32 results, not the fastest.
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS, type Kernels } from './interface.js'

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI)

/** GELU, tanh approximation: 0.5x(1 + tanh z) written as x / (1 + exp(-2z)), as the native kernels do. */
export function geluRef (x: number): number {
  return x / (1 + Math.exp(-2 * SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
}

function gemmOne (a: Float32Array, ao: number, b: Float32Array, bo: number, c: Float32Array, co: number, m: number, n: number, k: number, ta: boolean, tb: boolean): void {
  // Row i of op(A) and column j of op(B), as (offset, stride) pairs.
  const aRow = ta ? 1 : k
  const aStep = ta ? m : 1
  const bCol = tb ? k : 1
  const bStep = tb ? 1 : n
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0
      let pa = ao + i * aRow
      let pb = bo + j * bCol
      for (let p = 0; p < k; p++) {
        acc += a[pa]! * b[pb]!
        pa += aStep
        pb += bStep
      }
      c[co + i * n + j] = acc
    }
  }
}

/** The derivative of {@link geluRef}: with s = 1 / (1 + exp(-2z)), gelu = x s. */
export function geluGradRef (x: number): number {
  const s = 1 / (1 + Math.exp(-2 * SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
  return s + x * s * (1 - s) * 2 * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
}

/** The dropout mask's uniform number for element `i` (src/gpu/native/kernels.h): the same on every backend. */
export function maskUniform (seed: number, i: number): number {
  let h = (seed ^ Math.imul(i, 0x9E3779B9)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d) >>> 0
  h ^= h >>> 15
  h = Math.imul(h, 0x846ca68b) >>> 0
  h ^= h >>> 16
  return (h >>> 8) / 16777216
}

/** Columns of [outer, dim, inner]: `f(base)` for each, elements at base + d * inner. */
function columns (outer: number, inner: number, dim: number, f: (base: number) => void): void {
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(o * dim * inner + i)
}

export const jsKernels: Kernels<Float32Array> = {
  kind: 'js',
  description: 'js',
  alloc: (n) => new Float32Array(n),
  upload: (data) => data.slice(),
  download: (buf, n) => buf.slice(0, n),
  free: () => {},
  gemm (a, b, c, batch, m, n, k, transA, transB, strideA, strideB) {
    for (let i = 0; i < batch; i++) gemmOne(a, i * strideA, b, i * strideB, c, i * m * n, m, n, k, transA !== 0, transB !== 0)
  },
  linear (x, w, bias, y, rows, inF, outF) {
    gemmOne(x, 0, w, 0, y, 0, rows, outF, inF, false, true)
    if (bias !== null) for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) y[r * outF + o] = y[r * outF + o]! + bias[o]!
  },
  binary (op, a, b, c, n, bn) {
    const f = op === BINARY_OPS.add
      ? (x: number, y: number) => x + y
      : op === BINARY_OPS.sub ? (x: number, y: number) => x - y : op === BINARY_OPS.mul ? (x: number, y: number) => x * y : (x: number, y: number) => x / y
    for (let i = 0; i < n; i++) c[i] = f(a[i]!, b[i % bn]!)
  },
  scale (a, c, n, factor) {
    const f = Math.fround(factor)
    for (let i = 0; i < n; i++) c[i] = a[i]! * f
  },
  unary (op, a, c, n) {
    const f = op === UNARY_OPS.relu
      ? (x: number) => (x > 0 ? x : 0)
      : op === UNARY_OPS.gelu ? geluRef : op === UNARY_OPS.exp ? Math.exp : op === UNARY_OPS.log ? Math.log : op === UNARY_OPS.sqrt ? Math.sqrt : Math.tanh
    for (let i = 0; i < n; i++) c[i] = f(a[i]!)
  },
  softmax (a, c, outer, dim, inner) {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * dim * inner + i
        let max = -Infinity
        for (let d = 0; d < dim; d++) max = Math.max(max, a[base + d * inner]!)
        let total = 0
        for (let d = 0; d < dim; d++) total += Math.exp(a[base + d * inner]! - max)
        for (let d = 0; d < dim; d++) c[base + d * inner] = Math.exp(a[base + d * inner]! - max) / total
      }
    }
  },
  reduce (op, a, c, outer, dim, inner) {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0
        for (let d = 0; d < dim; d++) acc += a[o * dim * inner + d * inner + i]!
        c[o * inner + i] = op === REDUCE_OPS.mean ? acc / dim : acc
      }
    }
  },
  transpose (a, c, batch, rows, cols) {
    for (let b = 0; b < batch; b++) {
      const base = b * rows * cols
      for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) c[base + q * rows + r] = a[base + r * cols + q]!
    }
  },
  conv2d (x, w, bias, y, n, c, h, wd, k, r, s, stride, pad, oh, ow) {
    for (let img = 0; img < n; img++) {
      for (let f = 0; f < k; f++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            let acc = bias === null ? 0 : bias[f]!
            for (let ch = 0; ch < c; ch++) {
              for (let i = 0; i < r; i++) {
                const iy = oy * stride - pad + i
                if (iy < 0 || iy >= h) continue
                for (let j = 0; j < s; j++) {
                  const ix = ox * stride - pad + j
                  if (ix < 0 || ix >= wd) continue
                  acc += x[((img * c + ch) * h + iy) * wd + ix]! * w[((f * c + ch) * r + i) * s + j]!
                }
              }
            }
            y[((img * k + f) * oh + oy) * ow + ox] = acc
          }
        }
      }
    }
  },
  unaryGrad (op, x, g, c, n) {
    if (op === UNARY_OPS.relu) for (let i = 0; i < n; i++) c[i] = x[i]! > 0 ? g[i]! : 0
    else for (let i = 0; i < n; i++) c[i] = g[i]! * Math.fround(geluGradRef(x[i]!))
  },
  logSoftmax (a, c, outer, dim, inner) {
    columns(outer, inner, dim, base => {
      let max = -Infinity
      for (let d = 0; d < dim; d++) max = Math.max(max, a[base + d * inner]!)
      let total = 0
      for (let d = 0; d < dim; d++) total += Math.exp(a[base + d * inner]! - max)
      const lse = max + Math.log(total)
      for (let d = 0; d < dim; d++) c[base + d * inner] = a[base + d * inner]! - lse
    })
  },
  softmaxGrad (log, y, g, c, outer, dim, inner) {
    columns(outer, inner, dim, base => {
      let acc = 0
      if (log !== 0) {
        for (let d = 0; d < dim; d++) acc += g[base + d * inner]!
        for (let d = 0; d < dim; d++) c[base + d * inner] = g[base + d * inner]! - Math.exp(y[base + d * inner]!) * acc
      } else {
        for (let d = 0; d < dim; d++) acc += g[base + d * inner]! * y[base + d * inner]!
        for (let d = 0; d < dim; d++) c[base + d * inner] = y[base + d * inner]! * (g[base + d * inner]! - acc)
      }
    })
  },
  repeat (a, c, outer, dim, inner) {
    for (let o = 0; o < outer; o++) for (let d = 0; d < dim; d++) c.set(a.subarray(o * inner, (o + 1) * inner), (o * dim + d) * inner)
  },
  conv2dGradInput (g, w, dx, n, c, h, wd, k, r, s, stride, pad, oh, ow) {
    for (let img = 0; img < n; img++) {
      for (let ch = 0; ch < c; ch++) {
        for (let iy = 0; iy < h; iy++) {
          for (let ix = 0; ix < wd; ix++) {
            let acc = 0
            for (let i = 0; i < r; i++) {
              const ty = iy + pad - i
              if (ty < 0 || ty % stride !== 0 || ty / stride >= oh) continue
              for (let j = 0; j < s; j++) {
                const tx = ix + pad - j
                if (tx < 0 || tx % stride !== 0 || tx / stride >= ow) continue
                for (let f = 0; f < k; f++) acc += g[((img * k + f) * oh + ty / stride) * ow + tx / stride]! * w[((f * c + ch) * r + i) * s + j]!
              }
            }
            dx[((img * c + ch) * h + iy) * wd + ix] = acc
          }
        }
      }
    }
  },
  conv2dGradWeight (x, g, dw, n, c, h, wd, k, r, s, stride, pad, oh, ow) {
    for (let f = 0; f < k; f++) {
      for (let ch = 0; ch < c; ch++) {
        for (let i = 0; i < r; i++) {
          for (let j = 0; j < s; j++) {
            let acc = 0
            for (let img = 0; img < n; img++) {
              for (let oy = 0; oy < oh; oy++) {
                const iy = oy * stride - pad + i
                if (iy < 0 || iy >= h) continue
                for (let ox = 0; ox < ow; ox++) {
                  const ix = ox * stride - pad + j
                  if (ix < 0 || ix >= wd) continue
                  acc += g[((img * k + f) * oh + oy) * ow + ox]! * x[((img * c + ch) * h + iy) * wd + ix]!
                }
              }
            }
            dw[((f * c + ch) * r + i) * s + j] = acc
          }
        }
      }
    }
  },
  dropout (a, c, n, p, seed) {
    const pf = Math.fround(p)
    const keep = Math.fround(1 / Math.fround(1 - pf))
    for (let i = 0; i < n; i++) c[i] = maskUniform(seed, i) >= pf ? a[i]! * keep : 0
  }

}
