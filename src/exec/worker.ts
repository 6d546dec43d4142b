// A pool worker: instantiates components from posted core modules, keeps one warm instance per
// component, runs calls and actor methods, and serves host imports by blocking on the main thread.
// Over 500 lines: the message loop, the instances' lifecycle (budget, warm, nested, actors) and the
// host bridge share this thread's module state; split apart, each part would need all of it.
import { parentPort, workerData, receiveMessageOnPort, type MessagePort } from 'node:worker_threads'
import type { ComponentPayload, FromWorker, HostOp, HostReply, ToWorker, WorkerInit } from './protocol.js'
import { serializeError, type SerializedError } from '../errors/index.js'
import { DIGEST_MIN_BYTES, sha256Digest } from './digests.js'
import { buildHostImports, type HostImports } from '../component/host-imports.js'
import { createGpuScope, setAddonPath, type GpuScope } from '../gpu/index.js'
import { exposedGlobals } from '../component/expose-globals.js'
import { deltaBuffers, snapshotOf, SnapshotTracker, type PackedDelta } from './snapshot.js'

interface GuestInterface {
  describe: () => unknown
  call: (name: string, args: Uint8Array) => Uint8Array
  Actor: { create: (cls: string, args: Uint8Array) => GuestActor }
}
interface GuestActor {
  invoke: (method: string, args: Uint8Array) => Uint8Array
  [Symbol.dispose]?: () => void
}
type Instantiate = (getCoreModule: (name: string) => WebAssembly.Module, imports: HostImports, instantiateCore: (m: WebAssembly.Module, i: WebAssembly.Imports) => WebAssembly.Instance) => Record<string, unknown>

/** One live component instance and the linear memories it defined. */
interface Live {
  cid: string
  guest: GuestInterface
  memories: WebAssembly.Memory[]
  /** Bytes of its memories when last measured (after guest code last ran in it): its share of `liveBytes`. */
  bytes: number
  lastUsed: number
  /** The actor this instance holds: each actor owns one instance; warm (task) instances hold none. */
  actorId?: string
  /** The tensors this instance holds through the gpu import. */
  gpu: GpuScope
  /** The mutable globals of its core instances, in instantiation order (a durable actor's snapshot keeps them). */
  globals: WebAssembly.Global[]
}

const port = parentPort!
const init = workerData as WorkerInit
const signal = new Int32Array(init.signal)
const hostPort: MessagePort = init.hostPort
if (init.gpuAddonPath !== undefined) setAddonPath(init.gpuAddonPath)

const components = new Map<string, { payload: ComponentPayload, instantiate: Instantiate }>()
const warm = new Map<string, Live>()
/** `tracker`: a durable actor's last snapshot, to send what changed since (see snapshot.ts). */
const actors = new Map<string, { live: Live, actor: GuestActor, tracker?: SnapshotTracker }>()
/** Every live instance (warm or holding actors): what counts against the memory budget. */
const lives = new Set<Live>()
/**
 * The sum of `bytes` over `lives`, kept as instances come, run and go: a worker may hold thousands
 * of actors, and summing their memories on every reply made each call O(actors) (10k actors: ~40%
 * of the workers' time). A memory grows only while its own instance runs, and each run re-measures
 * its instance, so this equals the sum of the memories' sizes whenever a reply is sent.
 */
let liveBytes = 0
let clock = 0

function post (msg: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(msg, transfer)
}

/** Tags of the tasks running inline on this thread, innermost last. */
const inlineTags: string[] = []

/**
 * A host import that needs the main thread: post the request, sleep until the reply is in. The
 * main thread may first hand over the awaited task to run here (see runInline); then the wait goes
 * on for the real reply.
 */
function blockingHostCall (op: HostOp, cid: string, args: unknown[]): unknown {
  Atomics.store(signal, 0, 0)
  post({ type: 'host', op, cid, args, tag: inlineTags[inlineTags.length - 1] })
  for (;;) {
    // A short timeout: a notify that lands between the port check and the reset is not lost long.
    Atomics.wait(signal, 0, 0, 50)
    const received = receiveMessageOnPort(hostPort)
    if (received === undefined) {
      Atomics.store(signal, 0, 0)
      continue
    }
    const reply = received.message as HostReply
    if (!reply.ok) throw reply.error // becomes the `err` case of the import's WIT result in the guest
    if ('inline' in reply) {
      runInline(reply.inline)
      continue
    }
    if ('actorRun' in reply) {
      runActorCall(reply.actorRun)
      continue
    }
    return reply.value
  }
}

