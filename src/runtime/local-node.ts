// The embedded node: one process running tasks and actors on its worker pool, owning the objects
// they make. It wires its parts, each a file of one concern: the objects it owns (ObjectOwner),
// its tasks (TaskRunner), its actors (ActorTable) and what it serves guests (GuestServices), over
// the state they share (NodeCore). Placement decisions are the local policy's (scheduler/).
// Over 500 lines: this is the node's one facade (the driver faces and the net side call only it);
// each method is a line or two handing over to the part that does the work.
import { InvalidComponentError, loadComponent, loadRecentComponents, parseManifest, type CompiledComponent, type Manifest } from '../component/index.js'
import { createExecPool, type PoolStats } from '../exec/index.js'
import { createObjectStore } from '../objects/index.js'
import { resources, type Resources } from '../scheduler/resources.js'
import type { LocalPolicy } from '../scheduler/index.js'
import { ActorNotFoundError, FabricStoppedError } from './errors.js'
import { MAX_PREWARM } from './node-limits.js'
import type { ActorForwarder } from './actor-forwarder.js'
import { inlineBytes, isInline, RefTable } from './ref-table.js'
import { NodeCore } from './node-core.js'
import { jobOf, liveRow, plainRow, type TaskRow } from './task-history.js'
import { ObjectOwner } from './object-owner.js'
import { TaskRunner } from './task-runner.js'
import { ActorTable } from './actor-table.js'
import { GuestServices } from './guest-services.js'
import { Bundles, type BundleOwner, type BundleRequest } from './bundles.js'
import { Collectives, type ChunkMessage, type CollectiveTransport, type GroupSpec } from './collectives.js'
import { groupsOf } from '../scheduler/placement.js'
import { TaskCancelledError } from '../exec/index.js'
import { describe } from './node-records.js'
import { MemoIndex } from './memo.js'
import { Durables, type SnapshotRef, type SnapshotTransport } from './durable.js'
import { SnapshotKeeper } from './snapshot-keeper.js'
import type { StreamReader, TaskRecord } from './node-records.js'
import type { ArgSpec, MemoRemote, NestedOffload, NodeInit, NodeStats, ResolvedActorOptions, TaskObserver, TaskSubmission } from './interface.js'

export type { StreamReader } from './node-records.js'

/**
 * A node in this process: submit tasks, create and call actors, put and get objects.
 *
 * @example
 * const node = new LocalNode({ workers: 2 })
 * await node.start()
 * const { component } = await node.load('build/tasks.wasm')
 * const id = node.submit({ component, name: 'add', args: [...], options: resolveTaskOptions({}, 'add'), streaming: false })
 * const bytes = await node.get(id)
 * await node.stop()
 */
export class LocalNode {
  private readonly n: NodeCore

  private readonly prewarmCount: number

