// What a node serves its guests (the exec pool's host services): nested tasks (run inline in the
// waiting guest's worker, queued first, or sent to another node), actor calls (here, or forwarded
// to the actor's node), get/wait/put, stream items, logs, and CPUs lent while a guest is blocked.
import { Cancel } from '../errors/index.js'
import { TaskCancelledError, type CollectiveCall, type HostContext } from '../exec/index.js'
import { CollectiveError } from './collectives.js'
import { decode, findRefs, mayHoldRefs } from '../objects/index.js'
import { STREAM_ITEM_HEAD } from '../objects/object-ref.js'
import { shortfall } from '../scheduler/resources.js'
import { heldCpus } from '../scheduler/placement.js'
import { DependencyFailedError } from './errors.js'
import { localRefs } from './local-refs.js'
import { assertReadable, received } from './guest-access.js'
import { guestCallActor, type GuestActorCallHost } from './guest-actor-calls.js'
import type { ActorForwarder } from './actor-forwarder.js'
import type { ActorAddress } from './actor-address.js'
import type { NestedRef } from '../net/index.js'
import { nestedTaskOptions } from './options.js'
import { INLINE_LIMIT, inlineBytes, isInline, packInline, type StoredValue } from './ref-table.js'
import { assembleArgs, toArgSpec } from './call-args.js'
import { describe, keepForGuest, type TaskRecord } from './node-records.js'
import type { NodeCore } from './node-core.js'
import type { ArgSpec, LogSource, NestedOffload, OffloadArg, OffloadedRef, ResolvedTaskOptions } from './interface.js'
import { jobOf } from './task-history.js'
import { printLine } from './node-logs.js'

/** The host services behind guests' imports. */
export class GuestServices {
  constructor (private readonly n: NodeCore) {}

  private taskOf (ctx: HostContext): TaskRecord | undefined {
    return ctx.tag === undefined ? undefined : this.n.running.get(ctx.tag)
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
    const t = this.n.objects.producerOf(id)
    // A memoised task first looks for its result (TaskRunner.execute), which an inline run would skip.
    if (t === undefined || t.kind !== 'task' || t.state !== 'queued' || t.stream !== undefined || t.options.timeoutMs !== undefined || t.options.memo === true) return false
    if (t.component.maxMemoryPages / 16 !== t.options.memoryLimitMb) return false
    if (!this.n.queue.has(t)) return false
    // Args are ready (the task is queued); a ref argument's bytes may have to come from the store.
    const args = this.inlineArgs(t)
    if (args === undefined) return false
    const run = ctx.inline({ tag: t.id, component: t.component, name: t.name, args })
    if (run === undefined) return false
    this.n.queue.remove(t)
    this.n.tasks.begin(t)
    // The child runs on the waiting parent's CPU: take back what the parent lent while blocked.
    const parent = this.taskOf(ctx)
    const cpus = heldCpus(t.options.resources)
    const retook = parent?.lent === true
    if (retook) {
      parent!.lent = false
      this.n.take(cpus)
    }
    run.then(
      async (out) => {
        // A cancelled inline run cannot be stopped (it is on the parent's thread): its result is dropped.
        if (t.cancelled) this.n.tasks.finish(t, { error: new TaskCancelledError(`${describe(t)} was cancelled`) })
        else await this.n.tasks.succeed(t, out)
      },
      (err: unknown) => this.n.tasks.failAttempt(t, err as Error)
    ).catch((err: unknown) => this.n.tasks.failAttempt(t, err as Error)).finally(() => {
      this.n.running.delete(t.id)
      if (retook && parent!.state === 'running' && !parent!.lent) {
        parent!.lent = true
        this.n.giveBack(cpus)
      }
      this.n.tasks.schedule()
    })
    return true
  }

  /** The CBOR args of a queued task if every ref argument's value is inline (no store read), else undefined. */
  private inlineArgs (t: TaskRecord): Uint8Array | undefined {
    const values = new Map<string, Uint8Array>()
    for (const a of t.args) {
      if (a.kind !== 'ref') continue
      const v = this.n.refs.get(a.id)?.value
      if (v === undefined || !isInline(v)) return undefined
      values.set(a.id, inlineBytes(v))
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
      const t = this.n.objects.producerOf(id)
      if (t === undefined || t.state !== 'queued' || t.actor !== undefined) continue
      if (this.n.queue.has(t)) this.n.queue.push(t, this.n.policy.urgent('awaited'))
    }
    this.n.tasks.schedule()
  }

