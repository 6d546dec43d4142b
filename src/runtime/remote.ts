// Tasks across nodes: a node runs tasks other nodes send it (RemoteTaskExecutor, on its
// LocalNode), and a caller places its tasks on the fabric's nodes and resubmits them elsewhere
// when a node dies (RemoteRunner). Small arguments and results travel by value (CBOR); large
// results stay on the node that made them and travel by CID to whoever needs them.
import { randomUUID } from 'node:crypto'
import type { CompiledComponent, Manifest } from '../component/index.js'
import { TaskError } from '../exec/errors.js'
import { serializeError } from '../errors/index.js'
import { MAX_NESTED_REFS, MAX_SPILLBACKS, MAX_TASK_REPLY_BYTES, type FabricView, type NestedRef, type NetNode, type PeerEntry, type RefArg, type RemoteTask, type ResultRef, type Spillback, type TaskOutcome } from '../net/index.js'
import { cidOfBytesSync } from '../objects/cid.js'
import { decode, encode, findRefs, mayHoldRefs, ObjectLostError } from '../objects/index.js'
import { localRefs, wireArgs } from './local-refs.js'
import { RetriesExhaustedError } from './errors.js'
import { defaultFabricPolicy, type FabricPolicy, type LabelSelector, type Resources, type Scheduling } from '../scheduler/index.js'
import type { LocalNode } from './local-node.js'
import { resolveTaskOptions } from './options.js'
import type { ArgSpec } from './interface.js'

/**
 * Runs the tasks peers send: fetches components it lacks from the sender, pulls object arguments
 * from the nodes holding them, runs the task on the node, and keeps a large result in the node's
 * store (served by CID) until its owner, the peer that sent the task, releases it or leaves.
 */
export class RemoteTaskExecutor {
  private readonly loaded = new Map<string, Promise<{ component: CompiledComponent, manifest: Manifest }>>()
  private readonly bytes = new Map<string, Uint8Array>()
  /** Results and pulled arguments kept for their owners: owner PeerId → CID → the ref ids holding it. */
  private readonly owned = new Map<string, Map<string, string[]>>()
  /** Objects being pulled now (tasks that need the same one wait for one pull). */
  private readonly pulling = new Map<string, Promise<Uint8Array>>()
  /** Tasks taken from peers and not finished (running, queued, or still loading). */
  private active = 0

  /**
   * @param node the node's runtime
   * @param pull pulls an object's bytes by CID from the peers holding it (the net node's pullObject)
   * @param view the node's view of the fabric, once it has one: without it no task is spilled back
   */
  constructor (private readonly node: LocalNode, private readonly pull: (cid: string, holders: string[]) => Promise<Uint8Array>, private readonly view: () => FabricView | undefined = () => undefined) {}

  /**
   * Spillback: whether to send a task back (the node's local policy decides: when this node cannot
   * run it but another can, or when its queue is long while another node was idle).
   */
  admit (req: RemoteTask, from: string): Spillback | undefined {
    const view = this.view()
    if (view === undefined) return undefined
    let demand: Resources
    try {
      demand = resolveTaskOptions({ ...req.options }, `task '${req.name}'`).resources
    } catch {
      return undefined // the run reports the bad options
    }
    return this.node.policy.admit({ total: this.node.total, available: this.node.availableNow(), queued: this.node.queueLength(), active: this.active }, demand, view.peers(), from)
  }

  /** Bytes this node serves by CID: the components it holds and the objects in its store. */
  async objectBytes (cid: string): Promise<Uint8Array | undefined> {
    return this.bytes.get(cid) ?? await this.node.objectBytes(cid)
  }

  /** The bytes of a component this node has run tasks of. */
  componentBytes (cid: string): Uint8Array | undefined {
    return this.bytes.get(cid)
  }

