// Actors across nodes over `/fabric/actor/1`: the node side (RemoteActorHost: creates the actors
// peers ask for on its LocalNode and runs their calls in arrival order) and the caller's side
// (RemoteActor: places the actor, keeps its session, and restarts it on another node when its node
// dies, up to maxRestarts, retrying interrupted calls up to maxTaskRetries).
import { ActorDiedError, TaskError } from '../exec/errors.js'
import type { ActorHost, ActorOpen, ActorSession, NetNode } from '../net/index.js'
import { decode, encode, findRefs, ObjectRef } from '../objects/index.js'
import type { Resources } from '../scheduler/resources.js'
import { ActorNotFoundError, ForeignRefError } from './errors.js'
import type { ArgSpec } from './interface.js'
import { resolveActorOptions, type LocalNode } from './local-node.js'
import type { Scheduling } from './placement.js'
import type { RemoteRunner, RemoteTaskExecutor } from './remote.js'

/**
 * CBOR array of arguments from the wire, as the runtime's argument specs. Refs nested inside a
 * value carry the caller's ids: `local` maps each to a ref of this node (one the caller described
 * in the request); without it, or for an id it does not know, the call is refused.
 */
export function wireArgs (bytes: Uint8Array, what: string, local?: (id: string) => string | undefined): ArgSpec[] {
  const values = decode(bytes)
  if (!Array.isArray(values)) throw new TaskError(`${what}: the arguments must be a CBOR array`, { kind: 'bad-argument' })
  return values.map((v, i) => {
    if (findRefs(v).length === 0) return { kind: 'value' as const, bytes: encode(v), refs: [] }
    const refs: string[] = []
    const mapped = mapRefs(v, ref => {
      const id = local?.(ref.id)
      if (id === undefined) throw new ForeignRefError(`${what}: argument ${i + 1} holds ${ref.toString()}, which the caller did not describe (nested refs need their values sent along)`)
      refs.push(id)
      return new ObjectRef(id)
    })
    return { kind: 'value' as const, bytes: encode(mapped), refs }
  })
}

/** A copy of `value` with every ref replaced by `fn(ref)` (arrays, maps and plain objects walked; typed arrays kept). */
function mapRefs (value: unknown, fn: (ref: ObjectRef) => ObjectRef): unknown {
  if (value instanceof ObjectRef) return fn(value)
  if (Array.isArray(value)) return value.map(v => mapRefs(v, fn))
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [mapRefs(k, fn), mapRefs(v, fn)]))
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapRefs(v, fn)]))
  }
  return value
}

/** Hosts the actors peers create on this node (see {@link ActorHost}). */
export class RemoteActorHost implements ActorHost {
  constructor (private readonly node: LocalNode, private readonly executor: RemoteTaskExecutor) {}

  async open (req: ActorOpen, from: string): Promise<{ actor: string, owned: boolean, cls?: string, methods?: string[] }> {
    if (req.type === 'attach') {
      const found = this.node.actorByName(req.name)
      const { manifest } = await this.executor.load(found.component.cid, from)
      return { actor: found.id, owned: false, cls: found.cls, methods: manifest.actors.find(a => a.name === found.cls)?.methods ?? [] }
    }
    const { component, manifest } = await this.executor.load(req.component, from)
    if (!manifest.actors.some(a => a.name === req.cls)) {
      throw new TaskError(`component ${req.component} has no actor class named "${req.cls}" (it has: ${manifest.actors.map(a => a.name).join(', ') || 'none'})`, { kind: 'unknown-actor' })
    }
    const options = resolveActorOptions(req.options, `actor '${req.cls}'`)
    const actor = await this.node.createActor(component, req.cls, wireArgs(req.args, `actor '${req.cls}' constructor`), options)
    return { actor, owned: true }
  }

  call (actor: string, method: string, args: Uint8Array, timeoutMs: number | undefined): Promise<Uint8Array> {
    // Queued now, synchronously: calls run in the order they arrived.
    const id = this.node.callActor(actor, method, wireArgs(args, `actor method '${method}'`), timeoutMs === undefined ? {} : { timeoutMs })
    return (async () => {
      try {
        return await this.node.get(id)
      } finally {
        this.node.release(id)
      }
    })()
  }

  kill (actor: string): void {
    this.node.kill(actor)
  }
}

