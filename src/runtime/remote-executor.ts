// Tasks other nodes send (RemoteTaskExecutor, on the node's LocalNode): it fetches components it
// lacks from the sender, pulls object arguments from their holders, admits or sends work back as
// the local policy says, runs the task, and keeps a large result for its owner. Small arguments and
// results travel by value (CBOR); large results stay here and travel by CID to whoever needs them.
import type { CompiledComponent, Manifest } from '../component/index.js'
import { TaskError } from '../exec/errors.js'
import { serializeError, type Abortable } from '../errors/index.js'
import { MAX_NESTED_REFS, MAX_TASK_REPLY_BYTES, type FabricView, type NestedRef, type RemoteTask, type ResultRef, type Spillback, type TaskOutcome } from '../net/index.js'
import { decode, encode, findRefs, mayHoldRefs, ObjectLostError } from '../objects/index.js'
import { localRefs, wireArgs } from './local-refs.js'
import type { Resources } from '../scheduler/index.js'
import { groupsOf } from '../scheduler/placement.js'
import type { LocalNode } from './local-node.js'
import { resolveTaskOptions } from './options.js'
import type { ArgSpec } from './interface.js'
import { PeerCounter, quotaError, resolveNodeLimits, type NodeLimits } from './node-limits.js'
import { checkCallName } from './vectorised-call.js'

/**
 * Runs the tasks peers send: fetches components it lacks from the sender, pulls object arguments
 * from the nodes holding them, runs the task on the node, and keeps a large result in the node's
 * store (served by CID) until its owner, the peer that sent the task, releases it or leaves.
 */
export class RemoteTaskExecutor {
  /** Peers' components, least recently used first (see trimComponents), and those work of runs now. */
  private readonly loaded = new Map<string, Promise<{ component: CompiledComponent, manifest: Manifest }>>()
  private readonly pins = new Map<string, number>()
  private readonly bytes = new Map<string, Uint8Array>()
  /** Results and pulled arguments kept for their owners: owner PeerId → CID → the ref ids holding it and its size. */
  private readonly owned = new Map<string, Map<string, { ids: string[], size: number }>>()
  /** Tasks each peer has in flight here, and bytes kept for each (quotas). */
  private readonly inFlight: PeerCounter
  private readonly storedBytes: PeerCounter
  /** Objects being pulled now (tasks that need the same one wait for one pull). */
  private readonly pulling = new Map<string, Promise<Uint8Array>>()
  /** Tasks taken from peers and not finished (running, queued, or still loading). */
  private active = 0

