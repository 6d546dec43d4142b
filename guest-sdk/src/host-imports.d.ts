// Types of the fabric:core host imports as a QuickJS guest sees them (componentize-qjs maps
// `result<T, E>` to "return T or throw E"). Kept in step with wit/fabric.wit; the guest runtime's
// tests exercise every import, so drift shows up there.

declare module 'fabric:core/log@0.1.0' {
  export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error'
  export function log (level: Level, message: string): void
}

declare module 'fabric:core/objects@0.1.0' {
  export function get (id: string): Uint8Array
  export function put (data: Uint8Array): string
}

declare module 'fabric:core/tasks@0.1.0' {
  export function submit (component: string, name: string, args: Uint8Array, options: Uint8Array): string
  export function get (id: string, timeoutMs: number | undefined): Uint8Array
  export function wait (ids: string[], numReturns: number, timeoutMs: number | undefined): string[]
}

declare module 'fabric:core/gpu@0.1.0' {
  export type Dtype = 'f32'
  export class Tensor {
    private constructor ()
    static fromBytes (shape: Uint32Array, dtype: Dtype, data: Uint8Array): Tensor
    static fromObject (id: string, shape: Uint32Array | undefined): Tensor
    shape (): Uint32Array
    dtype (): Dtype
    read (): Uint8Array
  }
  export function backend (): string
  export function matmul (a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor
  export function linear (x: Tensor, w: Tensor, b: Tensor | undefined): Tensor
  export function add (a: Tensor, b: Tensor): Tensor
  export function sub (a: Tensor, b: Tensor): Tensor
  export function mul (a: Tensor, b: Tensor): Tensor
  export function div (a: Tensor, b: Tensor): Tensor
  export function scale (a: Tensor, factor: number): Tensor
  export function relu (a: Tensor): Tensor
  export function gelu (a: Tensor): Tensor
  export function exp (a: Tensor): Tensor
  export function softmax (a: Tensor, axis: number): Tensor
  export function sum (a: Tensor, axis: number | undefined, keepDims: boolean): Tensor
  export function mean (a: Tensor, axis: number | undefined, keepDims: boolean): Tensor
  export function transpose (a: Tensor): Tensor
  export function reshape (a: Tensor, shape: Int32Array): Tensor
  export function conv2d (input: Tensor, weight: Tensor, bias: Tensor | undefined, stride: number, padding: number): Tensor
  export function log (a: Tensor): Tensor
  export function sqrt (a: Tensor): Tensor
  export function tanh (a: Tensor): Tensor
  export function logSoftmax (a: Tensor, axis: number): Tensor
  export function expand (a: Tensor, shape: Uint32Array): Tensor
  export function dropout (a: Tensor, p: number, seed: number): Tensor
  export function reluGrad (x: Tensor, grad: Tensor): Tensor
  export function geluGrad (x: Tensor, grad: Tensor): Tensor
  export function softmaxGrad (y: Tensor, grad: Tensor, axis: number, log: boolean): Tensor
  export function conv2dGradInput (grad: Tensor, weight: Tensor, inputShape: Uint32Array, stride: number, padding: number): Tensor
  export function conv2dGradWeight (input: Tensor, grad: Tensor, weightShape: Uint32Array, stride: number, padding: number): Tensor
}

declare module 'fabric:core/collective@0.1.0' {
  import type { Tensor } from 'fabric:core/gpu@0.1.0'
  export type ReduceOp = 'sum' | 'mean' | 'max'
  export interface GroupInfo { rank: number, size: number }
  export function info (group: string): GroupInfo
  export function allReduce (group: string, t: Tensor, op: ReduceOp): Tensor
  export function broadcast (group: string, t: Tensor | undefined, root: number): Tensor
  export function barrier (group: string): void
}