/** How a caller's actor is placed and restarted. */
export interface RemoteActorInit {
  /** The component's CID (added to the runner, which serves it). */
  component: string
  cls: string
  /** CBOR array of constructor arguments. */
  args: Uint8Array
  /** What the actor holds on its node. */
  demand: Resources
  scheduling?: Scheduling
  /** Restarts on another node after its node dies. */
  maxRestarts: number
  /** Times one call is sent again after a restart interrupted it. */
  maxTaskRetries: number
  /** The options the node applies (resources, name, maxConcurrency, timeoutMs; its own restarts after a worker crash). */
  nodeOptions: Record<string, unknown>
}

interface CallRecord {
  seq: number
  method: string
  args: Uint8Array
  timeoutMs?: number
  attempts: number
  /** The session it was sent on; undefined while it waits to be sent. */
  sentOn?: ActorSession
  resolve: (v: Uint8Array) => void
  reject: (e: Error) => void
}

/**
 * A caller's actor on some node of the fabric. Calls are sent in the order they are made, on one
 * session; when the node dies (the session breaks) the actor is created again on another node
 * (a fresh instance: its state starts over, as in Ray) while restarts remain.
 */
export class RemoteActor {
  private session?: ActorSession
  private readonly calls: CallRecord[] = []
  private nextSeq = 0
  private restarts = 0
  private dead?: Error
  private readonly failedNodes = new Set<string>()

  private constructor (private readonly net: NetNode, private readonly runner: RemoteRunner, private readonly init: RemoteActorInit) {}

  /**
   * Create the actor on the best node that accepts it.
   *
   * @throws InfeasibleTaskError when no node can hold it; the constructor's error when it failed
   */
  static async create (net: NetNode, runner: RemoteRunner, init: RemoteActorInit): Promise<RemoteActor> {
    const actor = new RemoteActor(net, runner, init)
    actor.adopt(await actor.open())
    return actor
  }

  /** Attach to a live named actor on `peer` (found by {@link findNamedActor}); never restarted from here (maxRestarts 0). */
  static attached (net: NetNode, runner: RemoteRunner, session: ActorSession): RemoteActor {
    const actor = new RemoteActor(net, runner, { component: '', cls: '', args: new Uint8Array(), demand: { cpus: 0, gpus: 0, memoryMb: 0, custom: {} }, maxRestarts: 0, maxTaskRetries: 0, nodeOptions: {} })
    actor.adopt(session)
    return actor
  }

  /** The node the actor lives on now. */
  get peer (): string | undefined {
    return this.session?.peer
  }

  /** Times the actor was created again on another node. */
  get restartCount (): number {
    return this.restarts
  }

  /** Call a method: resolves to its CBOR result. */
  async call (method: string, args: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    if (this.dead !== undefined) throw this.dead
    return await new Promise<Uint8Array>((resolve, reject) => {
      const r: CallRecord = { seq: this.nextSeq++, method, args, attempts: 0, resolve, reject, ...(timeoutMs === undefined ? {} : { timeoutMs }) }
      this.calls.push(r)
      if (this.session !== undefined) this.send(r, this.session)
    })
  }

  /** Kill the actor: calls not yet answered fail with ActorDiedError. */
  async kill (): Promise<void> {
    if (this.dead !== undefined) return
    const session = this.session
    this.die(new ActorDiedError(`actor '${this.init.cls || session?.actor || ''}' was killed`), false)
    await session?.kill()
  }

  /** End the session (the node kills an actor this caller created). */
  async close (): Promise<void> {
    if (this.dead !== undefined) return
    const session = this.session
    this.die(new ActorDiedError('the actor\'s handle was closed'), false)
    await session?.close()
  }

  private async open (): Promise<ActorSession> {
    const { init } = this
    const what = `actor '${init.cls}'`
    const nodes = this.runner.rank(what, init.demand, init.scheduling, this.failedNodes)
    const refusals: Error[] = []
    for (const node of nodes) {
      // Counted before the node answers, so actors created at once spread out.
      this.runner.actorPlaced(node.info.peer, 1)
      try {
        return await this.net.openActor(node.info.peer, { type: 'create', component: init.component, cls: init.cls, args: init.args, options: init.nodeOptions })
      } catch (err) {
        this.runner.actorPlaced(node.info.peer, -1)
        // A node without room now, or gone: try the next. Anything else is the actor's own failure.
        if (!['InfeasibleTaskError', 'PeerUnreachableError'].includes((err as Error).name)) throw err
        refusals.push(err as Error)
      }
    }
    const last = refusals[refusals.length - 1]!
    last.message = `no node accepted ${what}: ${refusals.slice(-4).map(e => e.message).join('; ')}`
    throw last
  }

