// The worker pool: a fixed set of worker threads running component calls, with warm instances,
// actors pinned to workers, per-call timeouts (terminate + respawn) and memory limits.
// Over 500 lines: one class whose parts (dispatch, calls sent ahead, host calls, inline runs,
// lending) share the slots' state; split, each part would reach into the others' fields.
import os from 'node:os'
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads'
import { randomUUID } from 'node:crypto'
import { guestWorkerEnv } from './worker-env.js'
import type { CompiledComponent, Manifest } from '../component/interface.js'
import { deserializeError } from '../errors/index.js'
import {
  ActorDiedError, CallNotStartedError, GuestOutOfMemoryError, PoolStoppedError, TaskCancelledError, TaskTimeoutError, WorkerCrashedError
} from './errors.js'
import type { ActorRef, AheadOptions, CallOptions, CancelSignal, CollectiveCall, ExecPool, ExecPoolInit, HostContext, HostServices, InlineRun, PoolStats } from './interface.js'
import { workerScript } from './worker-script.js'
import { noteDigest } from './digests.js'
import { unpackDelta, type SnapshotDelta } from './snapshot.js'
import { DEFAULT_ADDON_PATH } from '../gpu/native.js'
import type { ComponentPayload, FromWorker, HostOp, HostReply, ToWorker, WorkerInit } from './protocol.js'

type Request = DistributiveOmit<Exclude<ToWorker, { type: 'actor-batch' }>, 'id' | 'component'> & { component?: CompiledComponent }
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

interface Job {
  request: Request
  resolve: (value: unknown) => void
  reject: (err: Error) => void
  timeoutMs?: number
  signal?: CancelSignal
  onAbort?: () => void
  /** Actor jobs run on the worker that holds the actor. */
  slot?: Slot
  /** What to say if this job's worker has to be replaced while it runs. */
  actorId?: string
  tag?: string
  transferArgs?: boolean
  /** A durable actor's call: told what changed in its instance before it settles. */
  onSnapshot?: (delta: SnapshotDelta) => void
  /** See CallOptions.handoff. */
  handoff?: string
  /** A call sent ahead: told when it starts, or when it is taken back (see ExecPool.callAhead). */
  started?: (after: string | undefined) => void
  returned?: () => void
}

interface Slot {
  kind: 'task' | 'actor'
  index: number
  worker: Worker
  ready: Promise<void>
  signal: Int32Array
  hostPort: MessagePort
  loaded: Set<string>
  actors: Set<string>
  pinned: Job[]
  running?: { job: Job, id: number, timer?: NodeJS.Timeout, sentCid?: string }
  /**
   * Actor workers: calls sent with the running one (one message for a burst of one actor's
   * calls), in order; each becomes the running one when the one before it is answered.
   */
  batch: Array<{ job: Job, id: number }>
  /**
   * Task workers: a call sent ahead (ExecPool.callAhead), to start when the running one ends;
   * `token` is what the worker claims in its cell of the signal; `cancelled`: its signal fired after it started
   * in the worker, before the pool heard the call ahead of it end.
   */
  ahead?: { job: Job, id: number, token: number, cancelled: boolean }
  /** Calls sent ahead to this worker so far (their tokens' source). */
  aheadSeq: number
  memoryBytes: number
  /** Set when the pool replaces this worker on purpose (timeout, cancel, stop). */
  retiring: boolean
  /** The worker waits on the main thread (a nested get): it holds no CPU while it does. */
  blocked: boolean
  /** An extra worker still starting up. */
  starting: boolean
  /** Tasks running inline in this worker, by tag. */
  inline: Map<string, { resolve: (value: Uint8Array) => void, reject: (err: Error) => void }>
  /**
   * Actor workers: calls of other actors of this worker run inside it while the actor whose call
   * holds it waits in a get (innermost last), so an actor waiting for another one here cannot
   * deadlock the worker.
   */
  lent: Array<{ job: Job, id: number, timer?: NodeJS.Timeout }>
  /** Actor workers: whether the guest at each lending depth waits in a get/wait and may lend its thread. */
  waiting: boolean[]
  /** Actor workers: replies to host calls at a depth, held until the runs lent above it are done. */
  held: Map<number, HostReply>
  /** When the worker last finished a job (for letting extra workers go). */
  idleSince: number
}


/** Cap on a task worker's JavaScript heap (the glue, argument copies), in MiB. */
const DEFAULT_WORKER_HEAP_MB = 512
/**
 * The same for an actor worker, which keeps the glue of every actor it holds: ~57 KB per
 * AssemblyScript actor, ~250 KB per QuickJS one, so 512 MiB held at most ~9k, resp. ~2k. V8 also
 * grows a heap capped under 2 GiB in smaller steps: with 10k AS actors on 2 actor workers, 15
 * mark-compacts per worker at 512 MiB against 6–7 at 2048 (--trace-gc), ~2.5 s less GC per worker.
 */
const DEFAULT_ACTOR_WORKER_HEAP_MB = 2048

/** Most calls of one actor sent to its worker in one message, and the most argument bytes after the first. */
const MAX_BATCH_CALLS = 32
const MAX_BATCH_BYTES = 1 << 20

/** A prewarm that runs longer than this is stopped (its worker replaced): a guest's describe is quick. */
const PREWARM_TIMEOUT_MS = 30_000

const unsupported = (what: string): Promise<never> =>
  Promise.reject(Object.assign(new Error(`${what} is not available on this host`), { kind: 'unsupported' }))