  /** The component `cid`, compiled (pulled from `from` first when this node lacks it). */
  async load (cid: string, from: string): Promise<{ component: CompiledComponent, manifest: Manifest }> {
    let p = this.loaded.get(cid)
    if (p === undefined) {
      p = (async () => {
        const bytes = this.bytes.get(cid) ?? await this.pull(cid, [from])
        this.bytes.set(cid, bytes)
        return await this.node.load(bytes)
      })()
      p.catch(() => this.loaded.delete(cid))
      this.loaded.set(cid, p)
    }
    return await p
  }

  /** The manifest of component `cid` (loading it first). */
  async describe (cid: string, from: string): Promise<Manifest> {
    return (await this.load(cid, from)).manifest
  }

  /** Run a task; a generator's items go to `onItem` in order (large ones kept here by CID). */
  async run (req: RemoteTask, from: string, onItem: (item: TaskOutcome) => void = () => {}, signal?: AbortSignal): Promise<TaskOutcome> {
    this.active++
    try {
      return await this.runTaken(req, from, onItem, signal)
    } finally {
      this.active--
    }
  }

  private async runTaken (req: RemoteTask, from: string, onItem: (item: TaskOutcome) => void, signal?: AbortSignal): Promise<TaskOutcome> {
    const { component, manifest } = await this.load(req.component, from)
    const task = manifest.tasks.find(t => t.name === req.name)
    if (task === undefined) throw new TaskError(`component ${req.component} has no task named "${req.name}"`, { kind: 'unknown-task' })
    const copies: string[] = []
    /** Refs of this node made for nested refs: held until the task is done. */
    const locals: string[] = []
    const onCancel = (): void => { if (id !== undefined) this.node.cancel(id) }
    let id: string | undefined
    try {
      const args = await this.args(req, from, copies, locals)
      const options = resolveTaskOptions({ maxRetries: 0, ...req.options, ...(req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs }) }, `task '${req.name}'`)
      id = this.node.submit({ component, name: req.name, args, options, streaming: task.streaming })
      // The caller cancelled: queued work is dropped, running work stopped (the result says so).
      if (signal?.aborted === true) onCancel()
      signal?.addEventListener('abort', onCancel, { once: true })
      return await this.finishRun(id, req.name, task.streaming, from, copies, onItem)
    } finally {
      signal?.removeEventListener('abort', onCancel)
      for (const l of locals) this.node.release(l)
    }
  }

  private async finishRun (id: string, name: string, streaming: boolean, from: string, copies: string[], onItem: (item: TaskOutcome) => void): Promise<TaskOutcome> {
    if (streaming) {
      try {
        const reader = this.node.stream(id)
        let count = 0
        for (let item = await reader.next(); item !== undefined; item = await reader.next()) {
          const where = await this.node.location(item)
          if ('inline' in where) {
            const nested = await this.resultRefs(where.inline, from, `an item of task '${name}'`)
            this.node.release(item)
            onItem({ value: where.inline, ...(nested.length === 0 ? {} : { nested }) })
          } else {
            this.keep(from, where.cid, item)
            onItem({ object: where })
          }
          count++
        }
        return { value: encode(count), ...(copies.length === 0 ? {} : { copies }) }
      } finally {
        this.node.release(id)
      }
    }
    let keep = false
    try {
      const where = await this.node.location(id)
      const extra = copies.length === 0 ? {} : { copies }
      const asValue = async (value: Uint8Array): Promise<TaskOutcome> => {
        const nested = await this.resultRefs(value, from, `task '${name}'`)
        return { value, ...extra, ...(nested.length === 0 ? {} : { nested }) }
      }
      const inline = await this.inlineBytes(id, where)
      if (inline !== undefined) return await asValue(inline)
      // A large result stays here, held for its owner, and travels by CID.
      const stored = where as { cid: string, size: number }
      this.keep(from, stored.cid, id)
      keep = true
      return { object: stored, ...extra }
    } finally {
      if (!keep) this.node.release(id)
    }
  }

  /**
   * The bytes of ref `id` (at `where`) when its value travels inline: a small one, or one holding
   * refs whatever its size (kept here by CID, the refs inside would name this node's objects);
   * undefined when it stays here and travels by CID.
   */
  private async inlineBytes (id: string, where: { inline: Uint8Array } | { cid: string, size: number }): Promise<Uint8Array | undefined> {
    if ('inline' in where) return where.inline
    return this.node.holdsRefs(id) ? await this.node.get(id) : undefined
  }

  /**
   * The refs inside a result value (a task that returns refs), and inside their values in turn,
   * each listed after the refs inside it: small values (and values holding refs, whatever their
   * size) go inline; other stored objects by CID, kept here for the owner like a large result; a
   * ref whose task failed, by its error. `limit`: the reply frame's size, which the value and the
   * inline values must fit (with room for the rest).
   *
   * @throws TaskError (kind `too-large`) when they do not fit, or there are more than {@link MAX_NESTED_REFS}
   */
  async resultRefs (value: Uint8Array, owner: string, what: string, limit = MAX_TASK_REPLY_BYTES - 1024): Promise<ResultRef[]> {
    const out: ResultRef[] = []
    const kept: Array<{ cid: string, id: string }> = []
    const seen = new Set<string>()
    let bytes = value.byteLength
    const visit = async (cbor: Uint8Array): Promise<void> => {
      if (!mayHoldRefs(cbor)) return
      for (const ref of findRefs(decode(cbor))) {
        if (seen.has(ref.id)) continue
        seen.add(ref.id)
        if (out.length >= MAX_NESTED_REFS) throw new TaskError(`${what}: its result holds more than ${MAX_NESTED_REFS} refs (inside values too), more than one reply may describe`, { kind: 'too-large' })
        let where: { inline: Uint8Array } | { cid: string, size: number }
        try {
          where = await this.node.location(ref.id)
        } catch (err) {
          // A ref to a task that failed: the caller's ref fails the same way when read.
          out.push({ id: ref.id, error: serializeError(err) })
          continue
        }
        const inline = await this.inlineBytes(ref.id, where)
        if (inline !== undefined) {
          await visit(inline)
          out.push({ id: ref.id, value: inline })
          bytes += inline.byteLength + 64
        } else {
          const stored = where as { cid: string, size: number }
          this.node.hold(ref.id)
          this.keep(owner, stored.cid, ref.id)
          kept.push({ cid: stored.cid, id: ref.id })
          out.push({ id: ref.id, cid: stored.cid, size: stored.size })
          bytes += 256
        }
        if (bytes > limit) throw new TaskError(`${what}: its result with the values of the refs inside it is over ${bytes} bytes, more than the ${limit}-byte reply limit`, { kind: 'too-large' })
      }
    }
    try {
      await visit(value)
    } catch (err) {
      for (const k of kept) this.unkeep(owner, k.cid, k.id)
      throw err
    }
    return out
  }

  /**
   * The task's arguments: values from the request, objects from this node's store or pulled from
   * their holders. A pulled object is kept in the store for the task's owner, so this node is a
   * holder too (its CID is in `copies`).
   */
  private async args (req: RemoteTask, from: string, copies: string[], locals: string[]): Promise<ArgSpec[]> {
    // Refs nested in values: pulled first (a lost one fails the task with ObjectLostError, which its owner can rebuild).
    const nested = req.nested ?? []
    const values = await Promise.all(nested.map(async n => n.value ?? await this.objectFor(`task '${req.name}'`, n.cid!, n.holders!, { owner: from, copies })))
    const mapping = this.localNested(nested, values, `task '${req.name}'`, locals)
    const args = wireArgs(req.args, `task '${req.name}'`, id => mapping.get(id))
    await Promise.all((req.refs ?? []).map(async r => {
      if (r.index >= args.length) throw new TaskError(`task '${req.name}': object argument ${r.index + 1} is past its ${args.length} arguments`, { kind: 'bad-argument' })
      args[r.index] = { kind: 'value', bytes: await this.objectFor(`task '${req.name}'`, r.cid, r.holders, { owner: from, copies }), refs: [] }
    }))
    return args
  }

  /**
   * Refs of this node for refs nested in a request's values (by the caller's ids), each listed
   * after the refs inside its own value, which it then names by their new ids. `values[i]` is the
   * i-th one's bytes; an object still being pulled gets a pending ref (it settles when it arrives).
   * The refs made go into `locals` (the caller releases them when its work is done). Ids already
   * in `mapping` are not made again.
   */
  localNested (nested: NestedRef[], values: Array<Uint8Array | Promise<Uint8Array>>, what: string, locals: string[], mapping = new Map<string, string>()): Map<string, string> {
    nested.forEach((n, i) => {
      if (mapping.has(n.id)) return // made for an earlier call (an actor's)
      const bytes = values[i]!
      let id: string
      if (bytes instanceof Uint8Array) {
        const v = n.value === undefined ? { bytes, refs: [] } : localRefs(bytes, id => mapping.get(id), `${what}: nested ref ${n.id}`)
        id = this.node.put(v.bytes, v.refs)
      } else {
        id = this.node.putLater(bytes)
      }
      locals.push(id)
      mapping.set(n.id, id)
    })
    return mapping
  }

  /**
   * Object `cid` from this node's store, or pulled from `holders` (one pull per object at a time);
   * with `keep`, a pulled one is kept for its owner (its CID goes into `copies`, so the owner
   * counts this node as a holder).
   */
  async objectFor (what: string, cid: string, holders: string[], keep?: { owner: string, copies: string[] }): Promise<Uint8Array> {
    const here = await this.node.objectBytes(cid)
    if (here !== undefined) return here
    let pulling = this.pulling.get(cid)
    if (pulling === undefined) {
      pulling = this.pull(cid, holders)
      this.pulling.set(cid, pulling)
      void pulling.then(() => this.pulling.delete(cid), () => this.pulling.delete(cid))
    }
    let bytes: Uint8Array
    try {
      bytes = await pulling
    } catch (err) {
      throw new ObjectLostError(`${what}: object ${cid} could not be pulled from ${holders.join(', ')}: ${(err as Error).message}`, { cid, cause: err })
    }
    if (keep !== undefined && await this.node.objectBytes(cid) === undefined) {
      this.keep(keep.owner, cid, this.node.putBytes(bytes))
      keep.copies.push(cid)
    }
    return bytes
  }

  /** Hold ref `id` (object `cid`) for `owner` until it releases it or leaves. */
  private keep (owner: string, cid: string, id: string): void {
    let mine = this.owned.get(owner)
    if (mine === undefined) this.owned.set(owner, mine = new Map())
    mine.set(cid, [...(mine.get(cid) ?? []), id])
  }

  /** Undo one {@link keep}: the ref is released. */
  private unkeep (owner: string, cid: string, id: string): void {
    const mine = this.owned.get(owner)
    const ids = mine?.get(cid)
    const at = ids?.indexOf(id) ?? -1
    if (at < 0) return
    ids!.splice(at, 1)
    if (ids!.length === 0) mine!.delete(cid)
    if (mine!.size === 0) this.owned.delete(owner)
    this.node.release(id)
  }

  /** Drop objects `owner` owns here; returns how many CIDs were dropped. */
  release (cids: string[], owner: string): number {
    const mine = this.owned.get(owner)
    if (mine === undefined) return 0
    let n = 0
    for (const cid of cids) {
      const ids = mine.get(cid)
      if (ids === undefined) continue
      for (const id of ids) this.node.release(id)
      mine.delete(cid)
      n++
    }
    if (mine.size === 0) this.owned.delete(owner)
    return n
  }

  /** The owner left the fabric or died: nobody can ask for its objects any more; drop them. */
  ownerGone (owner: string): number {
    return this.release([...(this.owned.get(owner)?.keys() ?? [])], owner)
  }

  /** Objects kept for owners: count and bytes are in the node's store stats. */
  ownedCount (): number {
    let n = 0
    for (const m of this.owned.values()) n += m.size
    return n
  }
}