/** Nested instances for inline tasks, per component, by nesting depth (an instance is not reentrant). */
const nestedLives = new Map<string, Array<Live | undefined>>()
const inlineDepth = new Map<string, number>()

/** Run a task handed over by the main thread while this thread's guest waits for it. */
function runInline (run: { tag: string, key: string, name: string, args: Uint8Array }): void {
  const depth = inlineDepth.get(run.key) ?? 0
  inlineDepth.set(run.key, depth + 1)
  inlineTags.push(run.tag)
  const saved = lastErrorLog
  lastErrorLog = undefined
  let live: Live | undefined
  let done: FromWorker
  try {
    if (!components.has(run.key)) throw new Error(`component ${run.key} is not loaded in this worker`)
    const stack = nestedLives.get(run.key) ?? []
    nestedLives.set(run.key, stack)
    live = stack[depth] ?? (stack[depth] = instantiate(run.key))
    live.lastUsed = ++clock
    live.gpu.enter(false)
    try {
      done = { type: 'inline-done', tag: run.tag, ok: true, value: live.guest.call(run.name, run.args) }
    } finally {
      live.gpu.releaseAll()
      measure(live)
    }
  } catch (err) {
    const { error, discard: drop } = describeFailure(err, live, run.key)
    if (drop && live !== undefined) {
      discard(live)
      nestedLives.get(run.key)![depth] = undefined
    }
    done = { type: 'inline-done', tag: run.tag, ok: false, error }
  } finally {
    inlineTags.pop()
    inlineDepth.set(run.key, depth)
    lastErrorLog = saved
  }
  // Reset before telling the main thread: its next notify (the awaited reply) must not be missed.
  Atomics.store(signal, 0, 0)
  post(done)
}

/** A `tasks.submit` component of this prefix names an actor whose method to call (see wit/fabric.wit). */
const ACTOR_TARGET = 'actor:'

/**
 * Run a call of another actor of this worker while the waiting guest's get goes on (the pool lends
 * this thread: see its `lend`). The actor has an instance of its own, so nothing is re-entered.
 */
function runActorCall (run: { id: number, actorId: string, method: string, args: Uint8Array, tag?: string, snapshot?: boolean }): void {
  inlineTags.push(run.tag ?? '')
  const saved = lastErrorLog
  lastErrorLog = undefined
  let outcome: { value: Uint8Array } | { error: SerializedError }
  let kept = false
  const a = actors.get(run.actorId)
  try {
    if (a === undefined) throw Object.assign(new Error(`actor ${run.actorId} is not alive in this worker (its instance trapped or was dropped)`), { name: 'ActorDiedError' })
    a.live.lastUsed = ++clock
    outcome = { value: a.actor.invoke(run.method, run.args) }
  } catch (err) {
    if (a === undefined) {
      outcome = { error: { name: 'ActorDiedError', message: (err as Error).message, retryable: false } }
    } else {
      const { error, discard } = describeFailure(err, a.live, a.live.cid)
      if (discard) dropInstance(a.live.cid, a.live)
      else kept = true
      outcome = { error }
    }
  } finally {
    if (a !== undefined) measure(a.live)
    inlineTags.pop()
    lastErrorLog = saved
  }
  // Reset before telling the main thread: its next notify (the awaited reply) must not be missed.
  Atomics.store(signal, 0, 0)
  if (a !== undefined && ('value' in outcome || kept)) answerActor(run.id, a, outcome, run.snapshot)
  else if ('value' in outcome) reply(run.id, outcome.value)
  else fail(run.id, outcome.error)
}

/** The last error-level log line of the current call: a guest's last words before it traps. */
let lastErrorLog: string | undefined

// Typed from the WIT (src/component/host-types): an import that drifts from wit/ fails tsc here.
function hostImports (cid: string, gpu: GpuScope): HostImports {
  return buildHostImports({
    gpu: gpu.imports,
    collective: gpu.collectiveImports,
    log: {
      log: (level, message) => {
        if (level === 'error') lastErrorLog = message
        post({ type: 'log', cid, level, message })
      }
    },
    objects: {
      get: (id) => blockingHostCall('objects.get', cid, [id]) as Uint8Array,
      put: (data) => blockingHostCall('objects.put', cid, [data]) as string
    },
    tasks: {
      submit: (component, name, args, options) => component.startsWith(ACTOR_TARGET)
        ? blockingHostCall('actors.call', cid, [component.slice(ACTOR_TARGET.length), name, args, options]) as string
        : blockingHostCall('tasks.submit', cid, [component, name, args, options]) as string,
      get: (id, timeoutMs) => blockingHostCall('tasks.get', cid, [id, timeoutMs]) as Uint8Array,
      wait: (ids, numReturns, timeoutMs) => blockingHostCall('tasks.wait', cid, [ids, numReturns, timeoutMs]) as string[]
    }
  })
}

