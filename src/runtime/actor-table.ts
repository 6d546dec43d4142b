// A node's actors: each owns an instance pinned to a worker; calls run one at a time in
// submission order; a crashed actor restarts in place within its maxRestarts.
import { randomUUID } from 'node:crypto'
import type { CompiledComponent } from '../component/index.js'
import { ActorDiedError } from '../exec/index.js'
import { fits, resources } from '../scheduler/resources.js'
import { holdsGpus } from '../scheduler/placement.js'
import { ActorNotFoundError, InfeasibleTaskError } from './errors.js'
import { DEFAULT_MEMORY_LIMIT_MB } from './options.js'
import { seedReadable } from './guest-access.js'
import { ACTOR_FATAL, describe, type ActorRecord, type TaskRecord } from './node-records.js'
import type { NodeCore } from './node-core.js'
import type { ArgSpec, ResolvedActorOptions, ResolvedTaskOptions } from './interface.js'
import { DurableState, RESULT_KEPT_BYTES, RESULTS_KEPT, type SnapshotRef } from './durable.js'
import type { SnapshotDelta } from '../exec/snapshot.js'

/** The node's actors: create, call, restart, kill, find by name. */
export class ActorTable {
  constructor (private readonly n: NodeCore) {}

  /**
   * Create an actor; resolves with its id once its instance exists. `onRestart` is told the
   * actor's restart count each time a crash restarts it here (before the crashed call is answered).
   */
  async createActor (component: CompiledComponent, cls: string, args: ArgSpec[], options: ResolvedActorOptions, hooks: { onRestart?: (restarts: number) => void, onDeath?: (cause: Error) => void, onSnapshot?: (ref: SnapshotRef) => void, job?: string, owner?: string } = {}): Promise<string> {
    this.n.assertRunning()
    this.n.tasks.checkFeasible(options.resources, `actor '${cls}'`)
    const key = options.name === undefined ? undefined : nameKey(options.name, options.namespace)
    if (key !== undefined && this.n.names.has(key)) {
      throw new TypeError(`an actor named '${options.name}' already exists${options.namespace === undefined ? '' : ` in namespace '${options.namespace}'`}: names are unique in a namespace while the actor lives`)
    }
    for (const a of args) if (a.kind === 'ref') this.n.objects.entryOf(a.id)
    const a: ActorRecord = {
      // Unguessable: knowing an actor's id is what lets a peer attach to it (see actor-protocol.ts).
      id: `${this.n.fabricId}/a${randomUUID()}`,
      component, cls, args, options, state: 'creating', queue: [], running: 0, restarts: 0, created: Promise.resolve(),
      ...(hooks.onRestart === undefined ? {} : { onRestart: hooks.onRestart }),
      ...(hooks.onDeath === undefined ? {} : { onDeath: hooks.onDeath }),
      ...(hooks.onSnapshot === undefined ? {} : { onSnapshot: hooks.onSnapshot }),
      ...(options.durable === undefined ? {} : { durable: new DurableState(options.durable, hooks.owner) }),
      job: hooks.job
    }
    if (!fits(options.resources, this.n.available)) {
      throw new InfeasibleTaskError(`actor '${cls}' needs ${JSON.stringify(options.resources)} but only ${JSON.stringify(this.n.available)} is free now`)
    }
    this.n.take(options.resources)
    seedReadable(this.n, a)
    this.n.actors.set(a.id, a)
    if (key !== undefined) this.n.names.set(key, a.id)
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
    const component = await this.n.withMemoryLimit(a.component, a.options.memoryLimitMb)
    const argBytes = await this.n.tasks.buildArgs(a.args, `actor '${a.cls}' constructor`)
    // A durable actor resumes from its last snapshot: this node's (a restart in place), or the one
    // its owner names (a restart here after its node was lost).
    const s = a.durable
    // A restart in place resumes from the last snapshot taken: the ones being stored first.
    if (s !== undefined) await this.n.durables.settled(s)
    const from = s?.latest ?? s?.spec.restore
    const restore = s === undefined || from === undefined ? undefined : await this.n.durables.image(s, from)
    const ref = await this.n.pool.createActor(component, a.cls, argBytes, { timeoutMs: a.options.timeoutMs, gpu: holdsGpus(a.options.resources), ...(s === undefined ? {} : { durable: true }), ...(restore === undefined ? {} : { restore }) })
    // Killed while it was (re)started: the new instance goes at once.
    if (a.state === 'dead') {
      void this.n.pool.destroyActor(ref).catch(() => {})
      return
    }
    a.ref = ref
    a.state = 'alive'
    this.pumpActor(a)
  }

