// The host side of the `fabric:core/gpu` import for one component instance: a handle table of the
// tensors the instance holds, each op checked and run on the call's backend, and the guest's
// failures turned into task-errors. A task's tensors are released when its call ends; an actor's
// live as long as the actor; all of them when the instance goes.
import type * as Gpu from '../component/host-types/interfaces/fabric-core-gpu.js'
import type * as Collective from '../component/host-types/interfaces/fabric-core-collective.js'
import { decode } from '../objects/codec.js'
import { GpuError } from './errors.js'
import type { Kernels } from './interface.js'
import { HostTensor, TensorOps } from './ops.js'
import { selectKernels, type BackendPreference } from './select.js'

/** The `fabric:core/gpu` functions as the host implements them (typed from the WIT). */
export type GpuImports = typeof Gpu
export type CollectiveImports = typeof Collective

/** A collective operation as the node runs it (see the runtime's collectives): the tensor's elements go to the host and back. */
export type CollectiveCall =
  | { op: 'info', group: string }
  | { op: 'all-reduce', group: string, data: Float32Array, shape: number[], reduce: 'sum' | 'mean' | 'max' }
  | { op: 'broadcast', group: string, data: Float32Array | undefined, shape: number[] | undefined, root: number }
  | { op: 'barrier', group: string }

export interface GpuScopeOptions {
  /** The bytes of an object (CBOR, as stored) by CID or ref id: `tensor.from-object` reads it. */
  readObject: (id: string) => Uint8Array
  /**
   * Run a collective on the node (a blocking host call): `info` answers { rank, size }; the tensor
   * ops their result's elements (and shape); `barrier` nothing. Without it the collective import fails.
   */
  collective?: (call: CollectiveCall) => unknown
  /** Most bytes of tensor data the instance may hold at once. @default FABRIC_GPU_MAX_BYTES, else 4 GiB */
  maxBytes?: number
  preference?: BackendPreference
}

export interface GpuScope {
  readonly imports: GpuImports
  /** The `fabric:core/collective` functions: over this scope's tensors. */
  readonly collectiveImports: CollectiveImports
  /** Before each call: whether it holds a GPU (picks the backend for the tensors it creates). */
  enter: (device: boolean) => void
  /** Release every tensor the instance holds (end of a task call, or the instance's end). */
  releaseAll: () => void
  /**
   * Live tensors and their bytes; `handles`: tensor handles the guest holds and never dropped
   * (their tensors may be released already), which stay in the instance's handle table.
   */
  usage: () => { tensors: number, bytes: number, handles: number }
}

export const DEFAULT_MAX_TENSOR_BYTES = 4 * 1024 ** 3

const shapeOf = (s: Uint32Array | ArrayLike<number>): number[] => Array.from(s)

/** A failure as the WIT `task-error` the guest receives. */
function toTaskError (err: unknown): { kind: string, message: string, retryable: boolean } {
  if (err instanceof GpuError) return { kind: err.kind, message: err.message, retryable: false }
  if (typeof err === 'object' && err !== null && typeof (err as { kind?: unknown }).kind === 'string') return err as { kind: string, message: string, retryable: boolean }
  return { kind: 'backend', message: `gpu: ${err instanceof Error ? err.message : String(err)}`, retryable: false }
}

function guard<A extends unknown[], R> (fn: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    try {
      return fn(...args)
    } catch (err) {
      throw toTaskError(err) // becomes the `err` case of the import's result in the guest
    }
  }
}

/** A tensor as bytes-in-an-object: a Float32Array, or raw little-endian f32 bytes. */
function floatsOf (value: unknown, id: string): Float32Array {
  if (value instanceof Float32Array) return value
  if (value instanceof Uint8Array) {
    if (value.byteLength % 4 !== 0) throw new GpuError('invalid-argument', `object ${id} holds ${value.byteLength} bytes, not a whole number of f32 elements`)
    return value.byteOffset % 4 === 0 ? new Float32Array(value.buffer, value.byteOffset, value.byteLength / 4) : new Float32Array(value.slice().buffer)
  }
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : ArrayBuffer.isView(value) ? value.constructor.name : typeof value
  throw new GpuError('invalid-argument', `object ${id} holds ${what}: tensor.from-object needs a Float32Array or raw f32 bytes (put a Float32Array)`)
}

