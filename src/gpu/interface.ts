// Contracts of the GPU bridge: the element types, the error kinds a guest sees, and the kernel
// set every backend (js, cpu, cuda) implements over its own buffers.

/** Element types of tensors. Operations compute in f32. */
export type DType = 'f32'

/** Where kernels run: the pure-TypeScript reference, the native CPU addon, or CUDA. */
export type BackendKind = 'js' | 'cpu' | 'cuda'

/** The `kind` of a tensor failure, as the guest's task-error carries it. */
export type GpuErrorKind = 'shape-mismatch' | 'dtype-mismatch' | 'invalid-argument' | 'released' | 'not-found' | 'out-of-memory' | 'backend'

export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3 } as const
export const UNARY_OPS = { relu: 0, gelu: 1, exp: 2, log: 3, sqrt: 4, tanh: 5 } as const
/** The unary ops with a gradient kernel (unaryGrad); the others' gradients are compositions of other ops. */
export const UNARY_GRAD_OPS = ['relu', 'gelu'] as const
export const REDUCE_OPS = { sum: 0, mean: 1 } as const
export type BinaryOp = keyof typeof BINARY_OPS
export type UnaryOp = keyof typeof UNARY_OPS
export type UnaryGradOp = typeof UNARY_GRAD_OPS[number]
export type ReduceOp = keyof typeof REDUCE_OPS

/**
 * One backend's kernels over its buffers `B` (a Float32Array for js and cpu, a device allocation
 * for cuda). Dense row-major f32; outputs never alias inputs; dimensions were checked by the
 * caller (src/gpu/ops.ts). The semantics of each kernel are in src/gpu/native/kernels.h.
 */
export interface Kernels<B = unknown> {
  readonly kind: BackendKind
  /** For logs and `gpu.backend()`: "cpu:openblas", "cuda:NVIDIA H100 80GB HBM3", "js". */
  readonly description: string
  /** A buffer of `n` floats (contents undefined). */
  alloc: (n: number) => B
  upload: (data: Float32Array) => B
  /** A copy of the first `n` floats. */
  download: (buf: B, n: number) => Float32Array
  free: (buf: B) => void
  gemm: (a: B, b: B, c: B, batch: number, m: number, n: number, k: number, transA: number, transB: number, strideA: number, strideB: number) => void
  linear: (x: B, w: B, bias: B | null, y: B, rows: number, inFeatures: number, outFeatures: number) => void
  binary: (op: number, a: B, b: B, c: B, n: number, bn: number) => void
  scale: (a: B, c: B, n: number, factor: number) => void
  unary: (op: number, a: B, c: B, n: number) => void
  softmax: (a: B, c: B, outer: number, dim: number, inner: number) => void
  reduce: (op: number, a: B, c: B, outer: number, dim: number, inner: number) => void
  transpose: (a: B, c: B, batch: number, rows: number, cols: number) => void
  conv2d: (x: B, weight: B, bias: B | null, y: B, n: number, c: number, h: number, w: number, k: number, r: number, s: number, stride: number, pad: number, oh: number, ow: number) => void
  // ---- what autograd needs (the backward passes, and ops losses and layers use) ----
  unaryGrad: (op: number, x: B, g: B, c: B, n: number) => void
  logSoftmax: (a: B, c: B, outer: number, dim: number, inner: number) => void
  /** log 0: y is softmax's output; log 1: log-softmax's. */
  softmaxGrad: (log: number, y: B, g: B, c: B, outer: number, dim: number, inner: number) => void
  repeat: (a: B, c: B, outer: number, dim: number, inner: number) => void
  conv2dGradInput: (g: B, weight: B, dx: B, n: number, c: number, h: number, w: number, k: number, r: number, s: number, stride: number, pad: number, oh: number, ow: number) => void
  conv2dGradWeight: (x: B, g: B, dw: B, n: number, c: number, h: number, w: number, k: number, r: number, s: number, stride: number, pad: number, oh: number, ow: number) => void
  dropout: (a: B, c: B, n: number, p: number, seed: number) => void
}

/** What a node can offer for `gpus`: the CUDA devices the addon found. */
export interface GpuInventory {
  devices: number
  /** The model of device 0, e.g. "NVIDIA H100 80GB HBM3"; undefined without devices. */
  model?: string
  /** Why there are none (no addon, built without CUDA, no driver), for `fabric join` to print. */
  reason?: string
}
