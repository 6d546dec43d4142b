// The embedded node: one process running tasks and actors on its worker pool, owning the objects
// they make. It resolves arguments (refs, nested refs), waits for resources, runs, retries,
// propagates failures to dependents, serves guests' nested work, and releases what nothing holds.
import os from 'node:os'
import { randomUUID } from 'node:crypto'
import { loadComponent, type CompiledComponent, type Manifest } from '../component/index.js'
import {
  createExecPool, ActorDiedError, TaskCancelledError, type ActorRef, type ExecPool, type HostContext
} from '../exec/index.js'
import { createObjectStore, decode, encode, findRefs, mayHoldRefs, ObjectRef, type ObjectStore } from '../objects/index.js'
import { localRefs } from './local-refs.js'
import { STREAM_ITEM_HEAD } from '../objects/object-ref.js'
import { adjust, fits, resources, shortfall, type Resources } from '../scheduler/resources.js'
import { TaskQueue } from '../scheduler/task-queue.js'
import { createLocalPolicy, type LocalPolicy } from '../scheduler/index.js'
import { gpuInventory, prepareNativeEnvironment } from '../gpu/index.js'
import {
  ActorNotFoundError, DependencyFailedError, FabricStoppedError, ForeignRefError, GetTimeoutError, InfeasibleTaskError,
  ObjectReleasedError, RetriesExhaustedError
} from './errors.js'
import { INLINE_LIMIT, NONE, RefTable, type RefEntry, type StoredValue } from './ref-table.js'
import { DEFAULT_MEMORY_LIMIT_MB, resolveActorOptions, resolveTaskOptions } from './options.js'
import type { ArgSpec, NestedOffload, NodeInit, NodeStats, OffloadArg, OffloadedRef, ResolvedActorOptions, ResolvedTaskOptions, TaskSubmission } from './interface.js'

/** Errors after which the same attempt may succeed elsewhere (the worker died, not the code). */
const SYSTEM_RETRYABLE = new Set(['WorkerCrashedError'])
/** Errors that end an actor's instance. */
const ACTOR_FATAL = new Set(['ActorDiedError', 'GuestTrapError', 'GuestOutOfMemoryError', 'TaskTimeoutError', 'WorkerCrashedError'])

interface Stream {
  items: string[]
  /** Items handed to the reader (their holds went with them). */
  taken: number
  done: boolean
  error?: Error
  waiters: Array<() => void>
}

interface TaskRecord {
  id: string
  kind: 'task' | 'actor-call'
  component: CompiledComponent
  name: string
  args: ArgSpec[]
  options: ResolvedTaskOptions
  streaming: boolean
  /** The result ref (for streams: the ref of the whole list). */
  result: RefEntry
  stream?: Stream
  /** Refs the task waits for. */
  deps: readonly string[]
  pending: number
  state: 'waiting' | 'queued' | 'running' | 'done'
  attempts: number
  abort?: AbortController
  cancelled: boolean
  /** Refs a running guest made (put, submit): held until the task ends. */
  guestRefs: readonly string[]
  /** CPUs handed back while the guest is blocked on nested work. */
  lent: boolean
  actor?: ActorRecord
  /** What the task holds while it runs (its options' resources). */
  demand: Resources
  /** Its place in the queue while queued (see TaskQueue). */
  queueSeq: number
  /** Items the current attempt of a generator has yielded. */
  yielded: number
  /** An actor call's own limit on retries after crashes (instead of the actor's maxTaskRetries), and who hears of each. */
  callRetries?: number
  onRetry?: () => void
}

interface ActorRecord {
  id: string
  component: CompiledComponent
  cls: string
  args: ArgSpec[]
  options: ResolvedActorOptions
  ref?: ActorRef
  state: 'creating' | 'alive' | 'restarting' | 'dead'
  deathCause?: Error
  queue: TaskRecord[]
  running: number
  restarts: number
  /** Told the restart count each time the actor is restarted in place (createActor's onRestart). */
  onRestart?: (restarts: number) => void
  /** Settles when the first instance exists (or could not be made). */
  created: Promise<void>
}

/** An opaque handle of a streaming task's results. */
export interface StreamReader {
  /** The next item's ref id, or undefined at the end; throws the task's error. */
  next: () => Promise<string | undefined>
}

export class LocalNode {
  readonly fabricId = randomUUID().slice(0, 8)
  readonly total: Resources
  /** What this node does with work it holds or is offered (queue order, lending, nested spread, admission). */
  readonly policy: LocalPolicy
  private readonly available: Resources
  private readonly pool: ExecPool
  private readonly store: ObjectStore
  private readonly refs: RefTable
  private readonly cacheDir?: string
  private readonly log: NodeInit['log']
  private readonly running = new Map<string, TaskRecord>()
  private readonly queue = new TaskQueue<TaskRecord>()
  private readonly actors = new Map<string, ActorRecord>()
  private readonly names = new Map<string, string>()
  private readonly components = new Map<string, { source: string | Uint8Array, compiled: CompiledComponent, byCap: Map<number, Promise<CompiledComponent>> }>()
  private readonly counts = { waiting: 0, finished: 0, failed: 0 }
  private state: 'new' | 'running' | 'stopped' = 'new'
  private scheduling = false
  /** Where guests' nested tasks go when this node is half busy (a node in a fabric), and those running there. */
  private offload?: NestedOffload
  private readonly offloaded = new Map<string, AbortController>()
  private offloadedCount = 0