export function createGpuScope (options: GpuScopeOptions): GpuScope {
  const fromEnv = Number(process.env.FABRIC_GPU_MAX_BYTES)
  const maxBytes = options.maxBytes ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_TENSOR_BYTES)
  const live = new Set<HostTensor>()
  let bytes = 0
  const opsByBackend = new Map<Kernels, TensorOps>()
  let ops: TensorOps | undefined
  let device = false
  let handles = 0

  const onCreate = (t: HostTensor, newBytes: number): void => {
    if (bytes + newBytes > maxBytes) {
      throw new GpuError('out-of-memory', `this instance would hold ${bytes + newBytes} bytes of tensors, over its limit of ${maxBytes}; drop tensors it no longer needs (tensor[Symbol.dispose]())`)
    }
    bytes += newBytes
    live.add(t)
  }
  const current = (): TensorOps => {
    if (ops !== undefined) return ops
    const kernels = selectKernels(device, options.preference)
    ops = opsByBackend.get(kernels) ?? new TensorOps(kernels, onCreate)
    opsByBackend.set(kernels, ops)
    return ops
  }
  const release = (t: HostTensor): void => {
    if (!live.delete(t)) return
    bytes -= t.release()
  }

  // The WIT resource: one class per instance, wrapping a HostTensor. jco calls [Symbol.dispose]
  // when the guest drops its handle.
  class Tensor {
    readonly #t: HostTensor
    #dropped = false
    constructor (t: HostTensor) {
      this.#t = t
      handles++
    }

    static unwrap (t: unknown, what: string): HostTensor {
      if (!(t instanceof Tensor)) throw new GpuError('invalid-argument', `${what} is not a tensor`)
      return t.#t
    }

    static fromBytes = guard((shape: Uint32Array, dtype: string, data: Uint8Array): Tensor =>
      new Tensor(current().fromBytes(shapeOf(shape), dtype, data, 'tensor.from-bytes')))

    static fromObject = guard((id: string, shape: Uint32Array | undefined): Tensor => {
      const value = decode(options.readObject(id))
      const data = floatsOf(value, id)
      return new Tensor(current().fromFloat32(shape === undefined ? [data.length] : shapeOf(shape), data, `tensor.from-object(${id})`))
    })

    shape (): Uint32Array {
      return Uint32Array.from(this.#t.shape)
    }

    dtype (): 'f32' {
      return 'f32'
    }

    read (): Uint8Array {
      return guard(() => {
        const f = current().read(this.#t)
        return new Uint8Array(f.buffer, f.byteOffset, f.byteLength)
      })()
    }

    [Symbol.dispose] (): void {
      if (!this.#dropped) handles--
      this.#dropped = true
      release(this.#t)
    }
  }

  const T = (t: unknown, what: string): HostTensor => Tensor.unwrap(t, what)
  const wrap = (t: HostTensor): Tensor => new Tensor(t)
  const opt = (t: unknown, what: string): HostTensor | undefined => (t === undefined ? undefined : T(t, what))

  const imports = {
    Tensor,
    backend: () => current().kernels.description,
    matmul: guard((a: unknown, b: unknown, ta: boolean, tb: boolean) => wrap(current().matmul(T(a, 'matmul a'), T(b, 'matmul b'), ta, tb))),
    linear: guard((x: unknown, w: unknown, b: unknown) => wrap(current().linear(T(x, 'linear x'), T(w, 'linear w'), opt(b, 'linear bias')))),
    add: guard((a: unknown, b: unknown) => wrap(current().binary('add', T(a, 'add a'), T(b, 'add b')))),
    sub: guard((a: unknown, b: unknown) => wrap(current().binary('sub', T(a, 'sub a'), T(b, 'sub b')))),
    mul: guard((a: unknown, b: unknown) => wrap(current().binary('mul', T(a, 'mul a'), T(b, 'mul b')))),
    div: guard((a: unknown, b: unknown) => wrap(current().binary('div', T(a, 'div a'), T(b, 'div b')))),
    scale: guard((a: unknown, f: number) => wrap(current().scale(T(a, 'scale a'), f))),
    relu: guard((a: unknown) => wrap(current().unary('relu', T(a, 'relu a')))),
    gelu: guard((a: unknown) => wrap(current().unary('gelu', T(a, 'gelu a')))),
    exp: guard((a: unknown) => wrap(current().unary('exp', T(a, 'exp a')))),
    softmax: guard((a: unknown, axis: number) => wrap(current().softmax(T(a, 'softmax a'), axis))),
    sum: guard((a: unknown, axis: number | undefined, keep: boolean) => wrap(current().reduce('sum', T(a, 'sum a'), axis, keep))),
    mean: guard((a: unknown, axis: number | undefined, keep: boolean) => wrap(current().reduce('mean', T(a, 'mean a'), axis, keep))),
    transpose: guard((a: unknown) => wrap(current().transpose(T(a, 'transpose a')))),
    reshape: guard((a: unknown, shape: Int32Array) => wrap(current().reshape(T(a, 'reshape a'), Array.from(shape)))),
    conv2d: guard((x: unknown, w: unknown, b: unknown, stride: number, padding: number) =>
      wrap(current().conv2d(T(x, 'conv2d input'), T(w, 'conv2d weight'), opt(b, 'conv2d bias'), stride, padding))),
    log: guard((a: unknown) => wrap(current().unary('log', T(a, 'log a')))),
    sqrt: guard((a: unknown) => wrap(current().unary('sqrt', T(a, 'sqrt a')))),
    tanh: guard((a: unknown) => wrap(current().unary('tanh', T(a, 'tanh a')))),
    logSoftmax: guard((a: unknown, axis: number) => wrap(current().logSoftmax(T(a, 'log-softmax a'), axis))),
    expand: guard((a: unknown, shape: Uint32Array) => wrap(current().expand(T(a, 'expand a'), shapeOf(shape)))),
    dropout: guard((a: unknown, p: number, seed: number) => wrap(current().dropout(T(a, 'dropout a'), p, seed))),
    reluGrad: guard((x: unknown, g: unknown) => wrap(current().unaryGrad('relu', T(x, 'relu-grad x'), T(g, 'relu-grad grad')))),
    geluGrad: guard((x: unknown, g: unknown) => wrap(current().unaryGrad('gelu', T(x, 'gelu-grad x'), T(g, 'gelu-grad grad')))),
    softmaxGrad: guard((y: unknown, g: unknown, axis: number, log: boolean) => wrap(current().softmaxGrad(T(y, 'softmax-grad y'), T(g, 'softmax-grad grad'), axis, log))),
    conv2dGradInput: guard((g: unknown, w: unknown, shape: Uint32Array, stride: number, padding: number) =>
      wrap(current().conv2dGradInput(T(g, 'conv2d-grad-input grad'), T(w, 'conv2d-grad-input weight'), shapeOf(shape), stride, padding))),
    conv2dGradWeight: guard((x: unknown, g: unknown, shape: Uint32Array, stride: number, padding: number) =>
      wrap(current().conv2dGradWeight(T(x, 'conv2d-grad-weight input'), T(g, 'conv2d-grad-weight grad'), shapeOf(shape), stride, padding)))
  }

  const collect = (call: CollectiveCall): unknown => {
    if (options.collective === undefined) throw new GpuError('invalid-argument', 'collectives are not available to this instance (only actors in a group a driver formed use them)')
    return options.collective(call)
  }
  /** A result from the host (elements and shape) as a tensor of this scope. */
  const fromHost = (out: unknown, what: string): Tensor => {
    const { data, shape } = out as { data: Float32Array, shape: number[] }
    return new Tensor(current().fromFloat32(shape, data, what))
  }
  const collectiveImports = {
    info: guard((group: string) => collect({ op: 'info', group }) as { rank: number, size: number }),
    allReduce: guard((group: string, t: unknown, op: 'sum' | 'mean' | 'max') => {
      const ht = T(t, 'all-reduce tensor')
      return fromHost(collect({ op: 'all-reduce', group, data: current().read(ht), shape: [...ht.shape], reduce: op }), 'all-reduce')
    }),
    broadcast: guard((group: string, t: unknown, root: number) => {
      const ht = t === undefined ? undefined : T(t, 'broadcast tensor')
      return fromHost(collect({ op: 'broadcast', group, data: ht === undefined ? undefined : current().read(ht), shape: ht === undefined ? undefined : [...ht.shape], root }), 'broadcast')
    }),
    barrier: guard((group: string) => { collect({ op: 'barrier', group }) })
  }

  return {
    imports: imports as unknown as GpuImports,
    collectiveImports: collectiveImports as unknown as CollectiveImports,
    enter (d: boolean) {
      if (d !== device) ops = undefined
      device = d
    },
    releaseAll () {
      for (const t of [...live]) release(t)
    },
    usage: () => ({ tensors: live.size, bytes, handles })
  }
}
