// The node side of actors across nodes (`/fabric/actor/1`): creates the actors peers ask for on
// this node's LocalNode, runs their calls in arrival order (a generator method's values streamed to
// the caller as the actor yields them), and reports restarts in place to the actors' owners. The
// caller's side is RemoteActor (remote-actor.ts).
import { TaskError } from '../exec/errors.js'
import type { ActorCallResult, ActorHost, ActorOpen, NestedRef } from '../net/index.js'
import { MAX_ACTOR_REPLY_BYTES } from '../net/constants.js'
import type { LocalNode } from './local-node.js'
import { resolveActorOptions } from './options.js'
import { groupsOf } from '../scheduler/placement.js'
import type { RemoteTaskExecutor } from './remote-executor.js'
import { wireArgs } from './local-refs.js'
import { decode, encode, ObjectRef } from '../objects/index.js'
import type { ArgSpec } from './interface.js'
import type { SnapshotRef } from './durable.js'
import { quotaError } from './node-limits.js'

/** Hosts the actors peers create on this node (see {@link ActorHost}); reports their restarts in place to their owners. */
export class RemoteActorHost implements ActorHost {
  /** Restarts in place of the actors sessions created here, and who hears of them; until the session ends. */
  private readonly restarts = new Map<string, Lifecycle>()
  /**
   * Refs of this node made for the caller's refs inside an actor's constructor and call arguments,
   * by the caller's id: held while the actor lives (it may keep any of them in its state, and a
   * restart in place runs the constructor again), and reused when the same ref comes again.
   */
  private readonly actorRefs = new Map<string, Map<string, string>>()
  /** The generator methods of the actors sessions opened here (from their manifests): what may be called streaming. */
  private readonly streamingMethods = new Map<string, ReadonlySet<string>>()

  /** The live actors each peer created here (its quota), by PeerId. */
  private readonly created = new Map<string, Set<string>>()
  /** The component of each actor created here (pinned while it lives). */
  private readonly components = new Map<string, string>()

  constructor (private readonly node: LocalNode, private readonly executor: RemoteTaskExecutor) {}

  /**
   * Refuse an actor past the node's ceiling or its creator's quota (actors that died since are
   * not counted).
   *
   * @throws QuotaExceededError (`node-actors` or `actors`)
   */
  private admitActor (from: string, what: string): void {
    const { maxActors, actorsPerPeer } = this.executor.limits
    if (this.node.stats().actors >= maxActors) throw quotaError('node-actors', maxActors, what)
    const mine = this.created.get(from)
    if (mine === undefined || mine.size < actorsPerPeer) return
    for (const id of mine) if (!this.node.isActorAlive(id)) mine.delete(id)
    if (mine.size >= actorsPerPeer) throw quotaError('actors', actorsPerPeer, what)
  }

  async open (req: ActorOpen, from: string): Promise<{ actor: string, owned: boolean, mayKill: boolean, detached: boolean, cls?: string, methods?: string[], streaming?: string[] }> {
    if (req.type === 'attach' || req.type === 'attach-id') {
      // By name within a namespace (a detached actor may then be killed), or by id: a handle that
      // travelled (a guest's call, a driver's actorHandle); its unguessable id is the capability.
      const found = req.type === 'attach' ? this.node.actorByName(req.name, req.namespace ?? defaultNamespace(from)) : this.node.actorById(req.actor)
      const { manifest } = await this.executor.load(found.component.cid, from, req.job, false)
      const cls = manifest.actors.find(a => a.name === found.cls)
      const streaming = cls?.streaming ?? []
      this.streamingMethods.set(found.id, new Set(streaming))
      const detached = req.type === 'attach' && found.detached
      return { actor: found.id, owned: false, mayKill: detached, detached, cls: found.cls, methods: cls?.methods ?? [], streaming }
    }
    // The component stays loaded while the actor lives (see RemoteTaskExecutor.trimComponents).
    this.executor.pin(req.component)
    try {
      return await this.create(req, from)
    } catch (err) {
      this.executor.unpin(req.component)
      throw err
    }
  }