  private adopt (session: ActorSession): void {
    this.session = session
    void session.ended.then(err => {
      if (this.session === session && this.dead === undefined) this.lost(session, err ?? new ActorDiedError(`node ${session.peer} ended the actor's session`))
    })
    for (const r of this.calls) if (r.sentOn === undefined) this.send(r, session)
  }

  private send (r: CallRecord, session: ActorSession): void {
    r.attempts++
    r.sentOn = session
    session.call(r.method, r.args, r.timeoutMs).then(value => {
      if (r.sentOn !== session) return
      this.settle(r)
      r.resolve(value)
    }, (err: Error) => {
      if (r.sentOn !== session) return // handled when the session was lost
      if (this.dead === undefined && (err.name === 'PeerUnreachableError' || this.session !== session)) {
        this.lost(session, err)
        return
      }
      this.settle(r)
      r.reject(err)
    })
  }

  private settle (r: CallRecord): void {
    const i = this.calls.indexOf(r)
    if (i >= 0) this.calls.splice(i, 1)
  }

  /** The actor's session broke (its node died or left): restart it elsewhere, or give up. */
  private lost (session: ActorSession, cause: Error): void {
    if (this.session !== session || this.dead !== undefined) return
    this.session = undefined
    this.runner.actorPlaced(session.peer, -1)
    this.failedNodes.add(session.peer)
    const what = `actor '${this.init.cls}'`
    for (const r of [...this.calls]) {
      if (r.sentOn !== session) continue
      r.sentOn = undefined
      if (r.attempts > this.init.maxTaskRetries) {
        this.settle(r)
        r.reject(new ActorDiedError(`${what} was lost with node ${session.peer} during a call to ${r.method} (maxTaskRetries ${this.init.maxTaskRetries}): ${cause.message}`, { cause }))
      }
    }
    if (this.restarts >= this.init.maxRestarts) {
      this.die(new ActorDiedError(`${what} was lost with node ${session.peer} and has no restarts left (maxRestarts ${this.init.maxRestarts}): ${cause.message}`, { cause }), true)
      return
    }
    this.restarts++
    this.open().then(next => {
      if (this.dead !== undefined) {
        void next.close()
        return
      }
      this.adopt(next)
    }, (err: Error) => {
      this.die(new ActorDiedError(`${what} could not be restarted after node ${session.peer} was lost: ${err.message}`, { cause: err }), true)
    })
  }

  private die (err: Error, closeSession: boolean): void {
    if (this.dead !== undefined) return
    this.dead = err
    const session = this.session
    this.session = undefined
    if (session !== undefined) this.runner.actorPlaced(session.peer, -1)
    // Calls sent on a session that is killed or closed are answered by the node; the rest fail now.
    for (const r of this.calls.splice(0)) {
      if (closeSession || r.sentOn === undefined) {
        r.sentOn = undefined
        r.reject(err)
      }
    }
    if (closeSession && session !== undefined) void session.close()
  }
}

/**
 * Find a live actor named `name` on any node in the caller's view (an attach session on the first
 * that has it).
 *
 * @throws ActorNotFoundError when no node has it
 */
export async function findNamedActor (net: NetNode, runner: RemoteRunner, name: string): Promise<{ actor: RemoteActor, cls: string, methods: string[] }> {
  const nodes = net.view.peers().filter(p => p.info.resources.total.cpus > 0)
  const tries = nodes.map(async p => await net.openActor(p.info.peer, { type: 'attach', name }))
  const settled = await Promise.allSettled(tries)
  const found = settled.filter((s): s is PromiseFulfilledResult<ActorSession> => s.status === 'fulfilled').map(s => s.value)
  for (const extra of found.slice(1)) void extra.close()
  const first = found[0]
  if (first !== undefined) return { actor: RemoteActor.attached(net, runner, first), cls: first.cls ?? name, methods: first.methods ?? [] }
  throw new ActorNotFoundError(`no live actor is named '${name}' on the ${nodes.length} nodes in view`)
}
