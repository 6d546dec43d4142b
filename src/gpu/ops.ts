// The tensor operations of the GPU bridge over any backend: shape and dtype checks with errors
// that say what was wrong, output shapes, and the calls into the backend's kernels. Tensors are
// immutable; every operation returns a new one. `reshape` shares its input's storage.
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS, type BinaryOp, type DType, type Kernels, type ReduceOp, type UnaryGradOp, type UnaryOp } from './interface.js'
import { GpuError } from './errors.js'

/** The most elements one tensor may hold (a Float32Array's limit on 64-bit Node is higher; this keeps byte offsets exact). */
export const MAX_ELEMENTS = 2 ** 31 - 1

/** A backend buffer shared by tensors that view the same elements (reshape). */
interface Storage<B> {
  buf: B
  refs: number
  bytes: number
}

/** A tensor held by the host: shape, dtype and a view of backend storage. */
export class HostTensor<B = unknown> {
  #storage: Storage<B> | undefined
  readonly size: number
  constructor (readonly kernels: Kernels<B>, readonly shape: readonly number[], storage: Storage<B>, readonly dtype: DType = 'f32') {
    this.#storage = storage
    storage.refs++
    this.size = shape.reduce((a, b) => a * b, 1)
  }

  get released (): boolean {
    return this.#storage === undefined
  }


