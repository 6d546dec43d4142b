// The placement-group bundles a node holds for their owners. Reserving is two-phase, so that a
// group spanning nodes is placed whole or not at all: `prepare` sets the bundles' resources aside
// (taken from the node's free resources, nothing can use them yet) for a short lease; `commit`
// makes them usable, adding the bundle's resource names (scheduler/placement.ts) to the node;
// `release` gives everything back. A prepare that is not committed within its lease is released by
// itself, so an owner that dies between the phases leaks nothing. Work in a bundle must come from
// the bundle's owner (its peer and job); releasing a bundle ends the work still in it.
import { PermissionDeniedError } from '../errors/index.js'
import { adjust, fits, resources, type Resources } from '../scheduler/resources.js'
import { InfeasibleTaskError } from '../scheduler/errors.js'
import { bundleOffer, groupsOf, parseGroupKey, sumOf } from '../scheduler/placement.js'
import type { NodeCore } from './node-core.js'

/** Who holds a bundle: the peer that reserved it (none for the embedded driver) and its job key. */
export interface BundleOwner {
  peer?: string
  job?: string
  /** The owner's session that reserved the bundles (released when it ends); not part of who owns them. */
  session?: number
}

/** One bundle to reserve: its index in the group and what it holds. */
export interface BundleRequest {
  index: number
  resources: Resources
}

interface HeldBundle extends BundleRequest {
  state: 'prepared' | 'committed'
}

interface HeldGroup {
  owner: BundleOwner
  bundles: Map<number, HeldBundle>
  /** Releases prepared bundles not committed in time. */
  lease?: ReturnType<typeof setTimeout>
  /** The owner's session that last reserved bundles of it. */
  session?: number
}

/** How long prepared bundles wait for their commit. */
export const PREPARE_LEASE_MS = 10_000

/** Most bundles one node holds (of every group together). */
export const MAX_BUNDLES_PER_NODE = 4096

const sameOwner = (a: BundleOwner, b: BundleOwner): boolean => a.peer === b.peer && a.job === b.job

/** The bundles a node holds, by group. */
export class Bundles {
  private readonly groups = new Map<string, HeldGroup>()
  private count = 0

  /**
   * @param n the node's shared state (its resources change as bundles come and go)
   * @param endWork ends the work still running in a group's bundles when they are released
   */
  constructor (private readonly n: NodeCore, private readonly endWork: (group: string, why: string) => void) {}

  /**
   * Set bundles of `group` aside for `owner` (all of them or none), usable once committed.
   *
   * @throws InfeasibleTaskError when the node has not that much free now, or already holds one of the bundles
   * @throws PermissionDeniedError when another owner holds bundles of the group here
   */
  prepare (group: string, bundles: readonly BundleRequest[], owner: BundleOwner, leaseMs = PREPARE_LEASE_MS): void {
    let g = this.groups.get(group)
    if (g !== undefined && !sameOwner(g.owner, owner)) throw new PermissionDeniedError(`placement group ${group} is another job's`)
    for (const b of bundles) if (g?.bundles.has(b.index) === true) throw new InfeasibleTaskError(`bundle ${b.index} of placement group ${group} is already on this node`)
    if (this.count + bundles.length > MAX_BUNDLES_PER_NODE) throw new InfeasibleTaskError(`this node holds ${this.count} bundles, at most ${MAX_BUNDLES_PER_NODE}`)
    const sum = sumOf(bundles.map(b => b.resources))
    if (!fits(sum, this.n.available)) {
      throw new InfeasibleTaskError(`this node has not ${describe(sum)} free for placement group ${group} (free: ${describe(this.n.available)})`)
    }
    adjust(this.n.available, sum, -1)
    if (g === undefined) {
      g = { owner: { ...(owner.peer === undefined ? {} : { peer: owner.peer }), ...(owner.job === undefined ? {} : { job: owner.job }) }, bundles: new Map() }
      this.groups.set(group, g)
    }
    g.session = owner.session
    for (const b of bundles) g.bundles.set(b.index, { index: b.index, resources: resources(b.resources), state: 'prepared' })
    this.count += bundles.length
    if (g.lease !== undefined) clearTimeout(g.lease)
    g.lease = setTimeout(() => { this.expire(group) }, leaseMs)
    g.lease.unref?.()
  }

  /**
   * Make the prepared bundles of `group` usable: the node offers their resource names.
   *
   * @throws InfeasibleTaskError when none is prepared (the lease ran out, or it was released)
   */
  commit (group: string, owner: BundleOwner): void {
    const g = this.held(group, owner)
    const prepared = [...(g?.bundles.values() ?? [])].filter(b => b.state === 'prepared')
    if (g === undefined || prepared.length === 0) throw new InfeasibleTaskError(`placement group ${group} has no prepared bundle on this node (its lease of ${PREPARE_LEASE_MS} ms ran out, or it was released)`)
    if (g.lease !== undefined) clearTimeout(g.lease)
    g.lease = undefined
    for (const b of prepared) {
      b.state = 'committed'
      for (const [k, v] of Object.entries(bundleOffer(group, b.index, b.resources))) {
        this.n.total.custom[k] = (this.n.total.custom[k] ?? 0) + v
        this.n.available.custom[k] = (this.n.available.custom[k] ?? 0) + v
      }
    }
    this.n.tasks.schedule()
  }