  private async create (req: Extract<ActorOpen, { type: 'create' }>, from: string): Promise<{ actor: string, owned: boolean, mayKill: boolean, detached: boolean, cls?: string, methods?: string[], streaming?: string[] }> {
    const { component, manifest } = await this.executor.load(req.component, from, req.job)
    const cls = manifest.actors.find(a => a.name === req.cls)
    if (cls === undefined) {
      throw new TaskError(`component ${req.component} has no actor class named "${req.cls}" (it has: ${manifest.actors.map(a => a.name).join(', ') || 'none'})`, { kind: 'unknown-actor' })
    }
    const options = resolveActorOptions(req.options, `actor '${req.cls}'`)
    options.namespace ??= defaultNamespace(from)
    if (groupsOf(options.resources).length > 0) this.node.checkBundles(options.resources, { peer: from, ...(req.job === undefined ? {} : { job: req.job }) }, `actor '${req.cls}'`)
    this.admitActor(from, `actor '${req.cls}'`)
    if (options.timeoutMs !== undefined) this.executor.timeoutWithin(options.timeoutMs, `actor '${req.cls}'`)
    const restarts: Lifecycle = { count: 0 }
    // Refs inside the constructor's arguments: refs of this node, held while the actor lives (a restart in place runs the constructor again).
    const what = `actor '${req.cls}' constructor`
    const nested = req.nested ?? []
    const locals: string[] = []
    const mapping = new Map<string, string>()
    let actor: string
    try {
      const values = await Promise.all(nested.map(async n => n.value ?? await this.executor.objectFor(what, n.cid!, n.holders!, from, undefined, req.job)))
      this.executor.localNested(nested, values, what, locals, mapping)
      actor = await this.node.createActor(component, req.cls, wholeRefArgs(wireArgs(req.args, what, ref => mapping.get(ref))), options, {
        onRestart: count => { restarts.count = count; restarts.listener?.(count) },
        onDeath: cause => {
          restarts.died = cause
          restarts.onDied?.(cause)
        },
        onSnapshot: ref => { restarts.onSnapshot?.(ref) },
        owner: from,
        ...(req.job === undefined ? {} : { job: req.job })
      })
    } catch (err) {
      for (const l of locals) this.node.release(l)
      throw err
    }
    this.restarts.set(actor, restarts)
    this.actorRefs.set(actor, mapping)
    let mine = this.created.get(from)
    if (mine === undefined) this.created.set(from, mine = new Set())
    mine.add(actor)
    this.components.set(actor, req.component)
    this.streamingMethods.set(actor, new Set(cls.streaming))
    return { actor, owned: true, mayKill: true, detached: options.detached }
  }

  watchRestarts (actor: string, listener: (restarts: number) => void): () => void {
    const r = this.restarts.get(actor)
    if (r === undefined) return () => {}
    r.listener = listener
    if (r.count > 0) listener(r.count)
    return () => { this.restarts.delete(actor) }
  }

  watchSnapshots (actor: string, listener: (ref: SnapshotRef) => void): void {
    const r = this.restarts.get(actor)
    if (r !== undefined) r.onSnapshot = listener
  }

  watchDeath (actor: string, listener: (cause: Error) => void): () => void {
    const r = this.restarts.get(actor)
    if (r === undefined) return () => {}
    r.onDied = listener
    if (r.died !== undefined) listener(r.died)
    return () => { r.onDied = undefined }
  }

