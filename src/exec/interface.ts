// Contracts of the execution area: a pool of workers that runs component calls and actors.
import type { SnapshotDelta, SnapshotImage } from './snapshot.js'
import type { CompiledComponent, Manifest } from '../component/interface.js'
import type { CollectiveCall } from '../gpu/bridge.js'

export type { CollectiveCall }

/** The caller of a host import: which component, for context in logs and nested work. */
export interface HostContext {
  cid: string
  /** The `tag` of the call that made the host call (see CallOptions). */
  tag?: string
  /**
   * Run a task inside the calling worker while its guest waits (for a blocking get on that task's
   * result): no other worker is needed and the waiting worker does useful work. Returns undefined
   * when the worker cannot (the component is not loaded there); the caller then queues the task.
   */
  inline?: (run: InlineRun) => Promise<Uint8Array> | undefined
}

/** A task to run inline in a waiting worker. */
export interface InlineRun {
  /** The task's tag: its host calls carry it. */
  tag: string
  component: CompiledComponent
  name: string
  args: Uint8Array
}

/** A failure a host service reports to the guest (the WIT `task-error`). */
export interface HostFailure {
  kind: string
  message: string
  retryable: boolean
}

/**
 * What the node provides behind the guests' host imports. Each call runs on the main thread
 * while the calling worker blocks. A service that is not provided answers `unsupported`.
 */
export interface HostServices {
  objects?: {
    get: (id: string, ctx: HostContext) => Promise<Uint8Array>
    put: (data: Uint8Array, ctx: HostContext) => Promise<string>
  }
  tasks?: {
    submit: (component: string, name: string, args: Uint8Array, options: Uint8Array, ctx: HostContext) => Promise<string>
    get: (id: string, timeoutMs: number | undefined, ctx: HostContext) => Promise<Uint8Array>
    wait: (ids: string[], numReturns: number, timeoutMs: number | undefined, ctx: HostContext) => Promise<string[]>
  }
  /**
   * Actor method calls from guests (`handle.method.remote(...)`; the WIT's `tasks.submit` with a
   * component of `actor:<id>`): queue `method` of actor `actorId` with the CBOR argument array
   * `args` (refs inside are dependencies, as in `tasks.submit`) and CBOR `options`
   * (`{ timeoutMs? }`); returns the result's object-ref id, held for the calling task.
   */
  actors?: {
    call: (actorId: string, method: string, args: Uint8Array, options: Uint8Array, ctx: HostContext) => Promise<string>
  }
  /**
   * A guest's collective operation (the `fabric:core/collective` import: an actor in a group its
   * driver formed): resolves to what the import returns — `{ rank, size }` for info, the result's
   * `{ data, shape }` for all-reduce and broadcast, nothing for barrier.
   */
  collective?: (call: CollectiveCall, ctx: HostContext) => Promise<unknown>
  /** Guest log lines. @default lines at warn and error go to stderr */
  log?: (level: string, message: string, ctx: HostContext) => void
  /** Called when a worker blocks on a host call and when it resumes (the runtime frees the CPU slot). */
  onBlocked?: (blocked: boolean, ctx: HostContext) => void
}

/** Options of an {@link ExecPool}. */
export interface ExecPoolInit {
  /**
   * Worker threads.
   * @default os.availableParallelism()
   */
  workers?: number
  /**
   * Linear memory all instances of the pool may hold together, in MiB; split evenly between
   * workers. Warm instances are dropped (least recently used first) to stay under it.
   * @default 2048
   */
  processMemoryLimitMb?: number
  /**
   * JavaScript heap of each worker (the generated glue, argument copies), in MiB. An actor worker
   * keeps the glue of each actor it holds (~57 KB per AssemblyScript actor, ~250 KB per QuickJS
   * one), so by default it gets more room than a task worker; a value set here applies to both.
   * @default 512 for task workers, 2048 for actor workers
   */
  workerHeapMb?: number
  /**
   * Most worker threads that hold actors (separate from the task workers, so that a task's
   * timeout never takes an actor with it). Actors are spread over them.
   * @default the number of task workers
   */
  actorWorkers?: number
  /**
   * Extra task workers the pool may start while workers are blocked on nested work (a task
   * waiting for its children gives up its CPU, as in Ray).
   * @default 64
   */
  maxExtraWorkers?: number
  /** Timeout of every call that sets none, in ms. @default no timeout */
  defaultTimeoutMs?: number
  /** Host imports. */
  host?: HostServices
  /**
   * Cache folder (where the bundled worker script is kept when running from sources).
   * @default $FABRIC_CACHE, else ~/.cache/fabric
   */
  cacheDir?: string
}

/**
 * What a call's cancellation needs of a signal: an `AbortSignal`, or something lighter shaped like
 * one (a node makes one per task, and Node's AbortController costs ~1 KB and outlives scavenges).
 */
export interface CancelSignal {
  readonly aborted: boolean
  addEventListener: (type: 'abort', listener: () => void, options?: { once?: boolean }) => void
  removeEventListener: (type: 'abort', listener: () => void) => void
}

