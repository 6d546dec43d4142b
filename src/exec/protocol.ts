// Messages between the pool (main thread) and its workers: `type`-tagged, structured-cloned.
import type { MessagePort } from 'node:worker_threads'
import type { SerializedError } from '../errors/index.js'
import type { PackedDelta, SnapshotImage } from './snapshot.js'

/** Everything a worker needs to instantiate a component; sent with the first call that needs it. */
export interface ComponentPayload {
  /** The component and its memory cap: one component compiled with two caps is two payloads. */
  key: string
  cid: string
  jsUrl: string
  modules: Record<string, WebAssembly.Module>
  maxMemoryPages: number
}

export type ToWorker =
  /** `gpu`: the call holds a GPU (its tensors go to the CUDA backend where there is one). */
  /**
   * `ahead`: sent to a busy worker (ExecPool.callAhead); it runs only if the worker claims this
   * token in its cell of the signal before the pool takes it back (see WorkerInit.signal).
   */
  | { type: 'call', id: number, component: ComponentPayload | string, name: string, args: Uint8Array, gpu?: boolean, ahead?: number }
  | { type: 'describe', id: number, component: ComponentPayload | string }
  /** Instantiate the component, run `describe` once and drop the instance (see ExecPool.prewarm). */
  | { type: 'prewarm', id: number, component: ComponentPayload | string }
  /** `durable`: snapshots may be asked after its calls; `restore`: the state to resume from (see snapshot.ts). */
  | { type: 'actor-create', id: number, component: ComponentPayload | string, actorId: string, cls: string, args: Uint8Array, gpu?: boolean, durable?: boolean, restore?: SnapshotImage }
  /** `snapshot`: send what changed in the actor's instance with the answer (see snapshot.ts). */
  | { type: 'actor-invoke', id: number, actorId: string, method: string, args: Uint8Array, snapshot?: boolean }
  /**
   * Calls of one actor queued together, run in order, each answered on its own (`id` is the
   * first's): one message, and one wake-up of the worker, for a burst of calls.
   */
  | { type: 'actor-batch', id: number, calls: Array<{ id: number, actorId: string, method: string, args: Uint8Array, snapshot?: boolean }> }
  | { type: 'actor-drop', id: number, actorId: string }

export type FromWorker =
  | { type: 'ready' }
  /** `digest`: the SHA-256 of a large byte result (see digests.ts). */
  | { type: 'done', id: number, value: unknown, memoryBytes: number, digest?: Uint8Array, snapshot?: PackedDelta }
  | { type: 'failed', id: number, error: SerializedError, memoryBytes: number, snapshot?: PackedDelta }
  | { type: 'log', cid: string, level: string, message: string }
  /** `tag`: set when the host call comes from a task run inline (see InlineRun). */
  | { type: 'host', op: HostOp, cid: string, args: unknown[], tag?: string }
  | { type: 'inline-done', tag: string, ok: true, value: Uint8Array }
  | { type: 'inline-done', tag: string, ok: false, error: SerializedError }

/** Host imports that need the main thread; the worker blocks until the reply arrives. */
export type HostOp = 'objects.get' | 'objects.put' | 'tasks.submit' | 'tasks.get' | 'tasks.wait' | 'actors.call' | 'collective'

/**
 * The answer to a blocking host call, or a task to run inline first: a guest waiting for a task
 * that has not started runs it itself, in a nested instance, instead of waiting for a worker.
 */
export type HostReply =
  | { ok: true, value: unknown }
  | { ok: false, error: { kind: string, message: string, retryable: boolean } }
  | { ok: true, inline: { tag: string, key: string, name: string, args: Uint8Array } }
  /** A call of another actor of this worker, to run now while the waiting actor's get goes on (see the pool's lend). */
  | { ok: true, actorRun: { id: number, actorId: string, method: string, args: Uint8Array, tag?: string, snapshot?: boolean } }

/** Data given to each worker at spawn. */
export interface WorkerInit {
  /**
   * Three Int32 cells. [0]: the flag the worker waits on while the main thread serves a host call.
   * [1], [2]: the tokens of calls sent ahead to it, odd ones in [2], even ones in [1] (0: none); the
   * worker claims one by negating it, the pool takes it back by zeroing it, each with a
   * compare-and-swap, so exactly one of them wins. Two cells: the pool may send the next call
   * ahead before the worker has claimed the one before it (it hears that call's predecessor end
   * first), and puts it in the cell that one's token is not in.
   */
  signal: SharedArrayBuffer
  /** Port the replies to host calls arrive on (read synchronously with receiveMessageOnPort). */
  hostPort: MessagePort
  /** Total linear-memory budget of the worker's instances, in bytes. */
  memoryBudgetBytes: number
  /** The GPU bridge's native addon, as the main thread resolved it. */
  gpuAddonPath?: string
}
