// The driver's entry point, as `ray.init()`: `Fabric.start()` connects to a running fabric when an
// address applies (init.address, or FABRIC_ADDRESS, which `fabric run --address` and jobs set) and
// starts an embedded one in this process otherwise. Either way the program holds a `Fabric`: the
// driver contract (FabricDriver) over one of its two faces, EmbeddedFabric or ConnectedFabric.
import { ConnectedFabric, type ConnectInit } from './connected-fabric.js'
import { EMBEDDED_INIT_NAMES, EmbeddedFabric, checkInit, type EmbeddedInit } from './embedded-fabric.js'
import type { GetActorOptions } from './interface.js'
import type { NodeStats } from '../runtime/interface.js'
import type { ObjectRef } from '../objects/index.js'
import type { ActorHandle, CollectiveGroup, CollectiveGroupOptions, FabricDriver, GetOptions, NodeSummary, PlacementGroup, PlacementGroupOptions, UntypedModule, ValuesOf, WaitOptions } from './interface.js'

export type { GetOptions, WaitOptions, UntypedModule } from './interface.js'

/**
 * Options of {@link Fabric.start}: where the fabric is, and what an embedded one looks like (its
 * workers, resources, object store and worker pool). The embedded options size a node this process
 * starts; when an address applies the nodes are already running and have their own, so those
 * options do not apply (a driver runs unchanged on a laptop and against a fabric).
 */
export interface FabricInit extends EmbeddedInit {
  /**
   * A node's multiaddr (or several) to connect to; `'local'` always starts an embedded fabric.
   * @default $FABRIC_ADDRESS when set and not empty, else an embedded fabric
   */
  address?: string | string[]
  /** How to connect when an address applies (swarm key, fabric name, ...). */
  connect?: ConnectInit
}

/**
 * A fabric, seen from the driver: load components, call their tasks and actors, put and get
 * objects. The same contract ({@link FabricDriver}) embedded and across nodes; `embedded` and
 * `connected` give the face's own extras.
 *
 * @example
 * const fabric = await Fabric.start()                 // `fabric run --address ...`: connected
 * const m = await fabric.load<Module>('build/tasks.wasm')
 * const sum = m.add.remote(1, m.square.remote(3))
 * console.log(await fabric.get(sum))                  // 10
 * await fabric.stop()
 */
export class Fabric implements FabricDriver {
  private constructor (
    /** The face this fabric drives. */
    readonly face: EmbeddedFabric | ConnectedFabric
  ) {}

  /**
   * Start driving a fabric: connect when an address applies (`init.address`, else
   * `FABRIC_ADDRESS`), otherwise start an embedded one in this process.
   *
   * @throws TypeError for an unknown option (listing the known ones) or a bad value
   */
  static async start (init: FabricInit = {}): Promise<Fabric> {
    if (typeof init !== 'object' || init === null) throw new TypeError('Fabric.start: init must be an object like { workers: 2 }')
    const { address, connect, ...embedded } = init
    const known = ['address', 'connect', ...EMBEDDED_INIT_NAMES]
    const unknown = Object.keys(init).filter(k => !known.includes(k))
    if (unknown.length > 0) throw new TypeError(`Fabric.start: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`)
    // Checked wherever it runs: a driver with a bad option fails alike on a laptop and against a fabric.
    checkInit(embedded)
    const target = addressOf(address)
    if (target === undefined) return new Fabric(await EmbeddedFabric.start(embedded))
    // Connected, metricsPort serves this driver's libraries' metrics (the nodes serve their own).
    const namespace = embedded.namespace ?? connect?.namespace
    const { metricsPort, metricsHost } = embedded
    return new Fabric(await ConnectedFabric.connect(target, {
      ...connect,
      ...(namespace === undefined ? {} : { namespace }),
      ...(metricsPort === undefined ? {} : { metricsPort }),
      ...(metricsHost === undefined ? {} : { metricsHost })
    }))
  }

  /**
   * Drive a running fabric of `fabric join` nodes from this process. `address` is a node's
   * multiaddr, or several; default `FABRIC_ADDRESS` (set by `fabric run --address`).
   */
  static async connect (address: string | string[] | undefined = process.env.FABRIC_ADDRESS, init: ConnectInit = {}): Promise<ConnectedFabric> {
    return await ConnectedFabric.connect(address, init)
  }

  get kind (): 'embedded' | 'connected' {
    return this.face.kind
  }

