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
    const f = op === UNARY_OPS.relu ? (x: number) => (x > 0 ? x : 0) : op === UNARY_OPS.gelu ? geluRef : Math.exp
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
  }
}