/** A worker's flags: none, or `--cpu-prof` into `dir` (an absolute path; anything else is refused). */
export function workerProfArgs (dir: string | undefined): string[] {
  if (dir === undefined || dir === '') return []
  if (!dir.startsWith('/')) throw new TypeError(`FABRIC_WORKER_PROF_DIR must be an absolute path, got ${JSON.stringify(dir)}`)
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`]
}

function defaultLog (level: string, message: string, ctx: HostContext): void {
  if (level === 'warn' || level === 'error') process.stderr.write(`[guest ${ctx.cid.slice(-8)} ${level}] ${message}\n`)
}

class WorkerPool implements ExecPool {
  private readonly size: number
  private readonly heapMb: number
  private readonly actorHeapMb: number
  private readonly budgetBytes: number
  private readonly defaultTimeoutMs?: number
  private readonly host: HostServices
  private readonly cacheDir?: string
  private script?: URL
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private readonly actorHomes = new Map<string, Slot>()
  /** Workers that hold actors; tasks never run there, so a task's timeout cannot kill an actor. */
  private readonly actorWorkers: Slot[] = []
  private readonly maxActorWorkers: number
  private readonly maxExtraWorkers: number
  private nextId = 1
  /** Jobs submitted and not yet settled: while any exist, the workers keep the process alive. */
  private outstanding = 0
  private workersRefd = false
  private unrefScheduled = false
  private respawns = 0
  private sentAhead = 0
  private takenBack = 0
  private state: 'new' | 'running' | 'stopped' = 'new'

  constructor (init: ExecPoolInit = {}) {
    this.size = Math.max(1, Math.floor(init.workers ?? os.availableParallelism()))
    this.heapMb = init.workerHeapMb ?? DEFAULT_WORKER_HEAP_MB
    this.actorHeapMb = init.workerHeapMb ?? DEFAULT_ACTOR_WORKER_HEAP_MB
    this.budgetBytes = Math.floor(((init.processMemoryLimitMb ?? 2048) * 1024 * 1024) / this.size)
    this.maxActorWorkers = Math.max(1, Math.floor(init.actorWorkers ?? this.size))
    this.maxExtraWorkers = Math.max(0, Math.floor(init.maxExtraWorkers ?? 64))
    this.defaultTimeoutMs = init.defaultTimeoutMs
    this.host = init.host ?? {}
    this.cacheDir = init.cacheDir
  }

  async start (): Promise<void> {
    if (this.state === 'running') return
    if (this.state === 'stopped') throw new PoolStoppedError('a stopped pool cannot be restarted: create a new one')
    this.state = 'running'
    this.script = await workerScript(new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url), this.cacheDir)
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn('task', i))
    await Promise.all(this.slots.map(s => s.ready))
  }

  async stop (): Promise<void> {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    const err = new PoolStoppedError()
    for (const job of this.queue.splice(0)) this.settle(job, err)
    const exits: Array<Promise<number>> = []
    for (const slot of [...this.slots, ...this.actorWorkers]) {
      slot.retiring = true
      for (const job of slot.pinned.splice(0)) this.settle(job, err)
      if (slot.running !== undefined) this.finish(slot, err)
      for (const b of slot.batch.splice(0)) this.settle(b.job, err)
      this.dropAhead(slot, err)
      this.settleLent(slot, err)
      for (const w of slot.inline.values()) w.reject(err)
      slot.inline.clear()
      slot.hostPort.close()
      // An unref'd worker would let the process exit before its termination completes.
      slot.worker.ref()
      exits.push(slot.worker.terminate())
    }
    this.actorHomes.clear()
    if (this.trimmer !== undefined) clearInterval(this.trimmer)
    this.trimmer = undefined
    await Promise.allSettled(exits)
  }

  stats (): PoolStats {
    return {
      workers: this.slots.length,
      actorWorkers: this.actorWorkers.length,
      busy: this.slots.filter(s => s.running !== undefined).length,
      queued: this.queue.length + [...this.slots, ...this.actorWorkers].reduce((n, s) => n + s.pinned.length + s.batch.length + (s.ahead === undefined ? 0 : 1), 0),
      actors: this.actorHomes.size,
      respawns: this.respawns,
      sentAhead: this.sentAhead,
      takenBack: this.takenBack,
      memoryBytes: [...this.slots, ...this.actorWorkers].reduce((n, s) => n + s.memoryBytes, 0)
    }
  }

  async describe (component: CompiledComponent): Promise<Manifest> {
    return await this.submit({ type: 'describe', component }, {}) as Manifest
  }

  async prewarm (components: ReadonlyArray<Omit<CompiledComponent, 'size'>>): Promise<string[]> {
    this.assertRunning()
    const runs: Array<Promise<string>> = []
    // Idle workers only: a busy one would make the prewarm wait behind real work (which warms it anyway).
    for (const slot of this.slots) {
      if (slot.retiring || slot.running !== undefined || slot.blocked) continue
      for (const c of components) {
        const component = { ...c, size: 0 } satisfies CompiledComponent
        runs.push(this.submit({ type: 'prewarm', component }, { timeoutMs: PREWARM_TIMEOUT_MS }, slot).then(() => c.cid))
      }
    }
    const readied = new Set<string>()
    for (const r of await Promise.allSettled(runs)) if (r.status === 'fulfilled') readied.add(r.value)
    return components.map(c => c.cid).filter(cid => readied.has(cid))
  }

  async call (component: CompiledComponent, name: string, args: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    return await this.submit({ type: 'call', component, name, args, gpu: options.gpu }, options) as Uint8Array
  }

  async createActor (component: CompiledComponent, cls: string, args: Uint8Array, options: CallOptions = {}): Promise<ActorRef> {
    this.assertRunning()
    const actorId = randomUUID()
    // Starting an actor worker is work in progress: it keeps the process alive like a call.
    this.outstanding++
    this.holdProcess()
    try {
      const slot = this.actorWorker()
      // Counted on its worker before the worker is ready: actors created at once spread over the workers.
      this.actorHomes.set(actorId, slot)
      slot.actors.add(actorId)
      try {
        await slot.ready
        await this.submit({ type: 'actor-create', component, actorId, cls, args, gpu: options.gpu, durable: options.durable, restore: options.restore }, options, slot, actorId)
      } catch (err) {
        this.forgetActor(actorId)
        throw err
      }
    } finally {
      if (--this.outstanding === 0) this.releaseProcessSoon()
    }
    return { actorId, cid: component.cid, cls }
  }

  async invoke (actor: ActorRef, method: string, args: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    const slot = this.actorHomes.get(actor.actorId)
    if (slot === undefined) throw new ActorDiedError(`actor ${actor.cls} (${actor.actorId}) is not alive: it was destroyed or its worker was replaced`)
    try {
      return await this.submit({ type: 'actor-invoke', actorId: actor.actorId, method, args, snapshot: options.snapshot !== undefined }, options, slot, actor.actorId) as Uint8Array
    } catch (err) {
      // A trap or timeout ends the actor's instance: later calls must say so.
      if ((err as Error).name === 'GuestTrapError' || (err as Error).name === 'GuestOutOfMemoryError' || (err as Error).name === 'TaskTimeoutError') this.forgetActor(actor.actorId)
      throw err
    }
  }

  async destroyActor (actor: ActorRef): Promise<void> {
    const slot = this.actorHomes.get(actor.actorId)
    if (slot === undefined) return
    this.forgetActor(actor.actorId)
    await this.submit({ type: 'actor-drop', actorId: actor.actorId }, {}, slot)
  }

  /** The actor worker for a new actor: a new one while under the limit, else the least loaded (it may still be starting). */
  private actorWorker (): Slot {
    let emptiest: Slot | undefined
    for (const s of this.actorWorkers) {
      if (s.retiring) continue
      if (emptiest === undefined || s.actors.size < emptiest.actors.size || (s.actors.size === emptiest.actors.size && s.pinned.length < emptiest.pinned.length)) emptiest = s
    }
    if (emptiest !== undefined && (emptiest.actors.size === 0 || this.actorWorkers.length >= this.maxActorWorkers)) return emptiest
    const slot = this.spawn('actor', this.actorWorkers.length)
    this.actorWorkers.push(slot)
    return slot
  }

  private forgetActor (actorId: string): void {
    const slot = this.actorHomes.get(actorId)
    this.actorHomes.delete(actorId)
    slot?.actors.delete(actorId)
  }

  private assertRunning (): void {
    if (this.state !== 'running') throw new PoolStoppedError(this.state === 'new' ? 'the worker pool is not started: call start() first' : undefined)
  }

  private submit (request: Request, options: CallOptions, slot?: Slot, actorId?: string): Promise<unknown> {
    this.assertRunning()
    return new Promise((resolve, reject) => {
      this.outstanding++
      this.holdProcess()
      const job: Job = { request, resolve, reject, timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs, signal: options.signal, slot, actorId, tag: options.tag, transferArgs: options.transferArgs, onSnapshot: options.snapshot, handoff: options.handoff }
      if (job.signal !== undefined) {
        if (job.signal.aborted) {
          this.settle(job, new TaskCancelledError())
          return
        }
        job.onAbort = () => this.cancel(job)
        job.signal.addEventListener('abort', job.onAbort, { once: true })
      }
      if (slot !== undefined) slot.pinned.push(job)
      else this.queue.push(job)
      this.dispatch()
    })
  }

  private cancel (job: Job): void {
    const err = new TaskCancelledError()
    const queue = job.slot?.pinned ?? this.queue
    const at = queue.indexOf(job)
    if (at >= 0) {
      queue.splice(at, 1)
      this.settle(job, err)
      return
    }
    const behind = this.slots.find(s => s.ahead?.job === job)
    if (behind !== undefined) {
      // Started in the worker already: stopped (the worker replaced) once the pool hears the call
      // ahead of it end, which must not fail with it.
      if (!this.takeBack(behind, err)) behind.ahead!.cancelled = true
      return
    }
    const slot = [...this.slots, ...this.actorWorkers].find(s => s.running?.job === job || s.lent.some(l => l.job === job))
    if (slot !== undefined) this.replace(slot, err)
  }

  // A pool keeps the process alive only while it has work: a driver that forgets stop() still
  // exits when it is done. Toggling refs on every call costs more than a call, so the release is
  // checked at most every 20–50 ms (an unref'd timer: it never holds the process itself).
  private holdProcess (): void {
    if (this.workersRefd) return
    this.workersRefd = true
    for (const s of [...this.slots, ...this.actorWorkers]) s.worker.ref()
  }

  private releaseProcessSoon (): void {
    if (this.unrefScheduled) return
    this.unrefScheduled = true
    const check = (): void => {
      if (this.state === 'stopped') return // stop() holds the workers until they are gone
      if (this.outstanding > 0) {
        setTimeout(check, 50).unref()
        return
      }
      this.unrefScheduled = false
      if (!this.workersRefd) return
      this.workersRefd = false
      for (const s of [...this.slots, ...this.actorWorkers]) if (!s.starting) s.worker.unref()
    }
    setTimeout(check, 20).unref()
  }

  /**
   * While task workers are blocked on nested work, run up to that many extra workers so the pool
   * keeps `workers` threads computing (bounded by `maxExtraWorkers`).
   */
  private growForBlocked (): void {
    let blocked = 0
    let starting = 0
    for (const s of this.slots) {
      if (s.blocked) blocked++
      if (s.starting) starting++
    }
    const live = this.slots.filter(s => !s.retiring).length
    if (starting > 0 || blocked === 0) return
    if (live >= this.size + Math.min(blocked, this.maxExtraWorkers)) return
    const slot = this.spawn('task', this.slots.length)
    this.slots.push(slot)
    slot.ready.then(() => { slot.starting = false; this.dispatch() }, () => {})
    this.ensureTrimmer()
  }

  // Extra workers that sit idle while nothing is blocked are let go after a second.
  private trimmer?: NodeJS.Timeout
  private ensureTrimmer (): void {
    if (this.trimmer !== undefined) return
    this.trimmer = setInterval(() => {
      const blocked = this.slots.filter(s => s.blocked).length
      let excess = this.slots.filter(s => !s.retiring).length - (this.size + blocked)
      for (const s of [...this.slots].reverse()) {
        if (excess <= 0) break
        if (s.running !== undefined || s.retiring || s.starting || s.actors.size > 0 || s.pinned.length > 0 || performance.now() - s.idleSince < 1000) continue
        s.retiring = true
        s.hostPort.close()
        void s.worker.terminate()
        this.slots.splice(this.slots.indexOf(s), 1)
        excess--
      }
      if (this.slots.length <= this.size) {
        clearInterval(this.trimmer)
        this.trimmer = undefined
      }
    }, 250)
    this.trimmer.unref()
  }

  /** Hand queued work to idle workers: pinned (actor, prewarm) work first, then the shared queue. */
  private dispatch (): void {
    if (this.state !== 'running') return
    for (const slot of this.slots) {
      if (slot.retiring || slot.running !== undefined || slot.pinned.length === 0) continue
      this.run(slot, slot.pinned.shift()!)
    }
    for (const slot of this.actorWorkers) {
      if (slot.retiring) continue
      if (slot.running !== undefined) {
        this.lend(slot)
        continue
      }
      const job = slot.pinned.shift()
      if (job !== undefined) this.run(slot, job)
    }
    while (this.queue.length > 0) {
      const head = this.queue[0]!.request.component
      const cid = head === undefined ? undefined : componentKey(head)
      // Prefer an idle worker that already has this component warm.
      let slot: Slot | undefined
      for (const s of this.slots) {
        if (s.running !== undefined || s.retiring) continue
        if (slot === undefined) slot = s
        if (cid !== undefined && s.loaded.has(cid)) {
          slot = s
          break
        }
      }
      if (slot === undefined) {
        this.growForBlocked()
        return
      }
      this.run(slot, this.queue.shift()!)
    }
    // A task worker with nothing to do while calls wait behind busy ones: those go back to their
    // caller, to run here (a long call ahead of them would hold them for its whole run).
    let idle = false
    let waiting = false
    for (const s of this.slots) {
      if (s.retiring || s.starting) continue
      if (s.running === undefined) idle = true
      else if (s.ahead !== undefined) waiting = true
    }
    if (idle && waiting) for (const s of this.slots) this.takeBack(s, new CallNotStartedError('a worker fell idle: the call sent ahead goes back to run there'))
  }

  aheadRoom (): string | undefined {
    if (this.state !== 'running' || this.queue.length > 0) return undefined
    let key: string | undefined
    for (const s of this.slots) {
      if (s.retiring || s.starting) continue
      const running = s.running
      if (running === undefined) return undefined
      if (key === undefined && s.ahead === undefined && !s.blocked && s.inline.size === 0 && running.job.handoff !== undefined) key = running.job.handoff
    }
    return key
  }

  callAhead (component: CompiledComponent, name: string, args: Uint8Array, options: AheadOptions): Promise<Uint8Array> | undefined {
    if (this.aheadRoom() === undefined) return undefined
    const key = componentKey(component)
    const slot = this.slots.find(s => !s.retiring && !s.starting && s.running?.job.handoff === options.handoff && s.ahead === undefined && !s.blocked && s.inline.size === 0 && s.loaded.has(key))
    if (slot === undefined || options.signal?.aborted === true) return undefined
    const cell = freeAheadCell(slot.signal)
    if (cell === undefined) return undefined
    return new Promise<unknown>((resolve, reject) => {
      this.outstanding++
      this.holdProcess()
      const request: Request = { type: 'call', component, name, args, gpu: options.gpu }
      const job: Job = { request, resolve, reject, timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs, signal: options.signal, tag: options.tag, transferArgs: options.transferArgs, handoff: options.handoff, started: options.started, returned: options.returned }
      if (job.signal !== undefined) {
        job.onAbort = () => this.cancel(job)
        job.signal.addEventListener('abort', job.onAbort, { once: true })
      }
      const id = this.nextId++
      let seq = slot.aheadSeq + 1
      if (aheadCell(aheadToken(seq)) !== cell) seq++
      slot.aheadSeq = seq
      const token = aheadToken(seq)
      slot.ahead = { job, id, token, cancelled: false }
      this.sentAhead++
      Atomics.store(slot.signal, aheadCell(token), token)
      const msg = toWorker(request, id, key) as Extract<ToWorker, { type: 'call' }>
      msg.ahead = token
      const transfer = job.transferArgs === true && args.byteLength >= 65536 && args.byteOffset === 0 &&
        args.byteLength === args.buffer.byteLength && args.buffer instanceof ArrayBuffer
      slot.worker.postMessage(msg, transfer ? [args.buffer as ArrayBuffer] : undefined)
    }) as Promise<Uint8Array>
  }

  /**
   * Take back the call sent ahead to `slot`, failing it with `err`: true when it had not started
   * (or there was none), false when the worker has claimed it.
   */
  private takeBack (slot: Slot, err: Error): boolean {
    const a = slot.ahead
    if (a === undefined) return true
    if (Atomics.compareExchange(slot.signal, aheadCell(a.token), a.token, 0) !== a.token) return false
    slot.ahead = undefined
    this.takenBack++
    if (err instanceof CallNotStartedError) a.job.returned?.()
    this.settle(a.job, err)
    return true
  }

  /** The worker goes: its call sent ahead fails, as not started if it had not. */
  private dropAhead (slot: Slot, reason: Error): void {
    const a = slot.ahead
    if (a === undefined) return
    if (this.takeBack(slot, new CallNotStartedError(`its worker was replaced before it started: ${reason.message}`, { cause: reason }))) return
    slot.ahead = undefined
    this.settle(a.job, reason instanceof PoolStoppedError ? reason : new WorkerCrashedError(`the worker was replaced as the call sent ahead to it started: ${reason.message}`, { cause: reason }))
  }

  private run (slot: Slot, job: Job): void {
    const id = this.nextId++
    const component = job.request.component
    let ref: ComponentPayload | string | undefined
    if (component !== undefined) {
      const key = componentKey(component)
      if (slot.loaded.has(key)) {
        ref = key
      } else {
        ref = { key, cid: component.cid, jsUrl: component.jsUrl, modules: component.modules, maxMemoryPages: component.maxMemoryPages }
        slot.loaded.add(key)
      }
    }
    const msg = toWorker(job.request, id, ref)
    slot.running = { job, id, sentCid: ref !== undefined && typeof ref !== 'string' ? ref.key : undefined }
    this.armTimeout(slot, slot.running)
    // The same actor's next queued calls go with it, in one message (see Slot.batch).
    if (msg.type === 'actor-invoke' && this.gatherBatch(slot, msg.actorId)) {
      slot.worker.postMessage({ type: 'actor-batch', id, calls: [msg, ...slot.batch.map(b => toWorker(b.job.request, b.id, undefined))] })
      return
    }
    // Large arguments move to the worker instead of being copied (the caller built them for this
    // call: see CallOptions.transferArgs).
    const args = (msg as { args?: Uint8Array }).args
    const transfer = job.transferArgs === true && args !== undefined && args.byteLength >= 65536 &&
      args.byteOffset === 0 && args.byteLength === args.buffer.byteLength && args.buffer instanceof ArrayBuffer
    slot.worker.postMessage(msg, transfer ? [args.buffer as ArrayBuffer] : undefined)
  }

  /** The running job's timeout: past it, the worker is replaced. */
  private armTimeout (slot: Slot, running: NonNullable<Slot['running']>): void {
    const { job } = running
    if (job.timeoutMs === undefined || !Number.isFinite(job.timeoutMs)) return
    const ms = job.timeoutMs
    running.timer = setTimeout(() => {
      this.replace(slot, new TaskTimeoutError(`${describeRequest(job.request)} ran past its timeout of ${ms} ms: the worker was terminated and replaced`))
    }, ms)
  }

  /**
   * Move the calls of actor `actorId` at the head of `slot`'s queue into its batch (at most
   * MAX_BATCH_CALLS in all, and MAX_BATCH_BYTES of arguments); whether any went. A call that can
   * be cancelled stays queued: once sent, a call can only be stopped by replacing the worker.
   */
  private gatherBatch (slot: Slot, actorId: string): boolean {
    let bytes = 0
    while (slot.batch.length + 1 < MAX_BATCH_CALLS) {
      const next = slot.pinned[0]
      if (next === undefined || next.request.type !== 'actor-invoke' || next.request.actorId !== actorId || next.signal !== undefined) break
      bytes += next.request.args.byteLength
      if (bytes > MAX_BATCH_BYTES && slot.batch.length > 0) break
      slot.batch.push({ job: slot.pinned.shift()!, id: this.nextId++ })
    }
    return slot.batch.length > 0
  }

  /** Settle the running job of `slot`; the next call of its batch runs now, or the slot is free. */
  private finish (slot: Slot, outcome: Error | { value: unknown }): void {
    const running = slot.running
    if (running === undefined) return
    slot.running = undefined
    slot.idleSince = performance.now()
    if (running.timer !== undefined) clearTimeout(running.timer)
    const next = slot.retiring ? undefined : slot.batch.shift()
    if (next !== undefined) {
      slot.running = { job: next.job, id: next.id }
      this.armTimeout(slot, slot.running)
    }
    // The call sent ahead runs now (the worker claims it next), unless the pool took it back.
    const ahead = slot.retiring ? undefined : slot.ahead
    if (ahead !== undefined) {
      slot.ahead = undefined
      slot.running = { job: ahead.job, id: ahead.id }
      this.armTimeout(slot, slot.running)
      ahead.job.started?.(running.job.tag)
    }
    this.settle(running.job, outcome)
    if (ahead?.cancelled === true) this.replace(slot, new TaskCancelledError())
  }

  private settle (job: Job, outcome: Error | { value: unknown }): void {
    if (--this.outstanding === 0) this.releaseProcessSoon()
    if (job.onAbort !== undefined) job.signal?.removeEventListener('abort', job.onAbort)
    if (outcome instanceof Error) job.reject(outcome)
    else job.resolve(outcome.value)
  }

  /**
   * Terminate a worker on purpose (timeout, cancel) and put a fresh one in its place. The running
   * job fails with `reason`; the worker's actors die with it.
   */
  private replace (slot: Slot, reason: Error): void {
    if (slot.retiring) return
    slot.retiring = true
    this.finish(slot, reason)
    this.dropAhead(slot, reason)
    this.settleLent(slot, reason)
    this.killActors(slot, reason)
    // Tasks run inline there did nothing wrong: they may run again elsewhere.
    const lost = new WorkerCrashedError(`the worker running this task inline was replaced: ${reason.message}`, { cause: reason })
    for (const w of slot.inline.values()) w.reject(lost)
    slot.inline.clear()
    slot.hostPort.close()
    void slot.worker.terminate()
    if (this.state !== 'running') return
    this.respawns++
    const list = slot.kind === 'task' ? this.slots : this.actorWorkers
    const at = list.indexOf(slot)
    if (at < 0) return // an extra worker that was already let go
    const fresh = this.spawn(slot.kind, slot.index)
    list[at] = fresh
    fresh.ready.then(() => this.dispatch(), () => {})
  }

  private killActors (slot: Slot, reason: Error): void {
    for (const actorId of slot.actors) this.actorHomes.delete(actorId)
    const died = new ActorDiedError(`actor's worker was replaced: ${reason.message}`, { cause: reason })
    for (const b of slot.batch.splice(0)) this.settle(b.job, died)
    for (const job of slot.pinned.splice(0)) this.settle(job, died)
    slot.actors.clear()
  }

  private spawn (kind: Slot['kind'], index: number): Slot {
    const signal = new SharedArrayBuffer(12)
    const channel = new MessageChannel()
    const init: WorkerInit = { signal, hostPort: channel.port2, memoryBudgetBytes: this.budgetBytes, gpuAddonPath: DEFAULT_ADDON_PATH }
    const worker = new Worker(this.script!, {
      workerData: init,
      transferList: [channel.port2],
      // Workers need no loader: the script is plain JS. The parent's flags (a TypeScript loader,
      // inspector ports) would only slow them down or clash. FABRIC_WORKER_PROF_DIR: each worker
      // writes a CPU profile there when it ends (what `node --cpu-prof` does not reach).
      execArgv: workerProfArgs(process.env.FABRIC_WORKER_PROF_DIR),
      // Guest glue sees only the variables the worker's own code reads (see guestWorkerEnv).
      env: guestWorkerEnv(process.env),
      resourceLimits: { maxOldGenerationSizeMb: kind === 'actor' ? this.actorHeapMb : this.heapMb },
      stdout: false,
      stderr: false
    })
    let markReady!: () => void
    let markFailed!: (err: Error) => void
    const ready = new Promise<void>((resolve, reject) => { markReady = resolve; markFailed = reject })
    ready.catch(() => {})
    const slot: Slot = {
      kind,
      index, worker, ready, signal: new Int32Array(signal), hostPort: channel.port1, loaded: new Set(), actors: new Set(), pinned: [], batch: [], aheadSeq: 0, memoryBytes: 0, retiring: false, blocked: false, starting: true, idleSince: performance.now(), inline: new Map(),
      lent: [], waiting: [], held: new Map()
    }
    worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg, markReady))
    worker.on('error', (err: Error & { code?: string }) => {
      markFailed(err)
      this.onWorkerDied(slot, err)
    })
    worker.on('exit', (code) => {
      markFailed(new WorkerCrashedError(`worker exited with code ${code} before it was ready`))
      this.onWorkerDied(slot, new WorkerCrashedError(`worker exited unexpectedly with code ${code}`))
    })
    // A worker keeps the process alive only while it starts or runs something: a driver that
    // forgets stop() still exits once its work is done.
    ready.then(() => {
      slot.starting = false
      if (!this.workersRefd) worker.unref()
    }, () => {})
    return slot
  }

  private onWorkerDied (slot: Slot, err: Error & { code?: string }): void {
    if (slot.retiring || this.state !== 'running') return
    const reason = err.code === 'ERR_WORKER_OUT_OF_MEMORY'
      ? new GuestOutOfMemoryError(`the worker's JavaScript heap passed its limit of ${slot.kind === 'actor' ? this.actorHeapMb : this.heapMb} MiB; the worker was replaced`, { cause: err })
      : err instanceof WorkerCrashedError ? err : new WorkerCrashedError(`worker died: ${err.message}`, { cause: err })
    this.replace(slot, reason)
  }

  private onMessage (slot: Slot, msg: FromWorker, markReady: () => void): void {
    switch (msg.type) {
      case 'ready':
        markReady()
        return
      case 'done':
      case 'failed': {
        if (slot.running?.id !== msg.id) {
          this.lentDone(slot, msg)
          return
        }
        slot.memoryBytes = msg.memoryBytes
        // A failed first call may mean the worker could not load the component: send it again next time.
        if (msg.type === 'failed' && slot.running.sentCid !== undefined) slot.loaded.delete(slot.running.sentCid)
        if (msg.type === 'done' && msg.digest !== undefined && msg.value instanceof Uint8Array) noteDigest(msg.value, msg.digest)
        if (msg.snapshot !== undefined) slot.running.job.onSnapshot?.(unpackDelta(msg.snapshot))
        this.finish(slot, msg.type === 'done' ? { value: msg.value } : deserializeError(msg.error))
        this.dispatch()
        return
      }
      case 'log':
        (this.host.log ?? defaultLog)(msg.level, msg.message, { cid: msg.cid, tag: slot.running?.job.tag })
        return
      case 'host': {
        const ctx: HostContext = { cid: msg.cid, tag: msg.tag ?? slot.running?.job.tag }
        if (slot.kind === 'task') ctx.inline = (run) => this.sendInline(slot, run)
        void this.serveHost(slot, msg.op, msg.args, ctx)
        return
      }
      case 'inline-done': {
        const waiter = slot.inline.get(msg.tag)
        if (waiter === undefined) return
        slot.inline.delete(msg.tag)
        slot.blocked = true // back to waiting for the reply of its own host call
        if (msg.ok) waiter.resolve(msg.value)
        else waiter.reject(deserializeError(msg.error))
      }
    }
  }

  /** Hand a task to a worker whose guest waits in a host call (see HostContext.inline). */
  private sendInline (slot: Slot, run: InlineRun): Promise<Uint8Array> | undefined {
    const key = componentKey(run.component)
    if (slot.retiring || !slot.loaded.has(key) || slot.inline.has(run.tag)) return undefined
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.inline.set(run.tag, { resolve, reject })
      slot.blocked = false // computing again, on the waiting guest's thread
      const reply: HostReply = { ok: true, inline: { tag: run.tag, key, name: run.name, args: run.args } }
      slot.hostPort.postMessage(reply)
      Atomics.store(slot.signal, 0, 1)
      Atomics.notify(slot.signal, 0)
    })
  }

  /** Run a host import on the main thread, then wake the worker that waits for it. */
  private async serveHost (slot: Slot, op: HostOp, args: unknown[], ctx: HostContext): Promise<void> {
    // A worker waiting for other work (a nested get) gives up its place: another worker may run
    // meanwhile, or a task waiting on its own children would deadlock a full pool. Unless the
    // host hands it the awaited task to run inline, which it decides as the call starts.
    const waits = op === 'objects.get' || op === 'tasks.get' || op === 'tasks.wait' || op === 'collective'
    if (waits && slot.kind === 'task') {
      slot.blocked = true
      // What waits behind it might be what it waits for.
      if (slot.ahead !== undefined) this.takeBack(slot, new CallNotStartedError('the call ahead of it blocked in a host call'))
    }
    // An actor's worker waiting for other work runs its other actors' calls meanwhile (see lend).
    const depth = slot.lent.length
    if (waits && slot.kind === 'actor') {
      slot.waiting[depth] = true
      this.lend(slot)
    }
    this.host.onBlocked?.(true, ctx)
    let reply: HostReply
    try {
      const answer = this.hostOp(op, args, ctx)
      if (slot.blocked) this.dispatch()
      reply = { ok: true, value: await answer }
    } catch (err) {
      const e = err as { kind?: unknown, message?: unknown, retryable?: unknown }
      reply = {
        ok: false,
        error: {
          kind: typeof e?.kind === 'string' ? e.kind : 'host-error',
          message: typeof e?.message === 'string' ? e.message : String(err),
          retryable: e?.retryable === true
        }
      }
    } finally {
      slot.blocked = false
      this.host.onBlocked?.(false, ctx)
    }
    if (slot.retiring) return
    if (slot.kind === 'actor') {
      slot.waiting[depth] = false
      // The worker runs a lent call above this one: the reply waits until that call is done.
      if (slot.lent.length > depth) {
        slot.held.set(depth, reply)
        return
      }
    }
    this.wake(slot, reply)
  }

  private wake (slot: Slot, reply: HostReply): void {
    slot.hostPort.postMessage(reply)
    Atomics.store(slot.signal, 0, 1)
    Atomics.notify(slot.signal, 0)
  }

  /**
   * An actor worker whose innermost guest waits in a get: hand it the next call of another of its
   * actors, to run now inside that wait (each actor has its own instance, so none is re-entered).
   * Calls of one actor keep their order: only an actor's first queued job may go, and never one of
   * an actor that is running below.
   */
  private lend (slot: Slot): void {
    const depth = slot.lent.length
    if (slot.kind !== 'actor' || slot.retiring || slot.running === undefined || slot.waiting[depth] !== true) return
    const busy = new Set([slot.running.job.actorId, ...slot.lent.map(l => l.job.actorId)])
    const seen = new Set<string | undefined>()
    const at = slot.pinned.findIndex(j => {
      const first = !seen.has(j.actorId)
      seen.add(j.actorId)
      return first && j.request.type === 'actor-invoke' && !busy.has(j.actorId)
    })
    if (at < 0) return
    const job = slot.pinned.splice(at, 1)[0]!
    const request = job.request as Extract<Request, { type: 'actor-invoke' }>
    slot.waiting[depth] = false
    slot.waiting[depth + 1] = false
    const entry: Slot['lent'][number] = { job, id: this.nextId++ }
    if (job.timeoutMs !== undefined && Number.isFinite(job.timeoutMs)) {
      const ms = job.timeoutMs
      entry.timer = setTimeout(() => {
        this.replace(slot, new TaskTimeoutError(`${describeRequest(job.request)} ran past its timeout of ${ms} ms: the worker was terminated and replaced`))
      }, ms)
    }
    slot.lent.push(entry)
    this.wake(slot, { ok: true, actorRun: { id: entry.id, actorId: request.actorId, method: request.method, args: request.args, tag: job.tag, snapshot: request.snapshot } })
  }

  /** A lent call is done: settle it, then the guest below it waits again (or gets its held reply). */
  private lentDone (slot: Slot, msg: Extract<FromWorker, { type: 'done' | 'failed' }>): void {
    const top = slot.lent[slot.lent.length - 1]
    if (top === undefined || top.id !== msg.id) return
    slot.lent.pop()
    if (top.timer !== undefined) clearTimeout(top.timer)
    slot.memoryBytes = msg.memoryBytes
    if (msg.snapshot !== undefined) top.job.onSnapshot?.(unpackDelta(msg.snapshot))
    this.settle(top.job, msg.type === 'done' ? { value: msg.value } : deserializeError(msg.error))
    const depth = slot.lent.length
    const held = slot.held.get(depth)
    if (held !== undefined) {
      slot.held.delete(depth)
      this.wake(slot, held)
    } else {
      slot.waiting[depth] = true
    }
    this.dispatch()
  }

  private settleLent (slot: Slot, reason: Error): void {
    for (const l of slot.lent.splice(0)) {
      if (l.timer !== undefined) clearTimeout(l.timer)
      this.settle(l.job, reason)
    }
    slot.held.clear()
    slot.waiting = []
  }

  private async hostOp (op: HostOp, args: unknown[], ctx: HostContext): Promise<unknown> {
    const { objects, tasks, actors, collective } = this.host
    switch (op) {
      case 'collective': return collective === undefined ? unsupported('collectives') : collective(args[0] as CollectiveCall, ctx)
      case 'actors.call': return actors === undefined ? unsupported('calling actors from guests') : actors.call(args[0] as string, args[1] as string, args[2] as Uint8Array, args[3] as Uint8Array, ctx)
      case 'objects.get': return objects === undefined ? unsupported('objects.get') : objects.get(args[0] as string, ctx)
      case 'objects.put': return objects === undefined ? unsupported('objects.put') : objects.put(args[0] as Uint8Array, ctx)
      case 'tasks.submit': return tasks === undefined ? unsupported('tasks.submit') : tasks.submit(args[0] as string, args[1] as string, args[2] as Uint8Array, args[3] as Uint8Array, ctx)
      case 'tasks.get': return tasks === undefined ? unsupported('tasks.get') : tasks.get(args[0] as string, args[1] as number | undefined, ctx)
      case 'tasks.wait': return tasks === undefined ? unsupported('tasks.wait') : tasks.wait(args[0] as string[], args[1] as number, args[2] as number | undefined, ctx)
    }
  }
}