  /**
   * @param node the node's runtime
   * @param pull pulls an object's bytes by CID from the peers holding it (the net node's pullObject)
   * @param view the node's view of the fabric, once it has one: without it no task is spilled back
   */
  constructor (private readonly node: LocalNode, private readonly pull: (cid: string, holders: string[], job: string | undefined) => Promise<Uint8Array>, private readonly view: () => FabricView | undefined = () => undefined, readonly limits: NodeLimits = resolveNodeLimits()) {
    this.inFlight = new PeerCounter('tasks-in-flight', () => this.limits.tasksPerPeer)
    this.storedBytes = new PeerCounter('stored-bytes', () => this.limits.storedBytesPerPeer)
  }

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
    // Work in a placement group's bundle runs where its bundle is, or not at all (the run says why).
    if (groupsOf(demand).length > 0) return undefined
    return this.node.policy.admit({ total: this.node.total, available: this.node.availableNow(), queued: this.node.queueLength(), active: this.active }, demand, view.peers(), from)
  }

  /**
   * Bytes this node serves by CID (the components it holds and the objects in its store) to peer
   * `from` presenting `job`: only to the peer it keeps the object for, or to a job it holds the
   * object or component for (see object-grants.ts); undefined otherwise, as for one it lacks.
   */
  async objectBytes (cid: string, from: string, job: string | undefined): Promise<Uint8Array | undefined> {
    if (this.owned.get(from)?.has(cid) !== true && !this.node.mayServe(cid, job)) return undefined
    return this.bytes.get(cid) ?? await this.node.objectBytes(cid)
  }

  /** The bytes of a component this node has run tasks of. */
  componentBytes (cid: string): Uint8Array | undefined {
    return this.bytes.get(cid)
  }

  /**
   * The component `cid`, compiled (pulled from `from`, presenting `job`, first when this node lacks
   * it). The job may pull it from here from now on (its nested work elsewhere does), unless
   * `share` is false (an attach: the component is another job's).
   */
  async load (cid: string, from: string, job?: string, share = true): Promise<{ component: CompiledComponent, manifest: Manifest }> {
    let p = this.loaded.get(cid)
    if (p === undefined) {
      p = (async () => {
        const bytes = this.bytes.get(cid) ?? await this.pull(cid, [from], job)
        this.bytes.set(cid, bytes)
        return await this.node.load(bytes)
      })()
      p.catch(() => { this.loaded.delete(cid); this.bytes.delete(cid) })
    } else {
      this.loaded.delete(cid) // used now: the most recent in the map's order
    }
    this.loaded.set(cid, p)
    const loaded = await p
    if (share) this.node.grant(cid, job)
    this.trimComponents(cid)
    return loaded
  }

  /** Keep component `cid` while work of it runs here (tasks, actors): it is not dropped to make room. */
  pin (cid: string): void {
    this.pins.set(cid, (this.pins.get(cid) ?? 0) + 1)
  }

  unpin (cid: string): void {
    const left = (this.pins.get(cid) ?? 0) - 1
    if (left > 0) this.pins.set(cid, left)
    else this.pins.delete(cid)
  }

  /**
   * Peers' components past the node's limits (count, bytes) are dropped, least recently used
   * first, never one in use or `keep`: loading it again pulls and compiles it again.
   */
  private trimComponents (keep: string): void {
    const { maxComponents, maxComponentBytes } = this.limits
    let bytes = 0
    for (const b of this.bytes.values()) bytes += b.byteLength
    for (const cid of [...this.loaded.keys()]) {
      if (this.loaded.size <= maxComponents && bytes <= maxComponentBytes) return
      if (cid === keep || this.pins.has(cid) || !this.bytes.has(cid)) continue
      bytes -= this.bytes.get(cid)!.byteLength
      this.loaded.delete(cid)
      this.bytes.delete(cid)
      this.node.forgetComponent(cid)
    }
  }

  /** The manifest of component `cid` (loading it first). */
  async describe (cid: string, from: string, job?: string): Promise<Manifest> {
    return (await this.load(cid, from, job)).manifest
  }

  /** Run a task; a generator's items go to `onItem` in order (large ones kept here by CID). */
  async run (req: RemoteTask, from: string, onItem: (item: TaskOutcome) => void = () => {}, signal?: Abortable): Promise<TaskOutcome> {
    this.inFlight.take(from, `task '${req.name}'`)
    this.active++
    try {
      return await this.runTaken(req, from, onItem, signal)
    } finally {
      this.active--
      this.inFlight.give(from)
    }
  }

  /**
   * A peer's timeout within the node's ceiling: the ceiling when it sets none.
   *
   * @throws QuotaExceededError (`task-time`) for one past the ceiling
   */
  timeoutWithin (timeoutMs: number | undefined, what: string): number {
    if (timeoutMs !== undefined && timeoutMs > this.limits.maxTaskMs) throw quotaError('task-time', this.limits.maxTaskMs, `${what} asks for a timeout of ${timeoutMs} ms`)
    return timeoutMs ?? this.limits.maxTaskMs
  }

  private async runTaken (req: RemoteTask, from: string, onItem: (item: TaskOutcome) => void, signal?: Abortable): Promise<TaskOutcome> {
    this.pin(req.component)
    try {
      return await this.runLoaded(req, from, onItem, signal)
    } finally {
      this.unpin(req.component)
    }
  }

  private async runLoaded (req: RemoteTask, from: string, onItem: (item: TaskOutcome) => void, signal?: Abortable): Promise<TaskOutcome> {
    const { component, manifest } = await this.load(req.component, from, req.job)
    // A task of the manifest, or a vectorised call of one (`fabric:map:parse`) its SDK runs.
    const task = checkCallName(req.name, manifest, req.component)
    const copies: string[] = []
    /** Refs of this node made for nested refs: held until the task is done. */
    const locals: string[] = []
    const onCancel = (): void => { if (id !== undefined) this.node.cancel(id) }
    let id: string | undefined
    try {
      const what = `task '${req.name}'`
      // Arguments without objects or nested refs (the usual call) need nothing fetched: no wait.
      const args = req.nested === undefined && req.refs === undefined ? wireArgs(req.args, what) : await this.args(req, from, copies, locals)
      const options = resolveTaskOptions({ maxRetries: 0, ...req.options, timeoutMs: this.timeoutWithin(req.timeoutMs, what) }, what)
      if (options.maxRetries > this.limits.maxRetries) throw quotaError('retries', this.limits.maxRetries, `${what} asks for ${options.maxRetries} retries`)
      // Work in a placement group's bundle: the bundle must be here, and the sender its owner.
      if (groupsOf(options.resources).length > 0) this.node.checkBundles(options.resources, { peer: from, ...(req.job === undefined ? {} : { job: req.job }) }, what)
      const sub: Parameters<LocalNode['submit']>[0] = { component, name: req.name, args, options, streaming: task.streaming }
      if (req.job !== undefined) sub.job = req.job
      id = this.node.submit(sub)
      // The caller cancelled: queued work is dropped, running work stopped (the result says so).
      if (signal?.aborted === true) onCancel()
      signal?.addEventListener('abort', onCancel, { once: true })
      return await this.finishRun(id, req.name, task.streaming, from, req.job, copies, onItem)
    } finally {
      signal?.removeEventListener('abort', onCancel)
      for (const l of locals) this.node.release(l)
    }
  }

  private async finishRun (id: string, name: string, streaming: boolean, from: string, job: string | undefined, copies: string[], onItem: (item: TaskOutcome) => void): Promise<TaskOutcome> {
    if (streaming) {
      try {
        const reader = this.node.stream(id)
        let count = 0
        for (let item = await reader.next(); item !== undefined; item = await reader.next()) {
          const where = await this.node.location(item)
          if ('inline' in where) {
            const nested = await this.resultRefs(where.inline, from, `an item of task '${name}'`, undefined, job)
            this.node.release(item)
            onItem({ value: where.inline, ...(nested.length === 0 ? {} : { nested }) })
          } else {
            try {
              this.keep(from, where.cid, item, job, where.size)
            } catch (err) {
              this.node.release(item)
              throw err
            }
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
      // Built field by field: one per task served (the usual one inline, without refs or copies).
      let out: TaskOutcome
      const inline = 'inline' in where ? where.inline : await this.inlineBytes(id, where)
      if (inline !== undefined) {
        out = { value: inline }
        if (mayHoldRefs(inline)) {
          const nested = await this.resultRefs(inline, from, `task '${name}'`, undefined, job)
          if (nested.length > 0) out.nested = nested
        }
      } else {
        // A large result stays here, held for its owner, and travels by CID.
        const stored = where as { cid: string, size: number }
        this.keep(from, stored.cid, id, job, stored.size)
        keep = true
        out = { object: stored }
      }
      if (copies.length > 0) out.copies = copies
      return out
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
  async resultRefs (value: Uint8Array, owner: string, what: string, limit = MAX_TASK_REPLY_BYTES - 1024, job?: string): Promise<ResultRef[]> {
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
          this.keep(owner, stored.cid, ref.id, job, stored.size)
          this.node.hold(ref.id)
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
    const values = await Promise.all(nested.map(async n => n.value ?? await this.objectFor(`task '${req.name}'`, n.cid!, n.holders!, from, { owner: from, copies }, req.job)))
    const mapping = this.localNested(nested, values, `task '${req.name}'`, locals)
    const args = wireArgs(req.args, `task '${req.name}'`, id => mapping.get(id))
    await Promise.all((req.refs ?? []).map(async r => {
      if (r.index >= args.length) throw new TaskError(`task '${req.name}': object argument ${r.index + 1} is past its ${args.length} arguments`, { kind: 'bad-argument' })
      args[r.index] = { kind: 'value', bytes: await this.objectFor(`task '${req.name}'`, r.cid, r.holders, from, { owner: from, copies }, req.job), refs: [] }
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
   * counts this node as a holder). `asker`: the peer whose request names the holders; `job`: its
   * job key, presented to the holders (and the job may pull the object from here from now on).
   */
  async objectFor (what: string, cid: string, holders: string[], asker: string, keep?: { owner: string, copies: string[] }, job?: string): Promise<Uint8Array> {
    const here = await this.node.objectBytes(cid)
    // Held here for another job, the copy is not this one's: knowing a CID is not having the
    // object, so it is pulled from the holders the asker names, which serve it only what it may have.
    if (here !== undefined && (this.owned.get(asker)?.has(cid) === true || this.node.mayServe(cid, job))) return here
    let pulling = this.pulling.get(cid)
    if (pulling === undefined) {
      const members = this.members(holders, asker)
      if (members.length === 0) {
        throw new ObjectLostError(`${what}: object ${cid}: none of its holders (${holders.slice(0, 4).join(', ')}) is a member of this node's fabric or the peer that asked; refused without dialling any`, { cid })
      }
      pulling = this.pull(cid, members, job)
      this.pulling.set(cid, pulling)
      void pulling.then(() => this.pulling.delete(cid), () => this.pulling.delete(cid))
    }
    let bytes: Uint8Array
    try {
      bytes = await pulling
    } catch (err) {
      throw new ObjectLostError(`${what}: object ${cid} could not be pulled from ${holders.join(', ')}: ${(err as Error).message}`, { cid, cause: err })
    }
    // Kept for the owner (a copy already here for another job is pinned again, not stored twice).
    if (keep !== undefined && this.owned.get(keep.owner)?.has(cid) !== true) {
      const id = this.node.putBytes(bytes)
      try {
        this.keep(keep.owner, cid, id, job, bytes.byteLength)
      } catch (err) {
        this.node.release(id)
        throw err
      }
      keep.copies.push(cid)
    }
    this.node.grant(cid, job)
    return bytes
  }

  /**
   * The holders a pull may dial: the PeerIds of fabric members in this node's view (not dead), and
   * the peer that asked. A multiaddr or a stranger is never dialled: a peer could otherwise make
   * this node probe any address and read the answer from the error.
   */
  private members (holders: string[], asker: string): string[] {
    const view = this.view()
    return holders.filter(h => h === asker || (!h.startsWith('/') && view !== undefined && (view.get(h)?.state ?? 'dead') !== 'dead'))
  }

  /**
   * Hold ref `id` (object `cid`, `size` bytes) for `owner` until it releases it or leaves; peers
   * presenting `job` may pull it. A CID already kept for the owner counts once.
   *
   * @throws QuotaExceededError (`stored-bytes`) when the owner's bytes here would pass its quota
   */
  private keep (owner: string, cid: string, id: string, job: string | undefined, size: number): void {
    let mine = this.owned.get(owner)
    const known = mine?.get(cid)
    if (known === undefined) this.storedBytes.take(owner, `keeping object ${cid} (${size} bytes) for ${owner}`, size)
    this.node.grant(cid, job)
    if (mine === undefined) this.owned.set(owner, mine = new Map())
    if (known === undefined) mine.set(cid, { ids: [id], size })
    else known.ids.push(id)
  }

  /** Undo one {@link keep}: the ref is released. */
  private unkeep (owner: string, cid: string, id: string): void {
    const mine = this.owned.get(owner)
    const kept = mine?.get(cid)
    const at = kept?.ids.indexOf(id) ?? -1
    if (at < 0) return
    kept!.ids.splice(at, 1)
    if (kept!.ids.length === 0) {
      mine!.delete(cid)
      this.storedBytes.give(owner, kept!.size)
    }
    if (mine!.size === 0) this.owned.delete(owner)
    this.node.release(id)
  }

  /**
   * Drop objects `owner` owns here: `counts[i]` of the keeps of `cids[i]` (1 without counts), the
   * oldest first; returns how many CIDs are no longer kept for it. Keeps are counted because the
   * owner may be told of a new keep of the same bytes after it decided to release the old one.
   */
  release (cids: string[], owner: string, counts?: number[]): number {
    const mine = this.owned.get(owner)
    if (mine === undefined) return 0
    let n = 0
    for (const [i, cid] of cids.entries()) {
      const kept = mine.get(cid)
      if (kept === undefined) continue
      for (const id of kept.ids.splice(0, counts?.[i] ?? 1)) this.node.release(id)
      if (kept.ids.length > 0) continue
      mine.delete(cid)
      this.storedBytes.give(owner, kept.size)
      n++
    }
    if (mine.size === 0) this.owned.delete(owner)
    return n
  }

  /** The owner left the fabric or died: nobody can ask for its objects any more; drop them. */
  ownerGone (owner: string): number {
    const mine = [...(this.owned.get(owner)?.entries() ?? [])]
    return this.release(mine.map(([cid]) => cid), owner, mine.map(([, kept]) => kept.ids.length))
  }

  /** Objects kept for owners: count and bytes are in the node's store stats. */
  ownedCount (): number {
    let n = 0
    for (const m of this.owned.values()) n += m.size
    return n
  }
}
