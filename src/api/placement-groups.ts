// Placement groups as both driver faces offer them: the options checked, the PlacementGroup handle
// a program holds, the `placementGroup` option of a task or actor resolved to its bundle, and the
// transports (an embedded fabric's one node; a connected driver's /fabric/placement/1 sessions).
import { GetTimeoutError, PlacementGroups, type BundleLocator, type BundleOwner, type BundleTransport, type GroupRecord, type LocalNode } from '../runtime/index.js'
import { checkBundles, PLACEMENT_STRATEGIES, resources, type NodeEntry, type PlacementStrategy, type Resources } from '../scheduler/index.js'
import type { NetNode, PlacementSessions } from '../net/index.js'
import type { BundleSpec, PlacementGroup, PlacementGroupOptions } from './interface.js'

const OPTION_NAMES = ['bundles', 'strategy', 'name']
const BUNDLE_NAMES = ['cpus', 'gpus', 'memoryMb', 'resources']
/** Most bundles one group may have. */
export const MAX_BUNDLES = 1024

/** The handle a program holds; the record behind it stays the driver's. */
class GroupHandle implements PlacementGroup {
  readonly bundles: ReadonlyArray<Readonly<Required<BundleSpec>>>

  constructor (readonly record: GroupRecord, private readonly nodeName: (peer: string) => string) {
    this.bundles = Object.freeze(record.bundles.map(b => Object.freeze({ cpus: b.cpus, gpus: b.gpus, memoryMb: b.memoryMb, resources: Object.freeze({ ...b.custom }) })))
  }

  get id (): string { return this.record.id }
  get name (): string | undefined { return this.record.name }
  get strategy (): PlacementStrategy { return this.record.strategy }
  get state (): PlacementGroup['state'] { return this.record.state }
  get pendingReason (): string | undefined {
    return this.record.state === 'pending' || this.record.state === 'rescheduling' ? this.record.reason : undefined
  }

  async ready (options: { timeoutMs?: number } = {}): Promise<void> {
    const t = options.timeoutMs
    if (t === undefined) return await this.record.whenReady()
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new TypeError(`ready: timeoutMs must be a non-negative number, got ${String(t)}`)
    const signal = AbortSignal.timeout(t)
    try {
      await this.record.whenReady(signal)
    } catch (err) {
      if (signal.aborted && (err as Error)?.name === 'TimeoutError') {
        throw new GetTimeoutError(`placement group ${this.name ?? this.id} was not placed within ${t} ms${this.record.reason === undefined ? '' : `: ${this.record.reason}`}`)
      }
      throw err
    }
  }

  bundleNodes (): Array<string | undefined> {
    return this.record.bundles.map((_b, i) => {
      const p = this.record.nodes.get(i)
      return p === undefined ? undefined : this.nodeName(p)
    })
  }

  toString (): string {
    return `PlacementGroup(${this.name ?? this.id})`
  }
}

/** A driver's placement groups: what both faces call. */
export class DriverPlacementGroups {
  private readonly manager: PlacementGroups
  private readonly handles = new WeakSet<GroupHandle>()

  /**
   * @param closedWorld an embedded fabric (no node can join: a group it can never hold fails at once)
   * @param nodeName a node's name as `fabric.nodes()` gives it, from its transport name
   */
  constructor (transport: BundleTransport, closedWorld: boolean, private readonly nodeName: (peer: string) => string = p => p) {
    this.manager = new PlacementGroups(transport, closedWorld)
  }