/**
 * The worker's message for a request: each field copied by name. (An object spread here made V8
 * keep ~450 B per task alive past scavenges: a million-task job's heap grew by ~400 MiB more.)
 */
function toWorker (r: Request, id: number, ref: ComponentPayload | string | undefined): ToWorker {
  const component = ref as ComponentPayload | string
  switch (r.type) {
    case 'call': return { type: 'call', id, component, name: r.name, args: r.args, gpu: r.gpu }
    case 'describe': return { type: 'describe', id, component }
    case 'prewarm': return { type: 'prewarm', id, component }
    case 'actor-create': return { type: 'actor-create', id, component, actorId: r.actorId, cls: r.cls, args: r.args, gpu: r.gpu, durable: r.durable, restore: r.restore }
    case 'actor-invoke': return { type: 'actor-invoke', id, actorId: r.actorId, method: r.method, args: r.args, snapshot: r.snapshot }
    case 'actor-drop': return { type: 'actor-drop', id, actorId: r.actorId }
  }
}

/**
 * The token of a worker's `seq`th call sent ahead: positive and larger than every one before it
 * (until it wraps, past a billion), so a stale message never finds its own token in a cell again.
 */
function aheadToken (seq: number): number {
  return (seq % 0x3ffffffe) + 1
}

/** The cell a token goes in: odd ones in [2], even ones in [1] (see WorkerInit.signal). */
function aheadCell (token: number): number {
  return 1 + (token & 1)
}