/** Per-call options. */
export interface CallOptions {
  /** Terminate the call (and replace its worker) after this many ms. */
  timeoutMs?: number
  /** Abort to cancel: a queued call is dropped, a running one terminated. */
  signal?: CancelSignal
  /** An opaque label handed back in the HostContext of the call's host imports. */
  tag?: string
  /**
   * Move large argument buffers to the worker instead of copying them: the caller's `args` is
   * detached (unusable) after the call is sent. @default false
   */
  transferArgs?: boolean
  /**
   * The call holds a GPU (its task or actor asked for `gpus`): tensors it creates through the gpu
   * import run on the CUDA backend where one answers, else on the CPU backend. @default false
   */
  gpu?: boolean
  /**
   * An actor call only: after it runs, what changed in the actor's instance (a durable actor's
   * snapshot; see snapshot.ts) is handed here, before the call settles. The actor must be created
   * `durable`.
   */
  snapshot?: (delta: SnapshotDelta) => void
  /** An actor's creation only: snapshots will be asked of it. */
  durable?: boolean
  /** An actor's creation only: the state it resumes from, written over its constructed instance. */
  restore?: SnapshotImage
  /**
   * A task call only: what it holds while it runs, as a key (the runtime: its resource shape). A
   * call sent ahead with the same key may wait behind it on its worker and take its place when it
   * ends (see {@link ExecPool.callAhead}).
   */
  handoff?: string
}

/** Options of a call sent ahead to a busy worker (see {@link ExecPool.callAhead}). */
export interface AheadOptions extends CallOptions {
  handoff: string
  /**
   * The call starts: the call it waited behind (tagged `after`) has ended, and the worker went
   * on to this one without waiting for the main thread. Runs before that call settles.
   */
  started: (after: string | undefined) => void
  /**
   * The pool took the call back before it started (the promise then rejects with
   * CallNotStartedError): told at once, so the caller can queue it again before anything else
   * looks for it.
   */
  returned?: () => void
}

/** A live actor in the pool: one instance pinned to one worker. */
export interface ActorRef {
  readonly actorId: string
  readonly cid: string
  readonly cls: string
}

/** Counters of a pool, for status and tests. */
export interface PoolStats {
  /** Task workers. */
  workers: number
  /** Workers holding actors. */
  actorWorkers: number
  busy: number
  queued: number
  actors: number
  /** Worker replacements after timeouts, crashes and cancellations. */
  respawns: number
  /** Calls sent ahead to busy workers (ExecPool.callAhead), and those taken back before they started. */
  sentAhead: number
  takenBack: number
  /** Linear memory held by instances, in bytes, as last reported by each worker. */
  memoryBytes: number
}

/** A pool of worker threads running component code. */
export interface ExecPool {
  start: () => Promise<void>
  stop: () => Promise<void>
  describe: (component: CompiledComponent) => Promise<Manifest>
  /**
   * Ready every task worker for these components before work asks for them: each worker imports
   * the component's glue, instantiates it, runs its `describe` and drops the instance. What stays
   * is shared by every component built the same way: the glue module, and the code V8 compiles
   * lazily on first run (the QuickJS engine's), so a first call of another QuickJS component skips
   * both. Idle workers only (a busy one is warmed by its work). Failures are skipped (a prewarm is
   * only an optimisation); resolves, when all are done, to the CIDs of the components at least one
   * worker readied. Work submitted meanwhile waits for a worker's prewarm to finish (~10 ms each).
   */
  prewarm: (components: ReadonlyArray<Omit<CompiledComponent, 'size'>>) => Promise<string[]>
  call: (component: CompiledComponent, name: string, args: Uint8Array, options?: CallOptions) => Promise<Uint8Array>
  createActor: (component: CompiledComponent, cls: string, args: Uint8Array, options?: CallOptions) => Promise<ActorRef>
  invoke: (actor: ActorRef, method: string, args: Uint8Array, options?: CallOptions) => Promise<Uint8Array>
  destroyActor: (actor: ActorRef) => Promise<void>
  /**
   * The handoff key of a task worker that would take a call sent ahead now: every task worker is
   * busy, nothing waits in the pool's queue, and this one runs a call with that key, not blocked
   * in a host call, with nothing sent ahead behind it. Undefined when there is none.
   */
  aheadRoom: () => string | undefined
  /**
   * Send a task call to a worker busy with a call of the same `handoff` key, to start there the
   * moment that call ends: the worker does not sleep until the main thread answers and sends the
   * next one (on 2 cores, ~40 µs of wake-ups per call). `started` runs then. Undefined, with
   * nothing sent, when no worker can take it (see {@link aheadRoom}; its component must be loaded
   * there). Until it starts the pool takes it back, and rejects it with CallNotStartedError having
   * run nothing, when the call ahead of it blocks in a host call (a nested get: it could wait for
   * this one), a task worker falls idle, or the worker is replaced; a cancel (its signal) rejects
   * it with TaskCancelledError.
   */
  callAhead: (component: CompiledComponent, name: string, args: Uint8Array, options: AheadOptions) => Promise<Uint8Array> | undefined
  stats: () => PoolStats
}