  async guestGet (id: string, timeoutMs: number | undefined, ctx: HostContext): Promise<Uint8Array> {
    const t = this.taskOf(ctx)
    try {
      assertReadable(this.n, t, id, 'get')
      // Whether it times out depends on timing, not on the task's arguments.
      if (timeoutMs !== undefined && t?.options.memo === true) throw notDeterministic('get with a timeout')
    } catch (err) {
      throw this.hostFailure(err)
    }
    if (!this.runInline(id, timeoutMs, ctx)) this.prioritize([id])
    try {
      const bytes = await this.n.objects.get(id, timeoutMs)
      // Refs inside what it read are the guest's to name now.
      if (mayHoldRefs(bytes)) received(t, this.n.refs.get(id)?.nested ?? findRefs(decode(bytes)).map(r => r.id))
      return bytes
    } catch (err) {
      throw this.hostFailure(err)
    }
  }

  /** Refuse refs (by id) the guest of `ctx` was not given, did not make and did not receive. */
  private assertGuestRefs (ids: readonly string[], ctx: HostContext, what: string): void {
    if (ids.length === 0) return
    const t = this.taskOf(ctx)
    for (const id of ids) assertReadable(this.n, t, id, what)
  }

  /** One value a streaming guest yielded: into the task's stream at once. */
  private streamItem (bytes: Uint8Array, ctx: HostContext): string {
    const t = this.taskOf(ctx)
    if (t?.stream === undefined || t.state !== 'running') {
      throw Object.assign(new Error('a stream item from a task that is not a running generator'), { kind: 'bad-argument' })
    }
    // A retried attempt yields again from the start: items already delivered are not repeated.
    if (t.stream.yielded < t.stream.items.length) return t.stream.items[t.stream.yielded++]!
    const nested = mayHoldRefs(bytes) ? findRefs(decode(bytes)).map(r => r.id) : []
    this.assertGuestRefs(nested, ctx, 'a yielded value')
    t.stream.yielded++
    // Held once: the stream's hold, taken over by the reader. A large item is hashed and stored
    // like any object (spillable; pending until stored); a small one is kept inline (a copy: the
    // message it came in is the worker's).
    const id = this.n.objects.put(bytes.byteLength <= INLINE_LIMIT ? bytes.slice() : bytes, nested)
    // A memoised generator keeps its items' bytes: the memo's value is the list of them.
    if (t.options.memo === true && t.stream.kept !== null) {
      t.stream.keptBytes = (t.stream.keptBytes ?? 0) + bytes.byteLength
      // Not kept once it holds refs, or past what the memo index could keep anyway.
      if (nested.length > 0 || t.stream.keptBytes > this.n.memo.maxBytes) t.stream.kept = null
      else (t.stream.kept ??= []).push(bytes.byteLength <= INLINE_LIMIT ? bytes.slice() : bytes)
    }
    t.stream.items.push(id)
    for (const w of t.stream.waiters.splice(0)) w()
    return id
  }

  guestPut (data: Uint8Array, ctx: HostContext): string {
    if (data.length >= 3 && data[0] === STREAM_ITEM_HEAD[0] && data[1] === STREAM_ITEM_HEAD[1] && data[2] === STREAM_ITEM_HEAD[2]) {
      try {
        return this.streamItem(data.subarray(3), ctx)
      } catch (err) {
        throw this.hostFailure(err)
      }
    }
    try {
      const nested = mayHoldRefs(data) ? findRefs(decode(data)).map(r => r.id) : []
      this.assertGuestRefs(nested, ctx, 'put')
      return this.handToGuest(this.n.objects.put(data, nested), ctx)
    } catch (err) {
      throw this.hostFailure(err)
    }
  }

  /** Send guests' nested tasks to other nodes when this one is half busy (see {@link NestedOffload}). */
  setOffload (offload: NestedOffload | undefined): void {
    this.n.offload = offload
  }

