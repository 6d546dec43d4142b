// The embedded face of the driver contract: a LocalNode in this process. Modules loaded from
// components call tasks with `.remote()` and get ObjectRefs at once; refs the program drops are
// released when the garbage collector says so.
import { DriverMetrics } from './driver-metrics.js'
import type { Manifest } from '../component/index.js'
import type { CompiledComponent } from '../component/interface.js'
import type { ExecPoolInit } from '../exec/index.js'
import type { MetricsServer } from '../metrics/index.js'
import { announceStarted } from './started-channel.js'
import { decode, encode, findRefs, ObjectRef } from '../objects/index.js'
import { ActorNotFoundError, InfeasibleTaskError } from '../runtime/errors.js'
import { addressOf } from '../runtime/actor-address.js'
import { withHandleForms } from './handle-forms.js'
import type { ArgSpec, NodeInit, NodeStats, TaskSubmission } from '../runtime/interface.js'
import { LocalNode, type StreamReader } from '../runtime/local-node.js'
import { MAX_PREWARM } from '../runtime/node-limits.js'
import { driverActorOptions, driverTaskOptions, type PlacementOption, type SchedulingOption } from '../runtime/options.js'
import { groupDemand, labelsMatch, type LabelSelector } from '../scheduler/index.js'
import { DriverPlacementGroups, embeddedTransport } from './placement-groups.js'
import { formGroup } from './collective-groups.js'
import { checkNamespace, newJob, type Job } from '../runtime/job.js'
import { vectorisedCalls } from './vectorised.js'
import type { ActorHandle, ActorOptions, CollectiveGroup, CollectiveGroupOptions, FabricDriver, GetActorOptions, GetOptions, NodeSummary, PlacementGroup, PlacementGroupOptions, RemoteActorClass, RemoteFunction, TaskOptions, UntypedModule, ValuesOf, WaitOptions } from './interface.js'

/** Byte strings larger than this are stored as they are (see EmbeddedFabric.put). */
const LARGE_BYTES = 100 * 1024

/**
 * Options of an embedded fabric: the node's workers, resources and object store, and its worker
 * pool's limits.
 */
export interface EmbeddedInit extends Pick<NodeInit, 'workers' | 'resources' | 'objectStore' | 'cacheDir' | 'log' | 'labels' | 'localPolicy' | 'taskHistory' | 'prewarm'>, Pick<ExecPoolInit, 'defaultTimeoutMs' | 'workerHeapMb' | 'processMemoryLimitMb' | 'actorWorkers' | 'maxExtraWorkers'> {
  /** Where this job's named actors live (also when the fabric is connected). @default a fresh namespace per job */
  namespace?: string
  /** Serve Prometheus metrics of the node on `http://metricsHost:metricsPort/metrics` (0: a free port; see `metricsUrl`). @default no endpoint */
  metricsPort?: number
  /** Where the metrics endpoint listens; beyond loopback only when named. @default '127.0.0.1' */
  metricsHost?: string
}

const INIT_NAMES = ['workers', 'resources', 'objectStore', 'cacheDir', 'log', 'labels', 'localPolicy', 'taskHistory', 'prewarm', 'defaultTimeoutMs', 'workerHeapMb', 'processMemoryLimitMb', 'actorWorkers', 'maxExtraWorkers', 'namespace', 'metricsPort', 'metricsHost'] as const satisfies ReadonlyArray<keyof EmbeddedInit>
// Fails to compile when EmbeddedInit gains an option the list (and so the unknown-option check) lacks.
const everyInitName: Exclude<keyof EmbeddedInit, typeof INIT_NAMES[number]> extends never ? true : never = true

/** Every option an {@link EmbeddedInit} may have (unknown ones are refused). */
export const EMBEDDED_INIT_NAMES: readonly string[] = everyInitName ? INIT_NAMES : []

/**
 * A fabric embedded in this process (what `Fabric.start()` runs when no address applies; always
 * with `Fabric.start({ address: 'local' })`): the {@link FabricDriver} contract plus the node's
 * `id` and `stats()`.
 *
 * @example
 * const fabric = await Fabric.start({ address: 'local', workers: 2 })
 * const m = await fabric.load<Module>('build/tasks.wasm')
 * console.log(await fabric.get(m.add.remote(1, m.square.remote(3)))) // 10
 * console.log(fabric.stats().tasks.finished)                         // 2
 * await fabric.stop()
 */
