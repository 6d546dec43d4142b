// A node's calls to actors of other nodes, made for its guests (`handle.method.remote()` with a
// handle naming an actor elsewhere): one attached session (`/fabric/actor/1`, `{ type: 'attach-id',
// actor }`) per actor, opened on first use and closed once idle; calls are sent in the order made,
// so one caller's calls reach the actor in that order. Only nodes in this node's view are dialled: an
// address a guest forged reaches no further than a real one.
import { deserializeError } from '../errors/index.js'
import type { ActorSession, NestedRef, NetNode } from '../net/index.js'
import type { ActorAddress } from './actor-address.js'
import { ActorNotFoundError, FabricStoppedError } from './errors.js'
import type { OffloadedRef } from './interface.js'

/** Options of an {@link ActorForwarder}. */
export interface ActorForwarderInit {
  /** How long a session with no call in flight stays open. @default 30000 */
  idleMs?: number
  /** Sessions kept open at most; idle ones are closed first to make room. @default 256 */
  maxSessions?: number
}

/** One call to forward. */
export interface ForwardedCall {
  method: string
  timeoutMs?: number
  /** The calling guest's job key: sessions are per actor and job (the actor's node pulls the call's objects from here presenting it). */
  job?: string
  /**
   * The CBOR argument array and what the refs inside it stand for. Run in call order, after the
   * calls before it were sent, so a call waiting for its arguments holds back the later ones.
   */
  prepare: () => Promise<{ args: Uint8Array, nested: NestedRef[] }>
}

interface Target {
  session: Promise<ActorSession>
  /** Settles once the last call made so far was sent (not answered). */
  chain: Promise<void>
  inFlight: number
  idle?: NodeJS.Timeout
}

/**
 * Sessions with actors on other nodes, for one node's guests.
 *
 * @example
 * const forwarder = new ActorForwarder(net)
 * runtime.setActorForwarder(forwarder)
 * // ... on stop:
 * await forwarder.stop()
 */
export class ActorForwarder {
  private readonly targets = new Map<string, Target>()
  private readonly idleMs: number
  private readonly maxSessions: number
  private stopped = false

  constructor (private readonly net: NetNode, init: ActorForwarderInit = {}) {
    this.idleMs = init.idleMs ?? 30_000
    this.maxSessions = init.maxSessions ?? 256
  }

  /** This node's PeerId: addresses naming it are actors of this node. */
  get peerId (): string {
    return this.net.peerId
  }

  /** Sessions open now (or opening). */
  get sessions (): number {
    return this.targets.size
  }

