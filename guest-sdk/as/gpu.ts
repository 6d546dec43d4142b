// Tensors for AssemblyScript guests, over the fabric:core/gpu import (the same host kernels as
// QuickJS guests use). Imported by guests from 'fabric/guest-as':
//
//   import { Tensor, tensor, linear, relu, softmax } from 'fabric/guest-as'
//   const x = tensor(input, [batch, 784])
//   const h = relu(linear(x, w1, b1))
//   return softmax(linear(h, w2, b2)).toFloat32Array()
//
// AssemblyScript has no exceptions: an operation the host refuses (shapes that do not fit, a
// released tensor) records the failure — the task then returns it as its task-error, as `fail`
// does — and returns an invalid tensor. Operations on an invalid tensor do nothing and return an
// invalid tensor, so a chain stops at its first error; `gpuError()` tells whether one happened.
import { currentFailure, releaseHostBlock, setFailure } from './abi'

// Canonical-ABI lowerings of the gpu import (32-bit): results that do not fit one value come back
// through a return area: result<own<tensor>, task-error> is a u8 discriminant, then at 4 either
// the handle or the error's kind (ptr, len), message (ptr, len) at 12 and retryable at 20.
@external("fabric:core/gpu@0.1.0", "[static]tensor.from-bytes")
declare function hostFromBytes(shapePtr: usize, shapeLen: usize, dtype: i32, dataPtr: usize, dataLen: usize, ret: usize): void
@external("fabric:core/gpu@0.1.0", "[static]tensor.from-object")
declare function hostFromObject(idPtr: usize, idLen: usize, hasShape: i32, shapePtr: usize, shapeLen: usize, ret: usize): void
@external("fabric:core/gpu@0.1.0", "[method]tensor.shape")
declare function hostShape(self: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "[method]tensor.read")
declare function hostRead(self: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "[resource-drop]tensor")
declare function hostDrop(self: i32): void
@external("fabric:core/gpu@0.1.0", "backend")
declare function hostBackend(ret: usize): void
@external("fabric:core/gpu@0.1.0", "matmul")
declare function hostMatmul(a: i32, b: i32, ta: i32, tb: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "linear")
declare function hostLinear(x: i32, w: i32, hasBias: i32, b: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "add")
declare function hostAdd(a: i32, b: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "sub")
declare function hostSub(a: i32, b: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "mul")
declare function hostMul(a: i32, b: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "div")
declare function hostDiv(a: i32, b: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "scale")
declare function hostScale(a: i32, factor: f32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "relu")
declare function hostRelu(a: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "gelu")
declare function hostGelu(a: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "exp")
declare function hostExp(a: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "softmax")
declare function hostSoftmax(a: i32, axis: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "sum")
declare function hostSum(a: i32, hasAxis: i32, axis: i32, keepDims: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "mean")
declare function hostMean(a: i32, hasAxis: i32, axis: i32, keepDims: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "transpose")
declare function hostTranspose(a: i32, ret: usize): void
@external("fabric:core/gpu@0.1.0", "reshape")
declare function hostReshape(a: i32, shapePtr: usize, shapeLen: usize, ret: usize): void
@external("fabric:core/gpu@0.1.0", "conv2d")
declare function hostConv2d(x: i32, w: i32, hasBias: i32, b: i32, stride: u32, padding: u32, ret: usize): void

const RET = memory.data(24, 8)

/** The failure the current call will return ("kind: message": a tensor failure or `fail`), or null. */
export function gpuError(): string | null {
  const f = currentFailure()
  return f == null ? null : f.kind + ': ' + f.message
}

/** Reads a (ptr, len) string the host allocated at `at` and frees its block. */
function takeString(at: usize): string {
  const ptr = <usize>load<u32>(at)
  const s = String.UTF8.decodeUnsafe(ptr, <usize>load<u32>(at, 4))
  releaseHostBlock(ptr)
  return s
}

/** The result in RET: ok → true; err → the failure is recorded (the first one of the call wins). */
function resultOk(): bool {
  if (load<u8>(RET) == 0) return true
  const kind = takeString(RET + 4)
  const message = takeString(RET + 12)
  if (currentFailure() == null) setFailure(kind, message, false)
  return false
}

function tensorResult(): Tensor {
  return resultOk() ? new Tensor(load<i32>(RET, 4)) : INVALID
}

/** A host-held f32 tensor. Call `dispose()` when done with it. */
export class Tensor {
  constructor(public handle: i32) {}

  /** False for the result of a failed operation. */
  get valid(): bool {
    return this.handle != 0
  }

  /** The dimensions (empty for an invalid tensor). */
  shape(): Uint32Array {
    if (this.handle == 0) return new Uint32Array(0)
    hostShape(this.handle, RET)
    const ptr = <usize>load<u32>(RET)
    const len = <i32>load<u32>(RET, 4)
    const out = new Uint32Array(len)
    memory.copy(out.dataStart, ptr, <usize>len * 4)
    releaseHostBlock(ptr)
    return out
  }

  /** Copies the elements into the guest (empty for an invalid tensor or on failure). */
  toFloat32Array(): Float32Array {
    if (this.handle == 0) return new Float32Array(0)
    hostRead(this.handle, RET)
    if (!resultOk()) return new Float32Array(0)
    const ptr = <usize>load<u32>(RET, 4)
    const len = <i32>load<u32>(RET, 8)
    const out = new Float32Array(len >> 2)
    memory.copy(out.dataStart, ptr, <usize>len)
    releaseHostBlock(ptr)
    return out
  }