  /** Give back every bundle of `group` held here (prepared or committed), ending the work in them. Whether any was held. */
  release (group: string, owner: BundleOwner, why = `its placement group ${group} was removed`): boolean {
    const g = this.held(group, owner)
    if (g === undefined) return false
    this.drop(group, g)
    this.endWork(group, why)
    this.n.tasks.schedule()
    return true
  }

  /** Give back every group `peer` reserved on its session `session`, which ended (the owner is gone, or placed them again). */
  releaseSession (peer: string, session: number): number {
    let released = 0
    for (const [group, g] of [...this.groups]) {
      if (g.owner.peer !== peer || g.session !== session) continue
      this.release(group, g.owner, `its placement group ${group}'s owner left`)
      released++
    }
    return released
  }

  /**
   * Check that work with `demand` may use the bundles its demand names: they are committed here and
   * the work comes from their owner.
   *
   * @throws InfeasibleTaskError naming a group whose bundle is not here; PermissionDeniedError for another owner's
   */
  check (demand: Resources, owner: BundleOwner, what: string): void {
    for (const group of groupsOf(demand)) {
      const g = this.groups.get(group)
      if (g === undefined || ![...g.bundles.values()].some(b => b.state === 'committed')) {
        throw new InfeasibleTaskError(`${what} is placed in placement group ${group}, which holds no bundle on this node (removed, or moved after a node failed)`)
      }
      if (!sameOwner(g.owner, owner)) throw new PermissionDeniedError(`${what} may not use placement group ${group}: it is another job's`)
      for (const k of Object.keys(demand.custom)) {
        if (parseGroupKey(k)?.group === group && this.n.total.custom[k] === undefined) {
          throw new InfeasibleTaskError(`${what} asks for ${k}, which the bundles of placement group ${group} on this node do not offer`)
        }
      }
    }
  }

  /** The bundles held here, for the state API. */
  rows (): Array<{ group: string, index: number, state: string, job?: string, cpus: number, gpus: number, memoryMb: number }> {
    const out = []
    for (const [group, g] of this.groups) {
      for (const b of g.bundles.values()) {
        out.push({ group, index: b.index, state: b.state, ...(g.owner.job === undefined ? {} : { job: g.owner.job }), cpus: b.resources.cpus, gpus: b.resources.gpus, memoryMb: b.resources.memoryMb })
      }
    }
    return out
  }

  /** Bundles held here. */
  get size (): number {
    return this.count
  }

  /** The group, when `owner` holds it. */
  private held (group: string, owner: BundleOwner): HeldGroup | undefined {
    const g = this.groups.get(group)
    if (g === undefined) return undefined
    if (!sameOwner(g.owner, owner)) throw new PermissionDeniedError(`placement group ${group} is another job's`)
    return g
  }

  /** Prepared bundles whose commit did not come in time. */
  private expire (group: string): void {
    const g = this.groups.get(group)
    if (g === undefined) return
    g.lease = undefined
    const prepared = [...g.bundles.values()].filter(b => b.state === 'prepared')
    if (prepared.length === 0) return
    for (const b of prepared) g.bundles.delete(b.index)
    this.count -= prepared.length
    adjust(this.n.available, sumOf(prepared.map(b => b.resources)), 1)
    if (g.bundles.size === 0) this.groups.delete(group)
    this.n.tasks.schedule()
  }

  private drop (group: string, g: HeldGroup): void {
    if (g.lease !== undefined) clearTimeout(g.lease)
    this.groups.delete(group)
    this.count -= g.bundles.size
    adjust(this.n.available, sumOf([...g.bundles.values()].map(b => b.resources)), 1)
    for (const b of g.bundles.values()) {
      if (b.state !== 'committed') continue
      for (const k of Object.keys(bundleOffer(group, b.index, b.resources))) {
        delete this.n.total.custom[k]
        delete this.n.available.custom[k]
      }
    }
  }
}

function describe (r: Resources): string {
  const parts = [`cpus: ${r.cpus}`]
  if (r.gpus > 0) parts.push(`gpus: ${r.gpus}`)
  if (r.memoryMb > 0) parts.push(`memoryMb: ${r.memoryMb}`)
  for (const [k, v] of Object.entries(r.custom)) if (v > 0 && !k.includes('_group_')) parts.push(`${k}: ${v}`)
  return parts.join(', ')
}
