// Messages between the pool (main thread) and its workers: `type`-tagged, structured-cloned.
import type { MessagePort } from 'node:worker_threads'
import type { SerializedError } from '../errors/index.js'

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
  | { type: 'call', id: number, component: ComponentPayload | string, name: string, args: Uint8Array }
  | { type: 'describe', id: number, component: ComponentPayload | string }
  | { type: 'actor-create', id: number, component: ComponentPayload | string, actorId: string, cls: string, args: Uint8Array }
  | { type: 'actor-invoke', id: number, actorId: string, method: string, args: Uint8Array }
  | { type: 'actor-drop', id: number, actorId: string }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done', id: number, value: unknown, memoryBytes: number }
  | { type: 'failed', id: number, error: SerializedError, memoryBytes: number }
  | { type: 'log', cid: string, level: string, message: string }
  | { type: 'host', op: HostOp, cid: string, args: unknown[] }

/** Host imports that need the main thread; the worker blocks until the reply arrives. */
export type HostOp = 'objects.get' | 'objects.put' | 'tasks.submit' | 'tasks.get' | 'tasks.wait'

export type HostReply = { ok: true, value: unknown } | { ok: false, error: { kind: string, message: string, retryable: boolean } }

/** Data given to each worker at spawn. */
export interface WorkerInit {
  /** Int32 flag the worker waits on while the main thread serves a host call. */
  signal: SharedArrayBuffer
  /** Port the replies to host calls arrive on (read synchronously with receiveMessageOnPort). */
  hostPort: MessagePort
  /** Total linear-memory budget of the worker's instances, in bytes. */
  memoryBudgetBytes: number
}