  constructor (init: NodeInit = {}) {
    this.prewarmCount = init.prewarm ?? 0
    if (!Number.isInteger(this.prewarmCount) || this.prewarmCount < 0 || this.prewarmCount > MAX_PREWARM) throw new RangeError(`node option prewarm must be an integer 0-${MAX_PREWARM}, got ${String(init.prewarm)}`)
    const n = new NodeCore(init)
    this.n = n
    n.objects = new ObjectOwner(n)
    n.tasks = new TaskRunner(n)
    n.actorTable = new ActorTable(n)
    n.guests = new GuestServices(n)
    n.bundles = new Bundles(n, (group, why) => { endGroupWork(n, group, why) })
    // Alone until a fabric's transport is set: every member of its groups is here.
    n.collectives = new Collectives({
      self: n.fabricId,
      send: async (peer) => { throw new Error(`node ${peer} is not reachable from an embedded fabric`) },
      abort: async () => {}
    }, actor => {
      const a = n.actors.get(actor)
      return a === undefined || a.state === 'dead' ? null : a.job
    })
    n.refs = new RefTable(n.fabricId, (e) => n.objects.onRefDeleted(e))
    n.store = createObjectStore(init.objectStore ?? {})
    n.memo = new MemoIndex(n.store, init.memo)
    n.durables = new Durables(n)
    n.keeper = new SnapshotKeeper(n)
    const g = n.guests
    n.pool = createExecPool({
      workers: n.workers,
      cacheDir: init.cacheDir,
      ...(init.defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs: init.defaultTimeoutMs }),
      ...(init.workerHeapMb === undefined ? {} : { workerHeapMb: init.workerHeapMb }),
      ...(init.processMemoryLimitMb === undefined ? {} : { processMemoryLimitMb: init.processMemoryLimitMb }),
      ...(init.actorWorkers === undefined ? {} : { actorWorkers: init.actorWorkers }),
      ...(init.maxExtraWorkers === undefined ? {} : { maxExtraWorkers: init.maxExtraWorkers }),
      host: {
        log: (level, message, ctx) => g.guestLog(level, message, ctx),
        onBlocked: (blocked, ctx) => g.onBlocked(blocked, ctx),
        objects: {
          get: async (id, ctx) => await g.guestGet(id, undefined, ctx),
          put: async (data, ctx) => g.guestPut(data, ctx)
        },
        tasks: {
          submit: async (component, name, args, options, ctx) => g.guestSubmit(component, name, args, options, ctx),
          get: async (id, timeoutMs, ctx) => await g.guestGet(id, timeoutMs, ctx),
          wait: async (ids, numReturns, timeoutMs, ctx) => await g.guestWait(ids, numReturns, timeoutMs, ctx)
        },
        actors: {
          call: async (actorId, method, args, options, ctx) => g.guestCallActor(actorId, method, args, options, ctx)
        },
        collective: async (call, ctx) => await g.guestCollective(call, ctx)
      }
    })
  }

  /** This node's id (the prefix of its refs). */
  get fabricId (): string {
    return this.n.fabricId
  }

  /** What the node offers. */
  get total (): Resources {
    return this.n.total
  }

  /** The node's labels (work's `labelSelector` is matched against them). */
  get labels (): Readonly<Record<string, string>> {
    return this.n.labels
  }

  /** What this node does with work it holds or is offered (queue order, lending, nested spread, admission). */
  get policy (): LocalPolicy {
    return this.n.policy
  }

  async start (): Promise<void> {
    const n = this.n
    if (n.state !== 'new') return
    n.state = 'running'
    await Promise.all([n.store.start(), n.pool.start()])
    if (this.prewarmCount > 0) this.prewarmed = this.prewarm(this.prewarmCount)
  }

  /**
   * The background prewarm started by `start()` (see NodeInit.prewarm): resolves when it is done,
   * with the CIDs it readied; never rejects (a prewarm that fails only leaves work cold).
   */
  prewarmed: Promise<string[]> = Promise.resolve([])

  private async prewarm (count: number): Promise<string[]> {
    try {
      const recent = await loadRecentComponents(count, { cacheDir: this.n.cacheDir })
      if (this.n.state !== 'running') return []
      return await this.n.pool.prewarm(recent)
    } catch {
      return []
    }
  }

  /** Stop: unfinished work fails with FabricStoppedError, workers and spill files go. Idempotent. */
  async stop (): Promise<void> {
    const n = this.n
    if (n.state === 'stopped') return
    n.state = 'stopped'
    const stopped = new FabricStoppedError()
    for (const t of [...n.refs.all()].map(e => e.producer as TaskRecord | undefined)) if (t !== undefined) n.tasks.finish(t, { error: stopped })
    for (const a of n.actors.values()) a.state = 'dead'
    n.memo.clear()
    await n.pool.stop()
    await n.store.stop()
    n.refs.clear()
    n.actors.clear()
    n.names.clear()
  }

  /** Load a component and ask it what it offers. */
  async load (source: string | Uint8Array): Promise<{ component: CompiledComponent, manifest: Manifest }> {
    const n = this.n
    n.assertRunning()
    const component = await loadComponent(source, { cacheDir: n.cacheDir })
    if (!n.components.has(component.cid)) {
      n.components.set(component.cid, { source, compiled: component, byCap: new Map([[component.maxMemoryPages / 16, Promise.resolve(component)]]) })
    }
    // The guest's own word on what it offers: checked like a peer's (component/manifest.ts).
    const manifest = parseManifest(await n.pool.describe(component), (path, what) => {
      throw new InvalidComponentError(`component ${component.cid} describes itself wrongly: ${path}: ${what} (rebuild it with this version of fabric build)`, { reason: 'bad-manifest' })
    })
    return { component, manifest }
  }

  /**
   * What the state API lists of this node (`fabric list`): its tasks (live ones first, then the
   * last finished), actors, or jobs (tasks counted by state per job), as plain rows.
   */
  stateRows (what: 'tasks' | 'actors' | 'jobs' | 'objects'): Array<Record<string, string | number | boolean>> {
    const n = this.n
    if (what === 'objects') return objectRows(n)
    if (what === 'actors') {
      return [...n.actors.values()].map(a => ({
        id: a.id, class: a.cls, state: a.state, restarts: a.restarts, detached: a.options.detached,
        ...(a.job === undefined ? {} : { job: jobOf(a.job)! }),
        ...(a.options.name === undefined ? {} : { name: a.options.name }),
        ...(a.options.namespace === undefined ? {} : { namespace: a.options.namespace }),
        ...(a.deathCause === undefined ? {} : { error: `${a.deathCause.name}: ${a.deathCause.message}`.slice(0, 1000) })
      }))
    }
    const live: TaskRow[] = []
    for (const e of n.refs.all()) {
      const t = e.producer as TaskRecord | undefined
      if (t !== undefined && t.result === e && t.state !== 'done') live.push(liveRow(n, t))
    }
    const tasks = [...live, ...n.history.rows()]
    if (what === 'tasks') return tasks.map(plainRow)
    const jobs = new Map<string, Record<string, number | string>>()
    for (const t of tasks) {
      const job = t.job ?? 'none'
      let row = jobs.get(job)
      if (row === undefined) jobs.set(job, row = { job, tasks: 0 })
      row.tasks = (row.tasks as number) + 1
      row[t.state] = ((row[t.state] as number | undefined) ?? 0) + 1
    }
    return [...jobs.values()]
  }

  /** Forget a loaded component (a peer's, dropped to make room): guests can no longer submit its tasks here until it is loaded again. */
  forgetComponent (cid: string): void {
    this.n.components.delete(cid)
    this.n.grants.drop(cid)
  }

  // ---- objects (ObjectOwner) ---------------------------------------------------------------

  /**
   * Store an encoded value; returns its ref id at once (held once for the caller). Large values
   * are hashed and stored in the background: the ref is pending until then.
   */
  put (bytes: Uint8Array, nested: string[]): string {
    return this.n.objects.put(bytes, nested)
  }

  /** Store an encoded value still on its way (pulled from another node): its ref id at once, pending until the bytes arrive. */
  putLater (bytes: Promise<Uint8Array>): string {
    return this.n.objects.putLater(bytes)
  }

  /** Store a large byte string as it is (no copy); its ref id at once, held once for the caller. */
  putBytes (bytes: Uint8Array): string {
    return this.n.objects.putBytes(bytes)
  }

  hold (id: string): void {
    this.n.objects.hold(id)
  }

  release (id: string): void {
    this.n.objects.release(id)
  }

  /** Drop a ref now, whoever holds it: later gets fail with ObjectReleasedError. */
  free (id: string): void {
    this.n.objects.free(id)
  }

  /** The bytes of a ref's value once it is ready; throws its error if it failed. */
  async get (id: string, timeoutMs?: number): Promise<Uint8Array> {
    return await this.n.objects.get(id, timeoutMs)
  }

  /** A ready value as stored: CBOR bytes, or (`raw`) a byte string's payload. */
  async getStored (id: string, timeoutMs?: number): Promise<{ bytes: Uint8Array, raw: boolean }> {
    return await this.n.objects.getStored(id, timeoutMs)
  }

  /** Where a ready value lives: inline CBOR bytes, or the CID and size of its bytes in the store. */
  async location (id: string): Promise<{ inline: Uint8Array } | { cid: string, size: number }> {
    return await this.n.objects.location(id)
  }

  /** The bytes of object `cid` when this node's store holds it (for peers pulling it). */
  /** Let peers presenting job key `job` pull `cid` from this node (see object-grants.ts). */
  grant (cid: string, job: string | undefined): void {
    this.n.grants.grant(cid, job)
  }

  /** Whether a peer presenting `job` may pull `cid` from this node. */
  mayServe (cid: string, job: string | undefined): boolean {
    // A memoised result is anyone's who can name its call: it is what they would compute themselves.
    // And so is a durable actor's snapshot to the node that restores it: named by content, only its holders know the CIDs.
    return this.n.grants.allows(cid, job) || this.n.memo.holds(cid) || this.n.durables.holds(cid) || this.n.keeper.holds(cid)
  }

  /** Results of memoised calls held here, and hints of others' (see memo.ts). */
  get memo (): MemoIndex {
    return this.n.memo
  }

  /** Copies of other nodes' durable actors' snapshots kept here (the replica side of /fabric/snapshot/1). */
  get snapshotKeeper (): SnapshotKeeper {
    return this.n.keeper
  }

  /** Where durable actors' snapshots are copied to and restored from (set once the node is in a fabric). */
  setSnapshotTransport (transport: SnapshotTransport | undefined): void {
    this.n.durables.transport = transport
  }

  /** Where memoised calls this node has no result for are looked up (set once the node is in a fabric). */
  setMemoRemote (remote: MemoRemote | undefined): void {
    this.n.memoRemote = remote
  }

  async objectBytes (cid: string): Promise<Uint8Array | undefined> {
    return await this.n.objects.objectBytes(cid)
  }

  /** Wait until `numReturns` of `ids` have settled (ready or failed); returns those, in order. */
  async wait (ids: string[], numReturns: number, timeoutMs?: number): Promise<string[]> {
    return await this.n.objects.wait(ids, numReturns, timeoutMs)
  }

  /** Whether the settled value of ref `id` holds refs. */
  holdsRefs (id: string): boolean {
    return this.n.objects.holdsRefs(id)
  }

  // ---- tasks (TaskRunner) -------------------------------------------------------------------

  /** Submit a task; returns its result ref id (held once for the caller). */
  submit (sub: TaskSubmission, urgent = false): string {
    return this.n.tasks.submit(sub, urgent)
  }

  /** The items of a streaming task, as they become known. */
  stream (id: string): StreamReader {
    return this.n.tasks.stream(id)
  }

  /** Cancel the task behind a ref: queued work is dropped, running work stopped. */
  cancel (id: string): boolean {
    return this.n.tasks.cancel(id)
  }

  // ---- actors (ActorTable) ------------------------------------------------------------------

  /** Create an actor; resolves with its id once its instance exists. */
  async createActor (component: CompiledComponent, cls: string, args: ArgSpec[], options: ResolvedActorOptions, hooks: { onRestart?: (restarts: number) => void, onDeath?: (cause: Error) => void, onSnapshot?: (ref: SnapshotRef) => void, job?: string, owner?: string } = {}): Promise<string> {
    return await this.n.actorTable.createActor(component, cls, args, options, hooks)
  }

  /** Find a live actor by name in `namespace`. */
  actorByName (name: string, namespace?: string): { id: string, component: CompiledComponent, cls: string, detached: boolean } {
    return this.n.actorTable.actorByName(name, namespace)
  }

  /**
   * A live actor of this node by its id (a handle that travelled here).
   *
   * @throws ActorNotFoundError when no live actor has that id here
   */
  actorById (actorId: string): { id: string, component: CompiledComponent, cls: string, detached: boolean } {
    const a = this.n.actors.get(actorId)
    if (a === undefined || a.state === 'dead') throw new ActorNotFoundError(`no live actor ${actorId} on this node${a?.deathCause === undefined ? '' : ` (it died: ${a.deathCause.message})`}`)
    return { id: a.id, component: a.component, cls: a.cls, detached: a.options.detached }
  }

  /** Whether actor `actorId` lives here (not dead, not unknown). */
  isActorAlive (actorId: string): boolean {
    const a = this.n.actors.get(actorId)
    return a !== undefined && a.state !== 'dead'
  }

  /** The timeout an actor's calls have by its options (undefined: none). */
  actorTimeout (actorId: string): number | undefined {
    return this.n.actors.get(actorId)?.options.timeoutMs
  }

  /** Call an actor's method; returns the result's ref id (held once for the caller). */
  callActor (actorId: string, method: string, args: ArgSpec[], options: { timeoutMs?: number, maxRetries?: number, onRetry?: () => void, streaming?: boolean, job?: string, seq?: number } = {}): string {
    return this.n.actorTable.callActor(actorId, method, args, options)
  }

  /** Kill an actor: its queued calls fail with ActorDiedError, its name is free again. */
  kill (actorId: string): void {
    this.n.actorTable.kill(actorId)
  }

  // ---- placement-group bundles (Bundles) -------------------------------------------------------

  /** Set bundles of a placement group aside for `owner` (all or none); usable once committed. See bundles.ts. */
  prepareBundles (group: string, bundles: readonly BundleRequest[], owner: BundleOwner, leaseMs?: number): void {
    this.n.assertRunning()
    this.n.bundles.prepare(group, bundles, owner, leaseMs)
  }

  /** Make the prepared bundles of `group` usable. */
  commitBundles (group: string, owner: BundleOwner): void {
    this.n.bundles.commit(group, owner)
  }

  /** Give back the bundles of `group` held here, ending the work in them; whether any was held. */
  releaseBundles (group: string, owner: BundleOwner): boolean {
    return this.n.bundles.release(group, owner)
  }

  /** Give back every bundle `peer` reserved on its session `session`, which ended. */
  releaseSessionBundles (peer: string, session: number): number {
    return this.n.bundles.releaseSession(peer, session)
  }

  /** Check that work from `owner` may use the bundles its demand names (see Bundles.check). */
  checkBundles (demand: Resources, owner: BundleOwner, what: string): void {
    this.n.bundles.check(demand, owner, what)
  }

  /** The bundles this node holds, for the state API. */
  bundleRows (): ReturnType<Bundles['rows']> {
    return this.n.bundles.rows()
  }

  // ---- collective groups (Collectives) -------------------------------------------------------

  /** Reach the other nodes of collective groups through `transport` (a node in a fabric). */
  setCollectiveTransport (transport: CollectiveTransport): void {
    this.n.collectives.setTransport(transport)
  }

  /** Put this node's actors among `spec`'s members in the group (they must be `job`'s). */
  joinGroup (spec: GroupSpec, job: string | undefined): void {
    this.n.collectives.join(spec, job)
  }

  leaveGroup (id: string, job: string | undefined): void {
    this.n.collectives.leave(id, job)
  }

  /** A collective's chunk from node `from`. */
  deliverChunk (from: string, msg: ChunkMessage): void {
    this.n.collectives.deliver(from, msg)
  }

  /** Node `from` says group `id` failed there. */
  groupAborted (from: string, id: string, reason: string): void {
    this.n.collectives.aborted(from, id, reason)
  }

  /** Node `peer` left or died (its groups' members here fail). */
  peerLost (peer: string): void {
    this.n.collectives.peerLost(peer)
  }

  /** The collective groups actor `actor` is in, by name. */
  groupsOf (actor: string): string[] {
    return this.n.collectives.groupsOf(actor)
  }

  // ---- guests' nested work (GuestServices) ----------------------------------------------------

  /** Send guests' nested tasks to other nodes when this one is half busy (see {@link NestedOffload}). */
  setOffload (offload: NestedOffload | undefined): void {
    this.n.guests.setOffload(offload)
  }

  /** Where guests' calls to actors of other nodes go (a node in a fabric; see {@link ActorForwarder}). */
  setActorForwarder (forwarder: ActorForwarder | undefined): void {
    this.n.guests.setActorForwarder(forwarder)
  }

  /** Guests' nested tasks sent to other nodes: running there now, and in all. */
  offloadStats (): { running: number, total: number } {
    return this.n.guests.offloadStats()
  }

  // ---- state ----------------------------------------------------------------------------------

  /** Resources free on this node now (a copy). */
  availableNow (): Resources {
    return resources(this.n.available)
  }

  /** Tasks queued for resources here now (ready to run, not started): cheap, for admission decisions. */
  queueLength (): number {
    return this.n.queue.length
  }

  /** The worker pool's counters (workers, busy ones, its queue). */
  poolStats (): PoolStats {
    return this.n.pool.stats()
  }

  /** Tell `observer` of every task and actor call when it ends (undefined: nobody). */
  setTaskObserver (observer: TaskObserver | undefined): void {
    this.n.taskObserver = observer
  }

  stats (): NodeStats {
    const n = this.n
    let queued = n.queue.length + n.counts.ahead
    for (const a of n.actors.values()) for (const t of a.queue) if (t.state === 'queued') queued++
    return {
      tasks: { waiting: n.counts.waiting, queued, running: n.running.size, finished: n.counts.finished, failed: n.counts.failed, cancelled: n.counts.cancelled },
      actors: [...n.actors.values()].filter(a => a.state !== 'dead').length,
      refs: n.refs.size,
      resources: { total: resources(n.total), available: resources(n.available) },
      store: n.store.stats(),
      memo: n.memo.stats(),
      durable: { ...n.durables.counters }
    }
  }
}