export class EmbeddedFabric implements FabricDriver {
  readonly kind = 'embedded' as const
  // Driver-side refs are released when the program drops them: the GC tells us.
  private readonly registry = new FinalizationRegistry<string>((id) => { if (!this.stopped) this.node.release(id) })
  private stopped = false
  /** Each loaded component's actor classes: their methods and which of them stream (by CID, then class). */
  private readonly classes = new Map<string, Map<string, ActorClassInfo>>()
  /** This fabric's handle objects and their actors' ids: among arguments they travel as `{ actorId }`. */
  private readonly handles = new WeakMap<object, string>()
  /** Whether any handle was made (arguments are looked through for handles only then). */
  private madeHandles = false

  /** This job's placement groups: their bundles are reserved on the one node. */
  private readonly groups: DriverPlacementGroups

  private constructor (private readonly node: LocalNode, private readonly job: Job, private readonly metrics: MetricsServer | undefined, private readonly texts: DriverMetrics) {
    this.groups = new DriverPlacementGroups(embeddedTransport(node, node.fabricId, job.key), true)
  }

  placementGroup (options: PlacementGroupOptions): PlacementGroup {
    return this.groups.create(options)
  }

  async removePlacementGroup (group: PlacementGroup): Promise<void> {
    await this.groups.remove(group)
  }

  async collectiveGroup (actors: ReadonlyArray<{ actorId: string }>, options: CollectiveGroupOptions = {}): Promise<CollectiveGroup> {
    const node = this.node
    const job = this.job.key
    return await formGroup(actors, options, {
      locate: (actorId) => {
        if (!node.isActorAlive(actorId)) throw new ActorNotFoundError(`collectiveGroup: no live actor ${actorId} in this fabric`)
        return { peer: node.fabricId, actor: actorId }
      },
      join: async (_peer, spec) => { node.joinGroup(spec, job) },
      leave: async (_peer, id) => { node.leaveGroup(id, job) }
    })
  }

  addMetrics (collect: () => Promise<string>): () => void {
    return this.texts.add(collect)
  }

  /** `http://HOST:PORT/metrics` when started with `metricsPort`. */
  get metricsUrl (): string | undefined {
    return this.metrics?.url
  }

  get jobId (): string {
    return this.job.id
  }

  get namespace (): string {
    return this.job.namespace
  }

  /** Start an embedded fabric (workers = CPUs unless set). */
  static async start (init: EmbeddedInit = {}): Promise<EmbeddedFabric> {
    checkInit(init)
    const { namespace, metricsPort, metricsHost, ...nodeInit } = init
    const job = newJob(namespace)
    const node = new LocalNode(nodeInit)
    await node.start()
    let metrics: MetricsServer | undefined
    let texts: DriverMetrics | undefined
    if (metricsPort !== undefined) {
      try {
        const { nodeRegistry, startMetricsServer, taskLatency } = await import('../metrics/index.js')
        const registry = nodeRegistry({ stats: () => node.stats(), pool: () => node.poolStats() }, node.fabricId)
        node.setTaskObserver(taskLatency(registry))
        texts = new DriverMetrics(registry)
        metrics = await startMetricsServer(texts, { port: metricsPort, ...(metricsHost === undefined ? {} : { host: metricsHost }) })
      } catch (err) {
        await node.stop()
        throw err
      }
    }
    const fabric = new EmbeddedFabric(node, job, metrics, texts ?? new DriverMetrics())
    announceStarted({ kind: 'embedded', fabric })
    return fabric
  }

  /** Stop the fabric: running work ends, workers and spill files go. Idempotent. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.groups.stop()
    await this.metrics?.stop()
    await this.node.stop()
  }

  /** This fabric's id: the prefix of its refs, and the id of its one node (for `nodeAffinity`). */
  get id (): string {
    return this.node.fabricId
  }

  /** Resources, tasks, actors and store use of the node. */
  stats (): NodeStats {
    return this.node.stats()
  }