  constructor (init: NodeInit = {}) {
    const workers = Math.max(1, Math.floor(init.workers ?? os.availableParallelism()))
    const r = init.resources ?? {}
    // OpenBLAS reads its settings once, when the first worker loads the GPU bridge's addon.
    prepareNativeEnvironment(r.cpus ?? workers)
    this.total = resources({
      cpus: r.cpus ?? workers,
      gpus: r.gpus ?? gpuInventory().devices,
      memoryMb: r.memoryMb ?? Math.floor(os.totalmem() / 2 ** 20),
      custom: r.custom ?? {}
    })
    this.available = resources(this.total)
    this.policy = init.localPolicy ?? createLocalPolicy()
    this.cacheDir = init.cacheDir
    this.log = init.log
    this.refs = new RefTable(this.fabricId, (e) => this.onRefDeleted(e))
    this.store = createObjectStore(init.objectStore ?? {})
    this.pool = createExecPool({
      workers,
      cacheDir: init.cacheDir,
      host: {
        log: (level, message, ctx) => this.guestLog(level, message, ctx),
        onBlocked: (blocked, ctx) => this.onBlocked(blocked, ctx),
        objects: {
          get: async (id, ctx) => await this.guestGet(id, undefined, ctx),
          put: async (data, ctx) => this.guestPut(data, ctx)
        },
        tasks: {
          submit: async (component, name, args, options, ctx) => this.guestSubmit(component, name, args, options, ctx),
          get: async (id, timeoutMs, ctx) => await this.guestGet(id, timeoutMs, ctx),
          wait: async (ids, numReturns, timeoutMs, ctx) => await this.guestWait(ids, numReturns, timeoutMs, ctx)
        }
      }
    })
  }

  async start (): Promise<void> {
    if (this.state !== 'new') return
    this.state = 'running'
    await Promise.all([this.store.start(), this.pool.start()])
  }

  async stop (): Promise<void> {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    const stopped = new FabricStoppedError()
    for (const t of [...this.refs.all()].map(e => e.producer as TaskRecord | undefined)) if (t !== undefined) this.finish(t, { error: stopped })
    for (const a of this.actors.values()) a.state = 'dead'
    await this.pool.stop()
    await this.store.stop()
    this.refs.clear()
    this.actors.clear()
    this.names.clear()
  }

  private assertRunning (): void {
    if (this.state !== 'running') throw new FabricStoppedError(this.state === 'new' ? 'the fabric is not started' : undefined)
  }

  // ---- components ---------------------------------------------------------------------------

  /** Load a component and ask it what it offers. */
  async load (source: string | Uint8Array): Promise<{ component: CompiledComponent, manifest: Manifest }> {
    this.assertRunning()
    const component = await loadComponent(source, { cacheDir: this.cacheDir })
    if (!this.components.has(component.cid)) {
      this.components.set(component.cid, { source, compiled: component, byCap: new Map([[component.maxMemoryPages / 16, Promise.resolve(component)]]) })
    }
    const manifest = await this.pool.describe(component)
    return { component, manifest }
  }

  /** The component compiled with another memory cap (tasks asking for more memory). */
  private async withMemoryLimit (c: CompiledComponent, mb: number): Promise<CompiledComponent> {
    if (mb === c.maxMemoryPages / 16) return c
    const known = this.components.get(c.cid)
    if (known === undefined) return c
    let p = known.byCap.get(mb)
    if (p === undefined) {
      p = loadComponent(known.source, { cacheDir: this.cacheDir, memoryLimitMb: mb })
      known.byCap.set(mb, p)
    }
    return await p
  }

  // ---- objects -------------------------------------------------------------------------------

  /**
   * Store an encoded value; returns its ref id at once (held once for the caller). Large values
   * are hashed and stored in the background: the ref is pending until then.
   */
  put (bytes: Uint8Array, nested: string[]): string {
    this.assertRunning()
    for (const id of nested) this.entryOf(id) // refuse unknown refs before storing anything
    const e = this.refs.create('o')
    e.holders++
    if (bytes.byteLength <= INLINE_LIMIT) {
      this.refs.settle(e, { value: { inline: bytes }, nested })
    } else {
      this.storeValue(bytes).then(
        value => this.refs.settle(e, { value, nested }),
        (err: unknown) => this.refs.settle(e, { error: err as Error })
      )
    }
    return e.id
  }

  /**
   * Store an encoded value that is still on its way (pulled from another node): its ref id at
   * once (held once for the caller), pending until the bytes arrive, failed if they do not.
   */
  putLater (bytes: Promise<Uint8Array>): string {
    this.assertRunning()
    const e = this.refs.create('o')
    e.holders++
    bytes.then(async b => await this.storeValue(b)).then(
      value => this.refs.settle(e, { value, nested: [] }),
      (err: unknown) => this.refs.settle(e, { error: err as Error })
    )
    return e.id
  }

  /**
   * Store a large byte string as it is (the store hashes and keeps the caller's buffer: no copy).
   * Returns its ref id at once, held once for the caller.
   */
  putBytes (bytes: Uint8Array): string {
    this.assertRunning()
    const e = this.refs.create('o')
    e.holders++
    this.store.put(bytes).then(
      cid => this.refs.settle(e, { value: { cid, size: bytes.byteLength, raw: true }, nested: [] }),
      (err: unknown) => this.refs.settle(e, { error: err as Error })
    )
    return e.id
  }

  private async storeValue (bytes: Uint8Array): Promise<StoredValue> {
    if (bytes.byteLength <= INLINE_LIMIT) return { inline: bytes }
    return { cid: await this.store.put(bytes), size: bytes.byteLength }
  }

  private onRefDeleted (e: RefEntry): void {
    if (e.value !== undefined && 'cid' in e.value) this.store.unpin(e.value.cid)
    const stream = (e.producer as TaskRecord | undefined)?.stream
    if (stream !== undefined) {
      // Items nobody took go with the stream.
      for (const id of stream.items.slice(stream.taken)) this.refs.release(id)
      stream.taken = stream.items.length
    }
    e.producer = undefined
  }

  /** The task that makes ref `id`, while it is not done (a stream's while the ref lives). */
  private producerOf (id: string): TaskRecord | undefined {
    return this.refs.get(id)?.producer as TaskRecord | undefined
  }

  /** The entry of a ref, or a typed error saying why there is none. */
  private entryOf (id: string): RefEntry {
    const e = this.refs.get(id)
    if (e !== undefined) return e
    if (this.refs.owns(id)) throw new ObjectReleasedError(`ObjectRef(${id}) was released: nothing held it any more (or it was freed)`)
    throw new ForeignRefError(`ObjectRef(${id}) was not made by this fabric (${this.fabricId}): refs cannot move between fabrics`)
  }

  hold (id: string): void {
    this.refs.hold(id)
  }

