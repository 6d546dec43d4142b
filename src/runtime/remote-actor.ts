// Actors across nodes over `/fabric/actor/1`, the caller's side (the node side is RemoteActorHost,
// remote-actor-host.ts): RemoteActor places the actor, keeps its session, and restarts it on
// another node when its node dies, retrying interrupted calls up to maxTaskRetries. One restart
// budget, maxRestarts, covers both kinds of restart: the node reports each restart it makes in
// place (a crash), and a new node is given only what is left. A named actor's name is checked
// across the caller's view (see RemoteActor.claimName). A handle that travelled is attached to by
// the actor's id (attachActor). A generator method's call streams its values as they come.
import { randomUUID } from 'node:crypto'
import { ActorDiedError } from '../exec/errors.js'
import type { ActorCallResult, ActorSession, NestedRef, NetNode, PeerEntry } from '../net/index.js'
import { ACTOR_NAME_PROBE_TIMEOUT_MS } from '../net/constants.js'
import type { Resources } from '../scheduler/resources.js'
import { ActorNotFoundError } from './errors.js'
import type { LabelSelector, Scheduling } from '../scheduler/index.js'
import { demandOptions, type RemoteRunner } from './remote-runner.js'
import type { BundleLocator } from './interface.js'

/** How long a restart after a lost node keeps trying while no node can take the actor (unreachable, or no room). */
export const RESTART_PATIENCE_MS = 30_000

// The node side lives in its own file; exported from here too, where callers have found it.
export { RemoteActorHost } from './remote-actor-host.js'

/** How a caller's actor is placed and restarted. */
export interface RemoteActorInit {
  /** The component's CID (added to the runner, which serves it). */
  component: string
  cls: string
  /** CBOR array of constructor arguments. */
  args: Uint8Array
  /** Refs inside the constructor's argument values and what they stand for. */
  nested?: NestedRef[]
  /** What the actor holds on its node. */
  demand: Resources
  scheduling?: Scheduling
  /** Node labels the actor needs (hard) or prefers (soft); its restarts keep to them. */
  labels?: LabelSelector
  /** The placement group bundle it lives in: created (and restarted) where the bundle is, out of its resources. */
  bundle?: BundleLocator
  /**
   * Restarts in all: in place on its node after a crash (the node reports each) and on another
   * node after its node dies. A new node is given what is left as its own maxRestarts.
   */
  maxRestarts: number
  /** Times one call is sent again after a restart interrupted it. */
  maxTaskRetries: number
  /** The options the node applies (resources, name, maxConcurrency, timeoutMs); maxRestarts is set from what is left. */
  nodeOptions: Record<string, unknown>
  /** The actor's name: checked across the fabric view before and after each creation (see {@link RemoteActor.create}). */
  name?: string
  /** The namespace its name lives in (also in nodeOptions, where the node reads it). */
  namespace?: string
}

interface CallRecord {
  seq: number
  method: string
  args: Uint8Array
  timeoutMs?: number
  nested?: NestedRef[]
  attempts: number
  /** The session it was sent on; undefined while it waits to be sent. */
  sentOn?: ActorSession
  resolve: (v: ActorCallResult & { peer: string }) => void
  reject: (e: Error) => void
  /** A streaming call's receiver of values (see {@link RemoteActor.invoke}). */
  onItem?: (item: ActorCallResult & { peer: string }) => void
  /** Values given to `onItem` so far, over all sessions the call was sent on. */
  given: number
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
  /** False for a handle attached to another caller's actor (by name): it neither restarts nor resends. */
  private owner = true
  private dead?: Error
  /** Nodes the restart now in progress does not try: the one just lost (cleared once the actor lives again, or between tries). */
  private readonly failedNodes = new Set<string>()
  /** `peer/actor` of the instances this actor had before (not rivals for its name). */
  private readonly former = new Set<string>()