  /** @throws TypeError naming what is wrong with the options */
  create (options: PlacementGroupOptions): PlacementGroup {
    const what = 'placementGroup'
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new TypeError(`${what}: options must be an object like { bundles: [{ cpus: 1 }], strategy: 'PACK' }`)
    const unknown = Object.keys(options).filter(k => !OPTION_NAMES.includes(k))
    if (unknown.length > 0) throw new TypeError(`${what}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${OPTION_NAMES.join(', ')})`)
    const strategy = options.strategy ?? 'PACK'
    if (!PLACEMENT_STRATEGIES.includes(strategy)) throw new TypeError(`${what}: strategy must be one of ${PLACEMENT_STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`)
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0 || options.name.length > 256)) throw new TypeError(`${what}: name must be a string of 1-256 characters`)
    if (!Array.isArray(options.bundles) || options.bundles.length > MAX_BUNDLES) throw new TypeError(`${what}: bundles must be an array of at most ${MAX_BUNDLES}, like [{ cpus: 1 }, { cpus: 1, gpus: 1 }]`)
    const bundles = options.bundles.map((b, i) => bundleOf(b, `${what}: bundle ${i}`))
    checkBundles(bundles, what)
    const handle = new GroupHandle(this.manager.create(bundles, strategy, options.name), this.nodeName)
    this.handles.add(handle)
    return handle
  }

  async remove (group: PlacementGroup): Promise<void> {
    await this.manager.remove(this.recordOf(group, 'removePlacementGroup'))
  }

  /**
   * The bundle work of `demand` is placed in (the `placementGroup` option). Its locator fails with
   * InfeasibleTaskError when the bundle cannot hold the demand (the work's ref fails, as for work
   * no node can run).
   *
   * @throws TypeError for a group this driver did not make, or a bad index; PlacementGroupRemovedError
   *   for a removed group
   */
  resolve (placement: { group: unknown, bundleIndex: number }, demand: Resources, what: string): { record: GroupRecord, index: number, locator: BundleLocator } {
    const record = this.recordOf(placement.group, what)
    this.manager.checkIndex(record, placement.bundleIndex, what)
    return { record, index: placement.bundleIndex, locator: this.manager.locator(record, placement.bundleIndex, demand) }
  }

  /** @throws InfeasibleTaskError when bundle `index` of `record` (any, for -1) cannot hold `demand` */
  checkFit (record: GroupRecord, index: number, demand: Resources, what: string): void {
    this.manager.checkFit(record, index, demand, what)
  }

  /** A node's resources changed, or a node joined: waiting groups try again. */
  wake (): void {
    this.manager.wakeAll()
  }

  /** A node died, or its placement session ended. */
  nodeLost (peer: string): void {
    this.manager.nodeLost(peer)
  }

  stop (): void {
    this.manager.stop()
  }

  private recordOf (group: unknown, what: string): GroupRecord {
    if (!(group instanceof GroupHandle) || !this.handles.has(group)) {
      throw new TypeError(`${what}: the placement group must be one this driver made with fabric.placementGroup(), got ${group === null ? 'null' : typeof group === 'object' ? 'another object' : typeof group}`)
    }
    return group.record
  }
}

function bundleOf (b: unknown, what: string): Resources {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new TypeError(`${what} must be an object like { cpus: 1 }, got ${b === null ? 'null' : Array.isArray(b) ? 'an array' : typeof b}`)
  const o = b as Record<string, unknown>
  const unknown = Object.keys(o).filter(k => !BUNDLE_NAMES.includes(k))
  if (unknown.length > 0) throw new TypeError(`${what}: unknown resource${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${BUNDLE_NAMES.join(', ')}; custom ones go in resources: { ... })`)
  const num = (k: string): number => {
    const v = o[k] ?? 0
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`${what}: ${k} must be a non-negative number, got ${String(v)}`)
    return v
  }
  const custom = o.resources ?? {}
  if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) throw new TypeError(`${what}: resources must be an object like { ssd: 1 }`)
  for (const [k, v] of Object.entries(custom)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`${what}: resource '${k}' must be a non-negative number, got ${String(v)}`)
  }
  return resources({ cpus: num('cpus'), gpus: num('gpus'), memoryMb: num('memoryMb'), custom: custom as Record<string, number> })
}

/** An embedded fabric's one node as a transport: bundles reserved directly, owned by the driver's job. */
export function embeddedTransport (node: LocalNode, id: string, job: string): BundleTransport {
  const owner: BundleOwner = { job }
  return {
    nodes: (): NodeEntry[] => {
      const { resources: r, tasks } = node.stats()
      return [{ state: 'alive', info: { peer: id, seq: 0, queue: tasks.queued, labels: { ...node.labels }, resources: { total: r.total, available: r.available } } }]
    },
    alive: () => true,
    prepare: async (_peer, group, bundles, commit) => {
      node.prepareBundles(group, bundles, owner)
      if (commit) node.commitBundles(group, owner)
    },
    commit: async (_peer, group) => { node.commitBundles(group, owner) },
    release: async (_peer, group) => { node.releaseBundles(group, owner) }
  }
}

/** A connected driver's transport: the nodes in its view, reached over its placement sessions. */
export function connectedTransport (net: NetNode, sessions: PlacementSessions): BundleTransport {
  return {
    nodes: () => net.view.peers(),
    alive: peer => net.view.get(peer) !== undefined,
    prepare: async (peer, group, bundles, commit) => { await sessions.prepare(peer, group, bundles, commit) },
    commit: async (peer, group) => { await sessions.commit(peer, group) },
    release: async (peer, group) => { await sessions.release(peer, group) }
  }
}
