// A node's tasks from submission to result: argument refs resolved, queued by the local policy
// until their resources are free (or sent ahead to a busy worker, to start there on the resources
// of the task before them), run on the worker pool, retried, and settled (failures reach the
// tasks that depend on them).
import type { CompiledComponent } from '../component/index.js'
import { TaskCancelledError, takeDigest } from '../exec/index.js'
import { shapeKey } from '../scheduler/task-queue.js'
import { decode, encode, findRefs, mayHoldRefs } from '../objects/index.js'
import { shortfall, type Resources } from '../scheduler/resources.js'
import { holdsGpus, withoutCpus, withoutGroupKeys } from '../scheduler/placement.js'
import { DependencyFailedError, InfeasibleTaskError, RetriesExhaustedError } from './errors.js'
import { NONE, type RefEntry, type StoredValue } from './ref-table.js'
import { assembleArgs, cborHead, concat } from './call-args.js'
import { TaskCancel } from './task-cancel.js'
import { memoName } from './memo.js'
import { assertReadable, keepReadable } from './guest-access.js'
import { parseVectorisedName } from './vectorised-call.js'
import { describe, SYSTEM_RETRYABLE, type ActorRecord, type StreamReader, type TaskRecord } from './node-records.js'
import type { NodeCore } from './node-core.js'
import type { ArgSpec, ResolvedTaskOptions, TaskSubmission } from './interface.js'

/** The argument list of every task without arguments. */
const NO_ARGS: ArgSpec[] = Object.freeze([]) as unknown as ArgSpec[]

/** Runs the node's tasks: submit, queue, run, retry, finish and cancel. */
export class TaskRunner {
  constructor (private readonly n: NodeCore) {}

  /** Submit a task; returns its result ref id (held once for the caller). */
  submit (sub: TaskSubmission, urgent = false): string {
    this.n.assertRunning()
    this.checkFeasible(sub.options.resources, `task '${sub.name}'`)
    // A reserved name that is no vectorised call (`fabric:sort:x`) fails here, not in the guest.
    parseVectorisedName(sub.name)
    const t = this.record('task', sub.component, sub.name, sub.args, sub.options, sub.streaming, sub.job, sub.after)
    t.nested = urgent
    t.result.holders++
    this.waitForArgs(t, urgent)
    return t.result.id
  }