  /** A durable actor's last snapshot, as its node reported it: a restart elsewhere resumes from it. */
  private snapshot: { cid: string, holders: string[] } | undefined
  /** A durable actor: its calls carry their seq (a call sent again after a restart is answered from the snapshot, not run twice). */
  private readonly durable: boolean

  private constructor (private readonly net: NetNode, private readonly runner: RemoteRunner, private readonly init: RemoteActorInit) {
    this.durable = init.nodeOptions.durable === true || init.nodeOptions.checkpointEvery !== undefined
    // One key names its snapshots across restarts (replicas keep the latest per key).
    if (this.durable && init.nodeOptions.durableKey === undefined) init.nodeOptions = { ...init.nodeOptions, durableKey: randomUUID() }
  }

  /**
   * Create the actor on the best node that accepts it. A named actor's name is checked across
   * the caller's view first, and again once the actor exists (see {@link claimName}).
   *
   * @throws InfeasibleTaskError when no node can hold it; the constructor's error when it failed;
   *   TypeError when another live actor holds its name
   */
  static async create (net: NetNode, runner: RemoteRunner, init: RemoteActorInit): Promise<RemoteActor> {
    const actor = new RemoteActor(net, runner, init)
    actor.adopt(await actor.open())
    return actor
  }

  /** Attach to a live named actor on `peer` (found by {@link findNamedActor}); never restarted from here (maxRestarts 0). */
  static attached (net: NetNode, runner: RemoteRunner, session: ActorSession): RemoteActor {
    const actor = new RemoteActor(net, runner, { component: '', cls: session.cls ?? '', args: new Uint8Array(), demand: { cpus: 0, gpus: 0, memoryMb: 0, custom: {} }, maxRestarts: 0, maxTaskRetries: 0, nodeOptions: {} })
    actor.owner = false
    actor.adopt(session)
    return actor
  }

  /** The node the actor lives on now. */
  get peer (): string | undefined {
    return this.session?.peer
  }

  /** The actor's id on the node it lives on now (with {@link peer}: its address, see actor-address.ts). */
  get actorId (): string | undefined {
    return this.session?.actor
  }

  /** Whether this handle can no longer reach the actor (killed, closed, or lost for good). */
  get isDead (): boolean {
    return this.dead !== undefined
  }

  /** Times the actor was restarted: in place on its node (as the node reported) and on another node, together. */
  get restartCount (): number {
    return this.restarts
  }

  /** Call a method: resolves to its CBOR result. */
  async call (method: string, args: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    return (await this.invoke(method, args, timeoutMs === undefined ? {} : { timeoutMs })).value
  }

  /**
   * Call a method whose argument values may hold refs (`nested` describes them); resolves to its
   * CBOR result, the refs inside it, and the node that answered (whose ids those refs carry).
   * `onItem`: the method is a generator; its values come to `onItem` in order as it yields them,
   * each with the node that sent it, and the result is their CBOR count. When a lost node makes
   * the call run again on another, the values already given are not given again.
   */
  async invoke (method: string, args: Uint8Array, options: { timeoutMs?: number, nested?: NestedRef[], onItem?: (item: ActorCallResult & { peer: string }) => void } = {}): Promise<ActorCallResult & { peer: string }> {
    if (this.dead !== undefined) throw this.dead
    const { timeoutMs, nested, onItem } = options
    return await new Promise((resolve, reject) => {
      const r: CallRecord = { seq: this.nextSeq++, method, args, attempts: 0, resolve, reject, given: 0, ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(nested === undefined ? {} : { nested }), ...(onItem === undefined ? {} : { onItem }) }
      this.calls.push(r)
      if (this.session !== undefined) this.send(r, this.session)
    })
  }

