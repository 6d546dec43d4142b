/// <reference path="./host-imports.d.ts" />
// Tensors for QuickJS guests, over the fabric:core/gpu import: the data lives in the host (on the
// GPU where the task holds one) and only crosses into the guest on `toFloat32Array()`.
//
//   const x = tensor(input, [batch, 784])
//   const h = relu(linear(x, w1, b1))
//   return softmax(linear(h, w2, b2)).toArray()
//
// Host failures (shape mismatches, released tensors) throw a GuestError whose `kind` names them.
import * as gpu from 'fabric:core/gpu@0.1.0'
import type { ObjectRef } from '../../src/objects/object-ref.js'
import { fromTaskError } from './guest-error.js'

function host<T> (fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw fromTaskError(err)
  }
}

/** A host-held f32 tensor. Release it with `dispose()` when done (a task's tensors are freed when the task returns anyway). */
export class Tensor {
  /** @internal */
  readonly handle: gpu.Tensor
  #shape: number[] | undefined

  /** @internal Use `tensor()`, `fromObject()` or an operation. */
  constructor (handle: gpu.Tensor) {
    this.handle = handle
  }

  /** The dimensions, e.g. `[64, 784]`. */
  get shape (): number[] {
    this.#shape ??= Array.from(host(() => this.handle.shape()))
    return this.#shape.slice()
  }

  get dtype (): gpu.Dtype {
    return 'f32'
  }

  /** Number of elements. */
  get size (): number {
    return this.shape.reduce((a, b) => a * b, 1)
  }

  /** Copy the elements into the guest. */
  toFloat32Array (): Float32Array {
    const bytes = host(() => this.handle.read())
    return bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : new Float32Array(bytes.slice().buffer)
  }

  /** The elements as a plain array (row-major). */
  toArray (): number[] {
    return Array.from(this.toFloat32Array())
  }

  /** Release the host's copy now; the tensor is unusable afterwards. */
  dispose (): void {
    (this.handle as unknown as Record<symbol, () => void>)[Symbol.dispose]!()
  }
}

const shapeArg = (shape: readonly number[]): Uint32Array => {
  for (const d of shape) if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new RangeError(`tensor dimensions must be integers >= 0, got [${shape.join(', ')}]`)
  return Uint32Array.from(shape)
}

/**
 * A tensor from f32 data (a Float32Array is passed without conversion). `shape` defaults to one
 * dimension of every element.
 */
export function tensor (data: Float32Array | ArrayLike<number>, shape?: readonly number[]): Tensor {
  const f = data instanceof Float32Array ? data : Float32Array.from(data)
  const bytes = new Uint8Array(f.buffer, f.byteOffset, f.byteLength)
  return new Tensor(host(() => gpu.Tensor.fromBytes(shapeArg(shape ?? [f.length]), 'f32', bytes)))
}

/**
 * A tensor from an object holding a Float32Array (or raw f32 bytes), by ref or CID: its bytes go
 * from the object store into the host tensor without passing through the guest.
 */
export function fromObject (ref: ObjectRef | string, shape?: readonly number[]): Tensor {
  const id = typeof ref === 'string' ? ref : (ref as { id?: unknown } | null)?.id
  if (typeof id !== 'string') {
    throw new TypeError('fromObject needs an ObjectRef or a CID string (a ref passed directly as a task argument arrives as its value: pass it inside an array to keep the ref)')
  }
  return new Tensor(host(() => gpu.Tensor.fromObject(id, shape === undefined ? undefined : shapeArg(shape))))
}

/** The backend serving this guest: "cuda:<device>", "cpu:openblas", "cpu:blocked" or "js". */
export function gpuBackend (): string {
  return gpu.backend()
}

const wrap = (fn: () => gpu.Tensor): Tensor => new Tensor(host(fn))