  /** This driver's id: the embedded fabric's (the prefix of its refs, its node's id), or the connected driver's PeerId. */
  get id (): string {
    return this.face.id
  }

  /** The embedded face (its `stats()`), or undefined when connected. */
  get embedded (): EmbeddedFabric | undefined {
    return this.face.kind === 'embedded' ? this.face : undefined
  }

  /**
   * `http://HOST:PORT/metrics` when started with `metricsPort`: an embedded fabric's node metrics
   * and its libraries', or a connected driver's libraries' metrics; undefined otherwise.
   */
  get metricsUrl (): string | undefined {
    return this.face.metricsUrl
  }

  placementGroup (options: PlacementGroupOptions): PlacementGroup {
    return this.face.placementGroup(options)
  }

  async removePlacementGroup (group: PlacementGroup): Promise<void> {
    await this.face.removePlacementGroup(group)
  }

  async collectiveGroup (actors: ReadonlyArray<{ actorId: string }>, options?: CollectiveGroupOptions): Promise<CollectiveGroup> {
    return await this.face.collectiveGroup(actors, options)
  }

  addMetrics (collect: () => Promise<string>): () => void {
    return this.face.addMetrics(collect)
  }

  /** The connected face (its `locate()`, `actorInfo()`), or undefined when embedded. */
  get connected (): ConnectedFabric | undefined {
    return this.face.kind === 'connected' ? this.face : undefined
  }

  /**
   * The embedded node's resources, tasks, actors and store use.
   *
   * @throws TypeError on a connected fabric (its nodes report through `fabric status`)
   */
  stats (): NodeStats {
    if (this.face.kind !== 'embedded') throw new TypeError('stats() reports an embedded node; this fabric is connected (an address applied): see fabric.nodes(), or `fabric status`')
    return this.face.stats()
  }

  async load<M = UntypedModule> (source: string | Uint8Array): Promise<M> {
    return await this.face.load<M>(source)
  }

  put<T> (value: T): ObjectRef<T> {
    return this.face.put(value)
  }

  async get<T> (ref: ObjectRef<T>, options?: GetOptions): Promise<T>
  async get<const T extends readonly ObjectRef[]> (refs: T, options?: GetOptions): Promise<ValuesOf<T>>
  async get (refOrRefs: ObjectRef | readonly ObjectRef[], options?: GetOptions): Promise<unknown> {
    return await (this.face.get as (r: ObjectRef | readonly ObjectRef[], o?: GetOptions) => Promise<unknown>).call(this.face, refOrRefs, options)
  }

  async wait<T extends ObjectRef> (refs: readonly T[], options?: WaitOptions): Promise<{ ready: T[], pending: T[] }> {
    return await this.face.wait(refs, options)
  }

  cancel (ref: ObjectRef): boolean {
    return this.face.cancel(ref)
  }

  free (refs: ObjectRef | readonly ObjectRef[]): void {
    this.face.free(refs)
  }

  async getActor<I = Record<string, (...args: unknown[]) => unknown>> (name: string, options?: GetActorOptions): Promise<ActorHandle<I>> {
    return await this.face.getActor<I>(name, options)
  }

  get jobId (): string {
    return this.face.jobId
  }

  get namespace (): string {
    return this.face.namespace
  }

  async actorHandle<I = Record<string, (...args: unknown[]) => unknown>> (actor: string | { readonly actorId: string }): Promise<ActorHandle<I>> {
    return await this.face.actorHandle<I>(actor)
  }

  async isActorAlive (handle: { actorId: string }): Promise<boolean> {
    return await this.face.isActorAlive(handle)
  }

  async kill (handle: { actorId: string }): Promise<void> {
    await this.face.kill(handle)
  }

  nodes (): NodeSummary[] {
    return this.face.nodes()
  }

  async stop (): Promise<void> {
    await this.face.stop()
  }
}

/** The address to connect to, or undefined for an embedded fabric. */
function addressOf (address: string | string[] | undefined): string | string[] | undefined {
  if (address === 'local') return undefined
  if (address !== undefined) {
    if ((Array.isArray(address) && (address.length === 0 || !address.every(a => typeof a === 'string' && a.length > 0))) || (!Array.isArray(address) && (typeof address !== 'string' || address.length === 0))) {
      throw new TypeError(`Fabric.start: option address must be a node's multiaddr (or several), or 'local', got ${JSON.stringify(address)}`)
    }
    return address
  }
  const env = process.env.FABRIC_ADDRESS
  return env === undefined || env === '' || env === 'local' ? undefined : env
}