  /** Find a live actor by name in `namespace`. */
  actorByName (name: string, namespace?: string): { id: string, component: CompiledComponent, cls: string, detached: boolean } {
    const id = this.n.names.get(nameKey(name, namespace))
    const a = id === undefined ? undefined : this.n.actors.get(id)
    if (a === undefined || a.state === 'dead') throw new ActorNotFoundError(`no live actor is named '${name}'${namespace === undefined ? '' : ` in namespace '${namespace}'`}`)
    return { id: a.id, component: a.component, cls: a.cls, detached: a.options.detached }
  }

  /** Queue a method call on an actor; returns the result's ref id (held once for the caller). */
  /**
   * Call an actor's method; returns the result's ref id (held once for the caller). `maxRetries`
   * replaces the actor's maxTaskRetries for this call; `onRetry` is told before each retry after a
   * crash (the actor restarted in place). `streaming`: the method is a generator (its manifest says
   * so) whose values go into the call's stream as it yields them (read with `tasks.stream(id)`).
   */
  callActor (actorId: string, method: string, args: ArgSpec[], options: { timeoutMs?: number, maxRetries?: number, onRetry?: () => void, streaming?: boolean, job?: string, seq?: number } = {}): string {
    this.n.assertRunning()
    const a = this.n.actors.get(actorId)
    const opts: ResolvedTaskOptions = { resources: resources(), maxRetries: 0, retryExceptions: false, timeoutMs: options.timeoutMs ?? a?.options.timeoutMs, memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB }
    const t = this.n.tasks.record('actor-call', a?.component ?? ({} as CompiledComponent), method, args, opts, options.streaming === true, options.job)
    t.result.holders++
    if (a === undefined || a.state === 'dead') {
      this.n.tasks.finish(t, { error: new ActorDiedError(`actor ${actorId} is not alive${a?.deathCause === undefined ? '' : `: ${a.deathCause.message}`}`, { cause: a?.deathCause }) })
      return t.result.id
    }
    t.actor = a
    if (options.maxRetries !== undefined) t.callRetries = options.maxRetries
    if (options.onRetry !== undefined) t.onRetry = options.onRetry
    if (options.seq !== undefined) t.seq = options.seq
    a.queue.push(t)
    this.n.tasks.waitForArgs(t, false)
    return t.result.id
  }

  /**
   * Run queued calls of an actor, in submission order. An actor that is not restarted (maxRestarts
   * 0, the default) has up to PIPELINE_DEPTH calls sent ahead to its worker, which runs them one
   * after another, in order, without waiting for this thread between them: a crash ends the actor,
   * so the calls sent ahead fail as the queued ones would (ActorDiedError). An actor that restarts
   * gets one call at a time: the calls after a crash must run on the new instance.
   */
  pumpActor (a: ActorRecord): void {
    if (a.state !== 'alive') return
    // A durable actor's calls go one at a time too: each snapshot follows one call.
    const depth = a.options.maxRestarts === 0 && a.durable === undefined ? PIPELINE_DEPTH : a.options.maxConcurrency
    while (a.running < depth && a.queue.length > 0 && a.queue[0]!.state === 'queued') {
      const t = a.queue.shift()!
      a.running++
      void this.invoke(a, t)
    }
  }

  private async invoke (a: ActorRecord, t: TaskRecord): Promise<void> {
    this.n.tasks.begin(t)
    let failure: Error | undefined
    const s = a.durable
    try {
      // A call the state already includes (its owner sent it again after a restart): its kept result.
      const known = s === undefined ? undefined : this.n.durables.answered(s, t.seq)
      if (known === null) throw new ActorDiedError(`${describe(t)} ran before the actor restarted, but its result was not kept (it failed, was over ${RESULT_KEPT_BYTES} bytes, or more than ${RESULTS_KEPT} calls ran since)`)
      if (known !== undefined) await this.n.tasks.succeed(t, known)
      else await this.run(a, t, s)
    } catch (err) {
      failure = err as Error
    } finally {
      this.n.running.delete(t.id)
      a.running--
    }
    if (failure !== undefined && ACTOR_FATAL.has(failure.name)) {
      await this.actorFailed(a, t, failure)
    } else if (failure !== undefined) {
      this.n.tasks.finish(t, { error: failure })
    }
    this.pumpActor(a)
  }