  /** The backend buffer, or a `released` error. */
  buffer (what = 'tensor'): B {
    if (this.#storage === undefined) throw new GpuError('released', `${what} was released (dropped, or freed when the call that made it ended); create it again`)
    return this.#storage.buf
  }

  /** The shared storage, for views (reshape). */
  storage (what: string): Storage<B> {
    this.buffer(what)
    return this.#storage!
  }

  /** Drop this view; the storage is freed when no view holds it. Returns the bytes freed. Idempotent. */
  release (): number {
    const s = this.#storage
    if (s === undefined) return 0
    this.#storage = undefined
    if (--s.refs > 0) return 0
    this.kernels.free(s.buf)
    return s.bytes
  }
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`

function elements (shape: readonly number[], what: string): number {
  let n = 1
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new GpuError('invalid-argument', `${what}: dimensions must be non-negative integers, got ${fmt(shape)}`)
    n *= d
  }
  if (n > MAX_ELEMENTS) throw new GpuError('out-of-memory', `${what}: ${fmt(shape)} has ${n} elements, more than the limit of ${MAX_ELEMENTS}`)
  return n
}

function axisOf (axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new GpuError('invalid-argument', `${what}: axis ${axis} is out of range for a tensor of rank ${rank} (use -${rank}..${rank - 1})`)
  }
  return axis < 0 ? axis + rank : axis
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1)
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i])

/**
 * The operations over one backend. `onCreate` sees every new tensor with the bytes of new storage
 * it brought (0 for a view): the bridge's handle table counts and bounds them. It may throw to
 * refuse one, which releases it.
 */
export class TensorOps<B = unknown> {
  constructor (readonly kernels: Kernels<B>, private readonly onCreate: (t: HostTensor<B>, newBytes: number) => void = () => {}) {}

  /** Wrap a fresh buffer as a tensor, releasing it if the bookkeeping refuses it. */
  #adopt (shape: readonly number[], buf: B): HostTensor<B> {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4
    const t = new HostTensor<B>(this.kernels, [...shape], { buf, refs: 0, bytes })
    try {
      this.onCreate(t, bytes)
    } catch (err) {
      t.release()
      throw err
    }
    return t
  }

  /** Allocate the output, run `fill` on it, and free it again if the kernel fails. */
  #produce (shape: readonly number[], fill: (out: B) => void, what: string): HostTensor<B> {
    const n = elements(shape, what)
    const buf = this.kernels.alloc(n)
    try {
      fill(buf)
    } catch (err) {
      this.kernels.free(buf)
      throw err
    }
    return this.#adopt(shape, buf)
  }

  #check (t: HostTensor<B>, what: string): B {
    if (t.kernels !== this.kernels) throw new GpuError('invalid-argument', `${what} lives on backend ${t.kernels.description}, not ${this.kernels.description}`)
    return t.buffer(what)
  }

  /** A tensor from f32 elements (copied to the backend). */
  fromFloat32 (shape: readonly number[], data: Float32Array, what = 'tensor'): HostTensor<B> {
    const n = elements(shape, what)
    if (data.length !== n) throw new GpuError('invalid-argument', `${what}: shape ${fmt(shape)} needs ${n} elements (${n * 4} bytes), got ${data.length} (${data.length * 4} bytes)`)
    return this.#adopt(shape, this.kernels.upload(data))
  }

  /** A tensor from little-endian bytes of `dtype`. */
  fromBytes (shape: readonly number[], dtype: string, bytes: Uint8Array, what = 'tensor'): HostTensor<B> {
    if (dtype !== 'f32') throw new GpuError('dtype-mismatch', `${what}: dtype ${dtype} is not supported (only f32)`)
    const n = elements(shape, what)
    if (bytes.byteLength !== n * 4) throw new GpuError('invalid-argument', `${what}: shape ${fmt(shape)} of f32 needs ${n * 4} bytes, got ${bytes.byteLength}`)
    const data = bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, n) : new Float32Array(bytes.slice().buffer)
    return this.fromFloat32(shape, data, what)
  }

  /** The elements, copied out. */
  read (t: HostTensor<B>): Float32Array {
    return this.kernels.download(this.#check(t, 'tensor'), t.size)
  }

  matmul (a: HostTensor<B>, b: HostTensor<B>, transA = false, transB = false): HostTensor<B> {
    const ab = this.#check(a, 'matmul a')
    const bb = this.#check(b, 'matmul b')
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new GpuError('shape-mismatch', `matmul needs tensors of rank >= 2, got ${fmt(a.shape)} and ${fmt(b.shape)} (reshape a vector to [1, n] or [n, 1])`)
    }
    const ra = a.shape.length
    const rb = b.shape.length
    const [m, k] = transA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!]
    const [kb, n] = transB ? [b.shape[rb - 1]!, b.shape[rb - 2]!] : [b.shape[rb - 2]!, b.shape[rb - 1]!]
    const batchDims = a.shape.slice(0, -2)
    const batch = prod(batchDims)
    const bBatch = b.shape.slice(0, -2)
    if (k !== kb) {
      throw new GpuError('shape-mismatch', `matmul: inner dimensions differ: a ${fmt(a.shape)}${transA ? 'ᵀ' : ''} has ${k} columns, b ${fmt(b.shape)}${transB ? 'ᵀ' : ''} has ${kb} rows`)
    }
    if (rb > 2 && !sameShape(bBatch, batchDims)) {
      throw new GpuError('shape-mismatch', `matmul: batch dimensions differ: a ${fmt(a.shape)}, b ${fmt(b.shape)} (b must be 2-D or have a's batch dimensions)`)
    }
    return this.#produce([...batchDims, m, n], (c) => this.kernels.gemm(ab, bb, c, batch, m, n, k, transA ? 1 : 0, transB ? 1 : 0, m * k, rb > 2 ? k * n : 0), 'matmul')
  }