/** What a remote task gave: its value, or the CID of a large result kept by `peer`; and the node that ran it. */
export type RemoteResult = ({ value: unknown, object?: undefined } | { object: { cid: string, size: number }, value?: undefined }) & {
  peer: string
  /** Object arguments the node pulled and now holds too. */
  copies: string[]
  /** Refs inside the value, by the node's ids (see {@link ResultRef}). */
  nested?: ResultRef[]
}

/** Times a task is tried again on a node still in the view before that node is given up. */
const MAX_STALLS_PER_NODE = 3

/** Options of {@link RemoteRunner.submit}. */
export interface RemoteSubmitOptions {
  /** Times a task is resubmitted after its node died or became unreachable. @default 3 */
  maxRetries?: number
  timeoutMs?: number
  /** What the task holds while it runs (placement, and the node's own accounting). @default 1 CPU */
  demand?: Resources
  scheduling?: Scheduling
  /** Node labels the task needs (hard) or prefers (soft). */
  labels?: LabelSelector
  /** Application errors the node retries (on the node, up to maxRetries), as in TaskOptions. @default false */
  retryExceptions?: boolean | string[]
  /**
   * A generator's items, in order. After a resubmission the items already given are skipped (the
   * generator is assumed deterministic, as Ray does).
   */
  onItem?: (item: TaskOutcome, peer: string) => void
  /** Aborting it cancels the task (on its node too); the submit rejects with the abort's reason. */
  signal?: AbortSignal
}

