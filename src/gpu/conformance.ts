// The conformance cases every backend must pass against the JS reference: each op on random
// inputs, odd and degenerate shapes, typed errors for shapes that do not fit, and flat memory
// over create/drop cycles. Used by the test suite (test/gpu/compliance.spec.ts, every backend
// present) and by the device check (bench/gpu/device-check.sh) on GPU machines.
import { GpuError } from './errors.js'
import type { HostTensor } from './ops.js'
import { TensorOps } from './ops.js'

/** Bounds: f32 elementwise 1e-5 relative; matmul, linear, conv2d 1e-4; reductions 1e-4 of Σ|x|. */
export const TOLERANCE = { elementwise: 1e-5, product: 1e-4, reduction: 1e-4 } as const

type Op = (o: TensorOps, t: HostTensor[]) => HostTensor

export interface ConformanceCase {
  /** The op family: matmul, linear, binary, unary, softmax, reduce, layout, conv2d; and for autograd: grad, expand, dropout. */
  group: string
  name: string
  /** Input shapes, each with the range its values are drawn from (default [-1, 1]). */
  inputs: Array<{ shape: number[], lo?: number, hi?: number }>
  op: Op
  tol: number
  /**
   * Errors are relative to max(|ref|, |op(|inputs|)|): for sums, rounding error scales with the
   * sum of magnitudes, not with the (possibly cancelling) result.
   */
  magnitudeBound?: boolean
}

export interface CaseResult {
  group: string
  name: string
  /** Worst relative error over the output's elements. */
  maxError: number
  tol: number
  ok: boolean
  message?: string
}

const v = (shape: number[], lo?: number, hi?: number): { shape: number[], lo?: number, hi?: number } => ({ shape, lo, hi })

/** `f(mid)` where `mid = make()`, with `mid` released afterwards (an intermediate of a case's op). */
function through (make: () => HostTensor, f: (mid: HostTensor) => HostTensor): HostTensor {
  const mid = make()
  try {
    return f(mid)
  } finally {
    mid.release()
  }
}