/** Import a component's generated JS the first time it is sent to this worker. */
async function loadComponent (payload: ComponentPayload): Promise<void> {
  if (components.has(payload.key)) return
  const mod = await import(payload.jsUrl) as { instantiate: Instantiate }
  components.set(payload.key, { payload, instantiate: mod.instantiate })
}

/** The key of a loaded component (its CID and memory cap). */
function cidOf (ref: ComponentPayload | string): string {
  const key = typeof ref === 'string' ? ref : ref.key
  if (!components.has(key)) throw new Error(`component ${key} was never sent to this worker`)
  return key
}

function instantiate (cid: string): Live {
  const c = components.get(cid)!
  const memories: WebAssembly.Memory[] = []
  const globals: WebAssembly.Global[] = []
  const gpu = createGpuScope({
    readObject: (id) => blockingHostCall('objects.get', c.payload.cid, [id]) as Uint8Array,
    collective: (call) => blockingHostCall('collective', c.payload.cid, [call])
  })
  const root = c.instantiate(
    (name) => {
      const m = c.payload.modules[name]
      if (m === undefined) throw new Error(`component ${cid} asks for an unknown core module ${name}`)
      return m
    },
    hostImports(c.payload.cid, gpu),
    (module, imports) => {
      const instance = new WebAssembly.Instance(module, imports)
      for (const e of Object.values(instance.exports)) if (e instanceof WebAssembly.Memory && !memories.includes(e)) memories.push(e)
      for (const [, g] of exposedGlobals(instance.exports)) globals.push(g)
      return instance
    }
  )
  const guest = (root['fabric:core/guest@0.1.0'] ?? root.guest) as GuestInterface | undefined
  if (guest === undefined) throw new Error(`component ${cid} does not export fabric:core/guest`)
  const live: Live = { cid, guest, memories, bytes: 0, lastUsed: ++clock, gpu, globals }
  lives.add(live)
  measure(live)
  return live
}

/** Tensor handles a task instance may leave undropped before it is replaced by a fresh one. */
const MAX_UNDROPPED_HANDLES = 100_000

/** An instance leaves for good: forget it and free its tensors. */
function discard (live: Live): void {
  if (lives.delete(live)) liveBytes -= live.bytes
  live.gpu.releaseAll()
}

/** Re-read an instance's memory sizes after guest code ran in it (it may have grown them). */
function measure (live: Live): void {
  let n = 0
  for (const m of live.memories) n += m.buffer.byteLength
  if (lives.has(live)) liveBytes += n - live.bytes
  live.bytes = n
}

/** Drop least recently used warm instances (never ones holding actors) until under budget. */
function enforceBudget (): void {
  if (liveBytes <= init.memoryBudgetBytes) return
  const candidates = [...warm.entries()].filter(([, l]) => l.actorId === undefined).sort((a, b) => a[1].lastUsed - b[1].lastUsed)
  for (const [cid, live] of candidates) {
    warm.delete(cid)
    discard(live)
    if (liveBytes <= init.memoryBudgetBytes) return
  }
}

function warmInstance (cid: string): Live {
  let live = warm.get(cid)
  if (live === undefined) {
    enforceBudget()
    live = instantiate(cid)
    warm.set(cid, live)
  }
  live.lastUsed = ++clock
  return live
}

const isTaskError = (e: unknown): e is { kind: string, message: string, retryable: boolean } =>
  typeof e === 'object' && e !== null && typeof (e as { kind?: unknown }).kind === 'string' && typeof (e as { message?: unknown }).message === 'string'