  /**
   * Whether a guest's nested task goes elsewhere: pack locally until about half the CPUs are taken
   * (running, or queued here; at least one), then spread to nodes with room. Tasks whose argument
   * values hold refs stay here.
   */
  private offloadable (args: ArgSpec[], options: ResolvedTaskOptions, caller: TaskRecord | undefined): boolean {
    if (this.n.offload === undefined || options.resources.cpus <= 0) return false
    // Refs inside values would name this node's objects there: such tasks stay here (as do tasks
    // taking a ref whose value holds refs, or may: one not settled yet).
    if (args.some(a => a.kind === 'value' ? a.refs.length > 0 : this.n.refs.get(a.id)?.state !== 'ready' || this.n.objects.holdsRefs(a.id))) return false
    // The calling guest's own CPUs do not count: it gives them back while it waits for its children.
    const own = caller !== undefined && !caller.lent ? caller.options.resources.cpus : 0
    if (this.n.policy.nested({ total: this.n.total, available: this.n.available, queued: this.n.queue.length }, options.resources, own) === 'here') return false
    // A task this node can never run goes where it can (without such a node, submit says why).
    return this.n.offload.hasRoom(options.resources, shortfall(options.resources, this.n.total).length === 0)
  }

  /**
   * Run a guest's nested task on another node, as part of the caller's job (whose key lets that
   * node pull the arguments kept here); its result is a ref of this node, like any other.
   */
  private submitElsewhere (cid: string, name: string, args: ArgSpec[], options: ResolvedTaskOptions, job: string | undefined): string {
    const e = this.n.refs.create('t')
    e.holders++
    const deps = args.flatMap(a => a.kind === 'ref' ? [a.id] : [])
    for (const id of deps) this.n.refs.hold(id)
    const abort = new Cancel()
    this.n.offloaded.set(e.id, abort)
    this.n.offloadedCount++
    const what = `nested task '${name}' (${e.id})`
    void (async () => {
      let outcome: { value: StoredValue, nested: string[] } | { error: Error }
      /** Refs made for refs inside the result: held by it once it settles. */
      const made: string[] = []
      try {
        const wire = await Promise.all(args.map(async (a): Promise<OffloadArg> => {
          if (a.kind === 'value') return { value: a.bytes }
          try {
            const where = await this.n.objects.location(a.id)
            if ('inline' in where) return { value: where.inline }
            this.n.grants.grant(where.cid, job)
            return where
          } catch (err) {
            throw new DependencyFailedError(`${what} did not run: its argument ObjectRef(${a.id}) failed: ${(err as Error).message}`, { cause: err })
          }
        }))
        const out = await this.n.offload!.run({ component: cid, name, args: wire, options, ...(job === undefined ? {} : { job }) }, abort)
        outcome = await this.adoptResult(out, made)
      } catch (err) {
        outcome = { error: abort.aborted ? new TaskCancelledError(`${what} was cancelled`) : err as Error }
      }
      this.n.offloaded.delete(e.id)
      if ('error' in outcome) this.n.counts.failed++
      else this.n.counts.finished++
      if ('error' in outcome && outcome.error.name === 'TaskCancelledError') this.n.counts.cancelled++
      this.n.refs.settle(e, outcome)
      for (const id of [...deps, ...made]) this.n.refs.release(id)
    })()
    return e.id
  }

  /**
   * A result from another node, as refs of this node: each ref inside it (by the other node's id)
   * becomes a ref here, the innermost first, and the value names them.
   */
  private async adoptResult (out: { value: Uint8Array, nested: OffloadedRef[] }, made: string[]): Promise<{ value: StoredValue, nested: string[] }> {
    if (out.nested.length === 0) return { value: await this.n.objects.storeValue(out.value), nested: [] }
    const ids = new Map<string, string>()
    const local = (bytes: Uint8Array): { bytes: Uint8Array, refs: string[] } => localRefs(bytes, id => ids.get(id), 'a result from another node')
    // Each is listed after the refs inside it: those have ids here already.
    for (const n of out.nested) {
      let id: string
      if ('error' in n) {
        // A ref to a task that failed there: a failed ref here.
        const e = this.n.refs.create('o')
        e.holders++
        this.n.refs.settle(e, { error: n.error })
        id = e.id
      } else {
        const v = local(n.value)
        id = this.n.objects.put(v.bytes, v.refs)
      }
      ids.set(n.id, id)
      made.push(id) // released by the caller whatever happens next
    }
    const result = local(out.value)
    const value = await this.n.objects.storeValue(result.bytes)
    // The result holds the refs it names once settled; the caller then lets go of the ones made here.
    return { value, nested: result.refs }
  }