/**
 * The objects a node holds, for the state API: each in its store (CID, size, spilled, the refs
 * naming it, the jobs that may read it), and each small value kept inline in its ref table.
 */
function objectRows (n: NodeCore): Array<Record<string, string | number | boolean>> {
  const refsOf = new Map<string, string[]>()
  const rows: Array<Record<string, string | number | boolean>> = []
  for (const e of n.refs.all()) {
    if (e.state !== 'ready' || e.value === undefined) continue
    if (isInline(e.value)) {
      rows.push({ ref: e.id, size: inlineBytes(e.value).byteLength, where: 'inline', spilled: false, refs: 1 })
      continue
    }
    let list = refsOf.get(e.value.cid)
    if (list === undefined) refsOf.set(e.value.cid, list = [])
    list.push(e.id)
  }
  for (const o of n.store.list()) {
    const refs = refsOf.get(o.cid) ?? []
    const jobs = n.grants.jobsOf(o.cid).map(k => jobOf(k)!).sort()
    rows.push({
      cid: o.cid,
      size: o.size,
      where: o.tier,
      spilled: o.tier === 'disk',
      kind: n.components.has(o.cid) ? 'component' : 'object',
      refs: refs.length,
      pins: o.pins,
      ...(refs.length === 0 ? {} : { ref: refs.slice(0, 4).join(',') }),
      ...(jobs.length === 0 ? {} : { job: jobs.slice(0, 8).join(',') })
    })
  }
  return rows
}

/** End the work still in a released group's bundles: its actors are killed, its tasks cancelled. */
function endGroupWork (n: NodeCore, group: string, why: string): void {
  for (const a of [...n.actors.values()]) {
    if (a.state !== 'dead' && groupsOf(a.options.resources).includes(group)) n.actorTable.kill(a.id, why)
  }
  for (const e of [...n.refs.all()]) {
    const t = e.producer as TaskRecord | undefined
    if (t === undefined || t.state === 'done' || t.actor !== undefined || !groupsOf(t.demand).includes(group)) continue
    t.cancelled = true
    if (t.state === 'running') t.abort?.abort()
    else n.tasks.finish(t, { error: new TaskCancelledError(`${describe(t)} was cancelled: ${why}`) })
  }
}