  /**
   * The node's rows of the state API (what `fabric list` shows of a node): its tasks (live, and
   * the last `taskHistory` finished), actors, objects, or jobs with counts.
   */
  list (what: 'tasks' | 'actors' | 'objects' | 'jobs'): Array<Record<string, string | number | boolean>> {
    return this.node.stateRows(what)
  }

  /** The one node. */
  nodes (): NodeSummary[] {
    const { total, available } = this.node.stats().resources
    return [{ id: this.id, state: 'alive', cpus: { available: available.cpus, total: total.cpus } }]
  }

  async load<M = UntypedModule> (source: string | Uint8Array): Promise<M> {
    const { component, manifest } = await this.node.load(source)
    return this.moduleOf(component, manifest) as M
  }

  /** Store a value; a large `Uint8Array` is kept as it is, without a copy. */
  put<T> (value: T): ObjectRef<T> {
    if (value instanceof Uint8Array && value.constructor === Uint8Array && value.byteLength > LARGE_BYTES) {
      return this.track<T>(this.node.putBytes(value))
    }
    const { bytes, refs } = this.encodeValue(value, 'put')
    return this.track<T>(this.node.put(bytes, refs))
  }

  async get<T> (ref: ObjectRef<T>, options?: GetOptions): Promise<T>
  async get<const T extends readonly ObjectRef[]> (refs: T, options?: GetOptions): Promise<ValuesOf<T>>
  async get (refOrRefs: ObjectRef | readonly ObjectRef[], options: GetOptions = {}): Promise<unknown> {
    if (Array.isArray(refOrRefs)) {
      const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs
      const out: unknown[] = []
      for (const r of refOrRefs as readonly ObjectRef[]) {
        out.push(await this.getOne(r, deadline === undefined ? undefined : Math.max(0, deadline - Date.now())))
      }
      return out
    }
    return await this.getOne(refOrRefs as ObjectRef, options.timeoutMs)
  }

  private async getOne (ref: ObjectRef, timeoutMs: number | undefined): Promise<unknown> {
    assertRef(ref, 'get')
    const stored = await this.node.getStored(ref.id, timeoutMs)
    if (stored.raw) return stored.bytes
    const value = decode(stored.bytes)
    for (const nested of findRefs(value)) {
      this.node.hold(nested.id)
      this.registry.register(nested, nested.id)
    }
    return value
  }

  async wait<T extends ObjectRef> (refs: readonly T[], options: WaitOptions = {}): Promise<{ ready: T[], pending: T[] }> {
    for (const r of refs) assertRef(r, 'wait')
    const numReturns = checkNumReturns(options.numReturns, refs.length)
    const ready = new Set(await this.node.wait(refs.map(r => r.id), numReturns, options.timeoutMs))
    return { ready: refs.filter(r => ready.has(r.id)), pending: refs.filter(r => !ready.has(r.id)) }
  }

  cancel (ref: ObjectRef): boolean {
    assertRef(ref, 'cancel')
    return this.node.cancel(ref.id)
  }

  free (refs: ObjectRef | readonly ObjectRef[]): void {
    for (const r of Array.isArray(refs) ? refs as readonly ObjectRef[] : [refs as ObjectRef]) {
      assertRef(r, 'free')
      this.node.free(r.id)
    }
  }

  async getActor<I = Record<string, (...args: unknown[]) => unknown>> (name: string, options: GetActorOptions = {}): Promise<ActorHandle<I>> {
    const a = this.node.actorByName(name, namespaceOf(options, this.job.namespace))
    return this.handleOf(a.id, a.component, a.cls) as ActorHandle<I>
  }

  /**
   * A callable handle from what names an actor of this fabric: an actorId, or the form a handle
   * travels as (`{ actorId }`, e.g. returned by a task).
   *
   * @throws ActorNotFoundError when no live actor has that id here; TypeError for a malformed id
   */
  async actorHandle<I = Record<string, (...args: unknown[]) => unknown>> (actor: string | { readonly actorId: string }): Promise<ActorHandle<I>> {
    if (typeof actor === 'object' && actor !== null && this.handles.has(actor)) return actor as ActorHandle<I>
    const { actor: id, peer } = addressOf(actor)
    if (peer !== undefined) throw new ActorNotFoundError(`actor ${id}@${peer} lives on node ${peer}: this embedded fabric is one node (call it through a driver connected to that node's fabric)`)
    const a = this.node.actorById(id)
    return this.handleOf(a.id, a.component, a.cls) as ActorHandle<I>
  }