const DEFAULT_DEMAND: Resources = Object.freeze({ cpus: 1, gpus: 0, memoryMb: 0, custom: Object.freeze({}) as Record<string, number> })

/** The wire form of a demand (the task protocol's `options`). */
export function demandOptions (d: Resources): Record<string, unknown> {
  return { cpus: d.cpus, gpus: d.gpus, memoryMb: d.memoryMb, resources: d.custom }
}

/**
 * Places tasks on the nodes of a fabric from the caller's net view: each task goes to the alive
 * node (offering CPUs) with the fewest tasks in flight from this caller, ties broken by the
 * node's gossiped free CPUs; a task whose node dies or drops the stream is resubmitted on
 * another, up to `maxRetries` times. The caller serves its components to the nodes over
 * `/fabric/object/1`.
 */
export class RemoteRunner {
  /** Tasks this caller keeps in flight on one node at most; the rest wait here for a slot. */
  static readonly MAX_IN_FLIGHT_PER_NODE = 128
  private readonly components = new Map<string, Uint8Array>()
  private readonly inFlight = new Map<string, number>()
  /** Tasks and actors placed per node in all (spread takes turns by it). */
  private readonly placed = new Map<string, number>()
  /** This caller's actors per node. */
  private readonly actors = new Map<string, number>()
  /** The node that finished this caller's last task. */
  private lastPeer?: string
  private readonly slotWaiters: Array<() => void> = []
  /** Tasks nodes sent back (spillback) so far. */
  spillbacks = 0