  guestSubmit (componentCid: string, name: string, argBytes: Uint8Array, optionBytes: Uint8Array, ctx: HostContext): string {
    try {
      const cid = componentCid === '' ? ctx.cid : componentCid
      const known = this.n.components.get(cid)
      if (known === undefined) throw Object.assign(new Error(`component ${cid} is not loaded on this node`), { kind: 'not-found' })
      const caller = this.taskOf(ctx)
      const values = decode(argBytes)
      if (!Array.isArray(values)) throw Object.assign(new Error('submit: args must be a CBOR array'), { kind: 'bad-argument' })
      const args = values.map(toArgSpec)
      this.assertGuestRefs(args.flatMap(a => a.kind === 'ref' ? [a.id] : a.refs), ctx, `nested task '${name}'`)
      const given = nestedTaskOptions(decode(optionBytes), `nested task '${name}'`)
      // Inside a memoised task everything it calls is memoised: its result depends on theirs.
      const options = caller?.options.memo === true && given.memo !== true ? { ...given, memo: true as const } : given
      this.n.assertRunning()
      const job = caller?.job
      return this.handToGuest(this.offloadable(args, options, caller)
        ? this.submitElsewhere(cid, name, args, options, job)
        : this.n.tasks.submit({ component: known.compiled, name, args, options, streaming: false, ...(job === undefined ? {} : { job }) }, true), ctx)
    } catch (err) {
      throw this.hostFailure(err)
    }
  }

  /** A ref made for a guest (held once): its task holds it until it ends; without a task it goes at once. */
  private handToGuest (id: string, ctx: HostContext): string {
    const t = this.taskOf(ctx)
    if (t !== undefined) keepForGuest(t, id)
    else this.n.refs.release(id)
    return id
  }

  /** The node's actor-call entry points, for {@link guestCallActor} (`elsewhere`: set once the node is in a fabric). */
  private readonly actorCalls: GuestActorCallHost = {
    callActor: (actorId, method, args, options) => this.n.actorTable.callActor(actorId, method, args, options),
    elsewhere: undefined
  }

  /** Send guests' calls to actors of other nodes through `forwarder` (undefined: only this node's actors). */
  setActorForwarder (forwarder: ActorForwarder | undefined): void {
    const f = forwarder
    this.actorCalls.elsewhere = f === undefined
      ? undefined
      : { peerId: f.peerId, callActor: (to, method, call) => this.callActorElsewhere(f, to, method, call) }
  }

  /** A guest calls a method of an actor (`actorHandle(id).method.remote(...)`): of this node, or of another through the forwarder. */
  guestCallActor (actorId: string, method: string, args: Uint8Array, options: Uint8Array, ctx: HostContext): string {
    try {
      this.n.assertRunning()
      if (this.taskOf(ctx)?.options.memo === true) throw notDeterministic(`call actor method '${method}'`, 'an actor\'s state changes between calls', 'pass what it needs from the actor as an argument')
      return this.handToGuest(guestCallActor(this.actorCalls, actorId, method, args, options, this.taskOf(ctx)?.job, (ids, what) => this.assertGuestRefs(ids, ctx, what)), ctx)
    } catch (err) {
      throw this.hostFailure(err)
    }
  }

  /**
   * A guest's call of an actor on another node: a ref of this node at once, settled with the
   * answer. The ref arguments are held until then; each travels with what it stands for (its value,
   * or its CID, pulled from this node), as a nested task's do.
   */
  private callActorElsewhere (forwarder: ActorForwarder, to: Required<ActorAddress>, method: string, call: { args: Uint8Array, refs: string[], timeoutMs?: number, job?: string }): string {
    const e = this.n.refs.create('t')
    e.holders++
    for (const id of call.refs) this.n.refs.hold(id)
    const what = `actor method '${method}' of ${to.actor}@${to.peer}`
    const made: string[] = []
    void (async () => {
      let outcome: { value: StoredValue, nested: string[] } | { error: Error }
      try {
        const out = await forwarder.call(to, {
          method,
          // The wire takes whole milliseconds, at least one.
          ...(call.timeoutMs === undefined ? {} : { timeoutMs: Math.min(2 ** 31, Math.max(1, Math.ceil(call.timeoutMs))) }),
          ...(call.job === undefined ? {} : { job: call.job }),
          prepare: async () => ({ args: call.args, nested: await Promise.all(call.refs.map(async id => await this.nestedRef(id, what, forwarder.peerId, call.job))) })
        })
        outcome = await this.adoptResult(out, made)
      } catch (err) {
        outcome = { error: err as Error }
      }
      this.n.refs.settle(e, outcome)
      for (const id of [...call.refs, ...made]) this.n.refs.release(id)
    })()
    return e.id
  }