  async kill (handle: { actorId: string }): Promise<void> {
    this.node.kill(handle.actorId)
  }

  async isActorAlive (handle: { actorId: string }): Promise<boolean> {
    return this.node.isActorAlive(handle.actorId)
  }

  // ---- module handles ------------------------------------------------------------------------

  private moduleOf (component: CompiledComponent, manifest: Manifest): Record<string, unknown> {
    const m: Record<string, unknown> = {}
    for (const t of manifest.tasks) m[t.name] = this.remoteFunction(component, t.name, t.streaming, t.memo === true ? { memo: true } : {}, manifest.sdk)
    const classes = new Map(manifest.actors.map(a => [a.name, { methods: a.methods, streaming: new Set(a.streaming) }]))
    for (const [name, info] of classes) m[name] = this.remoteClass(component, name, info, {})
    this.classes.set(component.cid, classes)
    return Object.freeze(m)
  }

  /** A task's RemoteFunction; with its component's `sdk`, its vectorised calls too (a vectorised call's own has none). */
  private remoteFunction (component: CompiledComponent, name: string, streaming: boolean, options: TaskOptions, sdk?: string): RemoteFunction<unknown[], unknown> {
    const what = `task '${name}'`
    const { resolved, scheduling, labels, placement } = driverTaskOptions(options, what)
    const vectorised = sdk === undefined
      ? {}
      : vectorisedCalls({ task: name, streaming, sdk, cid: component.cid, submitter: (call, o) => this.remoteFunction(component, call, false, o).remote as (...args: unknown[]) => ObjectRef }, options)
    return {
      ...vectorised,
      remote: (...args: unknown[]) => {
        const encoded = this.encodeArgs(args, `${name}.remote`)
        let id: string
        try {
          this.checkAffinity(scheduling, what)
          this.checkLabels(labels, what)
          id = placement === undefined
            ? this.node.submit({ component, name, args: encoded, options: resolved, streaming, job: this.job.key })
            : this.submitInGroup({ component, name, args: encoded, options: resolved, streaming, job: this.job.key }, placement, what)
        } catch (err) {
          // As across nodes, what no node can run fails its ref (get throws), not the call.
          if ((err as Error).name !== 'InfeasibleTaskError') throw err
          if (streaming) return failedStream(err as Error)
          id = this.node.putLater(Promise.reject(err))
        }
        if (!streaming) return this.track(id)
        return this.streamOf(id)
      },
      options: (more: TaskOptions) => this.remoteFunction(component, name, streaming, { ...options, ...more }, sdk)
    } as RemoteFunction<unknown[], unknown>
  }

  /**
   * A task in a placement group's bundle: it asks for the bundle's resource names, and, while the
   * group is not placed yet, waits for it (a ref that settles once it is) before it may run.
   */
  private submitInGroup (sub: TaskSubmission, placement: PlacementOption, what: string): string {
    const { record, locator } = this.groups.resolve(placement, sub.options.resources, what)
    this.groups.checkFit(record, placement.bundleIndex, sub.options.resources, what)
    const demand = groupDemand(record.id, placement.bundleIndex, sub.options.resources)
    const options = { ...sub.options, resources: demand }
    if (record.state === 'created') return this.node.submit({ ...sub, options })
    const ready = this.node.putLater(locator.locate(new Set()).then(() => encode(null)))
    try {
      return this.node.submit({ ...sub, options, after: ready })
    } finally {
      this.node.release(ready)
    }
  }

  /** One node: hard labels it lacks fail the work as they do across nodes; soft ones run here. */
  private checkLabels (labels: LabelSelector | undefined, what: string): void {
    if (labels === undefined || labels.soft === true || labelsMatch(this.node.labels, labels.match)) return
    const want = Object.entries(labels.match).map(([k, v]) => v.startsWith('!') ? `${k}!=${v.slice(1)}` : `${k}=${v}`).join(', ')
    throw new InfeasibleTaskError(`no node in this caller's view has the labels ${what} needs (${want}); use softLabelSelector to prefer them and run elsewhere when none has room`)
  }