  linear (x: HostTensor<B>, w: HostTensor<B>, bias?: HostTensor<B>): HostTensor<B> {
    const xb = this.#check(x, 'linear x')
    const wb = this.#check(w, 'linear w')
    const bb = bias === undefined ? null : this.#check(bias, 'linear bias')
    if (w.shape.length !== 2) throw new GpuError('shape-mismatch', `linear: w must be [out, in], got ${fmt(w.shape)}`)
    const [outF, inF] = w.shape as [number, number]
    if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== inF) {
      throw new GpuError('shape-mismatch', `linear: x ${fmt(x.shape)} must end in w's ${inF} input features (w is ${fmt(w.shape)})`)
    }
    if (bias !== undefined && !sameShape(bias.shape, [outF])) throw new GpuError('shape-mismatch', `linear: bias must be [${outF}] to match w ${fmt(w.shape)}, got ${fmt(bias.shape)}`)
    const rows = prod(x.shape.slice(0, -1))
    return this.#produce([...x.shape.slice(0, -1), outF], (y) => this.kernels.linear(xb, wb, bb, y, rows, inF, outF), 'linear')
  }

  binary (op: BinaryOp, a: HostTensor<B>, b: HostTensor<B>): HostTensor<B> {
    const ab = this.#check(a, `${op} a`)
    const bb = this.#check(b, `${op} b`)
    const suffix = b.shape.length <= a.shape.length && sameShape(b.shape, a.shape.slice(a.shape.length - b.shape.length))
    if (!suffix && b.size !== 1) {
      throw new GpuError('shape-mismatch', `${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not broadcast (b must have a's shape, a suffix of it, or one element)`)
    }
    if (a.size > 0 && b.size === 0) throw new GpuError('shape-mismatch', `${op}: b ${fmt(b.shape)} is empty`)
    return this.#produce(a.shape, (c) => this.kernels.binary(BINARY_OPS[op], ab, bb, c, a.size, b.size), op)
  }

  scale (a: HostTensor<B>, factor: number): HostTensor<B> {
    const ab = this.#check(a, 'scale a')
    if (typeof factor !== 'number') throw new GpuError('invalid-argument', `scale: factor must be a number, got ${typeof factor}`)
    return this.#produce(a.shape, (c) => this.kernels.scale(ab, c, a.size, factor), 'scale')
  }

  unary (op: UnaryOp, a: HostTensor<B>): HostTensor<B> {
    const ab = this.#check(a, `${op} a`)
    return this.#produce(a.shape, (c) => this.kernels.unary(UNARY_OPS[op], ab, c, a.size), op)
  }

  softmax (a: HostTensor<B>, axis = -1): HostTensor<B> {
    const ab = this.#check(a, 'softmax a')
    if (a.shape.length === 0) throw new GpuError('invalid-argument', 'softmax: needs a tensor of rank >= 1, got a scalar')
    const ax = axisOf(axis, a.shape.length, 'softmax')
    const outer = prod(a.shape.slice(0, ax))
    const inner = prod(a.shape.slice(ax + 1))
    return this.#produce(a.shape, (c) => this.kernels.softmax(ab, c, outer, a.shape[ax]!, inner), 'softmax')
  }

  reduce (op: ReduceOp, a: HostTensor<B>, axis?: number, keepDims = false): HostTensor<B> {
    const ab = this.#check(a, `${op} a`)
    if (axis === undefined) {
      if (op === 'mean' && a.size === 0) throw new GpuError('invalid-argument', 'mean of an empty tensor is undefined')
      const shape = keepDims ? a.shape.map(() => 1) : []
      return this.#produce(shape, (c) => this.kernels.reduce(REDUCE_OPS[op], ab, c, 1, a.size, 1), op)
    }
    if (a.shape.length === 0) throw new GpuError('invalid-argument', `${op}: a scalar has no axis ${axis}; pass no axis`)
    const ax = axisOf(axis, a.shape.length, op)
    if (op === 'mean' && a.shape[ax] === 0) throw new GpuError('invalid-argument', `mean over axis ${axis} of length 0 is undefined`)
    const outer = prod(a.shape.slice(0, ax))
    const inner = prod(a.shape.slice(ax + 1))
    const shape = keepDims ? a.shape.map((d, i) => (i === ax ? 1 : d)) : a.shape.filter((_, i) => i !== ax)
    return this.#produce(shape, (c) => this.kernels.reduce(REDUCE_OPS[op], ab, c, outer, a.shape[ax]!, inner), op)
  }

  transpose (a: HostTensor<B>): HostTensor<B> {
    const ab = this.#check(a, 'transpose a')
    if (a.shape.length < 2) throw new GpuError('shape-mismatch', `transpose swaps the last two dimensions: needs rank >= 2, got ${fmt(a.shape)}`)
    const r = a.shape.length
    const rows = a.shape[r - 2]!
    const cols = a.shape[r - 1]!
    return this.#produce([...a.shape.slice(0, -2), cols, rows], (c) => this.kernels.transpose(ab, c, prod(a.shape.slice(0, -2)), rows, cols), 'transpose')
  }

  reshape (a: HostTensor<B>, shape: readonly number[]): HostTensor<B> {
    const storage = a.storage('reshape a')
    const inferred = shape.filter(d => d === -1).length
    if (inferred > 1) throw new GpuError('invalid-argument', `reshape: at most one dimension may be -1, got ${fmt(shape)}`)
    if (shape.some(d => !Number.isInteger(d) || d < -1)) throw new GpuError('invalid-argument', `reshape: dimensions must be integers >= 0 (or one -1), got ${fmt(shape)}`)
    const known = prod(shape.filter(d => d !== -1))
    let out = [...shape]
    if (inferred === 1) {
      if (known === 0 || a.size % known !== 0) throw new GpuError('shape-mismatch', `reshape: cannot infer -1 in ${fmt(shape)} for ${a.size} elements (${fmt(a.shape)})`)
      out = shape.map(d => (d === -1 ? a.size / known : d))
    }
    if (prod(out) !== a.size) throw new GpuError('shape-mismatch', `reshape: ${fmt(a.shape)} has ${a.size} elements, ${fmt(shape)} has ${prod(out)}`)
    const t = new HostTensor<B>(this.kernels, out, storage)
    try {
      this.onCreate(t, 0)
    } catch (err) {
      t.release()
      throw err
    }
    return t
  }

  conv2d (input: HostTensor<B>, weight: HostTensor<B>, bias: HostTensor<B> | undefined, stride = 1, padding = 0): HostTensor<B> {
    const xb = this.#check(input, 'conv2d input')
    const wb = this.#check(weight, 'conv2d weight')
    const bb = bias === undefined ? null : this.#check(bias, 'conv2d bias')
    if (input.shape.length !== 4) throw new GpuError('shape-mismatch', `conv2d: input must be [n, c, h, w], got ${fmt(input.shape)}`)
    if (weight.shape.length !== 4) throw new GpuError('shape-mismatch', `conv2d: weight must be [k, c, r, s], got ${fmt(weight.shape)}`)
    const [n, c, h, w] = input.shape as [number, number, number, number]
    const [k, c2, r, s] = weight.shape as [number, number, number, number]
    if (c !== c2) throw new GpuError('shape-mismatch', `conv2d: input has ${c} channels ${fmt(input.shape)}, weight expects ${c2} ${fmt(weight.shape)}`)
    if (bias !== undefined && !sameShape(bias.shape, [k])) throw new GpuError('shape-mismatch', `conv2d: bias must be [${k}], got ${fmt(bias.shape)}`)
    if (!Number.isInteger(stride) || stride < 1) throw new GpuError('invalid-argument', `conv2d: stride must be >= 1, got ${stride}`)
    if (!Number.isInteger(padding) || padding < 0) throw new GpuError('invalid-argument', `conv2d: padding must be >= 0, got ${padding}`)
    if (h + 2 * padding < r || w + 2 * padding < s) {
      throw new GpuError('shape-mismatch', `conv2d: the ${r}x${s} kernel is larger than the padded ${h + 2 * padding}x${w + 2 * padding} input`)
    }
    const oh = Math.floor((h + 2 * padding - r) / stride) + 1
    const ow = Math.floor((w + 2 * padding - s) / stride) + 1
    return this.#produce([n, k, oh, ow], (y) => this.kernels.conv2d(xb, wb, bb, y, n, c, h, w, k, r, s, stride, padding, oh, ow), 'conv2d')
  }

  /** The gradient of relu or gelu at `x`, given the loss's gradient `grad` with respect to its output. */
  unaryGrad (op: UnaryGradOp, x: HostTensor<B>, grad: HostTensor<B>): HostTensor<B> {
    const xb = this.#check(x, `${op}-grad x`)
    const gb = this.#check(grad, `${op}-grad grad`)
    if (!sameShape(x.shape, grad.shape)) throw new GpuError('shape-mismatch', `${op}-grad: x ${fmt(x.shape)} and grad ${fmt(grad.shape)} must have one shape`)
    return this.#produce(x.shape, (c) => this.kernels.unaryGrad(UNARY_OPS[op], xb, gb, c, x.size), `${op}-grad`)
  }

  logSoftmax (a: HostTensor<B>, axis = -1): HostTensor<B> {
    const ab = this.#check(a, 'log-softmax a')
    if (a.shape.length === 0) throw new GpuError('invalid-argument', 'log-softmax: needs a tensor of rank >= 1, got a scalar')
    const ax = axisOf(axis, a.shape.length, 'log-softmax')
    return this.#produce(a.shape, (c) => this.kernels.logSoftmax(ab, c, prod(a.shape.slice(0, ax)), a.shape[ax]!, prod(a.shape.slice(ax + 1))), 'log-softmax')
  }

  /** The gradient with respect to softmax's input (log: log-softmax's), from its output `y` and `grad`. */
  softmaxGrad (y: HostTensor<B>, grad: HostTensor<B>, axis: number, log: boolean): HostTensor<B> {
    const yb = this.#check(y, 'softmax-grad y')
    const gb = this.#check(grad, 'softmax-grad grad')
    if (!sameShape(y.shape, grad.shape)) throw new GpuError('shape-mismatch', `softmax-grad: y ${fmt(y.shape)} and grad ${fmt(grad.shape)} must have one shape`)
    if (y.shape.length === 0) throw new GpuError('invalid-argument', 'softmax-grad: needs a tensor of rank >= 1, got a scalar')
    const ax = axisOf(axis, y.shape.length, 'softmax-grad')
    return this.#produce(y.shape, (c) => this.kernels.softmaxGrad(log ? 1 : 0, yb, gb, c, prod(y.shape.slice(0, ax)), y.shape[ax]!, prod(y.shape.slice(ax + 1))), 'softmax-grad')
  }

  /** `a` repeated to `shape` by numpy's broadcasting rules (a's dimensions, right-aligned, are 1 or equal to shape's). */
  expand (a: HostTensor<B>, shape: readonly number[]): HostTensor<B> {
    let buf = this.#check(a, 'expand a')
    elements(shape, 'expand')
    if (a.shape.length > shape.length) throw new GpuError('shape-mismatch', `expand: ${fmt(a.shape)} has more dimensions than ${fmt(shape)}`)
    const cur = [...Array<number>(shape.length - a.shape.length).fill(1), ...a.shape]
    for (let i = 0; i < shape.length; i++) {
      if (cur[i] !== shape[i] && cur[i] !== 1) throw new GpuError('shape-mismatch', `expand: ${fmt(a.shape)} does not broadcast to ${fmt(shape)} (each dimension, from the right, must be 1 or equal)`)
    }
    const axes = cur.map((d, i) => d === 1 && shape[i] !== 1 ? i : -1).filter(i => i >= 0)
    if (axes.length === 0) return this.reshape(a, shape)
    // One axis at a time; the intermediate buffers are this call's own.
    let owned: B | undefined
    try {
      for (const [j, ax] of axes.entries()) {
        const outer = prod(cur.slice(0, ax))
        const inner = prod(cur.slice(ax + 1))
        cur[ax] = shape[ax]!
        const n = elements(cur, 'expand')
        const next = this.kernels.alloc(n)
        try {
          this.kernels.repeat(buf, next, outer, shape[ax]!, inner)
        } catch (err) {
          this.kernels.free(next)
          throw err
        }
        if (owned !== undefined) this.kernels.free(owned)
        owned = next
        buf = next
        if (j === axes.length - 1) {
          owned = undefined
          return this.#adopt(shape, next)
        }
      }
    } finally {
      if (owned !== undefined) this.kernels.free(owned)
    }
    throw new Error('unreachable')
  }

  /** Elements zeroed with probability p (a mask fixed by `seed`), the others scaled by 1 / (1 - p). */
  dropout (a: HostTensor<B>, p: number, seed: number): HostTensor<B> {
    const ab = this.#check(a, 'dropout a')
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new GpuError('invalid-argument', `dropout: p must be in [0, 1), got ${String(p)}`)
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new GpuError('invalid-argument', `dropout: seed must be an integer in [0, 2^32), got ${String(seed)}`)
    return this.#produce(a.shape, (c) => this.kernels.dropout(ab, c, a.size, p, seed), 'dropout')
  }

  /** conv2d's gradient with respect to its input of `inputShape`, from `grad` (shaped as conv2d's output) and the weight. */
  conv2dGradInput (grad: HostTensor<B>, weight: HostTensor<B>, inputShape: readonly number[], stride = 1, padding = 0): HostTensor<B> {
    const gb = this.#check(grad, 'conv2d-grad-input grad')
    const wb = this.#check(weight, 'conv2d-grad-input weight')
    const d = this.#convDims('conv2d-grad-input', inputShape, weight.shape, grad.shape, stride, padding)
    return this.#produce(inputShape, (dx) => this.kernels.conv2dGradInput(gb, wb, dx, ...d), 'conv2d-grad-input')
  }

  /** conv2d's gradient with respect to its weight of `weightShape`, from its input and `grad`. */
  conv2dGradWeight (input: HostTensor<B>, grad: HostTensor<B>, weightShape: readonly number[], stride = 1, padding = 0): HostTensor<B> {
    const xb = this.#check(input, 'conv2d-grad-weight input')
    const gb = this.#check(grad, 'conv2d-grad-weight grad')
    const d = this.#convDims('conv2d-grad-weight', input.shape, weightShape, grad.shape, stride, padding)
    return this.#produce(weightShape, (dw) => this.kernels.conv2dGradWeight(xb, gb, dw, ...d), 'conv2d-grad-weight')
  }

  /** The dimensions of a conv2d gradient, checked: input, weight and output shapes must agree as conv2d's would. */
  #convDims (what: string, inputShape: readonly number[], weightShape: readonly number[], gradShape: readonly number[], stride: number, padding: number): [number, number, number, number, number, number, number, number, number, number, number] {
    if (inputShape.length !== 4 || weightShape.length !== 4) throw new GpuError('shape-mismatch', `${what}: input must be [n, c, h, w] and weight [k, c, r, s], got ${fmt(inputShape)} and ${fmt(weightShape)}`)
    elements(inputShape, what)
    elements(weightShape, what)
    const [n, c, h, w] = inputShape as [number, number, number, number]
    const [k, c2, r, s] = weightShape as [number, number, number, number]
    if (c !== c2) throw new GpuError('shape-mismatch', `${what}: input has ${c} channels ${fmt(inputShape)}, weight expects ${c2} ${fmt(weightShape)}`)
    if (!Number.isInteger(stride) || stride < 1) throw new GpuError('invalid-argument', `${what}: stride must be >= 1, got ${stride}`)
    if (!Number.isInteger(padding) || padding < 0) throw new GpuError('invalid-argument', `${what}: padding must be >= 0, got ${padding}`)
    if (h + 2 * padding < r || w + 2 * padding < s) throw new GpuError('shape-mismatch', `${what}: the ${r}x${s} kernel is larger than the padded ${h + 2 * padding}x${w + 2 * padding} input`)
    const oh = Math.floor((h + 2 * padding - r) / stride) + 1
    const ow = Math.floor((w + 2 * padding - s) / stride) + 1
    if (!sameShape(gradShape, [n, k, oh, ow])) throw new GpuError('shape-mismatch', `${what}: grad must be conv2d's output shape ${fmt([n, k, oh, ow])}, got ${fmt(gradShape)}`)
    return [n, c, h, w, k, r, s, stride, padding, oh, ow]
  }

}