  release (id: string): void {
    this.refs.release(id)
  }

  /** Drop a ref now, whoever holds it: later gets fail with ObjectReleasedError. */
  free (id: string): void {
    const e = this.refs.get(id)
    if (e === undefined) return
    e.holders = 1
    if (e.state === 'pending') {
      this.refs.settle(e, { error: new ObjectReleasedError(`ObjectRef(${id}) was freed before it was ready`) })
    }
    this.refs.release(id)
  }

  /** The bytes of a ref's value once it is ready; throws its error if it failed. */
  async get (id: string, timeoutMs?: number): Promise<Uint8Array> {
    return await this.valueBytes(await this.ready(id, timeoutMs))
  }

  /** The entry of `id` once it is ready; throws its error if it failed. */
  private async ready (id: string, timeoutMs: number | undefined): Promise<RefEntry> {
    const e = this.entryOf(id)
    if (e.state === 'pending') await this.settled(e, timeoutMs)
    if (e.state === 'failed') throw e.error!
    return e
  }

  /** Resolve when `e` settles; GetTimeoutError after `timeoutMs` (its waiter is taken off then). */
  private settled (e: RefEntry, timeoutMs: number | undefined): Promise<void> {
    if (timeoutMs === undefined) return this.refs.whenSettled(e)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.refs.offSettle(e, onSettle)
        reject(new GetTimeoutError(`ObjectRef(${e.id}) was not ready within ${timeoutMs} ms`))
      }, timeoutMs)
      const onSettle = (): void => {
        clearTimeout(timer)
        resolve()
      }
      this.refs.onSettle(e, onSettle)
    })
  }

  /** A ready value's CBOR bytes (a raw byte string gets its CBOR head). */
  private async valueBytes (e: RefEntry): Promise<Uint8Array> {
    const v = e.value!
    if ('inline' in v) return v.inline
    const bytes = await this.store.get(v.cid)
    return v.raw === true ? concat([cborHead(2, bytes.byteLength), bytes]) : bytes
  }

  /**
   * A ready value as stored: CBOR bytes, or (`raw`) a byte string's payload, which the caller may
   * use as the value itself without decoding or copying.
   */
  async getStored (id: string, timeoutMs?: number): Promise<{ bytes: Uint8Array, raw: boolean }> {
    const e = await this.ready(id, timeoutMs)
    const v = e.value!
    if ('cid' in v && v.raw === true) return { bytes: await this.store.get(v.cid), raw: true }
    return { bytes: await this.valueBytes(e), raw: false }
  }

  /**
   * Where a ready value lives: inline CBOR bytes (small), or the CID and size of its CBOR bytes in
   * this node's store (served to peers by CID while the ref is held). Throws the task's error.
   */
  async location (id: string): Promise<{ inline: Uint8Array } | { cid: string, size: number }> {
    const v = (await this.ready(id, undefined)).value!
    if ('inline' in v) return { inline: v.inline }
    if (v.raw === true) return { inline: await this.valueBytes(await this.ready(id, undefined)) }
    return { cid: v.cid, size: v.size }
  }

  /** The bytes of object `cid` when this node's store holds it (for peers pulling it). */
  async objectBytes (cid: string): Promise<Uint8Array | undefined> {
    if (!this.store.has(cid)) return undefined
    try {
      return await this.store.get(cid)
    } catch {
      return undefined // released in between
    }
  }

  /** Wait until `numReturns` of `ids` have settled (ready or failed); returns those, in order. */
  async wait (ids: string[], numReturns: number, timeoutMs?: number): Promise<string[]> {
    const entries = ids.map(id => this.entryOf(id))
    let settled = 0
    for (const e of entries) if (e.state !== 'pending') settled++
    if (settled < numReturns && timeoutMs !== 0) {
      const pending = entries.filter(e => e.state === 'pending')
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined
        const done = (): void => {
          if (timer !== undefined) clearTimeout(timer)
          // Take our waiter off the refs still pending: repeated waits must not pile them up.
          for (const e of pending) this.refs.offSettle(e, onSettle)
          resolve()
        }
        const onSettle = (): void => {
          if (++settled >= numReturns) done()
        }
        for (const e of pending) this.refs.onSettle(e, onSettle)
        if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs)
      })
    }
    const ready: string[] = []
    for (const e of entries) {
      if (ready.length >= numReturns) break
      if (e.state !== 'pending') ready.push(e.id)
    }
    return ready
  }

  // ---- tasks ---------------------------------------------------------------------------------

  /** Submit a task; returns its result ref id (held once for the caller). */
  submit (sub: TaskSubmission, urgent = false): string {
    this.assertRunning()
    this.checkFeasible(sub.options.resources, `task '${sub.name}'`)
    const t = this.record('task', sub.component, sub.name, sub.args, sub.options, sub.streaming)
    t.result.holders++
    this.waitForArgs(t, urgent)
    return t.result.id
  }

  /** The items of a streaming task, as they become known. */
  stream (id: string): StreamReader {
    const t = this.producerOf(id)
    if (t?.stream === undefined) throw new TypeError(`ObjectRef(${id}) is not the result of a streaming task`)
    const s = t.stream
    return {
      next: async () => {
        while (s.taken >= s.items.length && !s.done) await new Promise<void>(resolve => s.waiters.push(resolve))
        if (s.taken < s.items.length) return s.items[s.taken++]!
        if (s.error !== undefined) throw s.error
        return undefined
      }
    }
  }

  private record (kind: TaskRecord['kind'], component: CompiledComponent, name: string, args: ArgSpec[], options: ResolvedTaskOptions, streaming: boolean): TaskRecord {
    const result = this.refs.create(streaming ? 's' : 't')
    const found: string[] = []
    for (const a of args) {
      if (a.kind === 'ref') found.push(a.id)
      else found.push(...a.refs)
    }
    const deps = found.length === 0 ? NONE : found
    for (const id of deps) this.entryOf(id) // unknown or released refs fail the submit at once
    const t: TaskRecord = {
      id: result.id, kind, component, name, args, options, streaming, result, deps, pending: 0, state: 'waiting',
      attempts: 0, cancelled: false, guestRefs: NONE, lent: false, demand: options.resources, queueSeq: 0, yielded: 0,
      abort: undefined, stream: undefined, actor: undefined, callRetries: undefined, onRetry: undefined
    }
    if (streaming) t.stream = { items: [], taken: 0, done: false, waiters: [] }
    result.producer = t
    return t
  }

  private checkFeasible (demand: Resources, what: string): void {
    const missing = shortfall(demand, this.total)
    if (missing.length > 0) throw new InfeasibleTaskError(`${what} can never run here: no node has the resources (${missing.join('; ')})`)
  }

  /** Hold the task's argument refs and queue it once they are all ready. */
  private waitForArgs (t: TaskRecord, urgent: boolean): void {
    this.counts.waiting++
    for (const id of t.deps) {
      this.refs.hold(id)
      const e = this.refs.get(id)!
      if (e.state === 'pending') {
        t.pending++
        this.refs.onSettle(e, () => this.depSettled(t, e, urgent))
      } else if (e.state === 'failed') {
        t.pending++
        queueMicrotask(() => this.depSettled(t, e, urgent))
      }
    }
    if (t.pending === 0) this.enqueue(t, urgent)
  }

  private depSettled (t: TaskRecord, dep: RefEntry, urgent: boolean): void {
    if (t.state !== 'waiting') return
    if (dep.state === 'failed') {
      const cause = dep.error!
      this.finish(t, { error: new DependencyFailedError(`${describe(t)} did not run: its argument ObjectRef(${dep.id}) failed: ${cause.message}`, { cause }) })
      return
    }
    if (--t.pending === 0) this.enqueue(t, urgent)
  }

  private enqueue (t: TaskRecord, urgent: boolean): void {
    this.counts.waiting--
    t.state = 'queued'
    if (t.actor !== undefined) {
      this.pumpActor(t.actor)
      return
    }
    // Work submitted by a running guest goes first: depth first keeps the number of guests
    // blocked on their children small.
    this.queue.push(t, this.policy.urgent(urgent ? 'nested' : 'driver'))
    this.schedule()
  }

  /** Start every queued task whose resources are free. */
  private schedule (): void {
    if (this.scheduling || this.state !== 'running') return
    // The common case of a long queue: every CPU busy and every queued task needs one.
    if (this.available.cpus < 1e-9 && this.queue.cpuFreeCount === 0) return
    this.scheduling = true
    try {
      for (let t = this.queue.take(this.available); t !== undefined; t = this.queue.take(this.available)) {
        adjust(this.available, t.options.resources, -1)
        void this.execute(t)
      }
    } finally {
      this.scheduling = false
    }
  }

  /** Start an attempt of `t`: it is running from now on. */
  private begin (t: TaskRecord): void {
    t.state = 'running'
    t.attempts++
    t.yielded = 0
    this.running.set(t.id, t)
  }

  private async execute (t: TaskRecord): Promise<void> {
    this.begin(t)
    t.abort = new AbortController()
    try {
      const component = await this.withMemoryLimit(t.component, t.options.memoryLimitMb)
      const args = await this.buildArgs(t.args, describe(t))
      const out = await this.pool.call(component, t.name, args, { timeoutMs: t.options.timeoutMs, signal: t.abort.signal, tag: t.id, transferArgs: true, gpu: t.options.resources.gpus > 0 })
      await this.succeed(t, out)
    } catch (err) {
      this.failAttempt(t, err as Error)
    } finally {
      this.running.delete(t.id)
      // CPUs lent out while the guest was blocked are back already.
      adjust(this.available, t.lent ? { ...t.options.resources, cpus: 0 } : t.options.resources, 1)
      t.lent = false
      this.schedule()
    }
  }

  /** The call's CBOR argument array: each argument's own bytes, refs replaced by their values. */
  private async buildArgs (args: ArgSpec[], what: string): Promise<Uint8Array> {
    const values = new Map<string, Uint8Array>()
    for (const a of args) {
      if (a.kind !== 'ref' || values.has(a.id)) continue
      const e = this.entryOf(a.id)
      if (e.state === 'failed') throw new DependencyFailedError(`${what}: its argument ObjectRef(${a.id}) failed`, { cause: e.error })
      values.set(a.id, await this.valueBytes(e))
    }
    return assembleArgs(args, values)
  }

  private async succeed (t: TaskRecord, out: Uint8Array): Promise<void> {
    if (t.streaming) {
      const items = decode(out)
      const streamed = (items as { streamed?: unknown } | null)?.streamed
      if (typeof streamed === 'number') {
        // Every item reached the stream as it was yielded (see streamItem).
        if (streamed < t.stream!.items.length) throw new TypeError(`${describe(t)} yielded ${streamed} values but ${t.stream!.items.length} arrived`)
      } else if (!Array.isArray(items)) {
        throw new TypeError(`${describe(t)} is a generator but returned ${typeof items}`)
      }
      for (const item of Array.isArray(items) ? items : []) {
        const e = this.refs.create('o')
        // Held by the stream until its reader takes the hold over (or the stream is dropped).
        e.holders++
        this.refs.settle(e, { value: await this.storeValue(encode(item)), nested: findRefs(item).map(r => r.id) })
        t.stream!.items.push(e.id)
      }
    }
    const nested = mayHoldRefs(out) ? findRefs(decode(out)).map(r => r.id).filter(id => this.refs.get(id) !== undefined) : []
    this.finish(t, { value: await this.storeValue(out), nested })
  }

  private failAttempt (t: TaskRecord, err: Error): void {
    if (t.cancelled || err.name === 'TaskCancelledError') {
      this.finish(t, { error: new TaskCancelledError(`${describe(t)} was cancelled`) })
      return
    }
    const retries = t.options.maxRetries
    const application = err.name === 'TaskError'
    const allowed = application ? matchesRetry(t.options.retryExceptions, err) : SYSTEM_RETRYABLE.has(err.name) || (err as { retryable?: boolean }).retryable === true
    if (allowed && t.attempts <= retries && this.state === 'running') {
      t.state = 'queued'
      this.queue.push(t, this.policy.urgent('retry'))
      return
    }
    if (t.attempts > 1) {
      this.finish(t, { error: new RetriesExhaustedError(`${describe(t)} failed on all ${t.attempts} attempts; the last: ${err.name}: ${err.message}`, { cause: err }) })
      return
    }
    this.finish(t, { error: err })
  }

  /** Settle a task's result (and stream), release what it held. */
  private finish (t: TaskRecord, outcome: { value: StoredValue, nested: string[] } | { error: Error }): void {
    if (t.state === 'done') return
    if (t.state === 'waiting') this.counts.waiting--
    if (t.state === 'queued') {
      this.queue.remove(t)
      if (t.actor !== undefined) {
        const q = t.actor.queue.indexOf(t)
        if (q >= 0) t.actor.queue.splice(q, 1)
      }
    }
    t.state = 'done'
    if ('error' in outcome) this.counts.failed++
    else this.counts.finished++
    if (t.stream !== undefined) {
      t.stream.done = true
      if ('error' in outcome) t.stream.error = outcome.error
      for (const w of t.stream.waiters.splice(0)) w()
    }
    this.refs.settle(t.result, outcome)
    for (const id of t.deps) this.refs.release(id)
    for (const id of t.guestRefs) this.refs.release(id)
    t.guestRefs = NONE
    // A finished task is forgotten (a million finished tasks must not hold a million records);
    // a stream's record lives while its ref does, for its reader (see onRefDeleted).
    if (t.stream === undefined) t.result.producer = undefined
  }

  /** Cancel the task behind a ref: queued work is dropped, running work stopped. */
  cancel (id: string): boolean {
    const elsewhere = this.offloaded.get(id)
    if (elsewhere !== undefined) {
      elsewhere.abort()
      return true
    }
    const t = this.producerOf(id)
    if (t === undefined || t.state === 'done') return false
    t.cancelled = true
    if (t.state === 'running') {
      if (t.actor !== undefined) return false // an actor's call cannot be interrupted without killing the actor
      t.abort?.abort()
      return true
    }
    this.finish(t, { error: new TaskCancelledError(`${describe(t)} was cancelled before it ran`) })
    return true
  }

  // ---- actors --------------------------------------------------------------------------------

  /**
   * Create an actor; resolves with its id once its instance exists. `onRestart` is told the
   * actor's restart count each time a crash restarts it here (before the crashed call is answered).
   */
  async createActor (component: CompiledComponent, cls: string, args: ArgSpec[], options: ResolvedActorOptions, hooks: { onRestart?: (restarts: number) => void } = {}): Promise<string> {
    this.assertRunning()
    this.checkFeasible(options.resources, `actor '${cls}'`)
    if (options.name !== undefined && this.names.has(options.name)) {
      throw new TypeError(`an actor named '${options.name}' already exists: names are unique while the actor lives`)
    }
    for (const a of args) if (a.kind === 'ref') this.entryOf(a.id)
    const a: ActorRecord = {
      id: `${this.fabricId}/a${randomUUID().slice(0, 8)}`,
      component, cls, args, options, state: 'creating', queue: [], running: 0, restarts: 0, created: Promise.resolve(),
      ...(hooks.onRestart === undefined ? {} : { onRestart: hooks.onRestart })
    }
    if (!fits(options.resources, this.available)) {
      throw new InfeasibleTaskError(`actor '${cls}' needs ${JSON.stringify(options.resources)} but only ${JSON.stringify(this.available)} is free now`)
    }
    adjust(this.available, options.resources, -1)
    this.actors.set(a.id, a)
    if (options.name !== undefined) this.names.set(options.name, a.id)
    a.created = this.startActor(a)
    try {
      await a.created
    } catch (err) {
      this.actorDied(a, err as Error)
      throw err
    }
    return a.id
  }

  private async startActor (a: ActorRecord): Promise<void> {
    const component = await this.withMemoryLimit(a.component, a.options.memoryLimitMb)
    const argBytes = await this.buildArgs(a.args, `actor '${a.cls}' constructor`)
    a.ref = await this.pool.createActor(component, a.cls, argBytes, { timeoutMs: a.options.timeoutMs, gpu: a.options.resources.gpus > 0 })
    a.state = 'alive'
    this.pumpActor(a)
  }

  /** Find a live actor by name. */
  actorByName (name: string): { id: string, component: CompiledComponent, cls: string } {
    const id = this.names.get(name)
    const a = id === undefined ? undefined : this.actors.get(id)
    if (a === undefined || a.state === 'dead') throw new ActorNotFoundError(`no live actor is named '${name}'`)
    return { id: a.id, component: a.component, cls: a.cls }
  }

  /** Queue a method call on an actor; returns the result's ref id (held once for the caller). */
  /**
   * Call an actor's method; returns the result's ref id (held once for the caller). `maxRetries`
   * replaces the actor's maxTaskRetries for this call; `onRetry` is told before each retry after a
   * crash (the actor restarted in place).
   */
  callActor (actorId: string, method: string, args: ArgSpec[], options: { timeoutMs?: number, maxRetries?: number, onRetry?: () => void } = {}): string {
    this.assertRunning()
    const a = this.actors.get(actorId)
    const opts: ResolvedTaskOptions = { resources: resources(), maxRetries: 0, retryExceptions: false, timeoutMs: options.timeoutMs ?? a?.options.timeoutMs, memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB }
    const t = this.record('actor-call', a?.component ?? ({} as CompiledComponent), method, args, opts, false)
    t.result.holders++
    if (a === undefined || a.state === 'dead') {
      this.finish(t, { error: new ActorDiedError(`actor ${actorId} is not alive${a?.deathCause === undefined ? '' : `: ${a.deathCause.message}`}`, { cause: a?.deathCause }) })
      return t.result.id
    }
    t.actor = a
    if (options.maxRetries !== undefined) t.callRetries = options.maxRetries
    if (options.onRetry !== undefined) t.onRetry = options.onRetry
    a.queue.push(t)
    this.waitForArgs(t, false)
    return t.result.id
  }

  /** Run queued calls of an actor, in submission order. */
  private pumpActor (a: ActorRecord): void {
    if (a.state !== 'alive') return
    while (a.running < a.options.maxConcurrency && a.queue.length > 0 && a.queue[0]!.state === 'queued') {
      const t = a.queue.shift()!
      a.running++
      void this.invoke(a, t)
    }
  }

  private async invoke (a: ActorRecord, t: TaskRecord): Promise<void> {
    this.begin(t)
    let failure: Error | undefined
    try {
      const args = await this.buildArgs(t.args, describe(t))
      const out = await this.pool.invoke(a.ref!, t.name, args, { timeoutMs: t.options.timeoutMs, tag: t.id })
      await this.succeed(t, out)
    } catch (err) {
      failure = err as Error
    } finally {
      this.running.delete(t.id)
      a.running--
    }
    if (failure !== undefined && ACTOR_FATAL.has(failure.name)) {
      await this.actorFailed(a, t, failure)
    } else if (failure !== undefined) {
      this.finish(t, { error: failure })
    }
    this.pumpActor(a)
  }

  /** The actor's instance is gone: restart it (and retry the call) if its options allow. */
  private async actorFailed (a: ActorRecord, t: TaskRecord, cause: Error): Promise<void> {
    if (a.state === 'dead') {
      this.finish(t, { error: cause })
      return
    }
    if (a.restarts < a.options.maxRestarts && this.state === 'running') {
      a.restarts++
      a.state = 'restarting'
      a.onRestart?.(a.restarts)
      if (t.attempts <= (t.callRetries ?? a.options.maxTaskRetries)) {
        t.onRetry?.()
        t.state = 'queued'
        a.queue.unshift(t)
      } else {
        this.finish(t, { error: cause })
      }
      try {
        await this.startActor(a)
      } catch (err) {
        this.actorDied(a, err as Error)
      }
      return
    }
    this.finish(t, { error: cause })
    this.actorDied(a, cause)
  }

  private actorDied (a: ActorRecord, cause: Error): void {
    if (a.state === 'dead') return
    a.state = 'dead'
    a.deathCause = cause
    if (a.options.name !== undefined && this.names.get(a.options.name) === a.id) this.names.delete(a.options.name)
    adjust(this.available, a.options.resources, 1)
    const died = new ActorDiedError(`actor '${a.cls}' (${a.id}) died: ${cause.message}`, { cause })
    for (const t of a.queue.splice(0)) this.finish(t, { error: died })
    if (a.ref !== undefined) void this.pool.destroyActor(a.ref).catch(() => {})
    this.schedule()
  }

  /** Kill an actor: its queued calls fail with ActorDiedError, its name is free again. */
  kill (actorId: string): void {
    const a = this.actors.get(actorId)
    if (a === undefined) return
    this.actorDied(a, new ActorDiedError(`actor '${a.cls}' was killed`))
  }

  // ---- guests' host calls ----------------------------------------------------------------------

  private taskOf (ctx: HostContext): TaskRecord | undefined {
    return ctx.tag === undefined ? undefined : this.running.get(ctx.tag)
  }

  private hostFailure (err: unknown): Error {
    const e = err as Error
    return Object.assign(new Error(e.message), { kind: kindOf(e), retryable: (e as { retryable?: boolean }).retryable === true })
  }

  /**
   * A guest waits for `id`, whose task has not started: run it in the waiting guest's worker (a
   * nested instance there) instead of blocking that worker and using another. Only plain tasks
   * without timeouts, and only for a get without a timeout (its reply must not overtake the run).
   */
  private runInline (id: string, timeoutMs: number | undefined, ctx: HostContext): boolean {
    if (timeoutMs !== undefined || ctx.inline === undefined) return false
    const t = this.producerOf(id)
    if (t === undefined || t.kind !== 'task' || t.state !== 'queued' || t.streaming || t.options.timeoutMs !== undefined) return false
    if (t.component.maxMemoryPages / 16 !== t.options.memoryLimitMb) return false
    if (!this.queue.has(t)) return false
    // Args are ready (the task is queued); a ref argument's bytes may have to come from the store.
    const args = this.inlineArgs(t)
    if (args === undefined) return false
    const run = ctx.inline({ tag: t.id, component: t.component, name: t.name, args })
    if (run === undefined) return false
    this.queue.remove(t)
    this.begin(t)
    // The child runs on the waiting parent's CPU: take back what the parent lent while blocked.
    const parent = this.taskOf(ctx)
    const cpus = resources({ cpus: t.options.resources.cpus })
    const retook = parent?.lent === true
    if (retook) {
      parent!.lent = false
      adjust(this.available, cpus, -1)
    }
    run.then(
      async (out) => {
        // A cancelled inline run cannot be stopped (it is on the parent's thread): its result is dropped.
        if (t.cancelled) this.finish(t, { error: new TaskCancelledError(`${describe(t)} was cancelled`) })
        else await this.succeed(t, out)
      },
      (err: unknown) => this.failAttempt(t, err as Error)
    ).catch((err: unknown) => this.failAttempt(t, err as Error)).finally(() => {
      this.running.delete(t.id)
      if (retook && parent!.state === 'running' && !parent!.lent) {
        parent!.lent = true
        adjust(this.available, cpus, 1)
      }
      this.schedule()
    })
    return true
  }

  /** The CBOR args of a queued task if every ref argument's value is inline (no store read), else undefined. */
  private inlineArgs (t: TaskRecord): Uint8Array | undefined {
    const values = new Map<string, Uint8Array>()
    for (const a of t.args) {
      if (a.kind !== 'ref') continue
      const v = this.refs.get(a.id)?.value
      if (v === undefined || !('inline' in v)) return undefined
      values.set(a.id, v.inline)
    }
    return assembleArgs(t.args, values)
  }

  /**
   * A guest about to block on `ids`: move their tasks, if still queued, to the front. Running what
   * is awaited first keeps the number of guests blocked on children near the recursion depth,
   * instead of growing with the breadth of the call tree.
   */
  private prioritize (ids: string[]): void {
    for (const id of ids) {
      const t = this.producerOf(id)
      if (t === undefined || t.state !== 'queued' || t.actor !== undefined) continue
      if (this.queue.has(t)) this.queue.push(t, this.policy.urgent('awaited'))
    }
    this.schedule()
  }

  private async guestGet (id: string, timeoutMs: number | undefined, ctx: HostContext): Promise<Uint8Array> {
    if (!this.runInline(id, timeoutMs, ctx)) this.prioritize([id])
    try {
      return await this.get(id, timeoutMs)
    } catch (err) {
      throw this.hostFailure(err)
    }
  }

  /** One value a streaming guest yielded: into the task's stream at once. */
  private streamItem (bytes: Uint8Array, ctx: HostContext): string {
    const t = this.taskOf(ctx)
    if (t?.stream === undefined || t.state !== 'running') {
      throw Object.assign(new Error('a stream item from a task that is not a running generator'), { kind: 'bad-argument' })
    }
    // A retried attempt yields again from the start: items already delivered are not repeated.
    if (t.yielded < t.stream.items.length) return t.stream.items[t.yielded++]!
    t.yielded++
    const e = this.refs.create('o')
    e.holders++ // the stream's hold, taken over by the reader
    // Streamed items stay in memory (inline), whatever their size.
    this.refs.settle(e, { value: { inline: bytes.slice() }, nested: mayHoldRefs(bytes) ? findRefs(decode(bytes)).map(r => r.id) : [] })
    t.stream.items.push(e.id)
    for (const w of t.stream.waiters.splice(0)) w()
    return e.id
  }

  private guestPut (data: Uint8Array, ctx: HostContext): string {
    if (data.length >= 3 && data[0] === STREAM_ITEM_HEAD[0] && data[1] === STREAM_ITEM_HEAD[1] && data[2] === STREAM_ITEM_HEAD[2]) {
      try {
        return this.streamItem(data.subarray(3), ctx)
      } catch (err) {
        throw this.hostFailure(err)
      }
    }
    try {
      const id = this.put(data, mayHoldRefs(data) ? findRefs(decode(data)).map(r => r.id) : [])
      const t = this.taskOf(ctx)
      if (t !== undefined) keepForGuest(t, id)
      else this.refs.release(id)
      return id
    } catch (err) {
      throw this.hostFailure(err)
    }
  }

  /** Send guests' nested tasks to other nodes when this one is half busy (see {@link NestedOffload}). */
  setOffload (offload: NestedOffload | undefined): void {
    this.offload = offload
  }

  /**
   * Whether a guest's nested task goes elsewhere: pack locally until about half the CPUs are taken
   * (running, or queued here; at least one), then spread to nodes with room. Tasks whose argument
   * values hold refs stay here.
   */
  private offloadable (args: ArgSpec[], options: ResolvedTaskOptions, caller: TaskRecord | undefined): boolean {
    if (this.offload === undefined || options.resources.cpus <= 0) return false
    // Refs inside values would name this node's objects there: such tasks stay here (as do tasks
    // taking a ref whose value holds refs, or may: one not settled yet).
    if (args.some(a => a.kind === 'value' ? a.refs.length > 0 : this.refs.get(a.id)?.state !== 'ready' || this.holdsRefs(a.id))) return false
    // The calling guest's own CPUs do not count: it gives them back while it waits for its children.
    const own = caller !== undefined && !caller.lent ? caller.options.resources.cpus : 0
    if (this.policy.nested({ total: this.total, available: this.available, queued: this.queue.length }, options.resources, own) === 'here') return false
    // A task this node can never run goes where it can (without such a node, submit says why).
    return this.offload.hasRoom(options.resources, shortfall(options.resources, this.total).length === 0)
  }

  /** Run a guest's nested task on another node; its result is a ref of this node, like any other. */
  private submitElsewhere (cid: string, name: string, args: ArgSpec[], options: ResolvedTaskOptions): string {
    const e = this.refs.create('t')
    e.holders++
    const deps = args.flatMap(a => a.kind === 'ref' ? [a.id] : [])
    for (const id of deps) this.refs.hold(id)
    const abort = new AbortController()
    this.offloaded.set(e.id, abort)
    this.offloadedCount++
    const what = `nested task '${name}' (${e.id})`
    void (async () => {
      let outcome: { value: StoredValue, nested: string[] } | { error: Error }
      /** Refs made for refs inside the result: held by it once it settles. */
      const made: string[] = []
      try {
        const wire = await Promise.all(args.map(async (a): Promise<OffloadArg> => {
          if (a.kind === 'value') return { value: a.bytes }
          try {
            const where = await this.location(a.id)
            return 'inline' in where ? { value: where.inline } : where
          } catch (err) {
            throw new DependencyFailedError(`${what} did not run: its argument ObjectRef(${a.id}) failed: ${(err as Error).message}`, { cause: err })
          }
        }))
        const out = await this.offload!.run({ component: cid, name, args: wire, options }, abort.signal)
        outcome = await this.adoptResult(out, made)
      } catch (err) {
        outcome = { error: abort.signal.aborted ? new TaskCancelledError(`${what} was cancelled`) : err as Error }
      }
      this.offloaded.delete(e.id)
      if ('error' in outcome) this.counts.failed++
      else this.counts.finished++
      this.refs.settle(e, outcome)
      for (const id of [...deps, ...made]) this.refs.release(id)
    })()
    return e.id
  }

  /**
   * A result from another node, as refs of this node: each ref inside it (by the other node's id)
   * becomes a ref here, the innermost first, and the value names them.
   */
  private async adoptResult (out: { value: Uint8Array, nested: OffloadedRef[] }, made: string[]): Promise<{ value: StoredValue, nested: string[] }> {
    if (out.nested.length === 0) return { value: await this.storeValue(out.value), nested: [] }
    const ids = new Map<string, string>()
    const local = (bytes: Uint8Array): { bytes: Uint8Array, refs: string[] } => localRefs(bytes, id => ids.get(id), 'a result from another node')
    // Each is listed after the refs inside it: those have ids here already.
    for (const n of out.nested) {
      let id: string
      if ('error' in n) {
        // A ref to a task that failed there: a failed ref here.
        const e = this.refs.create('o')
        e.holders++
        this.refs.settle(e, { error: n.error })
        id = e.id
      } else {
        const v = local(n.value)
        id = this.put(v.bytes, v.refs)
      }
      ids.set(n.id, id)
      made.push(id) // released by the caller whatever happens next
    }
    const result = local(out.value)
    const value = await this.storeValue(result.bytes)
    // The result holds the refs it names once settled; the caller then lets go of the ones made here.
    return { value, nested: result.refs }
  }

  private guestSubmit (componentCid: string, name: string, argBytes: Uint8Array, optionBytes: Uint8Array, ctx: HostContext): string {
    try {
      const cid = componentCid === '' ? ctx.cid : componentCid
      const known = this.components.get(cid)
      if (known === undefined) throw Object.assign(new Error(`component ${cid} is not loaded on this node`), { kind: 'not-found' })
      const caller = this.taskOf(ctx)
      const values = decode(argBytes)
      if (!Array.isArray(values)) throw Object.assign(new Error('submit: args must be a CBOR array'), { kind: 'bad-argument' })
      const args = values.map(toArgSpec)
      const options = resolveTaskOptions((decode(optionBytes) ?? {}) as Record<string, unknown>, `nested task '${name}'`)
      this.assertRunning()
      const id = this.offloadable(args, options, caller)
        ? this.submitElsewhere(cid, name, args, options)
        : this.submit({ component: known.compiled, name, args, options, streaming: false }, true)
      if (caller !== undefined) keepForGuest(caller, id)
      else this.refs.release(id)
      return id
    } catch (err) {
      throw this.hostFailure(err)
    }
  }

  private async guestWait (ids: string[], numReturns: number, timeoutMs: number | undefined, _ctx: HostContext): Promise<string[]> {
    this.prioritize([...ids].reverse())
    try {
      return await this.wait(ids, numReturns, timeoutMs)
    } catch (err) {
      throw this.hostFailure(err)
    }
  }

  /** A guest blocked on nested work gives its CPUs back while it waits (as in Ray). */
  private onBlocked (blocked: boolean, ctx: HostContext): void {
    const t = this.taskOf(ctx)
    if (t === undefined || t.kind !== 'task' || !this.policy.lendsBlockedCpus) return
    const cpus = resources({ cpus: t.options.resources.cpus })
    if (blocked && !t.lent) {
      t.lent = true
      adjust(this.available, cpus, 1)
      this.schedule()
    } else if (!blocked && t.lent) {
      t.lent = false
      adjust(this.available, cpus, -1)
    }
  }

  private guestLog (level: string, message: string, ctx: HostContext): void {
    if (this.log !== undefined) this.log(level, message, { cid: ctx.cid, task: ctx.tag })
    else if (level === 'warn' || level === 'error') process.stderr.write(`[${ctx.tag ?? ctx.cid.slice(-8)} ${level}] ${message}\n`)
  }

  /** Whether the settled value of ref `id` holds refs. */
  holdsRefs (id: string): boolean {
    return (this.refs.get(id)?.nested.length ?? 0) > 0
  }

  /** Guests' nested tasks sent to other nodes: running there now, and in all. */
  offloadStats (): { running: number, total: number } {
    return { running: this.offloaded.size, total: this.offloadedCount }
  }

  /** Resources free on this node now (a copy). */
  availableNow (): Resources {
    return resources(this.available)
  }

  /** Tasks queued for resources here now (ready to run, not started): cheap, for admission decisions. */
  queueLength (): number {
    return this.queue.length
  }

  stats (): NodeStats {
    let queued = this.queue.length
    for (const a of this.actors.values()) for (const t of a.queue) if (t.state === 'queued') queued++
    return {
      tasks: { waiting: this.counts.waiting, queued, running: this.running.size, finished: this.counts.finished, failed: this.counts.failed },
      actors: [...this.actors.values()].filter(a => a.state !== 'dead').length,
      refs: this.refs.size,
      resources: { total: resources(this.total), available: resources(this.available) },
      store: this.store.stats()
    }
  }
}