  /**
   * @param net the caller's net node: its view is where tasks go
   * @param policy ranks the nodes (the fabric policy)
   */
  constructor (private readonly net: NetNode, private readonly policy: FabricPolicy = defaultFabricPolicy) {}

  /** Register a component's bytes (served to the nodes that run its tasks); returns its CID. */
  addComponent (bytes: Uint8Array): string {
    const cid = cidOfBytesSync(bytes)
    this.components.set(cid, bytes)
    return cid
  }

  /** For the net node's object source: the components this caller serves. */
  componentBytes (cid: string): Uint8Array | undefined {
    return this.components.get(cid)
  }

  /** Nodes for work with this demand, best first (the fabric policy's rank); actors placed count as load. */
  rank (what: string, demand: Resources, scheduling: Scheduling | undefined, exclude: ReadonlySet<string>, localBytes?: (peer: string) => number, labels?: LabelSelector): PeerEntry[] {
    return this.policy.rank(this.net.view.peers(), {
      demand, scheduling, exclude, what,
      ...(labels === undefined ? {} : { labels }),
      ...(localBytes === undefined ? {} : { localBytes }),
      ...(this.lastPeer === undefined ? {} : { warm: this.lastPeer })
    }, p => (this.inFlight.get(p) ?? 0) + (this.actors.get(p) ?? 0), p => this.placed.get(p) ?? 0)
  }

