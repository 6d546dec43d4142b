// Collective operations between actors a driver put in a group (`fabric.collectiveGroup`): a
// node keeps the groups its actors belong to and runs their members' all-reduce, broadcast and
// barrier. All-reduce is a ring (reduce-scatter, then all-gather: each member sends and receives
// 2(n-1)/n of the tensor, whatever n); broadcast goes from the root to each member. Chunks to a
// member on this node go through its mailbox directly; to another node over the transport
// (/fabric/collective/1 between nodes). The elements are host memory: they never enter a guest
// except as the result tensor's.
//
// Failures end the group for every member: a member's node that leaves or dies, a member actor
// that dies, a member that does not send within the group's timeout. Each waiting member gets a
// CollectiveError saying which, and later calls fail at once; the driver forms a new group.
import { randomBytes } from 'node:crypto'
import { FabricError, PermissionDeniedError } from '../errors/index.js'
import type { CollectiveCall } from '../exec/index.js'
import type { WireChunk, WireGroup } from '../net/index.js'

/** A collective that could not complete (kind as the guest's task-error sees it). */
export class CollectiveError extends FabricError {
  override name = 'CollectiveError'
  readonly kind: 'not-found' | 'invalid-argument' | 'timeout' | 'unavailable'
  constructor (kind: CollectiveError['kind'], message: string) {
    super(message, { retryable: kind === 'unavailable' || kind === 'timeout' })
    this.kind = kind
  }
}

/** One member of a group: its rank, its actor's id on its node, and that node. */
export type GroupMember = WireGroup['members'][number]

/**
 * A group as its driver formed it: `id` (this forming's), `name` (what members' guests name it
 * by), `members`, and `timeoutMs` (how long a member waits for another's data).
 */
export type GroupSpec = WireGroup

/**
 * A piece of a collective's data between two members: operation `seq` of the group, its exchange
 * `step` ('rs3': reduce-scatter step 3, 'ag0', 'bc'), from and to ranks, the sender's tensor
 * `length` (members must agree) and, for a broadcast, its `shape`.
 */
export type ChunkMessage = WireChunk

/** How chunks reach members on other nodes, and who this node is. */
export interface CollectiveTransport {
  /** This node's id as members name it (its PeerId; the embedded fabric's id). */
  readonly self: string
  send: (peer: string, msg: ChunkMessage) => Promise<void>
  /** Tell the nodes of a group's other members that it failed here. */
  abort: (peer: string, group: string, reason: string) => Promise<void>
}

/** Most chunks one group may have waiting undelivered on this node (a member far ahead, or a hostile one). */
const MAX_WAITING_CHUNKS = 4096

interface Mailbox {
  data?: ChunkMessage
  waiter?: { resolve: (m: ChunkMessage) => void, reject: (e: Error) => void, timer: ReturnType<typeof setTimeout> }
}

interface GroupState {
  spec: GroupSpec
  /** Who formed it (their job key): only they may form it again or destroy it. */
  owner: string | undefined
  /** The next operation's number, per local rank. */
  seq: Map<number, number>
  mailbox: Map<string, Mailbox>
  failure?: CollectiveError
}

/** The groups of this node's actors, and their operations. */
export class Collectives {
  private readonly groups = new Map<string, GroupState>()
  /** Local actor id -> group name -> group id. */
  private readonly byActor = new Map<string, Map<string, string>>()

  /**
   * @param transport reaches other nodes
   * @param actorJob the job key of a live local actor (undefined: no such live actor here)
   */
  constructor (private transport: CollectiveTransport, private readonly actorJob: (actor: string) => string | undefined | null) {}

  /** Reach other nodes through `transport` from now on (a node that joins a fabric). */
  setTransport (transport: CollectiveTransport): void {
    this.transport = transport
  }

  /**
   * Join a group: its members on this node must be live actors of `job`. A member already in a
   * group of that name leaves it.
   *
   * @throws TypeError for a malformed spec; PermissionDeniedError for another job's actor; CollectiveError (not-found) for a missing actor
   */
  join (spec: GroupSpec, job: string | undefined): void {
    checkSpec(spec)
    const local = spec.members.filter(m => m.peer === this.transport.self)
    if (local.length === 0) throw new TypeError(`group '${spec.name}' has no member on this node`)
    for (const m of local) {
      const owner = this.actorJob(m.actor)
      if (owner === null) throw new CollectiveError('not-found', `group '${spec.name}': member ${m.rank}, actor ${m.actor}, is not a live actor of this node`)
      if (owner !== job) throw new PermissionDeniedError(`group '${spec.name}': actor ${m.actor} is another job's: a driver groups only its own actors`)
    }
    for (const m of local) {
      const names = this.byActor.get(m.actor) ?? new Map<string, string>()
      const old = names.get(spec.name)
      if (old !== undefined && old !== spec.id) this.end(old, new CollectiveError('unavailable', `group '${spec.name}' was formed again`), false, true)
      names.set(spec.name, spec.id)
      this.byActor.set(m.actor, names)
    }
    this.groups.set(spec.id, { spec, owner: job, seq: new Map(local.map(m => [m.rank, 0])), mailbox: new Map() })
  }