/** Classify a failure and decide whether the instance survives it. */
function describeFailure (err: unknown, live: Live | undefined, cid: string): { error: SerializedError, discard: boolean } {
  const payload = (err as { payload?: unknown } | null)?.payload
  const record = isTaskError(err) ? err : isTaskError(payload) ? payload : undefined
  if (record !== undefined) {
    // QuickJS reports its heap exhaustion as an ordinary exception; the memory cap explains it.
    const atCap = live !== undefined && live.memories.some(m => m.buffer.byteLength >= components.get(cid)!.payload.maxMemoryPages * 65536 - 65536 * 16)
    if (atCap && /out of memory/i.test(record.message)) {
      return { error: { name: 'GuestOutOfMemoryError', message: `guest ran out of memory at its cap of ${components.get(cid)!.payload.maxMemoryPages / 16} MiB: ${record.message}`, retryable: false }, discard: true }
    }
    return { error: { name: 'TaskError', kind: record.kind, message: record.message, retryable: record.retryable === true }, discard: false }
  }
  if (err instanceof WebAssembly.RuntimeError || (err instanceof RangeError && /Maximum call stack/.test(err.message))) {
    const said = lastErrorLog === undefined ? '' : ` (the guest's last error log: ${lastErrorLog})`
    // An allocator that cannot grow its memory traps (AssemblyScript's runs `unreachable`): a trap
    // with a memory within 2 MiB of its cap is that.
    const cap = components.get(cid)?.payload.maxMemoryPages
    const oom = cap !== undefined && live !== undefined && live.memories.some(m => m.buffer.byteLength + 2 * 1024 * 1024 > cap * 65536)
    return {
      error: oom
        ? { name: 'GuestOutOfMemoryError', message: `guest ran out of memory at its cap of ${cap! / 16} MiB: ${err.message}${said}`, retryable: false }
        : { name: 'GuestTrapError', message: `guest trapped: ${err.message}${said}`, retryable: false },
      discard: true
    }
  }
  if (err instanceof Error && /cannot enter component instance/i.test(err.message)) {
    return { error: { name: 'GuestTrapError', message: 'guest instance is poisoned by an earlier trap', retryable: false }, discard: true }
  }
  const s = serializeError(err)
  return { error: { ...s, name: s.name === 'Error' ? 'GuestTrapError' : s.name, message: `guest failed: ${s.message}` }, discard: true }
}

function reply (id: number, value: unknown, snapshot?: PackedDelta): void {
  const transfer = value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && value.byteLength > 4096 && value.buffer instanceof ArrayBuffer
    ? [value.buffer]
    : undefined
  const digest = value instanceof Uint8Array && value.byteLength >= DIGEST_MIN_BYTES ? sha256Digest(value) : undefined
  const moved = snapshot === undefined ? transfer : [...(transfer ?? []), ...deltaBuffers(snapshot)]
  post({ type: 'done', id, value, memoryBytes: liveBytes, ...(digest !== undefined ? { digest } : {}), ...(snapshot !== undefined ? { snapshot } : {}) }, moved)
}

function fail (id: number, error: SerializedError, snapshot?: PackedDelta): void {
  post({ type: 'failed', id, error, memoryBytes: liveBytes, ...(snapshot !== undefined ? { snapshot } : {}) }, snapshot === undefined ? undefined : deltaBuffers(snapshot))
}

/** Answer an actor's call: with the snapshot it asked for (a failure to take one fails the call). */
function answerActor (id: number, a: { live: Live, tracker?: SnapshotTracker }, outcome: { value: Uint8Array } | { error: SerializedError }, snapshot: boolean | undefined): void {
  let delta: PackedDelta | undefined
  if (snapshot === true) {
    try {
      delta = snapshotOf(a.tracker, a.live.gpu.usage().handles)
    } catch (err) {
      fail(id, { ...serializeError(err), retryable: false })
      return
    }
  }
  if ('value' in outcome) reply(id, outcome.value, delta)
  else fail(id, outcome.error, delta)
}

function runOnWarm (id: number, cid: string, fn: (live: Live) => unknown): void {
  lastErrorLog = undefined
  let live: Live | undefined
  let value: unknown
  try {
    live = warmInstance(cid)
    value = fn(live)
  } catch (err) {
    if (live !== undefined) measure(live)
    const { error, discard } = describeFailure(err, live, cid)
    if (discard && live !== undefined) dropInstance(cid, live)
    fail(id, error)
    return
  }
  measure(live)
  reply(id, value)
}

function dropInstance (cid: string, live: Live): void {
  discard(live)
  if (warm.get(cid) === live) warm.delete(cid)
  if (live.actorId !== undefined) actors.delete(live.actorId)
}