/**
 * A cell no call waits in (0: taken back or none; negative: claimed). A positive cell holds a call
 * the worker has yet to claim: the one sent ahead, or one the pool already counts as running
 * (it heard the call before it end; the worker has not reached it yet). There is at most one of
 * those when the pool sends another ahead, so one cell is always free; a cell is never reused
 * while its call may still be claimed.
 */
function freeAheadCell (signal: Int32Array): number | undefined {
  if (Atomics.load(signal, 1) <= 0) return 1
  if (Atomics.load(signal, 2) <= 0) return 2
  return undefined
}

function componentKey (c: CompiledComponent): string {
  return `${c.cid}:${c.maxMemoryPages}`
}

function describeRequest (r: Request): string {
  switch (r.type) {
    case 'call': return `task '${r.name}'`
    case 'actor-invoke': return `actor method '${r.method}'`
    case 'actor-create': return `actor '${r.cls}' constructor`
    default: return r.type
  }
}

/**
 * Create a worker pool. Call `start()` before use and `stop()` when done.
 *
 * @example
 * const pool = createExecPool({ workers: 2 })
 * await pool.start()
 * const out = await pool.call(component, 'add', encode([1, 2]), { timeoutMs: 1000 })
 * await pool.stop()
 */
export function createExecPool (init: ExecPoolInit = {}): ExecPool {
  return new WorkerPool(init)
}