  /** Leave a group (its driver destroyed it): operations waiting in it fail. */
  leave (id: string, job: string | undefined): void {
    const g = this.groups.get(id)
    if (g === undefined) return
    if (g.owner !== job) throw new PermissionDeniedError(`group '${g.spec.name}' is another job's`)
    this.end(id, new CollectiveError('unavailable', `group '${g.spec.name}' was destroyed`), false, true)
  }

  /** The group names `actor` is in (the state API, tests). */
  groupsOf (actor: string): string[] {
    return [...(this.byActor.get(actor)?.keys() ?? [])]
  }

  /**
   * A chunk from node `from` for a member here.
   *
   * @throws PermissionDeniedError when `from` is not the sending member's node, CollectiveError for an unknown group
   */
  deliver (from: string, msg: ChunkMessage): void {
    const g = this.groups.get(msg.group)
    if (g === undefined) throw new CollectiveError('not-found', `no group ${msg.group} on this node (destroyed, or never formed here)`)
    const sender = g.spec.members[msg.from]
    const receiver = g.spec.members[msg.to]
    if (sender === undefined || receiver === undefined || receiver.peer !== this.transport.self) throw new CollectiveError('invalid-argument', `group '${g.spec.name}': a chunk from rank ${msg.from} to rank ${msg.to}, not a member here`)
    if (sender.peer !== from) throw new PermissionDeniedError(`group '${g.spec.name}': rank ${msg.from} is on node ${sender.peer}, not ${from}`)
    if (g.failure !== undefined) return
    this.put(g, msg)
  }

  /** Another member's node says the group failed there. */
  aborted (from: string, id: string, reason: string): void {
    const g = this.groups.get(id)
    if (g === undefined || !g.spec.members.some(m => m.peer === from)) return
    this.end(id, new CollectiveError('unavailable', `group '${g.spec.name}' failed on node ${from}: ${reason}`), false)
  }

  /** A node left or died: every group with a member there fails. */
  peerLost (peer: string): void {
    for (const [id, g] of [...this.groups]) {
      const gone = g.spec.members.filter(m => m.peer === peer).map(m => m.rank)
      if (gone.length > 0) this.end(id, new CollectiveError('unavailable', `group '${g.spec.name}': the node of rank ${gone.join(', ')} (${peer}) left or died`), false)
    }
  }

  /** A local actor died: its groups fail (for the other members too). */
  actorDied (actor: string): void {
    const names = this.byActor.get(actor)
    if (names === undefined) return
    this.byActor.delete(actor)
    for (const id of names.values()) {
      const g = this.groups.get(id)
      const rank = g?.spec.members.find(m => m.actor === actor && m.peer === this.transport.self)?.rank
      this.end(id, new CollectiveError('unavailable', `group '${g?.spec.name ?? id}': rank ${String(rank)} (actor ${actor}) died`), true)
    }
  }

  /** Run a member's operation: `actor` is the calling actor, on this node. */
  async run (actor: string, call: CollectiveCall): Promise<unknown> {
    const id = this.byActor.get(actor)?.get(call.group)
    const g = id === undefined ? undefined : this.groups.get(id)
    if (g === undefined) throw new CollectiveError('not-found', `this actor is in no group named '${call.group}' (its driver forms groups with fabric.collectiveGroup)`)
    if (g.failure !== undefined) throw g.failure
    const me = g.spec.members.find(m => m.actor === actor && m.peer === this.transport.self)!
    const size = g.spec.members.length
    if (call.op === 'info') return { rank: me.rank, size }
    const seq = g.seq.get(me.rank)!
    g.seq.set(me.rank, seq + 1)
    try {
      switch (call.op) {
        case 'all-reduce': return { data: await this.allReduce(g, me.rank, seq, call.data, call.reduce), shape: call.shape }
        case 'broadcast': return await this.broadcast(g, me.rank, seq, call.data, call.shape, call.root)
        case 'barrier': await this.allReduce(g, me.rank, seq, new Float32Array(1), 'sum'); return undefined
      }
    } catch (err) {
      // One member failing (a timeout, a mismatch) fails the group for all.
      if (err instanceof CollectiveError && g.failure === undefined) this.end(g.spec.id, err, true)
      throw err
    }
  }