/** Every case, in a fixed order. */
export function conformanceCases (): ConformanceCase[] {
  const cases: ConformanceCase[] = []
  const add = (c: ConformanceCase): void => { cases.push(c) }
  for (const [m, k, n] of [[1, 1, 1], [1, 37, 1], [37, 1, 29], [1, 64, 65], [17, 33, 65], [64, 64, 64], [129, 257, 63]] as const) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        add({ group: 'matmul', name: `${m}x${k}·${k}x${n}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`, inputs: [v(ta ? [k, m] : [m, k]), v(tb ? [n, k] : [k, n])], op: (o, [a, b]) => o.matmul(a!, b!, ta, tb), tol: TOLERANCE.product, magnitudeBound: true })
      }
    }
  }
  add({ group: 'matmul', name: 'batched a, shared b', inputs: [v([3, 5, 7, 9]), v([9, 4])], op: (o, [a, b]) => o.matmul(a!, b!), tol: TOLERANCE.product, magnitudeBound: true })
  add({ group: 'matmul', name: 'batched a and b', inputs: [v([3, 5, 7, 9]), v([3, 5, 9, 4])], op: (o, [a, b]) => o.matmul(a!, b!), tol: TOLERANCE.product, magnitudeBound: true })
  add({ group: 'matmul', name: 'batched, both transposed, wide', inputs: [v([2, 300, 500]), v([700, 300])], op: (o, [a, b]) => o.matmul(a!, b!, true, true), tol: TOLERANCE.product, magnitudeBound: true })
  for (const xs of [[19], [5, 19], [2, 3, 19]]) {
    add({ group: 'linear', name: `x ${JSON.stringify(xs)} with bias`, inputs: [v(xs), v([23, 19]), v([23])], op: (o, [x, w, b]) => o.linear(x!, w!, b), tol: TOLERANCE.product, magnitudeBound: true })
    add({ group: 'linear', name: `x ${JSON.stringify(xs)} without bias`, inputs: [v(xs), v([23, 19])], op: (o, [x, w]) => o.linear(x!, w!), tol: TOLERANCE.product, magnitudeBound: true })
  }
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    for (const [as, bs] of [[[7, 13], [7, 13]], [[4, 5, 6], [5, 6]], [[4, 5, 6], [6]], [[3, 17], [1]], [[1], [1]], [[1000], [1]], [[2, 1, 3], [1, 3]]] as const) {
      add({ group: 'binary', name: `${op} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, inputs: [v([...as]), op === 'div' ? v([...bs], 0.5, 2) : v([...bs])], op: (o, [a, b]) => o.binary(op, a!, b!), tol: TOLERANCE.elementwise })
    }
  }
  add({ group: 'unary', name: 'scale 0.37', inputs: [v([3, 1001], -4, 4)], op: (o, [a]) => o.scale(a!, 0.37), tol: TOLERANCE.elementwise })
  add({ group: 'unary', name: 'scale -3', inputs: [v([3, 1001], -4, 4)], op: (o, [a]) => o.scale(a!, -3), tol: TOLERANCE.elementwise })
  for (const u of ['relu', 'gelu', 'exp'] as const) {
    add({ group: 'unary', name: `${u} [-4, 4]`, inputs: [v([3, 1001], -4, 4)], op: (o, [a]) => o.unary(u, a!), tol: TOLERANCE.elementwise })
    add({ group: 'unary', name: `${u} [-10, 10] x 70000`, inputs: [v([70000], -10, 10)], op: (o, [a]) => o.unary(u, a!), tol: TOLERANCE.elementwise })
  }
  for (const axis of [0, 1, 2, -1, -3]) add({ group: 'softmax', name: `[3,4,5] axis ${axis}`, inputs: [v([3, 4, 5], -5, 5)], op: (o, [a]) => o.softmax(a!, axis), tol: TOLERANCE.elementwise })
  add({ group: 'softmax', name: 'rows of 50000', inputs: [v([2, 50000], -20, 20)], op: (o, [a]) => o.softmax(a!), tol: TOLERANCE.elementwise })
  add({ group: 'softmax', name: 'rows of 1', inputs: [v([5, 1])], op: (o, [a]) => o.softmax(a!), tol: TOLERANCE.elementwise })
  for (const r of ['sum', 'mean'] as const) {
    for (const axis of [undefined, 0, 1, 2, -1]) {
      for (const keep of [false, true]) {
        add({ group: 'reduce', name: `${r} axis ${String(axis)}${keep ? ' keepDims' : ''}`, inputs: [v([6, 7, 8])], op: (o, [a]) => o.reduce(r, a!, axis, keep), tol: TOLERANCE.reduction, magnitudeBound: true })
      }
    }
    add({ group: 'reduce', name: `${r} of 100003`, inputs: [v([100003])], op: (o, [a]) => o.reduce(r, a!), tol: TOLERANCE.reduction, magnitudeBound: true })
  }
  for (const s of [[1, 1], [1, 77], [77, 1], [33, 65], [3, 31, 17]]) {
    add({ group: 'layout', name: `transpose ${JSON.stringify(s)}`, inputs: [v(s)], op: (o, [a]) => o.transpose(a!), tol: 0 })
  }
  add({ group: 'layout', name: 'reshape [4,6] -> [3,-1,2]', inputs: [v([4, 6])], op: (o, [a]) => o.reshape(a!, [3, -1, 2]), tol: 0 })
  const convs = [
    { n: 1, c: 1, h: 5, w: 5, k: 1, r: 3, s: 3, stride: 1, pad: 0, bias: false },
    { n: 2, c: 3, h: 9, w: 11, k: 4, r: 3, s: 3, stride: 2, pad: 1, bias: true },
    { n: 1, c: 5, h: 7, w: 6, k: 3, r: 1, s: 1, stride: 1, pad: 0, bias: true },
    { n: 3, c: 2, h: 13, w: 8, k: 5, r: 5, s: 3, stride: 3, pad: 2, bias: false },
    { n: 2, c: 16, h: 32, w: 32, k: 32, r: 3, s: 3, stride: 1, pad: 1, bias: true }
  ]
  for (const u of ['log', 'sqrt'] as const) {
    add({ group: 'unary', name: `${u} [0.001, 50]`, inputs: [v([3, 1001], 0.001, 50)], op: (o, [a]) => o.unary(u, a!), tol: TOLERANCE.elementwise })
  }
  add({ group: 'unary', name: 'tanh [-6, 6]', inputs: [v([3, 1001], -6, 6)], op: (o, [a]) => o.unary('tanh', a!), tol: TOLERANCE.elementwise })
  for (const u of ['relu', 'gelu'] as const) {
    add({ group: 'grad', name: `${u}-grad [-4, 4]`, inputs: [v([3, 1001], -4, 4), v([3, 1001])], op: (o, [x, g]) => o.unaryGrad(u, x!, g!), tol: TOLERANCE.elementwise })
    add({ group: 'grad', name: `${u}-grad [-10, 10] x 70000`, inputs: [v([70000], -10, 10), v([70000])], op: (o, [x, g]) => o.unaryGrad(u, x!, g!), tol: TOLERANCE.elementwise })
  }
  for (const axis of [0, 1, -1]) {
    add({ group: 'softmax', name: `log-softmax [3,4,5] axis ${axis}`, inputs: [v([3, 4, 5], -5, 5)], op: (o, [a]) => o.logSoftmax(a!, axis), tol: TOLERANCE.elementwise, magnitudeBound: true })
    for (const log of [false, true]) {
      add({
        group: 'grad',
        name: `${log ? 'log-' : ''}softmax-grad [3,4,5] axis ${axis}`,
        inputs: [v([3, 4, 5], -5, 5), v([3, 4, 5])],
        op: (o, [a, g]) => through(() => log ? o.logSoftmax(a!, axis) : o.softmax(a!, axis), y => o.softmaxGrad(y, g!, axis, log)),
        tol: TOLERANCE.reduction,
        magnitudeBound: true
      })
    }
  }
  add({ group: 'grad', name: 'log-softmax-grad rows of 1000', inputs: [v([8, 1000], -10, 10), v([8, 1000])], op: (o, [a, g]) => through(() => o.logSoftmax(a!), y => o.softmaxGrad(y, g!, -1, true)), tol: TOLERANCE.reduction, magnitudeBound: true })
  for (const [from, to] of [[[3, 1, 5], [2, 3, 4, 5]], [[5], [3, 5]], [[1], [4, 4]], [[4, 1], [4, 7]], [[2, 3], [2, 3]], [[1, 3, 1], [2, 3, 5]]] as const) {
    add({ group: 'expand', name: `${JSON.stringify(from)} -> ${JSON.stringify(to)}`, inputs: [v([...from])], op: (o, [a]) => o.expand(a!, [...to]), tol: 0 })
  }
  for (const [p, seed] of [[0, 1], [0.3, 42], [0.5, 0xffffffff], [0.9, 7]] as const) {
    add({ group: 'dropout', name: `p ${p} seed ${seed}`, inputs: [v([5, 2001])], op: (o, [a]) => o.dropout(a!, p, seed), tol: TOLERANCE.elementwise })
  }
  for (const q of convs) {
    const dims = `[${q.n},${q.c},${q.h},${q.w}] * [${q.k},${q.c},${q.r},${q.s}] stride ${q.stride} pad ${q.pad}`
    const oh = Math.floor((q.h + 2 * q.pad - q.r) / q.stride) + 1
    const ow = Math.floor((q.w + 2 * q.pad - q.s) / q.stride) + 1
    add({ group: 'grad', name: `conv2d-grad-input ${dims}`, inputs: [v([q.n, q.k, oh, ow]), v([q.k, q.c, q.r, q.s])], op: (o, [g, w]) => o.conv2dGradInput(g!, w!, [q.n, q.c, q.h, q.w], q.stride, q.pad), tol: TOLERANCE.product, magnitudeBound: true })
    add({ group: 'grad', name: `conv2d-grad-weight ${dims}`, inputs: [v([q.n, q.c, q.h, q.w]), v([q.n, q.k, oh, ow])], op: (o, [x, g]) => o.conv2dGradWeight(x!, g!, [q.k, q.c, q.r, q.s], q.stride, q.pad), tol: TOLERANCE.product, magnitudeBound: true })
  }
  for (const q of convs) {
    add({
      group: 'conv2d',
      name: `[${q.n},${q.c},${q.h},${q.w}] * [${q.k},${q.c},${q.r},${q.s}] stride ${q.stride} pad ${q.pad}${q.bias ? ' bias' : ''}`,
      inputs: q.bias ? [v([q.n, q.c, q.h, q.w]), v([q.k, q.c, q.r, q.s]), v([q.k])] : [v([q.n, q.c, q.h, q.w]), v([q.k, q.c, q.r, q.s])],
      op: (o, [x, w, b]) => o.conv2d(x!, w!, b, q.stride, q.pad),
      tol: TOLERANCE.product,
      magnitudeBound: true
    })
  }
  return cases
}

/** xorshift32: reproducible inputs from a seed. */
export function seededRandom (seed = 0x2545f491): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5
    return (s >>> 0) / 2 ** 32
  }
}

/** Run one case on `ops` and on the reference over the same fresh inputs. */
export function checkCase (ops: TensorOps, ref: TensorOps, c: ConformanceCase, random: () => number): CaseResult {
  const data = c.inputs.map(({ shape, lo = -1, hi = 1 }) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * random()))
  const made: HostTensor[] = []
  const run = (o: TensorOps, abs: boolean): Float32Array => {
    const ts = c.inputs.map(({ shape }, i) => {
      const t = o.fromFloat32(shape, abs ? data[i]!.map(Math.abs) : data[i]!)
      made.push(t)
      return t
    })
    const out = c.op(o, ts)
    made.push(out)
    return o.read(out)
  }
  try {
    const got = run(ops, false)
    const want = run(ref, false)
    const bound = c.magnitudeBound === true ? run(ref, true) : undefined
    if (got.length !== want.length) return { group: c.group, name: c.name, maxError: Infinity, tol: c.tol, ok: false, message: `${got.length} elements, the reference has ${want.length}` }
    let worst = 0
    let at = -1
    for (let i = 0; i < got.length; i++) {
      // Relative error, down to results of 1e-12: below that (gelu's tail at x = -10 is ~1e-28,
      // where float32 rounding of x alone moves it by ~1e-5 relative) the error counts against 1e-12.
      const scale = Math.max(Math.abs(want[i]!), bound === undefined ? 0 : Math.abs(bound[i]!), 1e-12)
      const err = Math.abs(got[i]! - want[i]!) / scale
      if (!(err <= worst)) { worst = err; at = i } // NaN counts as the worst
    }
    const ok = worst <= c.tol
    return { group: c.group, name: c.name, maxError: worst, tol: c.tol, ok, message: ok ? undefined : `element ${at}: got ${got[at]}, want ${want[at]}` }
  } catch (err) {
    return { group: c.group, name: c.name, maxError: Infinity, tol: c.tol, ok: false, message: `threw ${(err as Error).message}` }
  } finally {
    for (const t of made) t.release()
  }
}

/** Shapes that do not fit, each with the error kind and text it must raise. */
export function checkErrors (ops: TensorOps, other?: TensorOps): Array<{ name: string, ok: boolean, message: string }> {
  const t = (shape: number[]): HostTensor => ops.fromFloat32(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)))
  const gone = t([2, 2])
  gone.release()
  const cases: Array<[string, () => unknown, string, RegExp]> = [
    ['matmul inner dims', () => ops.matmul(t([2, 3]), t([4, 5])), 'shape-mismatch', /\[2, 3\].*\[4, 5\]/],
    ['matmul rank 1', () => ops.matmul(t([3]), t([3, 1])), 'shape-mismatch', /rank >= 2/],
    ['matmul batch dims', () => ops.matmul(t([2, 2, 3]), t([3, 3, 1])), 'shape-mismatch', /batch dimensions/],
    ['add no broadcast', () => ops.binary('add', t([2, 3]), t([2])), 'shape-mismatch', /do not broadcast/],
    ['linear features', () => ops.linear(t([2, 3]), t([4, 5])), 'shape-mismatch', /input features/],
    ['linear bias', () => ops.linear(t([2, 5]), t([4, 5]), t([5])), 'shape-mismatch', /bias/],
    ['conv2d channels', () => ops.conv2d(t([1, 3, 5, 5]), t([2, 4, 3, 3]), undefined), 'shape-mismatch', /channels/],
    ['conv2d kernel too large', () => ops.conv2d(t([1, 1, 2, 2]), t([1, 1, 5, 5]), undefined), 'shape-mismatch', /larger than/],
    ['conv2d stride 0', () => ops.conv2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), undefined, 0), 'invalid-argument', /stride/],
    ['softmax axis', () => ops.softmax(t([2, 3]), 2), 'invalid-argument', /axis 2/],
    ['reshape infer', () => ops.reshape(t([2, 3]), [4, -1]), 'shape-mismatch', /cannot infer/],
    ['reshape count', () => ops.reshape(t([2, 3]), [7]), 'shape-mismatch', /6 elements/],
    ['wrong element count', () => ops.fromFloat32([2, 2], new Float32Array(3)), 'invalid-argument', /needs 4 elements/],
    ['dtype', () => ops.fromBytes([2], 'f16', new Uint8Array(4)), 'dtype-mismatch', /f16/],
    ['too many elements', () => ops.fromFloat32([2 ** 16, 2 ** 16], new Float32Array(1)), 'out-of-memory', /limit/],
    ['released', () => ops.unary('relu', gone), 'released', /released/],
    ['expand no broadcast', () => ops.expand(t([2, 3]), [4, 3, 2]), 'shape-mismatch', /does not broadcast/],
    ['expand fewer dims', () => ops.expand(t([2, 3]), [3]), 'shape-mismatch', /more dimensions/],
    ['relu-grad shapes', () => ops.unaryGrad('relu', t([2, 3]), t([3, 2])), 'shape-mismatch', /one shape/],
    ['softmax-grad axis', () => ops.softmaxGrad(t([2, 3]), t([2, 3]), 2, false), 'invalid-argument', /axis 2/],
    ['dropout p 1', () => ops.dropout(t([4]), 1, 0), 'invalid-argument', /\[0, 1\)/],
    ['dropout seed', () => ops.dropout(t([4]), 0.5, -1), 'invalid-argument', /seed/],
    ['conv2d-grad-input grad shape', () => ops.conv2dGradInput(t([1, 1, 2, 2]), t([1, 1, 3, 3]), [1, 1, 5, 5]), 'shape-mismatch', /output shape \[1, 1, 3, 3\]/],
    ['conv2d-grad-weight channels', () => ops.conv2dGradWeight(t([1, 2, 5, 5]), t([1, 1, 3, 3]), [1, 3, 3, 3]), 'shape-mismatch', /channels/]
  ]
  if (other !== undefined) cases.push(['mixed backends', () => ops.binary('add', t([2]), other.fromFloat32([2], new Float32Array(2))), 'invalid-argument', /backend/])
  return cases.map(([name, fn, kind, text]) => {
    try {
      fn()
      return { name, ok: false, message: 'no error' }
    } catch (err) {
      const ok = err instanceof GpuError && err.kind === kind && text.test(err.message)
      return { name, ok, message: err instanceof GpuError ? `${err.kind}: ${err.message}` : String(err) }
    }
  })
}

/**
 * Memory growth (by `measure`) over `cycles` create → relu → reshape → drop cycles of a 64×64
 * tensor, after a warm-up. A leak of one buffer per cycle shows as cycles × 16 KiB.
 */
export function memoryGrowth (ops: TensorOps, measure: () => number, cycles = 10_000): number {
  const data = new Float32Array(4096).fill(0.5)
  const cycle = (): void => {
    const a = ops.fromFloat32([64, 64], data)
    const b = ops.unary('relu', a)
    const c = ops.reshape(b, [4096])
    a.release(); b.release(); c.release()
  }
  for (let i = 0; i < 500; i++) cycle()
  const before = measure()
  for (let i = 0; i < cycles; i++) cycle()
  return measure() - before
}

/**
 * A case with its answer written out: small inputs whose outputs were worked by hand (or, for
 * gelu, exp and softmax, by a formula written independently of every backend, here). The random
 * cases compare a backend with the JS reference, which proves nothing about the reference itself;
 * these catch a wrong reference too (a broken softmax or gelu in every backend at once).
 */
export interface KnownAnswerCase {
  group: string
  name: string
  inputs: Array<{ shape: number[], data: number[] }>
  op: Op
  want: { shape: number[], data: number[] }
  /** Relative error bound per element (absolute below 1). */
  tol: number
}

/** GELU by its tanh formula, 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))), not the exp form the kernels use. */
const geluByTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))

/** gelu's derivative from the tanh form: 0.5(1 + tanh u) + 0.5x sech²(u) u', u = √(2/π)(x + 0.044715x³). */
const geluGradByTanh = (x: number): number => {
  const c = Math.sqrt(2 / Math.PI)
  const u = c * (x + 0.044715 * x ** 3)
  return 0.5 * (1 + Math.tanh(u)) + 0.5 * x * (1 - Math.tanh(u) ** 2) * c * (1 + 3 * 0.044715 * x * x)
}

/** The dropout mask's uniform number by 64-bit BigInt arithmetic (not the 32-bit Math.imul the reference uses). */
const maskByBigInt = (seed: number, i: number): number => {
  const M = 0xffffffffn
  let h = (BigInt(seed) ^ ((BigInt(i) * 0x9E3779B9n) & M)) & M
  h ^= h >> 16n
  h = (h * 0x7feb352dn) & M
  h ^= h >> 15n
  h = (h * 0x846ca68bn) & M
  h ^= h >> 16n
  return Number(h >> 8n) / 2 ** 24
}

/** Every known-answer case, in a fixed order. */
export function knownAnswerCases (): KnownAnswerCase[] {
  const t = (shape: number[], data: number[]): { shape: number[], data: number[] } => ({ shape, data })
  const a22 = t([2, 2], [1, 2, 3, 4])
  const b22 = t([2, 2], [5, 6, 7, 8])
  const m23 = t([2, 3], [1, 2, 3, 4, 5, 6])
  const x33 = t([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])
  const gx = [-3, -1, -0.5, 0, 0.5, 1, 2, 3]
  const ln2 = Math.log(2)
  const ln3 = Math.log(3)
  const E = 1e-5
  return [
    { group: 'matmul', name: 'A·B', inputs: [a22, b22], op: (o, [a, b]) => o.matmul(a!, b!), want: t([2, 2], [19, 22, 43, 50]), tol: E },
    { group: 'matmul', name: 'Aᵀ·B', inputs: [a22, b22], op: (o, [a, b]) => o.matmul(a!, b!, true), want: t([2, 2], [26, 30, 38, 44]), tol: E },
    { group: 'matmul', name: 'A·Bᵀ', inputs: [a22, b22], op: (o, [a, b]) => o.matmul(a!, b!, false, true), want: t([2, 2], [17, 23, 39, 53]), tol: E },
    { group: 'matmul', name: 'Aᵀ·Bᵀ', inputs: [a22, b22], op: (o, [a, b]) => o.matmul(a!, b!, true, true), want: t([2, 2], [23, 31, 34, 46]), tol: E },
    { group: 'matmul', name: '[2,3]·[3,1] and a batch of 2 against shared b', inputs: [t([2, 2, 3], [1, 2, 3, 4, 5, 6, -1, 0, 1, 0, 0, 2]), t([3, 1], [1, 10, 100])], op: (o, [a, b]) => o.matmul(a!, b!), want: t([2, 2, 1], [321, 654, 99, 200]), tol: E },
    { group: 'linear', name: 'x·wᵀ + b', inputs: [t([2, 2], [1, 2, -1, 3]), t([3, 2], [1, 0, 0, 1, 1, 1]), t([3], [0.5, -1, 0])], op: (o, [x, w, b]) => o.linear(x!, w!, b), want: t([2, 3], [1.5, 1, 3, -0.5, 2, 2]), tol: E },
    { group: 'binary', name: 'add a row to each row', inputs: [m23, t([3], [10, 20, 30])], op: (o, [a, b]) => o.binary('add', a!, b!), want: t([2, 3], [11, 22, 33, 14, 25, 36]), tol: E },
    { group: 'binary', name: 'sub a scalar', inputs: [m23, t([1], [2.5])], op: (o, [a, b]) => o.binary('sub', a!, b!), want: t([2, 3], [-1.5, -0.5, 0.5, 1.5, 2.5, 3.5]), tol: E },
    { group: 'binary', name: 'mul elementwise', inputs: [m23, t([2, 3], [2, -1, 0.5, 0, 3, -2])], op: (o, [a, b]) => o.binary('mul', a!, b!), want: t([2, 3], [2, -2, 1.5, 0, 15, -12]), tol: E },
    { group: 'binary', name: 'div by a row', inputs: [m23, t([3], [2, 4, -3])], op: (o, [a, b]) => o.binary('div', a!, b!), want: t([2, 3], [0.5, 0.5, -1, 2, 1.25, -2]), tol: E },
    { group: 'unary', name: 'scale by -0.5', inputs: [m23], op: (o, [a]) => o.scale(a!, -0.5), want: t([2, 3], [-0.5, -1, -1.5, -2, -2.5, -3]), tol: E },
    { group: 'unary', name: 'relu', inputs: [t([5], [-2, -0.25, 0, 0.25, 3.5])], op: (o, [a]) => o.unary('relu', a!), want: t([5], [0, 0, 0, 0.25, 3.5]), tol: 0 },
    { group: 'unary', name: 'exp of 0, ±1, ln 2, ln 3', inputs: [t([5], [0, 1, -1, ln2, ln3])], op: (o, [a]) => o.unary('exp', a!), want: t([5], [1, Math.E, 1 / Math.E, 2, 3]), tol: E },
    // gelu(0) = 0, gelu(1) ≈ 0.841192, gelu(-1) ≈ -0.158808, gelu(3) ≈ 2.996363 (tanh approximation).
    { group: 'unary', name: 'gelu (tanh approximation)', inputs: [t([gx.length], gx)], op: (o, [a]) => o.unary('gelu', a!), want: t([gx.length], gx.map(geluByTanh)), tol: E },
    { group: 'softmax', name: 'of 0, ln 2, ln 3 is 1/6, 2/6, 3/6', inputs: [t([3], [0, ln2, ln3])], op: (o, [a]) => o.softmax(a!), want: t([3], [1 / 6, 2 / 6, 3 / 6]), tol: E },
    { group: 'softmax', name: 'shift-invariant: 1000 + (0, ln 3) is 1/4, 3/4 without overflow', inputs: [t([2], [1000, 1000 + ln3])], op: (o, [a]) => o.softmax(a!), want: t([2], [0.25, 0.75]), tol: 1e-4 },
    { group: 'softmax', name: 'rows of equal values are uniform', inputs: [t([2, 4], [7, 7, 7, 7, -3, -3, -3, -3])], op: (o, [a]) => o.softmax(a!), want: t([2, 4], [0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]), tol: E },
    { group: 'softmax', name: 'along axis 0', inputs: [t([2, 2], [0, 5, ln3, 5])], op: (o, [a]) => o.softmax(a!, 0), want: t([2, 2], [0.25, 0.5, 0.75, 0.5]), tol: E },
    { group: 'reduce', name: 'sum of all', inputs: [m23], op: (o, [a]) => o.reduce('sum', a!), want: t([], [21]), tol: E },
    { group: 'reduce', name: 'sum axis 0', inputs: [m23], op: (o, [a]) => o.reduce('sum', a!, 0), want: t([3], [5, 7, 9]), tol: E },
    { group: 'reduce', name: 'mean axis -1 keepDims', inputs: [m23], op: (o, [a]) => o.reduce('mean', a!, -1, true), want: t([2, 1], [2, 5]), tol: E },
    { group: 'reduce', name: 'mean of all', inputs: [m23], op: (o, [a]) => o.reduce('mean', a!), want: t([], [3.5]), tol: E },
    { group: 'layout', name: 'transpose [2,3]', inputs: [m23], op: (o, [a]) => o.transpose(a!), want: t([3, 2], [1, 4, 2, 5, 3, 6]), tol: 0 },
    { group: 'layout', name: 'reshape [2,3] -> [3,-1]', inputs: [m23], op: (o, [a]) => o.reshape(a!, [3, -1]), want: t([3, 2], [1, 2, 3, 4, 5, 6]), tol: 0 },
    { group: 'conv2d', name: '3x3 image, 2x2 kernel, bias 0.5', inputs: [x33, t([1, 1, 2, 2], [1, 2, 3, 4]), t([1], [0.5])], op: (o, [x, w, b]) => o.conv2d(x!, w!, b), want: t([1, 1, 2, 2], [37.5, 47.5, 67.5, 77.5]), tol: E },
    { group: 'conv2d', name: '3x3 image, 3x3 box kernel, stride 2, pad 1', inputs: [x33, t([1, 1, 3, 3], [1, 1, 1, 1, 1, 1, 1, 1, 1])], op: (o, [x, w]) => o.conv2d(x!, w!, undefined, 2, 1), want: t([1, 1, 2, 2], [12, 16, 24, 28]), tol: E },
    { group: 'unary', name: 'log of 1, e, e²', inputs: [t([3], [1, Math.E, Math.E ** 2])], op: (o, [a]) => o.unary('log', a!), want: t([3], [0, 1, 2]), tol: E },
    { group: 'unary', name: 'sqrt of 0, 4, 9, 2.25', inputs: [t([4], [0, 4, 9, 2.25])], op: (o, [a]) => o.unary('sqrt', a!), want: t([4], [0, 2, 3, 1.5]), tol: E },
    // tanh(ln 3) = (9 - 1) / (9 + 1) = 0.8.
    { group: 'unary', name: 'tanh of 0, ±ln 3', inputs: [t([3], [0, ln3, -ln3])], op: (o, [a]) => o.unary('tanh', a!), want: t([3], [0, 0.8, -0.8]), tol: E },
    { group: 'grad', name: 'relu-grad passes the gradient where x > 0', inputs: [t([4], [-1, 0, 2, 0.5]), t([4], [5, 5, 5, -3])], op: (o, [x, g]) => o.unaryGrad('relu', x!, g!), want: t([4], [0, 0, 5, -3]), tol: 0 },
    { group: 'grad', name: 'gelu-grad (from the tanh form; 0.5 at 0)', inputs: [t([gx.length], gx), t([gx.length], gx.map(() => 2))], op: (o, [x, g]) => o.unaryGrad('gelu', x!, g!), want: t([gx.length], gx.map(x => 2 * geluGradByTanh(x))), tol: E },
    { group: 'softmax', name: 'log-softmax of 0, ln 2, ln 3 is ln 1/6, ln 2/6, ln 3/6', inputs: [t([3], [0, ln2, ln3])], op: (o, [a]) => o.logSoftmax(a!), want: t([3], [Math.log(1 / 6), Math.log(2 / 6), Math.log(3 / 6)]), tol: E },
    // softmax y = (1/6, 2/6, 3/6), grad (1, 0, 0): y (g - y·g) = (5/36, -2/36, -3/36).
    { group: 'grad', name: 'softmax-grad', inputs: [t([3], [1 / 6, 2 / 6, 3 / 6]), t([3], [1, 0, 0])], op: (o, [y, g]) => o.softmaxGrad(y!, g!, -1, false), want: t([3], [5 / 36, -2 / 36, -3 / 36]), tol: E },
    // log-softmax y = ln(1/6, 2/6, 3/6), grad (1, 0, 0): g - softmax Σg = (5/6, -2/6, -3/6).
    { group: 'grad', name: 'log-softmax-grad', inputs: [t([3], [Math.log(1 / 6), Math.log(2 / 6), Math.log(3 / 6)]), t([3], [1, 0, 0])], op: (o, [y, g]) => o.softmaxGrad(y!, g!, -1, true), want: t([3], [5 / 6, -2 / 6, -3 / 6]), tol: E },
    { group: 'expand', name: '[2] to [3, 2]', inputs: [t([2], [1, 2])], op: (o, [a]) => o.expand(a!, [3, 2]), want: t([3, 2], [1, 2, 1, 2, 1, 2]), tol: 0 },
    { group: 'expand', name: '[2, 1] to [2, 3]', inputs: [t([2, 1], [1, 2])], op: (o, [a]) => o.expand(a!, [2, 3]), want: t([2, 3], [1, 1, 1, 2, 2, 2]), tol: 0 },
    // dropout p 0.5, seed 1: each element is 0 or 2x, as the mask formula says.
    { group: 'dropout', name: 'p 0.5 seed 1 on 1..8', inputs: [t([8], [1, 2, 3, 4, 5, 6, 7, 8])], op: (o, [a]) => o.dropout(a!, 0.5, 1), want: t([8], [1, 2, 3, 4, 5, 6, 7, 8].map((x, i) => maskByBigInt(1, i) >= 0.5 ? 2 * x : 0)), tol: 0 },
    // conv2d of a 3x3 image with a 2x2 kernel w, output gradient all ones: each input pixel
    // gathers the kernel weights of the outputs it fed; dw gathers the 2x2 windows' sums.
    { group: 'grad', name: 'conv2d-grad-input, 2x2 kernel, ones', inputs: [t([1, 1, 2, 2], [1, 1, 1, 1]), t([1, 1, 2, 2], [1, 2, 3, 4])], op: (o, [g, w]) => o.conv2dGradInput(g!, w!, [1, 1, 3, 3]), want: t([1, 1, 3, 3], [1, 3, 2, 4, 10, 6, 3, 7, 4]), tol: E },
    { group: 'grad', name: 'conv2d-grad-weight, 3x3 image, ones', inputs: [x33, t([1, 1, 2, 2], [1, 1, 1, 1])], op: (o, [x, g]) => o.conv2dGradWeight(x!, g!, [1, 1, 2, 2]), want: t([1, 1, 2, 2], [12, 16, 24, 28]), tol: E },
    { group: 'conv2d', name: 'two channels into two filters', inputs: [t([1, 2, 2, 2], [1, 2, 3, 4, 10, 20, 30, 40]), t([2, 2, 1, 1], [1, 1, 2, -1])], op: (o, [x, w]) => o.conv2d(x!, w!, undefined), want: t([1, 2, 2, 2], [11, 22, 33, 44, -8, -16, -24, -32]), tol: E }
  ]
}

/** Run one known-answer case on `ops`: the output's shape and every element against the worked answer. */
export function checkKnownAnswer (ops: TensorOps, c: KnownAnswerCase): CaseResult {
  const made: HostTensor[] = []
  const fail = (maxError: number, message: string): CaseResult => ({ group: c.group, name: c.name, maxError, tol: c.tol, ok: false, message })
  try {
    const ts = c.inputs.map(({ shape, data }) => {
      const x = ops.fromFloat32(shape, Float32Array.from(data))
      made.push(x)
      return x
    })
    const out = c.op(ops, ts)
    made.push(out)
    if (out.shape.length !== c.want.shape.length || out.shape.some((d, i) => d !== c.want.shape[i])) return fail(Infinity, `shape [${out.shape.join(', ')}], want [${c.want.shape.join(', ')}]`)
    const got = ops.read(out)
    let worst = 0
    let at = -1
    for (let i = 0; i < c.want.data.length; i++) {
      const err = Math.abs(got[i]! - c.want.data[i]!) / Math.max(1, Math.abs(c.want.data[i]!))
      if (!(err <= worst)) { worst = err; at = i } // NaN counts as the worst
    }
    if (!(worst <= c.tol)) return fail(worst, `element ${at}: got ${got[at]}, want ${c.want.data[at]}`)
    return { group: c.group, name: c.name, maxError: worst, tol: c.tol, ok: true }
  } catch (err) {
    return fail(Infinity, `threw ${(err as Error).message}`)
  } finally {
    for (const x of made) x.release()
  }
}