  /** Count an actor placed on (+1) or gone from (-1) node `peer`. */
  actorPlaced (peer: string, delta: 1 | -1): void {
    this.actors.set(peer, Math.max(0, (this.actors.get(peer) ?? 0) + delta))
    if (delta > 0) this.placed.set(peer, (this.placed.get(peer) ?? 0) + 1)
  }

  /**
   * Where the next task goes (the fabric policy's rank): the node a spillback named when it is
   * alive, not excluded and may run it; nodes that spilled the task back come last.
   */
  private place (name: string, options: RemoteSubmitOptions, exclude: Set<string>, causes: Error[], localBytes: (peer: string) => number, spill?: { from: Set<string>, to?: string }): PeerEntry {
    if (spill !== undefined) {
      const to = spill.to === undefined ? undefined : this.net.view.get(spill.to)
      if (to !== undefined && to.state === 'alive' && !exclude.has(to.info.peer) && typeof options.scheduling !== 'object' &&
        this.policy.mayRun(to, options.demand ?? DEFAULT_DEMAND, options.labels)) return to
      const others = new Set([...exclude, ...spill.from])
      try {
        return this.rank(`task '${name}'`, options.demand ?? DEFAULT_DEMAND, options.scheduling, others, localBytes, options.labels)[0]!
      } catch {
        // Every node left sent it back: take the best of all (the task is queued there).
      }
    }
    try {
      return this.rank(`task '${name}'`, options.demand ?? DEFAULT_DEMAND, options.scheduling, exclude, localBytes, options.labels)[0]!
    } catch (err) {
      if (causes.length > 0) (err as Error).message += ` (failures: ${causes.slice(-4).map(c => c.message).join('; ')})`
      throw err
    }
  }