  /**
   * Kill the actor: calls not yet answered fail with ActorDiedError. An attached handle's kill is
   * the node's to allow (a detached actor found by name); refused, the handle ends with the refusal.
   *
   * @throws PermissionDeniedError when the node refused it
   */
  async kill (): Promise<void> {
    if (this.dead !== undefined) return
    const session = this.session
    if (!this.owner) {
      try {
        await session?.kill()
      } catch (err) {
        this.die(err as Error, false)
        throw err
      }
    }
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
    if (init.name !== undefined) {
      const rival = (await this.rivals()).at(0)
      if (rival !== undefined) throw duplicateName(init.name, rival.peer)
    }
    let nodes: PeerEntry[]
    // One budget: the node may restart the actor in place only as often as is left of it.
    let options: Record<string, unknown> = { ...init.nodeOptions, maxRestarts: Math.max(0, init.maxRestarts - this.restarts), ...(this.snapshot === undefined ? {} : { restore: this.snapshot }) }
    if (init.bundle !== undefined) {
      // In a placement group: where its bundle is, once placed (placed again after its node failed).
      for (;;) {
        const at = await init.bundle.locate(this.failedNodes)
        const node = this.net.view.get(at.peer)
        if (node === undefined) {
          this.failedNodes.add(at.peer)
          continue
        }
        nodes = [node]
        options = { ...options, ...demandOptions(at.demand) }
        break
      }
    } else {
      nodes = this.runner.rank(what, init.demand, init.scheduling, this.failedNodes, undefined, init.labels)
    }
    const refusals: Error[] = []
    for (const node of nodes) {
      // Counted before the node answers, so actors created at once spread out.
      this.runner.actorPlaced(node.info.peer, 1)
      let session: ActorSession
      try {
        session = await this.net.openActor(node.info.peer, { type: 'create', component: init.component, cls: init.cls, args: init.args, options, ...(init.nested === undefined || init.nested.length === 0 ? {} : { nested: init.nested }) })
      } catch (err) {
        this.runner.actorPlaced(node.info.peer, -1)
        // The node has a live actor of that name (its own check): the same error as the caller's.
        if ((err as Error).name === 'TypeError' && init.name !== undefined && /already exists/.test((err as Error).message)) throw duplicateName(init.name, node.info.peer)
        // A node without room now, or gone: try the next. Anything else is the actor's own failure.
        if (!['InfeasibleTaskError', 'PeerUnreachableError'].includes((err as Error).name)) throw err
        refusals.push(err as Error)
        continue
      }
      if (init.name !== undefined) {
        try {
          await this.claimName(session)
        } catch (err) {
          this.runner.actorPlaced(node.info.peer, -1)
          await session.kill().catch(() => {})
          throw err
        }
      }
      return session
    }
    const last = refusals[refusals.length - 1]!
    last.message = `no node accepted ${what}: ${refusals.slice(-4).map(e => e.message).join('; ')}`
    throw last
  }

  /**
   * The other live actors named as this one, on the nodes in view (not `except`, whose own check
   * keeps names unique on it; not this actor's former instances). Nodes that do not answer in
   * time are not counted.
   */
  private async rivals (except?: string): Promise<Array<{ peer: string, actor: string }>> {
    const found = await liveNamed(this.net, this.init.name!, this.init.namespace, except)
    return found.filter(f => !this.former.has(`${f.peer}/${f.actor}`))
  }

  /**
   * Keep the name of the actor just created as `session`, or yield it. Without a head node two
   * callers may create the same name at once on two nodes; each then looks again across its view.
   * A creator that sees a rival whose `peer/actor` sorts before its own yields at once; one that
   * sees only rivals sorting after it waits for them to yield (they see it too, unless they had
   * looked before it existed, in which case they keep the name) and looks again, yielding after a
   * few looks. It keeps the name only after a look that found no rival: of two actors with the
   * same name, the one created later always sees the other when it looks, so both cannot keep it.
   *
   * @throws TypeError (the actor was not kept) when a rival holds the name
   */
  private async claimName (session: ActorSession): Promise<void> {
    const name = this.init.name!
    const mine = `${session.peer}/${session.actor}`
    for (let look = 0, pause = 100; ; look++, pause *= 2) {
      const rivals = await this.rivals(session.peer)
      if (rivals.length === 0) return
      if (look >= 3 || rivals.some(r => `${r.peer}/${r.actor}` < mine)) throw duplicateName(name, rivals[0]!.peer)
      await new Promise(resolve => setTimeout(resolve, pause))
    }
  }