  /**
   * Send `call` to actor `to.actor` on node `to.peer`; resolves to its CBOR result and the refs
   * inside it (objects the node kept for this one are pulled here, then let go there).
   *
   * @throws ActorNotFoundError when the node is not in view or has no such live actor;
   *   PeerUnreachableError when the node cannot be reached or went during the call; the call's own
   *   error (ActorDiedError, the method's TaskError, ...) otherwise
   */
  async call (to: Required<ActorAddress>, call: ForwardedCall): Promise<{ value: Uint8Array, nested: OffloadedRef[] }> {
    if (this.stopped) throw new FabricStoppedError('this node is stopping: no more calls to actors of other nodes')
    const what = `actor ${to.actor} on node ${to.peer}`
    const target = this.target(to, what, call.job)
    target.inFlight++
    if (target.idle !== undefined) clearTimeout(target.idle)
    target.idle = undefined
    try {
      const sent = target.chain.then(async () => {
        const session = await target.session
        const { args, nested } = await call.prepare()
        // Not awaited here: the next call is sent as soon as this one is.
        return {
          peer: session.peer,
          reply: session.invoke(call.method, args, { ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }), ...(nested.length === 0 ? {} : { nested }) })
        }
      })
      target.chain = sent.then(() => {}, () => {})
      const { peer, reply } = await sent
      let out
      try {
        out = await reply
      } catch (err) {
        throw about(err, what, 'PeerUnreachableError')
      }
      return { value: out.value, nested: await this.adopt(peer, out.nested ?? []) }
    } finally {
      if (--target.inFlight === 0 && this.targets.get(keyOf(to, call.job)) === target) {
        target.idle = setTimeout(() => this.close(keyOf(to, call.job), target), this.idleMs)
        target.idle.unref()
      }
    }
  }

  /** Close every session; later calls fail with FabricStoppedError. Idempotent. */
  async stop (): Promise<void> {
    this.stopped = true
    const all = [...this.targets.entries()]
    this.targets.clear()
    await Promise.all(all.map(async ([, t]) => {
      if (t.idle !== undefined) clearTimeout(t.idle)
      await t.session.then(async s => await s.close(), () => {}).catch(() => {})
    }))
  }

  /** The session with this actor: open, opening, or opened now (only with a node in view). */
  private target (to: Required<ActorAddress>, what: string, job: string | undefined): Target {
    const key = keyOf(to, job)
    const known = this.targets.get(key)
    if (known !== undefined) return known
    // Only fabric nodes in view: a PeerId a guest made up is never dialled.
    const entry = this.net.view.get(to.peer)
    if (entry === undefined || to.peer === this.net.peerId) {
      const failed: Target = { session: Promise.reject(new ActorNotFoundError(`${what}: that node is not in this node's view of the fabric (it left or died, or the id was made up)`)), chain: Promise.resolve(), inFlight: 0 }
      failed.session.catch(() => {})
      return failed
    }
    if (this.targets.size >= this.maxSessions) this.makeRoom()
    const session = this.net.openActor(to.peer, { type: 'attach-id', actor: to.actor, ...(job === undefined ? {} : { job }) }).catch((err: unknown) => {
      if (this.targets.get(key) === target) this.targets.delete(key)
      throw about(err, what)
    })
    session.catch(() => {}) // observed by each call
    const target: Target = { session, chain: Promise.resolve(), inFlight: 0 }
    this.targets.set(key, target)
    // A session that ends (the actor was killed, its node went) is opened again on the next call.
    void session.then(s => s.ended.then(() => { if (this.targets.get(key) === target) this.close(key, target) }), () => {})
    return target
  }

  /** Close the idle session unused longest (Map order: oldest first). */
  private makeRoom (): void {
    for (const [key, t] of this.targets) {
      if (t.inFlight === 0) {
        this.close(key, t)
        return
      }
    }
  }

  private close (key: string, target: Target): void {
    if (target.idle !== undefined) clearTimeout(target.idle)
    if (this.targets.get(key) === target) this.targets.delete(key)
    void target.session.then(async s => await s.close(), () => {}).catch(() => {})
  }

  /** The refs inside a result, as values here: objects the node kept for this one are pulled, then let go there. */
  private async adopt (peer: string, nested: NonNullable<Awaited<ReturnType<ActorSession['invoke']>>['nested']>): Promise<OffloadedRef[]> {
    const kept = nested.flatMap(n => 'cid' in n ? [n.cid] : [])
    try {
      return await Promise.all(nested.map(async (n): Promise<OffloadedRef> => {
        if ('value' in n) return n
        if ('error' in n) return { id: n.id, error: deserializeError(n.error) }
        return { id: n.id, value: await this.net.pullObject(n.cid, [peer]) }
      }))
    } finally {
      if (kept.length > 0) void this.net.releaseObjects(peer, kept).catch(() => {})
    }
  }
}

function keyOf (to: Required<ActorAddress>, job: string | undefined): string {
  return `${to.actor}@${to.peer}/${job ?? ''}`
}

/** The error with what was being called in front of its message (its name and kind kept). */
function about (err: unknown, what: string, only?: string): Error {
  const e = err instanceof Error ? err : new Error(String(err))
  if (only !== undefined && e.name !== only) return e
  if (!e.message.startsWith(what)) e.message = `${what}: ${e.message}`
  return e
}