  /** The ring: reduce-scatter then all-gather, over segments of the tensor. */
  private async allReduce (g: GroupState, rank: number, seq: number, input: Float32Array, op: 'sum' | 'mean' | 'max'): Promise<Float32Array> {
    const n = g.spec.members.length
    const data = input.slice()
    if (n === 1) return data
    const len = data.length
    const bounds = (i: number): [number, number] => {
      const k = ((i % n) + n) % n
      return [Math.floor(k * len / n), Math.floor((k + 1) * len / n)]
    }
    const next = (rank + 1) % n
    const prev = (rank - 1 + n) % n
    for (let s = 0; s < n - 1; s++) {
      const [a, b] = bounds(rank - s)
      const sent = this.send(g, { group: g.spec.id, seq, step: `rs${s}`, from: rank, to: next, length: len, data: data.subarray(a, b) })
      const got = await this.receive(g, seq, `rs${s}`, prev, rank, len)
      await sent
      const [c, d] = bounds(rank - s - 1)
      const seg = data.subarray(c, d)
      if (got.data.length !== seg.length) throw new CollectiveError('invalid-argument', `group '${g.spec.name}': rank ${prev} sent ${got.data.length} elements for a segment of ${seg.length}`)
      if (op === 'max') for (let i = 0; i < seg.length; i++) seg[i] = Math.max(seg[i]!, got.data[i]!)
      else for (let i = 0; i < seg.length; i++) seg[i]! += got.data[i]!
    }
    for (let s = 0; s < n - 1; s++) {
      const [a, b] = bounds(rank + 1 - s)
      const sent = this.send(g, { group: g.spec.id, seq, step: `ag${s}`, from: rank, to: next, length: len, data: data.subarray(a, b) })
      const got = await this.receive(g, seq, `ag${s}`, prev, rank, len)
      await sent
      const [c, d] = bounds(rank - s)
      if (got.data.length !== d - c) throw new CollectiveError('invalid-argument', `group '${g.spec.name}': rank ${prev} sent ${got.data.length} elements for a segment of ${d - c}`)
      data.set(got.data, c)
    }
    if (op === 'mean') for (let i = 0; i < len; i++) data[i]! /= n
    return data
  }

  private async broadcast (g: GroupState, rank: number, seq: number, data: Float32Array | undefined, shape: number[] | undefined, root: number): Promise<{ data: Float32Array, shape: number[] }> {
    const n = g.spec.members.length
    if (!Number.isInteger(root) || root < 0 || root >= n) throw new CollectiveError('invalid-argument', `group '${g.spec.name}': root ${root} is not a rank of ${n} members`)
    if (rank === root) {
      if (data === undefined || shape === undefined) throw new CollectiveError('invalid-argument', `group '${g.spec.name}': the root (rank ${root}) of a broadcast passes the tensor`)
      await Promise.all(g.spec.members.filter(m => m.rank !== root).map(async m => { await this.send(g, { group: g.spec.id, seq, step: 'bc', from: root, to: m.rank, length: data.length, shape, data }) }))
      return { data: data.slice(), shape }
    }
    if (data !== undefined) throw new CollectiveError('invalid-argument', `group '${g.spec.name}': rank ${rank} is not the broadcast's root (${root}): it passes no tensor`)
    const got = await this.receive(g, seq, 'bc', root, rank, undefined)
    return { data: got.data.slice(), shape: got.shape ?? [got.data.length] }
  }

  /**
   * Send a chunk. Its failure is handled from the moment it starts: a caller that awaits a receive
   * first must not leave a rejection unhandled (that ends the node's process).
   */
  private send (g: GroupState, msg: ChunkMessage): Promise<void> {
    const sending = this.sendNow(g, msg)
    sending.catch(() => {})
    return sending
  }

  private async sendNow (g: GroupState, msg: ChunkMessage): Promise<void> {
    const to = g.spec.members[msg.to]!
    if (to.peer === this.transport.self) {
      this.put(g, { ...msg, data: msg.data.slice() })
      return
    }
    try {
      await this.transport.send(to.peer, msg)
    } catch (err) {
      throw new CollectiveError('unavailable', `group '${g.spec.name}': cannot send to rank ${msg.to} on node ${to.peer}: ${err instanceof Error ? err.message : String((err as { type?: unknown })?.type ?? err)}`)
    }
  }