  call (actor: string, method: string, args: Uint8Array, timeoutMs: number | undefined, call?: { from: string, job?: string, nested?: NestedRef[], retries?: number, onRetry?: () => void, onItem?: (item: ActorCallResult) => Promise<void>, seq?: number }): Promise<ActorCallResult> {
    const what = `actor method '${method}'`
    const onItem = call?.onItem
    if (onItem !== undefined && this.streamingMethods.get(actor)?.has(method) !== true) {
      // Only a generator's call streams (its values would otherwise be a plain result, unread).
      return Promise.reject(new TaskError(`${what} of actor ${actor} cannot be called as a stream: its component's manifest does not list it as a generator method (call it as a plain method)`, { kind: 'bad-argument' }))
    }
    // Refs nested in the argument values: refs of this node, made now (an object still being
    // pulled is a pending ref the call waits for), so the call is queued in arrival order.
    // They stay while the actor lives (it may keep them in its state), also when an attached
    // session sent them. For an actor that is gone they are made for the call only (it fails).
    const nested = call?.nested ?? []
    const living = this.actorRefs.get(actor)
    const mapping = living ?? new Map<string, string>()
    const locals: string[] = []
    const release = (): void => { for (const l of locals) this.node.release(l) }
    let id: string
    try {
      // Every call ends within the node's ceiling (its own timeout, the actor's, or the ceiling).
      timeoutMs = this.executor.timeoutWithin(timeoutMs ?? this.node.actorTimeout(actor), what)
      if (nested.length > 0) {
        const fresh = nested.filter(n => !mapping.has(n.id))
        const pulls = fresh.map(n => {
          if (n.value !== undefined) return n.value
          const pull = this.executor.objectFor(what, n.cid!, n.holders!, call!.from, undefined, call!.job)
          pull.catch(() => {}) // observed by its pending ref; not unhandled if the refs cannot all be made
          return pull
        })
        this.executor.localNested(fresh, pulls, what, living === undefined ? locals : [], mapping)
      }
      id = this.node.callActor(actor, method, wholeRefArgs(wireArgs(args, what, ref => mapping.get(ref))), {
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(call?.retries === undefined ? {} : { maxRetries: call.retries }),
        ...(call?.onRetry === undefined ? {} : { onRetry: call.onRetry }),
        ...(onItem === undefined ? {} : { streaming: true }),
        ...(call?.job === undefined ? {} : { job: call.job }),
        ...(call?.seq === undefined ? {} : { seq: call.seq })
      })
    } catch (err) {
      release()
      throw err
    }
    return (async () => {
      try {
        if (onItem !== undefined) return { value: encode(await this.streamItems(id, call!.from, call!.job, what, onItem)) }
        const value = await this.node.get(id)
        // Refs inside the result travel with what they stand for (objects kept here for the caller).
        const refs = call === undefined ? [] : await this.executor.resultRefs(value, call.from, what, MAX_ACTOR_REPLY_BYTES - 1024, call.job)
        return { value, ...(refs.length === 0 ? {} : { nested: refs }) }
      } finally {
        this.node.release(id)
        release()
      }
    })()
  }

  /**
   * Hand a streaming call's values to `onItem` as the actor yields them, each with the refs inside
   * it (as a result's); the next is read once `onItem` settles. Returns how many there were;
   * throws the call's error after the values yielded before it.
   */
  private async streamItems (id: string, from: string, job: string | undefined, what: string, onItem: (item: ActorCallResult) => Promise<void>): Promise<number> {
    const reader = this.node.stream(id)
    let count = 0
    for (let item = await reader.next(); item !== undefined; item = await reader.next()) {
      try {
        const value = await this.node.get(item)
        const refs = await this.executor.resultRefs(value, from, `a value of ${what}`, MAX_ACTOR_REPLY_BYTES - 1024, job)
        await onItem({ value, ...(refs.length === 0 ? {} : { nested: refs }) })
      } finally {
        // The reader took the stream's hold on the item over.
        this.node.release(item)
      }
      count++
    }
    return count
  }

  kill (actor: string): void {
    for (const [peer, mine] of this.created) if (mine.delete(actor) && mine.size === 0) this.created.delete(peer)
    const component = this.components.get(actor)
    if (component !== undefined) {
      this.components.delete(actor)
      this.executor.unpin(component)
    }
    this.restarts.delete(actor)
    this.streamingMethods.delete(actor)
    this.node.kill(actor)
    for (const l of this.actorRefs.get(actor)?.values() ?? []) this.node.release(l)
    this.actorRefs.delete(actor)
  }
}

/**
 * A caller sends a ref given as a whole argument as the ref itself (with what it stands for in
 * `nested`), never its value: here it becomes a ref argument, so the actor gets its value, as on
 * the embedded fabric (refs inside values stay refs).
 */
function wholeRefArgs (args: ArgSpec[]): ArgSpec[] {
  return args.map(a => a.kind === 'value' && a.refs.length === 1 && decode(a.bytes) instanceof ObjectRef ? { kind: 'ref', id: a.refs[0]! } : a)
}

/** The namespace of a peer that names none: its own, so its names meet nobody else's. */
function defaultNamespace (from: string): string {
  return `peer:${from}`
}

/** What the owner's session hears of an actor it created: restarts in place, and its death on the node. */
interface Lifecycle {
  count: number
  listener?: (restarts: number) => void
  died?: Error
  onDied?: (cause: Error) => void
  onSnapshot?: (ref: SnapshotRef) => void
}