  /**
   * Run task `name` of component `cid` with `args` somewhere in the fabric (`refs`: arguments that
   * are objects held by nodes; their `args` slots are ignored). Resolves to the decoded result, or
   * the CID of a large result kept by the node, and the node that ran it.
   */
  async submit (cid: string, name: string, args: unknown[], options: RemoteSubmitOptions = {}, refs: RefArg[] = [], nested: NestedRef[] = []): Promise<RemoteResult> {
    if (!this.components.has(cid)) throw new TypeError(`component ${cid} was not added to this runner (addComponent)`)
    const maxRetries = options.maxRetries ?? 3
    const slots = refs.length === 0 ? args : args.map((a, i) => refs.some(r => r.index === i) ? null : a)
    const task: RemoteTask = {
      type: 'run', id: randomUUID(), component: cid, name, args: encode(slots),
      ...(refs.length === 0 ? {} : { refs }),
      ...(nested.length === 0 ? {} : { nested }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      // Failures on the node (a worker crash, a retried exception) are retried there; a lost node here.
      options: { ...(options.demand === undefined ? {} : demandOptions(options.demand)), maxRetries, ...(options.retryExceptions === undefined ? {} : { retryExceptions: options.retryExceptions }) }
    }
    const failed = new Set<string>()
    const causes: Error[] = []
    /** Failures per node still in the view: a busy node (compiling a component, a deep queue) can miss a deadline without being gone. */
    const stalls = new Map<string, number>()
    const local = new Map<string, number>()
    for (const r of refs) for (const h of r.holders) local.set(h, (local.get(h) ?? 0) + r.size)
    const localBytes = (peer: string): number => local.get(peer) ?? 0
    /** Stream items given to the caller so far (over all attempts). */
    let delivered = 0
    /** Nodes that sent the task back, and where the last one suggested. A hard node affinity is never spilled. */
    let spill: { from: Set<string>, to?: string } | undefined
    let spilled = typeof options.scheduling === 'object' && options.scheduling.soft !== true ? MAX_SPILLBACKS : 0
    for (let attempt = 0; ; attempt++) {
      let node = this.place(name, options, failed, causes, localBytes, spill)
      while ((this.inFlight.get(node.info.peer) ?? 0) >= RemoteRunner.MAX_IN_FLIGHT_PER_NODE) {
        await new Promise<void>(resolve => this.slotWaiters.push(resolve))
        node = this.place(name, options, failed, causes, localBytes, spill)
      }
      const peer = node.info.peer
      this.inFlight.set(peer, (this.inFlight.get(peer) ?? 0) + 1)
      this.placed.set(peer, (this.placed.get(peer) ?? 0) + 1)
      try {
        let seen = 0
        const onItem = options.onItem === undefined
          ? undefined
          : (item: TaskOutcome): void => {
              if (++seen <= delivered) return
              delivered++
              options.onItem!(item, peer)
            }
        options.signal?.throwIfAborted()
        const outcome = await this.net.runTask(peer, spilled === 0 ? task : { ...task, spilled }, { ...(onItem === undefined ? {} : { onItem }), ...(options.signal === undefined ? {} : { signal: options.signal }) })
        this.lastPeer = peer
        const copies = outcome.copies ?? []
        if ('object' in outcome) return { object: outcome.object, peer, copies }
        return { value: decode(outcome.value), peer, copies, ...(outcome.nested === undefined ? {} : { nested: outcome.nested }) }
      } catch (err) {
        if ((err as Error).name === 'SpilledBackError' && spilled < MAX_SPILLBACKS) {
          // Full, or it cannot run it: place it again (not a retry), where the node suggested.
          // A node that sends back a task sent at the limit breaks the protocol: a failure, below.
          spilled++
          spill = { from: new Set([...(spill?.from ?? []), peer]), ...((err as { to?: string }).to === undefined ? {} : { to: (err as { to: string }).to }) }
          this.spillbacks++
          attempt--
          continue
        }
        // A node that went away (or sent back a task it had to take): resubmit elsewhere. The task's own failure: report it.
        if ((err as Error).name === 'SpilledBackError') {
          causes.push(err as Error)
          failed.add(peer)
          if (attempt >= maxRetries) throw new RetriesExhaustedError(`task "${name}" failed on ${attempt + 1} nodes: ${causes.map(c => c.message).join('; ')}`, { cause: err })
          continue
        }
        if ((err as Error).name !== 'PeerUnreachableError') throw err
        causes.push(err as Error)
        // A node still in the view (alive, or suspected: a busy node's heartbeats can run late) is
        // tried again after a moment, without spending a retry, a few times; a node gone from the
        // view (dead, left) or failing again and again is given up.
        const stalled = (stalls.get(peer) ?? 0) + 1
        stalls.set(peer, stalled)
        if (this.net.view.get(peer) !== undefined && stalled <= MAX_STALLS_PER_NODE) {
          attempt--
          await new Promise(resolve => setTimeout(resolve, 250 * stalled))
          continue
        }
        failed.add(peer)
        if (attempt >= maxRetries) throw new RetriesExhaustedError(`task "${name}" failed on ${attempt + 1} nodes: ${causes.map(c => c.message).join('; ')}`, { cause: err })
      } finally {
        this.inFlight.set(peer, (this.inFlight.get(peer) ?? 1) - 1)
        this.slotWaiters.shift()?.()
      }
    }
  }
}