// ---- helpers ----------------------------------------------------------------------------------

function describe (t: Pick<TaskRecord, 'kind' | 'name' | 'id'>): string {
  return t.kind === 'task' ? `task '${t.name}' (${t.id})` : `actor method '${t.name}' (${t.id})`
}

/** Hold `id` for the running guest of `t` until the task ends. */
function keepForGuest (t: TaskRecord, id: string): void {
  if (t.guestRefs === NONE) t.guestRefs = [id]
  else (t.guestRefs as string[]).push(id)
}

function kindOf (e: Error): string {
  const kind = (e as { kind?: unknown }).kind
  if (typeof kind === 'string') return kind
  switch (e.name) {
    case 'ObjectReleasedError': return 'released'
    case 'ForeignRefError': return 'not-found'
    case 'GetTimeoutError': return 'timeout'
    case 'InfeasibleTaskError': return 'infeasible'
    default: return e.name
  }
}

function matchesRetry (policy: boolean | string[], err: Error): boolean {
  if (policy === true) return true
  if (policy === false) return false
  const kind = (err as { kind?: string }).kind
  return policy.includes(err.name) || (kind !== undefined && policy.includes(kind))
}

function toArgSpec (value: unknown): ArgSpec {
  if (value instanceof ObjectRef) return { kind: 'ref', id: value.id }
  return { kind: 'value', bytes: encode(value), refs: findRefs(value).map(r => r.id) }
}

/** The call's CBOR argument array: each argument's own bytes, ref arguments replaced by `values`. */
function assembleArgs (args: ArgSpec[], values: Map<string, Uint8Array>): Uint8Array {
  return concat([cborHead(4, args.length), ...args.map(a => a.kind === 'value' ? a.bytes : values.get(a.id)!)])
}

/** The CBOR head of major type `major` (2 bytes, 4 array) with length `n` (< 2^32). */
export function cborHead (major: number, n: number): Uint8Array {
  const m = major << 5
  if (n < 24) return Uint8Array.of(m | n)
  if (n < 0x100) return Uint8Array.of(m | 24, n)
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff)
  return Uint8Array.of(m | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

function concat (parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.byteLength
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}