  /** Run call `t` on the actor's instance (a durable actor's state is kept before it settles). */
  private async run (a: ActorRecord, t: TaskRecord, s: DurableState | undefined): Promise<void> {
    let delta: SnapshotDelta | undefined
    // A snapshot that could not be stored: the state goes back to the last one that was (a restart).
    if (s?.lost !== undefined) throw new ActorDiedError(`durable actor '${a.cls}' restarts from its last stored snapshot: a later one could not be stored (${s.lost.message})`, { cause: s.lost })
    const built = this.n.tasks.buildArgs(t.args, describe(t))
    built.catch(() => {}) // observed below, maybe after the calls before it are sent
    const due = s !== undefined && ++s.since >= s.spec.every
    if (due) s.since = 0
    // Calls reach the pool in queue order: each is sent once its arguments are built and the
    // call before it is sent (pool.invoke queues a call synchronously).
    const sent = (a.sent ?? Promise.resolve()).then(async () => {
      const args = await built
      return { done: this.n.pool.invoke(a.ref!, t.name, args, { timeoutMs: t.options.timeoutMs, tag: t.id, ...(due ? { snapshot: (d: SnapshotDelta) => { delta = d } } : {}) }) }
    })
    a.sent = sent.then(() => {}, () => {})
    let out: Uint8Array
    try {
      out = await (await sent).done
    } catch (err) {
      // The method threw with its instance intact: what it changed is kept before it fails.
      if (delta !== undefined) await this.snapshot(a, s!, delta, t.seq)
      throw err
    }
    // The result goes out once the state that includes it is kept (here and on the replicas).
    if (delta !== undefined) await this.snapshot(a, s!, delta, t.seq, out)
    await this.n.tasks.succeed(t, out)
  }

  private async snapshot (a: ActorRecord, s: DurableState, delta: SnapshotDelta, seq: number | undefined, result?: Uint8Array): Promise<void> {
    try {
      await this.n.durables.commit(s, delta, { ...(seq === undefined ? {} : { seq }), ...(result === undefined ? {} : { result }) }, ref => { a.onSnapshot?.(ref) })
    } catch (err) {
      // The call ran but its state is not kept: restart from the last snapshot (the call runs again there).
      throw new ActorDiedError(`durable actor '${a.cls}': the snapshot after its call could not be stored: ${(err as Error).message}`, { cause: err })
    }
  }

  /** The actor's instance is gone: restart it (and retry the call) if its options allow. */
  private async actorFailed (a: ActorRecord, t: TaskRecord, cause: Error): Promise<void> {
    if (a.state === 'dead') {
      this.n.tasks.finish(t, { error: cause })
      return
    }
    if (a.restarts < a.options.maxRestarts && this.n.state === 'running') {
      a.restarts++
      a.state = 'restarting'
      a.onRestart?.(a.restarts)
      if (t.attempts <= (t.callRetries ?? a.options.maxTaskRetries)) {
        t.onRetry?.()
        t.state = 'queued'
        a.queue.unshift(t)
      } else {
        this.n.tasks.finish(t, { error: cause })
      }
      try {
        await this.startActor(a)
      } catch (err) {
        this.actorDied(a, err as Error)
      }
      return
    }
    this.n.tasks.finish(t, { error: cause })
    this.actorDied(a, cause)
  }

  private actorDied (a: ActorRecord, cause: Error): void {
    if (a.state === 'dead') return
    a.state = 'dead'
    a.deathCause = cause
    if (a.options.name !== undefined && this.n.names.get(nameKey(a.options.name, a.options.namespace)) === a.id) this.n.names.delete(nameKey(a.options.name, a.options.namespace))
    this.n.giveBack(a.options.resources)
    const died = new ActorDiedError(`actor '${a.cls}' (${a.id}) died: ${cause.message}`, { cause })
    for (const t of a.queue.splice(0)) this.n.tasks.finish(t, { error: died })
    a.onDeath?.(died)
    if (a.durable !== undefined) this.n.durables.release(a.durable)
    this.n.collectives.actorDied(a.id)
    if (a.ref !== undefined) void this.n.pool.destroyActor(a.ref).catch(() => {})
    this.n.tasks.schedule()
  }

  /** Kill an actor: its queued calls fail with ActorDiedError, its name is free again. */
  kill (actorId: string, why?: string): void {
    const a = this.n.actors.get(actorId)
    if (a === undefined) return
    this.actorDied(a, new ActorDiedError(`actor '${a.cls}' was killed${why === undefined ? '' : `: ${why}`}`))
  }
}

/** Calls of one actor (that does not restart) sent ahead to its worker. */
const PIPELINE_DEPTH = 32

/** Where a named actor is kept: names are unique within a namespace. */
function nameKey (name: string, namespace: string | undefined): string {
  return `${namespace ?? ''}\u0000${name}`
}