  /** Releases the host's tensor now; this object becomes invalid. */
  dispose(): void {
    if (this.handle == 0) return
    hostDrop(this.handle)
    this.handle = 0
  }
}

const INVALID = new Tensor(0)

/** A tensor of `shape` from f32 data. */
export function tensor(data: Float32Array, shape: Array<u32>): Tensor {
  const dims = new Uint32Array(shape.length)
  for (let i = 0; i < shape.length; i++) dims[i] = shape[i]
  hostFromBytes(dims.dataStart, <usize>dims.length, 0, data.dataStart, <usize>data.byteLength, RET)
  return tensorResult()
}

/**
 * A tensor from an object (CID or ref id) holding a Float32Array or raw f32 bytes; the bytes never
 * enter the guest. An empty `shape` means one dimension of every element.
 */
export function fromObject(id: string, shape: Array<u32> = []): Tensor {
  const idBuf = String.UTF8.encode(id)
  const dims = new Uint32Array(shape.length)
  for (let i = 0; i < shape.length; i++) dims[i] = shape[i]
  hostFromObject(changetype<usize>(idBuf), <usize>idBuf.byteLength, shape.length > 0 ? 1 : 0, dims.dataStart, <usize>dims.length, RET)
  return tensorResult()
}

/** The backend serving this guest, e.g. "cpu:openblas" or "cuda:NVIDIA H100 80GB HBM3". */
export function gpuBackend(): string {
  hostBackend(RET)
  return takeString(RET)
}

export function matmul(a: Tensor, b: Tensor, transposeA: bool = false, transposeB: bool = false): Tensor {
  if (!a.valid || !b.valid) return INVALID
  hostMatmul(a.handle, b.handle, transposeA ? 1 : 0, transposeB ? 1 : 0, RET)
  return tensorResult()
}

/** x·wᵀ + b: x [..., in], w [out, in], b [out] (or null). */
export function linear(x: Tensor, w: Tensor, b: Tensor | null = null): Tensor {
  if (!x.valid || !w.valid || (b != null && !b.valid)) return INVALID
  hostLinear(x.handle, w.handle, b != null ? 1 : 0, b != null ? b.handle : 0, RET)
  return tensorResult()
}

export function add(a: Tensor, b: Tensor): Tensor {
  if (!a.valid || !b.valid) return INVALID
  hostAdd(a.handle, b.handle, RET)
  return tensorResult()
}

export function sub(a: Tensor, b: Tensor): Tensor {
  if (!a.valid || !b.valid) return INVALID
  hostSub(a.handle, b.handle, RET)
  return tensorResult()
}

export function mul(a: Tensor, b: Tensor): Tensor {
  if (!a.valid || !b.valid) return INVALID
  hostMul(a.handle, b.handle, RET)
  return tensorResult()
}

export function div(a: Tensor, b: Tensor): Tensor {
  if (!a.valid || !b.valid) return INVALID
  hostDiv(a.handle, b.handle, RET)
  return tensorResult()
}

export function scale(a: Tensor, factor: f32): Tensor {
  if (!a.valid) return INVALID
  hostScale(a.handle, factor, RET)
  return tensorResult()
}

export function relu(a: Tensor): Tensor {
  if (!a.valid) return INVALID
  hostRelu(a.handle, RET)
  return tensorResult()
}

export function gelu(a: Tensor): Tensor {
  if (!a.valid) return INVALID
  hostGelu(a.handle, RET)
  return tensorResult()
}

export function exp(a: Tensor): Tensor {
  if (!a.valid) return INVALID
  hostExp(a.handle, RET)
  return tensorResult()
}

export function softmax(a: Tensor, axis: i32 = -1): Tensor {
  if (!a.valid) return INVALID
  hostSoftmax(a.handle, axis, RET)
  return tensorResult()
}

/** Sum of every element (`allAxes`), or along `axis`. */
export function sum(a: Tensor, axis: i32 = 0, allAxes: bool = true, keepDims: bool = false): Tensor {
  if (!a.valid) return INVALID
  hostSum(a.handle, allAxes ? 0 : 1, axis, keepDims ? 1 : 0, RET)
  return tensorResult()
}

export function mean(a: Tensor, axis: i32 = 0, allAxes: bool = true, keepDims: bool = false): Tensor {
  if (!a.valid) return INVALID
  hostMean(a.handle, allAxes ? 0 : 1, axis, keepDims ? 1 : 0, RET)
  return tensorResult()
}

export function transpose(a: Tensor): Tensor {
  if (!a.valid) return INVALID
  hostTranspose(a.handle, RET)
  return tensorResult()
}

export function reshape(a: Tensor, shape: Array<i32>): Tensor {
  if (!a.valid) return INVALID
  const dims = new Int32Array(shape.length)
  for (let i = 0; i < shape.length; i++) dims[i] = shape[i]
  hostReshape(a.handle, dims.dataStart, <usize>dims.length, RET)
  return tensorResult()
}

/** 2-D convolution: input [n, c, h, w], weight [k, c, r, s], bias [k] or null; zero padding. */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, stride: u32 = 1, padding: u32 = 0): Tensor {
  if (!input.valid || !weight.valid || (bias != null && !bias.valid)) return INVALID
  hostConv2d(input.handle, weight.handle, bias != null ? 1 : 0, bias != null ? bias.handle : 0, stride, padding, RET)
  return tensorResult()
}