  /** What a ref among a call's arguments stands for, for another node: its value, or its CID held here. */
  private async nestedRef (id: string, what: string, self: string, job: string | undefined): Promise<NestedRef> {
    let where: { inline: Uint8Array } | { cid: string, size: number }
    try {
      where = await this.n.objects.location(id)
    } catch (err) {
      throw new DependencyFailedError(`${what} did not run: its argument ObjectRef(${id}) failed: ${(err as Error).message}`, { cause: err })
    }
    if (this.n.objects.holdsRefs(id)) {
      throw Object.assign(new Error(`${what}: argument ObjectRef(${id}) holds refs in its value, which cannot travel to an actor of another node yet (pass those refs as arguments themselves)`), { kind: 'bad-argument' })
    }
    if ('inline' in where) return { id, value: where.inline }
    this.n.grants.grant(where.cid, job)
    return { id, cid: where.cid, size: where.size, holders: [self] }
  }

  async guestWait (ids: string[], numReturns: number, timeoutMs: number | undefined, ctx: HostContext): Promise<string[]> {
    try {
      this.assertGuestRefs(ids, ctx, 'wait')
      // Which refs are ready first (or by a timeout) depends on timing, not on the task's arguments.
      if ((timeoutMs !== undefined || numReturns < ids.length) && this.taskOf(ctx)?.options.memo === true) throw notDeterministic('wait for some of its refs, or with a timeout')
    } catch (err) {
      throw this.hostFailure(err)
    }
    this.prioritize([...ids].reverse())
    try {
      return await this.n.objects.wait(ids, numReturns, timeoutMs)
    } catch (err) {
      throw this.hostFailure(err)
    }
  }

  /** A guest's collective operation: only an actor's calls, in the groups its driver put it in. */
  async guestCollective (call: CollectiveCall, ctx: HostContext): Promise<unknown> {
    const actor = this.taskOf(ctx)?.actor
    if (actor === undefined) throw new CollectiveError('not-found', 'collectives are for actors in a group (fabric.collectiveGroup); a task is in none')
    return await this.n.collectives.run(actor.id, call)
  }

  /** A guest blocked on nested work gives its CPUs back while it waits (as in Ray). */
  onBlocked (blocked: boolean, ctx: HostContext): void {
    const t = this.taskOf(ctx)
    if (t === undefined || t.kind !== 'task' || !this.n.policy.lendsBlockedCpus) return
    const cpus = heldCpus(t.options.resources)
    if (blocked && !t.lent) {
      t.lent = true
      this.n.giveBack(cpus)
      this.n.tasks.schedule()
    } else if (!blocked && t.lent) {
      t.lent = false
      this.n.take(cpus)
    }
  }

  guestLog (level: string, message: string, ctx: HostContext): void {
    const t = this.taskOf(ctx)
    const source: LogSource = t === undefined
      ? { cid: ctx.cid, ...(ctx.tag === undefined ? {} : { task: ctx.tag }) }
      : {
          cid: ctx.cid,
          task: t.id,
          name: t.actor === undefined ? t.name : `${t.actor.cls}.${t.name}`,
          ...(t.actor === undefined ? {} : { actor: t.actor.id }),
          ...((t.job ?? t.actor?.job) === undefined ? {} : { job: jobOf(t.job ?? t.actor?.job)! })
        }
    if (this.n.log !== undefined) this.n.log(level, message, source)
    else if (level !== 'trace' && level !== 'debug') printLine({ name: source.name ?? `component ${ctx.cid.slice(-8)}`, node: '', ...source, level, message })
  }

  /** Guests' nested tasks sent to other nodes: running there now, and in all. */
  offloadStats (): { running: number, total: number } {
    return { running: this.n.offloaded.size, total: this.n.offloadedCount }
  }
}

/** The task-error kind a guest sees for a host-side failure. */
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

/** A memoised task doing what would make its result depend on more than its arguments. */
function notDeterministic (what: string, why = 'what it gives depends on timing', instead = 'wait for every ref, without a timeout'): Error {
  return Object.assign(new Error(`a memoised task may not ${what}: ${why}, so the task's result would not follow from its arguments (leave memo out of this task, or ${instead})`), { kind: 'not-deterministic' })
}