  /** The items of a streaming task, as they become known. */
  stream (id: string): StreamReader {
    const t = this.n.objects.producerOf(id)
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

  record (kind: TaskRecord['kind'], component: CompiledComponent, name: string, args: ArgSpec[], options: ResolvedTaskOptions, streaming: boolean, job?: string, after?: string): TaskRecord {
    const result = this.n.refs.create(streaming ? 's' : 't')
    const found: string[] = []
    for (const a of args) {
      if (a.kind === 'ref') found.push(a.id)
      else found.push(...a.refs)
    }
    if (after !== undefined) found.push(after)
    const deps = found.length === 0 ? NONE : found
    for (const id of deps) this.n.objects.entryOf(id) // unknown or released refs fail the submit at once
    // Every field is set here (none added later): a million queued tasks share one shape.
    const t: TaskRecord = {
      id: result.id, kind, component, name, args: args.length === 0 ? NO_ARGS : args, options, result, deps, pending: 0, state: 'new',
      attempts: 0, cancelled: false, guestRefs: NONE, lent: false, handedOff: false, nested: false, demand: options.resources, queueSeq: 0,
      abort: undefined, stream: streaming ? { items: [], taken: 0, yielded: 0, done: false, waiters: [] } : undefined,
      actor: undefined, callRetries: undefined, onRetry: undefined, seq: undefined, job, readable: undefined, submittedAt: Date.now(), startedAt: 0
    }
    result.producer = t
    return t
  }

  checkFeasible (demand: Resources, what: string): void {
    // A placement group's bundle names are checked where the group is known (its driver, Bundles.check).
    const missing = shortfall(withoutGroupKeys(demand), this.n.total)
    if (missing.length > 0) throw new InfeasibleTaskError(`${what} can never run here: no node has the resources (${missing.join('; ')})`)
  }

  /** Hold the task's argument refs and queue it once they are all ready. */
  waitForArgs (t: TaskRecord, urgent: boolean): void {
    t.state = 'waiting'
    this.n.counts.waiting++
    for (const id of t.deps) {
      this.n.refs.hold(id)
      const e = this.n.refs.get(id)!
      if (e.state === 'pending') {
        t.pending++
        this.n.refs.onSettle(e, () => this.depSettled(t, e, urgent))
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
      // A ref no argument names is what the task waited for before it could run (TaskSubmission.after).
      const argument = t.args.some(a => a.kind === 'ref' ? a.id === dep.id : a.refs.includes(dep.id))
      this.finish(t, { error: argument ? new DependencyFailedError(`${describe(t)} did not run: its argument ObjectRef(${dep.id}) failed: ${cause.message}`, { cause }) : cause })
      return
    }
    if (--t.pending === 0) this.enqueue(t, urgent)
  }

  private enqueue (t: TaskRecord, urgent: boolean): void {
    this.n.counts.waiting--
    t.state = 'queued'
    if (t.actor !== undefined) {
      this.n.actorTable.pumpActor(t.actor)
      return
    }
    // Work submitted by a running guest goes first: depth first keeps the number of guests
    // blocked on their children small.
    this.n.queue.push(t, this.n.policy.urgent(urgent ? 'nested' : 'driver'))
    this.schedule()
  }

  /** Start every queued task whose resources are free; send the next ones ahead to busy workers. */
  schedule (): void {
    if (this.n.scheduling || this.n.state !== 'running' || this.n.queue.length === 0) return
    this.n.scheduling = true
    try {
      // The common case of a long queue: every CPU busy and every queued task needs one.
      if (this.n.available.cpus >= 1e-9 || this.n.queue.cpuFreeCount > 0) {
        for (let t = this.n.queue.take(this.n.available); t !== undefined; t = this.n.queue.take(this.n.available)) {
          this.n.take(t.options.resources)
          void this.execute(t)
        }
      }
      this.sendAhead()
    } finally {
      this.n.scheduling = false
    }
  }

  /**
   * Every worker busy: the next task of the shape a worker runs goes to it ahead of time, to start
   * there on that task's resources the moment it ends (ExecPool.callAhead). The worker goes from
   * one to the next without sleeping until the main thread has heard of the first and sent the
   * second: on 2 cores those two wake-ups cost more than a no-op task itself.
   */
  private sendAhead (): void {
    for (;;) {
      const key = this.n.pool.aheadRoom()
      if (key === undefined) return
      // The task a free CPU of that shape would start (a smaller one queued earlier goes first,
      // and waits for a CPU given back, not handed over).
      const t = this.n.queue.nextWithin(key)
      // A running guest's own submissions are what it is likely to wait for next: they stay
      // queued, where its get finds them and runs them inline on its thread.
      if (t === undefined || t.nested || handoffKey(t) !== key) return
      const abort = new TaskCancel()
      let started = false
      const call = this.n.pool.callAhead(t.component, t.name, assembleArgs(t.args, NO_REF_VALUES), {
        timeoutMs: t.options.timeoutMs,
        signal: abort,
        tag: t.id,
        transferArgs: true,
        handoff: key,
        started: (after) => {
          started = true
          this.handOver(t, after)
        },
        // Queued again at once: a guest about to wait for it finds it there (and may run it inline).
        returned: () => this.requeueAhead(t)
      })
      if (call === undefined) return
      this.n.queue.remove(t)
      t.state = 'ahead'
      this.n.counts.ahead++
      t.abort = abort
      void this.runAhead(t, call, () => started)
    }
  }

  /** A task sent ahead starts on the resources of the task it waited behind (tagged `after`), handed over. */
  private handOver (t: TaskRecord, after: string | undefined): void {
    const before = after === undefined ? undefined : this.n.running.get(after)
    if (before !== undefined && !before.lent && !before.handedOff) before.handedOff = true
    else this.n.take(t.options.resources)
    this.begin(t)
  }

  private async runAhead (t: TaskRecord, call: Promise<Uint8Array>, started: () => boolean): Promise<void> {
    try {
      await this.succeed(t, await call)
    } catch (err) {
      if (!started()) {
        // Taken back before it started (queued again already), cancelled, or cut with its worker
        // as it started; or it ended meanwhile (the node stopped).
        if (this.leaveAhead(t)) {
          if (t.cancelled) this.finish(t, { error: new TaskCancelledError(`${describe(t)} was cancelled before it ran`) })
          else this.failAttempt(t, err as Error)
        }
        this.schedule()
        return
      }
      this.failAttempt(t, err as Error)
    } finally {
      if (started()) this.ended(t)
    }
  }

  /** A task sent ahead was taken back before it started: first in the queue again, as it was. */
  private requeueAhead (t: TaskRecord): void {
    if (this.leaveAhead(t)) this.n.queue.push(t, true)
  }

  /** A task still sent ahead (not started, not requeued yet) is queued again as far as its record goes; false if it was not. */
  private leaveAhead (t: TaskRecord): boolean {
    if (t.state !== 'ahead') return false
    t.abort = undefined
    this.n.counts.ahead--
    t.state = 'queued'
    return true
  }

  /** Start an attempt of `t`: it is running from now on. */
  begin (t: TaskRecord): void {
    if (t.state === 'ahead') this.n.counts.ahead--
    t.state = 'running'
    t.attempts++
    t.startedAt = Date.now()
    if (t.stream !== undefined) t.stream.yielded = 0
    this.n.running.set(t.id, t)
  }

  private async execute (t: TaskRecord): Promise<void> {
    this.begin(t)
    t.abort = new TaskCancel()
    try {
      // The usual task (the component's own memory cap, no ref among its arguments) goes to the
      // pool without waiting on anything: each await here was a promise and a turn per task.
      const component = t.component.maxMemoryPages / 16 === t.options.memoryLimitMb ? t.component : await this.n.withMemoryLimit(t.component, t.options.memoryLimitMb)
      const args = hasRefArgs(t.args) ? await this.buildArgs(t.args, describe(t)) : assembleArgs(t.args, NO_REF_VALUES)
      const memo = t.options.memo === true ? memoName(t.component.cid, t.name, args) : undefined
      if (memo !== undefined) {
        const known = await this.memoised(memo)
        if (known !== undefined) {
          await this.succeed(t, known)
          return
        }
        this.n.memo.counters.misses++
      }
      const out = await this.n.pool.call(component, t.name, args, { timeoutMs: t.options.timeoutMs, signal: t.abort, tag: t.id, transferArgs: true, gpu: holdsGpus(t.options.resources), handoff: handoffKey(t) })
      const digest = takeDigest(out)
      // Kept before the result is settled: whoever learns of the result can find it by name here.
      const kept = memo === undefined ? undefined : memoValue(t, out)
      // Best effort: a store that cannot keep it (full) does not fail a call that ran.
      if (kept !== undefined) await this.n.memo.remember(memo!, kept, kept === out ? digest : undefined).catch(() => {})
      await this.succeed(t, out, digest)
    } catch (err) {
      this.failAttempt(t, err as Error)
    } finally {
      this.ended(t)
    }
  }

  /** An attempt of `t` is over: what it held goes back (or went on already), the queue moves. */
  private ended (t: TaskRecord): void {
    // A finished record is in old space and dies at the next full GC only: what it points to
    // would be promoted by every scavenge until then.
    t.abort = undefined
    this.n.running.delete(t.id)
    // CPUs lent out while the guest was blocked are back already; handed off, nothing is left.
    if (t.handedOff) t.handedOff = false
    else this.n.giveBack(t.lent ? withoutCpus(t.options.resources) : t.options.resources)
    t.lent = false
    this.schedule()
  }

  /** The call's CBOR argument array: each argument's own bytes, refs replaced by their values. */
  async buildArgs (args: ArgSpec[], what: string): Promise<Uint8Array> {
    const values = new Map<string, Uint8Array>()
    for (const a of args) {
      if (a.kind !== 'ref' || values.has(a.id)) continue
      const e = this.n.objects.entryOf(a.id)
      if (e.state === 'failed') throw new DependencyFailedError(`${what}: its argument ObjectRef(${a.id}) failed`, { cause: e.error })
      values.set(a.id, await this.n.objects.valueBytes(e))
    }
    return assembleArgs(args, values)
  }

  /** The result of memoised call `name`: held here, or pulled (verified) from a node that holds it. */
  private async memoised (name: string): Promise<Uint8Array | undefined> {
    const held = this.n.memo.get(name)
    if (held !== undefined) {
      const bytes = await this.n.memo.bytesOf(held)
      if (bytes !== undefined) {
        this.n.memo.counters.hits++
        return bytes
      }
    }
    if (this.n.memoRemote === undefined) return undefined
    let bytes: Uint8Array | undefined
    try {
      bytes = await this.n.memoRemote.find(name)
    } catch {
      return undefined // no node could give it: the call runs
    }
    if (bytes === undefined) return undefined
    this.n.memo.counters.remoteHits++
    // Held here from now on: this node answers for it too (best effort).
    await this.n.memo.remember(name, bytes).catch(() => {})
    return bytes
  }

  async succeed (t: TaskRecord, out: Uint8Array, digest = takeDigest(out)): Promise<void> {
    if (t.stream !== undefined) {
      const items = decode(out)
      const streamed = (items as { streamed?: unknown } | null)?.streamed
      if (typeof streamed === 'number') {
        // Every item reached the stream as it was yielded (see streamItem).
        if (streamed < t.stream!.items.length) throw new TypeError(`${describe(t)} yielded ${streamed} values but ${t.stream!.items.length} arrived`)
      } else if (!Array.isArray(items)) {
        throw new TypeError(`${describe(t)} is a generator but returned ${typeof items}`)
      }
      for (const item of Array.isArray(items) ? items : []) {
        const e = this.n.refs.create('o')
        // Held by the stream until its reader takes the hold over (or the stream is dropped).
        e.holders++
        const refs = findRefs(item).map(r => r.id)
        for (const id of refs) assertReadable(this.n, t, id, `a value of ${describe(t)}`)
        this.n.refs.settle(e, { value: await this.n.objects.storeValue(encode(item)), nested: refs })
        t.stream!.items.push(e.id)
      }
    }
    const nested = mayHoldRefs(out) ? findRefs(decode(out)).map(r => r.id).filter(id => this.n.refs.get(id) !== undefined) : []
    // A guest returns only refs it may name: a guessed id would hand the caller another's object.
    for (const id of nested) assertReadable(this.n, t, id, `the result of ${describe(t)}`)
    // A worker hashed a large result already (exec/digests.ts): the main thread does not again.
    this.finish(t, { value: await this.n.objects.storeValue(out, digest), nested })
  }

  failAttempt (t: TaskRecord, err: Error): void {
    if (t.cancelled || err.name === 'TaskCancelledError') {
      this.finish(t, { error: new TaskCancelledError(`${describe(t)} was cancelled`) })
      return
    }
    const retries = t.options.maxRetries
    const application = err.name === 'TaskError'
    const allowed = application ? matchesRetry(t.options.retryExceptions, err) : SYSTEM_RETRYABLE.has(err.name) || (err as { retryable?: boolean }).retryable === true
    if (allowed && t.attempts <= retries && this.n.state === 'running') {
      t.state = 'queued'
      this.n.queue.push(t, this.n.policy.urgent('retry'))
      return
    }
    if (t.attempts > 1) {
      this.finish(t, { error: new RetriesExhaustedError(`${describe(t)} failed on all ${t.attempts} attempts; the last: ${err.name}: ${err.message}`, { cause: err }) })
      return
    }
    this.finish(t, { error: err })
  }

  /** Settle a task's result (and stream), release what it held. */
  finish (t: TaskRecord, outcome: { value: StoredValue, nested: string[] } | { error: Error }): void {
    if (t.state === 'done') return
    if (t.state === 'waiting') this.n.counts.waiting--
    if (t.state === 'ahead') this.n.counts.ahead--
    if (t.state === 'queued') this.n.queue.remove(t)
    // An actor's call that ends before it ran (cancelled, or an argument failed while it waited)
    // leaves the actor's queue, and the calls behind it may go now: left at the head, it held
    // them back for good.
    let behind: ActorRecord | undefined
    if ((t.state === 'waiting' || t.state === 'queued') && t.actor !== undefined) {
      const q = t.actor.queue.indexOf(t)
      if (q >= 0) t.actor.queue.splice(q, 1)
      if (q === 0) behind = t.actor
    }
    t.state = 'done'
    if ('error' in outcome) this.n.counts.failed++
    else this.n.counts.finished++
    const cancelled = 'error' in outcome && outcome.error.name === 'TaskCancelledError'
    if (cancelled) this.n.counts.cancelled++
    this.n.taskObserver?.(t.kind, (Date.now() - t.submittedAt) / 1000, 'error' in outcome ? (cancelled ? 'cancelled' : 'failed') : 'finished')
    this.n.history.record(t, 'error' in outcome ? outcome.error : undefined, Date.now())
    if (t.stream !== undefined) {
      t.stream.done = true
      if ('error' in outcome) t.stream.error = outcome.error
      for (const w of t.stream.waiters.splice(0)) w()
    }
    this.n.refs.settle(t.result, outcome)
    for (const id of t.deps) this.n.refs.release(id)
    for (const id of t.guestRefs) this.n.refs.release(id)
    t.guestRefs = NONE
    if (t.actor !== undefined) keepReadable(this.n, t.actor, t)
    t.readable = undefined
    // A finished task is forgotten (a million finished tasks must not hold a million records);
    // a stream's record lives while its ref does, for its reader (see onRefDeleted).
    if (t.stream === undefined) t.result.producer = undefined
    if (behind !== undefined) this.n.actorTable.pumpActor(behind)
  }

  /** Cancel the task behind a ref: queued work is dropped, running work stopped. */
  cancel (id: string): boolean {
    const elsewhere = this.n.offloaded.get(id)
    if (elsewhere !== undefined) {
      elsewhere.abort()
      return true
    }
    const t = this.n.objects.producerOf(id)
    if (t === undefined || t.state === 'done') return false
    t.cancelled = true
    if (t.state === 'running' || t.state === 'ahead') {
      if (t.actor !== undefined) return false // an actor's call cannot be interrupted without killing the actor
      t.abort?.abort()
      return true
    }
    this.finish(t, { error: new TaskCancelledError(`${describe(t)} was cancelled before it ran`) })
    return true
  }
}

function matchesRetry (policy: boolean | string[], err: Error): boolean {
  if (policy === true) return true
  if (policy === false) return false
  const kind = (err as { kind?: string }).kind
  return policy.includes(err.name) || (kind !== undefined && policy.includes(kind))
}

/**
 * What a memoised call's result is kept as: its bytes; for a generator the CBOR array of its items
 * (what a hit hands `succeed`, which yields them in order). Undefined when it holds refs (refs are
 * names of this run's objects, not content).
 */
function memoValue (t: TaskRecord, out: Uint8Array): Uint8Array | undefined {
  if (t.stream === undefined) return mayHoldRefs(out) ? undefined : out
  // Items came back in one CBOR array (major type 4), or were streamed as yielded (kept then).
  if ((out[0]! >> 5) === 4) return mayHoldRefs(out) ? undefined : out
  const kept = t.stream.kept
  if (kept === undefined || kept === null || kept.length !== t.stream.items.length) return kept === undefined && t.stream.items.length === 0 ? cborHead(4, 0) : undefined
  return concat([cborHead(4, kept.length), ...kept])
}

const NO_REF_VALUES: Map<string, Uint8Array> = new Map()

/**
 * The key under which `t` hands its resources to a task sent ahead behind it (the shape of what
 * it holds), or undefined when it cannot go ahead or be followed: only plain tasks that go to the
 * pool as they are (no ref arguments to fetch, no memo to look up, the component's own memory
 * cap), holding CPUs and nothing else.
 */
function handoffKey (t: TaskRecord): string | undefined {
  const d = t.demand
  if (t.kind !== 'task' || t.actor !== undefined || t.stream !== undefined || t.options.memo === true || d.cpus <= 0 || d.gpus > 0) return undefined
  for (const _ in d.custom) return undefined
  if (t.component.maxMemoryPages / 16 !== t.options.memoryLimitMb || hasRefArgs(t.args)) return undefined
  return shapeKey(d)
}

function hasRefArgs (args: ArgSpec[]): boolean {
  for (const a of args) if (a.kind === 'ref') return true
  return false
}