function handle (msg: ToWorker): void {
  switch (msg.type) {
    case 'call': {
      // Sent ahead and taken back meanwhile (ExecPool.callAhead): the pool has answered it already.
      if (msg.ahead !== undefined && Atomics.compareExchange(signal, 1 + (msg.ahead & 1), msg.ahead, -msg.ahead) !== msg.ahead) return
      const cid = cidOf(msg.component)
      runOnWarm(msg.id, cid, live => {
        // A task's tensors last as long as its call: the warm instance serves the next task clean.
        live.gpu.enter(msg.gpu === true)
        try {
          return live.guest.call(msg.name, msg.args)
        } finally {
          live.gpu.releaseAll()
          // Handles the guest never dropped stay in its handle table: past a bound, start afresh.
          if (live.gpu.usage().handles > MAX_UNDROPPED_HANDLES) dropInstance(cid, live)
        }
      })
      return
    }
    case 'describe': {
      const cid = cidOf(msg.component)
      runOnWarm(msg.id, cid, live => live.guest.describe())
      return
    }
    case 'prewarm': {
      const cid = cidOf(msg.component)
      // What stays is the glue module and V8's lazily compiled code, shared with every component
      // built the same way; the instance goes before the answer (which reports the worker's memory).
      let live: Live | undefined
      lastErrorLog = undefined
      try {
        enforceBudget()
        live = instantiate(cid)
        live.guest.describe()
      } catch (err) {
        const { error } = describeFailure(err, live, cid)
        if (live !== undefined) discard(live)
        fail(msg.id, error)
        return
      }
      discard(live)
      reply(msg.id, null)
      return
    }
    case 'actor-create': {
      const cid = cidOf(msg.component)
      // Each actor owns an instance of its own: its state must not share a heap with tasks.
      let live: Live | undefined
      lastErrorLog = undefined
      try {
        enforceBudget()
        live = instantiate(cid)
        live.gpu.enter(msg.gpu === true)
        const actor = live.guest.Actor.create(msg.cls, msg.args)
        // A durable actor resumes from its snapshot: the constructor ran on a fresh instance as it
        // first did, so the actor's handle matches the memory written over it now.
        const tracker = msg.durable === true || msg.restore !== undefined ? new SnapshotTracker(live.memories, live.globals) : undefined
        if (msg.restore !== undefined) tracker!.restore(msg.restore)
        measure(live)
        live.actorId = msg.actorId
        actors.set(msg.actorId, tracker === undefined ? { live, actor } : { live, actor, tracker })
        reply(msg.id, null)
      } catch (err) {
        if (live !== undefined) discard(live)
        fail(msg.id, describeFailure(err, live, cid).error)
      }
      return
    }
    case 'actor-invoke': {
      const a = actors.get(msg.actorId)
      if (a === undefined) {
        fail(msg.id, { name: 'ActorDiedError', message: `actor ${msg.actorId} is not alive in this worker (its instance trapped or was dropped)`, retryable: false })
        return
      }
      lastErrorLog = undefined
      let value: Uint8Array
      try {
        a.live.lastUsed = ++clock
        value = a.actor.invoke(msg.method, msg.args)
      } catch (err) {
        measure(a.live)
        const { error, discard } = describeFailure(err, a.live, a.live.cid)
        if (discard) {
          dropInstance(a.live.cid, a.live)
          fail(msg.id, error)
        } else {
          // The method threw, but what it changed before is the actor's state now.
          answerActor(msg.id, a, { error }, msg.snapshot)
        }
        return
      }
      measure(a.live)
      answerActor(msg.id, a, { value }, msg.snapshot)
      return
    }
    case 'actor-batch': {
      for (const c of msg.calls) safeHandle({ type: 'actor-invoke', id: c.id, actorId: c.actorId, method: c.method, args: c.args, snapshot: c.snapshot })
      return
    }
    case 'actor-drop': {
      const a = actors.get(msg.actorId)
      if (a !== undefined) {
        actors.delete(msg.actorId)
        try { a.actor[Symbol.dispose]?.() } catch { /* the instance goes with it */ }
        discard(a.live)
      }
      reply(msg.id, null)
    }
  }
}

// Messages are handled one at a time, in order. Only the first message for a component waits
// (for its generated JS to import); the warm path runs synchronously inside the event.
let queue: Promise<void> = Promise.resolve()
let pending = 0
function safeHandle (msg: ToWorker): void {
  try {
    handle(msg)
  } catch (err) {
    fail(msg.id, serializeError(err))
  }
}
port.on('message', (msg: ToWorker) => {
  const payload = 'component' in msg && typeof msg.component !== 'string' && !components.has(msg.component.key) ? msg.component : undefined
  if (pending === 0 && payload === undefined) {
    safeHandle(msg)
    return
  }
  pending++
  queue = queue
    .then(async () => { if (payload !== undefined) await loadComponent(payload) })
    .then(() => safeHandle(msg), (err: unknown) => fail(msg.id, serializeError(err)))
    .finally(() => { pending-- })
})
post({ type: 'ready' })