  /** One node: a hard affinity to any other fails as it does across nodes; a soft one runs here. */
  private checkAffinity (scheduling: SchedulingOption, what: string): void {
    if (typeof scheduling !== 'object' || scheduling.soft === true || scheduling.nodeAffinity === this.id) return
    throw new InfeasibleTaskError(`${what} must run on node ${scheduling.nodeAffinity} (nodeAffinity), which is not in this caller's view of the fabric`)
  }

  private streamOf (id: string): AsyncIterable<ObjectRef> {
    const reader: StreamReader = this.node.stream(id)
    const node = this.node
    const track = (itemId: string): ObjectRef => this.track(itemId)
    let released = false
    const release = (): void => {
      if (!released) node.release(id)
      released = true
    }
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<ObjectRef>> => {
          try {
            const item = await reader.next()
            if (item === undefined) {
              release()
              return { done: true, value: undefined }
            }
            return { done: false, value: track(item) }
          } catch (err) {
            release()
            throw err
          }
        },
        return: async (): Promise<IteratorResult<ObjectRef>> => {
          release()
          return { done: true, value: undefined }
        }
      })
    }
  }

  private remoteClass (component: CompiledComponent, cls: string, info: ActorClassInfo, options: ActorOptions): RemoteActorClass<unknown[], Record<string, (...args: unknown[]) => unknown>> {
    const what = `actor '${cls}'`
    const { resolved: given, scheduling, labels, placement } = driverActorOptions(options, what)
    return {
      create: async (...args: unknown[]) => {
        const encoded = this.encodeArgs(args, `${cls}.create`)
        this.checkAffinity(scheduling, what)
        this.checkLabels(labels, what)
        let resolved = given
        if (placement !== undefined) {
          // Placed in a bundle: created once the group is placed, out of the bundle's resources.
          const { locator } = this.groups.resolve(placement, given.resources, what)
          resolved = { ...given, resources: (await locator.locate(new Set())).demand }
        }
        // The constructor runs once its ref arguments are ready (as across nodes).
        const deps = encoded.flatMap(a => a.kind === 'ref' ? [a.id] : a.refs)
        if (deps.length > 0) await this.node.wait(deps, deps.length)
        const actorId = await this.node.createActor(component, cls, encoded, { ...resolved, namespace: resolved.namespace ?? this.job.namespace }, { job: this.job.key })
        return this.handleOf(actorId, component, cls, info)
      },
      options: (more: ActorOptions) => this.remoteClass(component, cls, info, { ...options, ...more })
    } as RemoteActorClass<unknown[], Record<string, (...args: unknown[]) => unknown>>
  }

  /**
   * A handle: each method has `.remote()`, which queues a call in order and returns a ref to its
   * result at once, or for a generator method (the manifest lists it as streaming) an async stream
   * of refs to its values, each arriving as the method yields it.
   */
  private handleOf (actorId: string, component: CompiledComponent, cls: string, known?: ActorClassInfo): Record<string, unknown> {
    const info = known ?? this.classes.get(component.cid)?.get(cls) ?? { methods: [], streaming: new Set<string>() }
    const handle: Record<string, unknown> = { actorId }
    for (const method of info.methods) {
      const what = `${cls}.${method}.remote`
      handle[method] = info.streaming.has(method)
        ? { remote: (...args: unknown[]) => this.streamOf(this.node.callActor(actorId, method, this.encodeArgs(args, what), { streaming: true, job: this.job.key })) }
        : { remote: (...args: unknown[]) => this.track(this.node.callActor(actorId, method, this.encodeArgs(args, what), { job: this.job.key })) }
    }
    this.handles.set(handle, actorId)
    this.madeHandles = true
    return Object.freeze(handle)
  }

  // ---- encoding ------------------------------------------------------------------------------

  private encodeArgs (args: unknown[], what: string): ArgSpec[] {
    return args.map((a, i) => {
      if (a instanceof ObjectRef) return { kind: 'ref', id: a.id }
      const { bytes, refs } = this.encodeValue(a, `${what}: argument ${i + 1}`)
      return { kind: 'value', bytes, refs }
    })
  }

  private encodeValue (value: unknown, what: string): { bytes: Uint8Array, refs: string[] } {
    // This fabric's handles travel as { actorId }, which guests' actorHandle() takes.
    const v = this.madeHandles ? withHandleForms(value, h => { const actorId = this.handles.get(h); return actorId === undefined ? undefined : { actorId } }) : value
    try {
      return { bytes: encode(v), refs: findRefs(v).map(r => r.id) }
    } catch (err) {
      ;(err as Error).message = `${what}: ${(err as Error).message}`
      throw err
    }
  }

  /** A driver-side ref: held by the node until the program drops it. */
  private track<T> (id: string): ObjectRef<T> {
    const ref = new ObjectRef<T>(id)
    this.registry.register(ref, id)
    return ref
  }
}