/** a·b over the last two dimensions. */
export function matmul (a: Tensor, b: Tensor, options: { transposeA?: boolean, transposeB?: boolean } = {}): Tensor {
  return wrap(() => gpu.matmul(a.handle, b.handle, options.transposeA === true, options.transposeB === true))
}
/** x·wᵀ + b (a fully connected layer): x [..., in], w [out, in], b [out]. */
export function linear (x: Tensor, w: Tensor, b?: Tensor): Tensor {
  return wrap(() => gpu.linear(x.handle, w.handle, b?.handle))
}
/** Elementwise a + b; b may have a's shape, a suffix of it, or one element. */
export function add (a: Tensor, b: Tensor): Tensor { return wrap(() => gpu.add(a.handle, b.handle)) }
export function sub (a: Tensor, b: Tensor): Tensor { return wrap(() => gpu.sub(a.handle, b.handle)) }
export function mul (a: Tensor, b: Tensor): Tensor { return wrap(() => gpu.mul(a.handle, b.handle)) }
export function div (a: Tensor, b: Tensor): Tensor { return wrap(() => gpu.div(a.handle, b.handle)) }
export function scale (a: Tensor, factor: number): Tensor { return wrap(() => gpu.scale(a.handle, factor)) }
export function relu (a: Tensor): Tensor { return wrap(() => gpu.relu(a.handle)) }
/** GELU (tanh approximation). */
export function gelu (a: Tensor): Tensor { return wrap(() => gpu.gelu(a.handle)) }
export function exp (a: Tensor): Tensor { return wrap(() => gpu.exp(a.handle)) }
/** Softmax along `axis` (default: the last). */
export function softmax (a: Tensor, axis = -1): Tensor { return wrap(() => gpu.softmax(a.handle, axis)) }
/** Sum along `axis`, or of every element. */
export function sum (a: Tensor, options: { axis?: number, keepDims?: boolean } = {}): Tensor {
  return wrap(() => gpu.sum(a.handle, options.axis, options.keepDims === true))
}
export function mean (a: Tensor, options: { axis?: number, keepDims?: boolean } = {}): Tensor {
  return wrap(() => gpu.mean(a.handle, options.axis, options.keepDims === true))
}
/** Swap the last two dimensions. */
export function transpose (a: Tensor): Tensor { return wrap(() => gpu.transpose(a.handle)) }
/** The same elements under a new shape (one dimension may be -1). */
export function reshape (a: Tensor, shape: readonly number[]): Tensor {
  return wrap(() => gpu.reshape(a.handle, Int32Array.from(shape)))
}
/** 2-D convolution of input [n, c, h, w] with weight [k, c, r, s] (+ bias [k]), zero padding. */
export function conv2d (input: Tensor, weight: Tensor, options: { bias?: Tensor, stride?: number, padding?: number } = {}): Tensor {
  return wrap(() => gpu.conv2d(input.handle, weight.handle, options.bias?.handle, options.stride ?? 1, options.padding ?? 0))
}
/** Natural logarithm (`ln`: `log` is the guest's logger). */
export function ln (a: Tensor): Tensor { return wrap(() => gpu.log(a.handle)) }
export function sqrt (a: Tensor): Tensor { return wrap(() => gpu.sqrt(a.handle)) }
export function tanh (a: Tensor): Tensor { return wrap(() => gpu.tanh(a.handle)) }
/** Log-softmax along `axis` (default: the last): x - max - log(sum(exp(x - max))). */
export function logSoftmax (a: Tensor, axis = -1): Tensor { return wrap(() => gpu.logSoftmax(a.handle, axis)) }
/** `a` repeated to `shape` by numpy's broadcasting rules (a's dimensions, from the right, are 1 or equal). */
export function expand (a: Tensor, shape: readonly number[]): Tensor { return wrap(() => gpu.expand(a.handle, shapeArg(shape))) }
/**
 * Each element zeroed with probability `p`, the others scaled by 1 / (1 - p). The mask is fixed by
 * `seed` (an integer below 2^32): the same seed drops the same elements (on every backend).
 */
export function dropout (a: Tensor, p: number, seed: number): Tensor { return wrap(() => gpu.dropout(a.handle, p, seed)) }
/** relu's gradient at `x` from the gradient `grad` of its output. */
export function reluGrad (x: Tensor, grad: Tensor): Tensor { return wrap(() => gpu.reluGrad(x.handle, grad.handle)) }
/** gelu's gradient at `x` from the gradient `grad` of its output. */
export function geluGrad (x: Tensor, grad: Tensor): Tensor { return wrap(() => gpu.geluGrad(x.handle, grad.handle)) }
/** The gradient with respect to softmax's input from its output `y` along `axis` (`log`: log-softmax's). */
export function softmaxGrad (y: Tensor, grad: Tensor, axis = -1, log = false): Tensor { return wrap(() => gpu.softmaxGrad(y.handle, grad.handle, axis, log)) }
/** conv2d's gradient with respect to its input (of `inputShape`), from `grad` shaped as its output. */
export function conv2dGradInput (grad: Tensor, weight: Tensor, inputShape: readonly number[], options: { stride?: number, padding?: number } = {}): Tensor {
  return wrap(() => gpu.conv2dGradInput(grad.handle, weight.handle, shapeArg(inputShape), options.stride ?? 1, options.padding ?? 0))
}
/** conv2d's gradient with respect to its weight (of `weightShape`). */
export function conv2dGradWeight (input: Tensor, grad: Tensor, weightShape: readonly number[], options: { stride?: number, padding?: number } = {}): Tensor {
  return wrap(() => gpu.conv2dGradWeight(input.handle, grad.handle, shapeArg(weightShape), options.stride ?? 1, options.padding ?? 0))
}