  private key (seq: number, step: string, from: number, to: number): string {
    return `${seq}|${step}|${from}|${to}`
  }

  private put (g: GroupState, msg: ChunkMessage): void {
    const k = this.key(msg.seq, msg.step, msg.from, msg.to)
    const box = g.mailbox.get(k)
    if (box?.waiter !== undefined) {
      g.mailbox.delete(k)
      clearTimeout(box.waiter.timer)
      box.waiter.resolve(msg)
      return
    }
    if (box !== undefined || g.mailbox.size >= MAX_WAITING_CHUNKS) {
      this.end(g.spec.id, new CollectiveError('invalid-argument', `group '${g.spec.name}': rank ${msg.from} sent ${box !== undefined ? 'the same chunk twice' : `more than ${MAX_WAITING_CHUNKS} chunks ahead`}`), true)
      return
    }
    g.mailbox.set(k, { data: msg })
  }

  private async receive (g: GroupState, seq: number, step: string, from: number, to: number, length: number | undefined): Promise<ChunkMessage> {
    const k = this.key(seq, step, from, to)
    const box = g.mailbox.get(k)
    let msg: ChunkMessage
    if (box?.data !== undefined) {
      g.mailbox.delete(k)
      msg = box.data
    } else {
      if (g.failure !== undefined) throw g.failure
      msg = await new Promise<ChunkMessage>((resolve, reject) => {
        const timer = setTimeout(() => {
          g.mailbox.delete(k)
          reject(new CollectiveError('timeout', `group '${g.spec.name}': rank ${to} waited ${g.spec.timeoutMs} ms for rank ${from} (operation ${seq}); is every member making the same calls?`))
        }, g.spec.timeoutMs)
        timer.unref?.()
        g.mailbox.set(k, { waiter: { resolve, reject, timer } })
      })
    }
    if (length !== undefined && msg.length !== length) {
      throw new CollectiveError('invalid-argument', `group '${g.spec.name}': rank ${from}'s tensor has ${msg.length} elements, rank ${to}'s ${length}: every member passes a tensor of one shape`)
    }
    return msg
  }

  /**
   * End a group here: its waiting members fail with `err`; with `tell`, the other members' nodes
   * hear of it; with `forget` it is dropped (else it stays known, its members' calls failing at
   * once, until formed again or left).
   */
  private end (id: string, err: CollectiveError, tell: boolean, forget = false): void {
    const g = this.groups.get(id)
    if (g === undefined) return
    g.failure ??= err
    for (const box of g.mailbox.values()) {
      if (box.waiter === undefined) continue
      clearTimeout(box.waiter.timer)
      box.waiter.reject(g.failure)
    }
    g.mailbox.clear()
    if (tell) {
      for (const peer of new Set(g.spec.members.map(m => m.peer))) {
        if (peer !== this.transport.self) void this.transport.abort(peer, id, err.message).catch(() => {})
      }
    }
    if (forget) {
      this.groups.delete(id)
      for (const m of g.spec.members) {
        const names = this.byActor.get(m.actor)
        if (names?.get(g.spec.name) === id) names.delete(g.spec.name)
      }
    }
  }
}

/** A new group id. */
export function newGroupId (): string {
  return `cg${randomBytes(12).toString('hex')}`
}

const GROUP_ID = /^cg[0-9a-f]{24}$/

/** Most members of one group. */
export const MAX_GROUP_MEMBERS = 1024

function checkSpec (spec: GroupSpec): void {
  if (!GROUP_ID.test(spec.id)) throw new TypeError(`a group id is 'cg' and 24 hex digits, got ${JSON.stringify(spec.id)}`)
  if (typeof spec.name !== 'string' || spec.name.length === 0 || spec.name.length > 128) throw new TypeError('a group name is a string of 1-128 characters')
  if (!Array.isArray(spec.members) || spec.members.length === 0 || spec.members.length > MAX_GROUP_MEMBERS) throw new TypeError(`a group has 1-${MAX_GROUP_MEMBERS} members`)
  spec.members.forEach((m, i) => {
    if (m.rank !== i || typeof m.actor !== 'string' || m.actor.length === 0 || m.actor.length > 256 || typeof m.peer !== 'string' || m.peer.length === 0 || m.peer.length > 128) {
      throw new TypeError(`group '${spec.name}': member ${i} must be { rank: ${i}, actor, peer }`)
    }
  })
  if (!Number.isInteger(spec.timeoutMs) || spec.timeoutMs < 1 || spec.timeoutMs > 86_400_000) throw new TypeError('a group\'s timeoutMs is an integer from 1 to 86,400,000')
}