/** An actor class as a handle needs it: its methods, and the generators among them. */
interface ActorClassInfo { methods: readonly string[], streaming: ReadonlySet<string> }

/** A stream whose task could not be placed: its first item throws why. */
function failedStream (err: Error): AsyncIterable<ObjectRef> {
  return { [Symbol.asyncIterator]: () => ({ next: async () => { throw err } }) }
}

/** `numReturns` of a wait, checked the same way by both faces. */
export function checkNumReturns (numReturns: number | undefined, count: number): number {
  const n = numReturns ?? 1
  if (!Number.isInteger(n) || n < 0 || n > count) {
    throw new RangeError(`wait: numReturns must be an integer from 0 to ${count} (the number of refs), got ${n}`)
  }
  return n
}

export function assertRef (r: unknown, what: string): asserts r is ObjectRef {
  if (!(r instanceof ObjectRef)) throw new TypeError(`${what}: expected an ObjectRef, got ${r === null ? 'null' : typeof r}`)
}

/** Refuse unknown init options and limits that are not positive numbers, saying which. */
export function checkInit (init: EmbeddedInit): void {
  if (typeof init !== 'object' || init === null) throw new TypeError('Fabric.start: init must be an object like { workers: 2 }')
  const unknown = Object.keys(init).filter(k => !EMBEDDED_INIT_NAMES.includes(k))
  if (unknown.length > 0) throw new TypeError(`Fabric.start: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${['address', 'connect', ...EMBEDDED_INIT_NAMES].join(', ')})`)
  for (const k of ['workers', 'defaultTimeoutMs', 'workerHeapMb', 'processMemoryLimitMb', 'actorWorkers'] as const) {
    const v = init[k]
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) throw new TypeError(`Fabric.start: option ${k} must be a positive number, got ${String(v)}`)
  }
  const extra = init.maxExtraWorkers
  if (extra !== undefined && (typeof extra !== 'number' || !Number.isInteger(extra) || extra < 0)) throw new TypeError(`Fabric.start: option maxExtraWorkers must be an integer >= 0, got ${String(extra)}`)
  const prewarm = init.prewarm
  if (prewarm !== undefined && (typeof prewarm !== 'number' || !Number.isInteger(prewarm) || prewarm < 0 || prewarm > MAX_PREWARM)) throw new TypeError(`Fabric.start: option prewarm must be an integer 0-${MAX_PREWARM}, got ${String(prewarm)}`)
  checkNamespace(init.namespace, 'Fabric.start')
  const port = init.metricsPort
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) throw new TypeError(`Fabric.start: option metricsPort must be an integer 0-65535, got ${String(port)}`)
  if (init.metricsHost !== undefined && (typeof init.metricsHost !== 'string' || init.metricsHost === '')) throw new TypeError('Fabric.start: option metricsHost must be a host name or address')
}

/** The namespace `getActor` looks in: the one asked for (checked), else the job's. */
export function namespaceOf (options: GetActorOptions | undefined, own: string): string {
  if (typeof options !== 'object' || options === null) {
    if (options === undefined) return own
    throw new TypeError('getActor: options must be an object like { namespace: \'team-a\' }')
  }
  const unknown = Object.keys(options).filter(k => k !== 'namespace')
  if (unknown.length > 0) throw new TypeError(`getActor: unknown option ${unknown.join(', ')} (known: namespace)`)
  return checkNamespace(options.namespace, 'getActor') ?? own
}