  private adopt (session: ActorSession): void {
    this.session = session
    // A node lost before may be back: the next restart may choose it again.
    this.failedNodes.clear()
    this.former.add(`${session.peer}/${session.actor}`)
    // Restarts the node makes in place spend the same budget (the node was given what was left).
    let counted = 0
    const count = (restarts: number): void => {
      if (restarts <= counted || this.dead !== undefined) return
      this.restarts += restarts - counted
      counted = restarts
    }
    count(session.restarts)
    session.onRestarted(count)
    session.onSnapshot(ref => { if (this.session === session) this.snapshot = ref })
    void session.ended.then(err => {
      if (this.session === session && this.dead === undefined) this.lost(session, err ?? new ActorDiedError(`node ${session.peer} ended the actor's session`))
    })
    for (const r of this.calls) if (r.sentOn === undefined) this.send(r, session)
  }

  private send (r: CallRecord, session: ActorSession): void {
    r.attempts++
    r.sentOn = session
    // A fresh instance on another node yields from the start: skip what the caller has already.
    let seen = 0
    const onItem = r.onItem === undefined
      ? undefined
      : (item: ActorCallResult): void => {
          if (r.sentOn !== session || ++seen <= r.given) return
          r.given++
          r.onItem!({ ...item, peer: session.peer })
        }
    // One maxTaskRetries per call: the node may run it again after crashes only with what is left,
    // and tells each time it does (as sending it again after a lost node counts here too). An
    // attached handle leaves the actor's own maxTaskRetries to the node (it never resends).
    session.invoke(r.method, r.args, {
      ...(r.timeoutMs === undefined ? {} : { timeoutMs: r.timeoutMs }),
      ...(r.nested === undefined ? {} : { nested: r.nested }),
      ...(this.owner ? { retries: Math.max(0, this.init.maxTaskRetries - (r.attempts - 1)) } : {}),
      ...(this.durable ? { seq: r.seq } : {}),
      onRetry: () => { if (r.sentOn === session) r.attempts++ },
      ...(onItem === undefined ? {} : { onItem })
    }).then(out => {
      if (r.sentOn !== session) return
      this.settle(r)
      r.resolve({ ...out, peer: session.peer })
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
    if (this.owner) this.runner.actorPlaced(session.peer, -1)
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
      this.die(new ActorDiedError(`${what} was lost with node ${session.peer} and has no restarts left (${this.restarts} of maxRestarts ${this.init.maxRestarts} used): ${cause.message}`, { cause }), true)
      return
    }
    this.restarts++
    // One restart, tried until it takes: no node may be reachable or have room for a moment (a
    // hung node, a node restarting, a fabric briefly full). The calls wait meanwhile.
    const deadline = Date.now() + RESTART_PATIENCE_MS
    const attempt = (pause: number): void => {
      this.open().then(next => {
        if (this.dead !== undefined) {
          void next.close()
          return
        }
        this.adopt(next)
      }, (err: Error) => {
        if (this.dead !== undefined) return
        if (['PeerUnreachableError', 'InfeasibleTaskError'].includes(err.name) && Date.now() + pause < deadline) {
          // Every node may be tried again, the lost one too (it may be back).
          this.failedNodes.clear()
          setTimeout(() => attempt(Math.min(pause * 2, 5000)), pause).unref()
          return
        }
        this.die(new ActorDiedError(`${what} could not be restarted after node ${session.peer} was lost: ${err.message}`, { cause: err }), true)
      })
    }
    attempt(250)
  }

  private die (err: Error, closeSession: boolean): void {
    if (this.dead !== undefined) return
    this.dead = err
    const session = this.session
    this.session = undefined
    // Only a created actor was counted on its node (see open); an attached handle placed nothing.
    if (session !== undefined && this.owner) this.runner.actorPlaced(session.peer, -1)
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
export async function findNamedActor (net: NetNode, runner: RemoteRunner, name: string, namespace?: string): Promise<{ actor: RemoteActor, cls: string, methods: string[], streaming: string[] }> {
  const nodes = net.view.peers().filter(p => p.info.resources.total.cpus > 0)
  const tries = nodes.map(async p => await net.openActor(p.info.peer, { type: 'attach', name, ...(namespace === undefined ? {} : { namespace }) }))
  const settled = await Promise.allSettled(tries)
  const found = settled.filter((s): s is PromiseFulfilledResult<ActorSession> => s.status === 'fulfilled').map(s => s.value)
  for (const extra of found.slice(1)) void extra.close()
  const first = found[0]
  if (first !== undefined) return { actor: RemoteActor.attached(net, runner, first), cls: first.cls ?? name, methods: first.methods ?? [], streaming: first.streaming ?? [] }
  throw new ActorNotFoundError(`no live actor is named '${name}'${namespace === undefined ? '' : ` in namespace '${namespace}'`} on the ${nodes.length} nodes in view`)
}

/**
 * Attach to the live actor `actor` (its id on node `peer`): a handle that travelled, turned back
 * into one this caller can call. Never restarted from here, as an attach by name.
 *
 * @throws ActorNotFoundError when `peer` is not a node in view or has no such live actor;
 *   PeerUnreachableError when it cannot be reached
 */
export async function attachActor (net: NetNode, runner: RemoteRunner, peer: string, actor: string): Promise<{ actor: RemoteActor, cls: string, methods: string[], streaming: string[] }> {
  // Only nodes in view are dialled: an address made up elsewhere reaches no further than a real one.
  if (net.view.get(peer) === undefined) throw new ActorNotFoundError(`actor ${actor}@${peer}: node ${peer} is not in this caller's view of the fabric (it left or died, or the id was made up)`)
  const session = await net.openActor(peer, { type: 'attach-id', actor })
  return { actor: RemoteActor.attached(net, runner, session), cls: session.cls ?? '', methods: session.methods ?? [], streaming: session.streaming ?? [] }
}

/**
 * The live actors named `name` on the nodes in view but `except` (an attach session on each, closed
 * at once). A node that cannot be reached, or does not answer within ACTOR_NAME_PROBE_TIMEOUT_MS,
 * is not counted.
 */
async function liveNamed (net: NetNode, name: string, namespace: string | undefined, except?: string): Promise<Array<{ peer: string, actor: string }>> {
  const nodes = net.view.peers().filter(p => p.info.resources.total.cpus > 0 && p.info.peer !== except)
  const settled = await Promise.allSettled(nodes.map(async p => await net.openActor(p.info.peer, { type: 'attach', name, ...(namespace === undefined ? {} : { namespace }) }, { signal: AbortSignal.timeout(ACTOR_NAME_PROBE_TIMEOUT_MS) })))
  const found: Array<{ peer: string, actor: string }> = []
  for (const s of settled) {
    if (s.status !== 'fulfilled') continue
    found.push({ peer: s.value.peer, actor: s.value.actor })
    void s.value.close().catch(() => {})
  }
  return found.sort((a, b) => `${a.peer}/${a.actor}` < `${b.peer}/${b.actor}` ? -1 : 1)
}

/** The embedded fabric's error for a name in use, saying where. */
function duplicateName (name: string, peer: string): TypeError {
  return new TypeError(`an actor named '${name}' already exists: names are unique while the actor lives (across the fabric: one lives on node ${peer})`)
}
