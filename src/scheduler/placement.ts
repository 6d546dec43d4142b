// Placement groups as the scheduler sees them: where a group's bundles go (the strategies), and the
// resource names a reserved bundle adds to its node. As in Ray, a node holding bundle i of group G
// offers `cpus_group_i_G` and `cpus_group_G` (and so for every kind the bundle has); work placed in
// the bundle asks for those instead of the node's own CPUs, so the node's queue, accounting and
// fit checks serve bundles unchanged. The names are the node's own business: they are not gossiped.
import { adjust, fits, resources, shortfall, type Resources } from './resources.js'
import type { NodeEntry } from './interface.js'

/** How a group's bundles spread over nodes (Ray's strategies). */
export type PlacementStrategy = 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD'

export const PLACEMENT_STRATEGIES: readonly PlacementStrategy[] = ['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD']

/** A group's id: 'pg' and 24 hex digits (unguessable enough to name; a node checks the owner anyway). */
export const GROUP_ID_RE = /^pg[0-9a-f]{24}$/

/** `<kind>_group_<index>_<group>` or `<kind>_group_<group>` (every bundle of the group on the node). */
const GROUP_KEY_RE = /^(.+)_group_(?:(\d{1,6})_)?(pg[0-9a-f]{24})$/

/** Whether a resource name is one a placement group's bundle adds (users may not ask for such names). */
export function isGroupKey (name: string): boolean {
  return GROUP_KEY_RE.test(name)
}

/** The group (and bundle index, when named) a resource name belongs to; undefined for other names. */
export function parseGroupKey (name: string): { kind: string, group: string, index?: number } | undefined {
  const m = GROUP_KEY_RE.exec(name)
  if (m === null) return undefined
  return { kind: m[1]!, group: m[3]!, ...(m[2] === undefined ? {} : { index: Number(m[2]) }) }
}

/** Each kind of a bag with its amount above zero: `['cpus', 1], ['ssd', 2]`. */
function kinds (r: Resources): Array<[string, number]> {
  const out: Array<[string, number]> = []
  if (r.cpus > 0) out.push(['cpus', r.cpus])
  if (r.gpus > 0) out.push(['gpus', r.gpus])
  if (r.memoryMb > 0) out.push(['memoryMb', r.memoryMb])
  for (const [k, v] of Object.entries(r.custom)) if (v > 0) out.push([k, v])
  return out
}

/** The resource names and amounts a node adds when it holds bundle `index` of `group` (see the file's header). */
export function bundleOffer (group: string, index: number, bundle: Resources): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of kinds(bundle)) {
    out[`${k}_group_${index}_${group}`] = v
    out[`${k}_group_${group}`] = v
  }
  return out
}

/**
 * What work placed in a group asks its node for: its demand in the group's names, of bundle `index`
 * (and of the group on that node), or of any bundle there (`index` -1).
 */
export function groupDemand (group: string, index: number, demand: Resources): Resources {
  const custom: Record<string, number> = {}
  for (const [k, v] of kinds(demand)) {
    if (index >= 0) custom[`${k}_group_${index}_${group}`] = v
    custom[`${k}_group_${group}`] = v
  }
  return resources({ custom })
}

/** Whether work holds GPUs: of its node's own, or of a bundle (its kernels go to the CUDA backend). */
export function holdsGpus (demand: Resources): boolean {
  if (demand.gpus > 0) return true
  for (const [k, v] of Object.entries(demand.custom)) if (v > 0 && parseGroupKey(k)?.kind === 'gpus') return true
  return false
}

/** The CPUs work holds, of its node's own or of bundles (a guest blocked on nested work lends them). */
export function heldCpus (demand: Resources): Resources {
  const custom: Record<string, number> = {}
  for (const [k, v] of Object.entries(demand.custom)) if (parseGroupKey(k)?.kind === 'cpus') custom[k] = v
  return resources({ cpus: demand.cpus, custom })
}

/** The groups work's demand names (their bundles must be on the node that runs it). */
export function groupsOf (demand: Resources): string[] {
  const out = new Set<string>()
  for (const k of Object.keys(demand.custom)) {
    const g = parseGroupKey(k)?.group
    if (g !== undefined) out.add(g)
  }
  return [...out]
}

/** A copy of `r` without group names (what a node gossips: its bundles are its own business). */
export function withoutGroupKeys (r: Resources): Resources {
  const custom: Record<string, number> = {}
  let dropped = false
  for (const [k, v] of Object.entries(r.custom)) {
    if (isGroupKey(k)) dropped = true
    else custom[k] = v
  }
  return dropped ? { ...r, custom } : r
}

/** The sum of bundles. */
export function sumOf (bundles: readonly Resources[]): Resources {
  const total = resources()
  for (const b of bundles) adjust(total, b, 1)
  return total
}

/** Where bundles go: each bundle's index and node; or why they cannot go anywhere yet. */
export type BundlePlan = { ok: true, nodes: Map<number, string> } | { ok: false, reason: string, never: boolean }

/**
 * Choose nodes for the bundles `todo` (indexes into `bundles`), the others already on `fixed`
 * nodes, by `strategy`, from the nodes' free resources (as last gossiped, or as the caller knows
 * them better: `free`). PACK puts the bundles on as few nodes as it can; SPREAD on as many;
 * STRICT_PACK on one node; STRICT_SPREAD on a node each. Nodes are tried most free first.
 *
 * `never` tells that no node's totals could hold them (the group waits for nodes to join);
 * otherwise they wait for resources to be freed.
 */
export function planBundles (nodes: readonly NodeEntry[], bundles: readonly Resources[], strategy: PlacementStrategy, todo: readonly number[], fixed: ReadonlyMap<number, string> = new Map()): BundlePlan {
  const plan = planOnce(nodes, bundles, strategy, todo, fixed)
  if (plan.ok || plan.never) return plan
  // Not now: would it fit were every node empty? If not, no wait makes it fit.
  const empty = nodes.map(n => ({ ...n, info: { ...n.info, resources: { total: n.info.resources.total, available: n.info.resources.total } } }))
  const ever = planOnce(empty, bundles, strategy, todo, fixed)
  return ever.ok ? plan : { ...ever, never: true }
}

function planOnce (nodes: readonly NodeEntry[], bundles: readonly Resources[], strategy: PlacementStrategy, todo: readonly number[], fixed: ReadonlyMap<number, string>): BundlePlan {
  const alive = nodes.filter(p => p.state === 'alive' && p.info.resources.total.cpus > 0)
  const free = new Map(alive.map(p => [p.info.peer, resources(p.info.resources.available)]))
  const total = new Map(alive.map(p => [p.info.peer, p.info.resources.total]))
  // Most free CPUs first; ties by id, so two callers with one view choose alike.
  const order = alive.map(p => p.info.peer).sort((a, b) => free.get(b)!.cpus - free.get(a)!.cpus || (a < b ? -1 : 1))
  const used = new Set(fixed.values())
  const out = new Map<number, string>()
  const take = (i: number, peer: string): void => {
    adjust(free.get(peer)!, bundles[i]!, -1)
    out.set(i, peer)
    used.add(peer)
  }
  const never = (why: string): BundlePlan => ({ ok: false, reason: why, never: true })
  const wait = (why: string): BundlePlan => ({ ok: false, reason: why, never: false })
  const describe = (r: Resources): string => kinds(r).map(([k, v]) => `${k}: ${v}`).join(', ') || 'nothing'

  if (strategy === 'STRICT_PACK') {
    const all = sumOf(todo.map(i => bundles[i]!))
    const pinned = fixed.size > 0 ? [...fixed.values()][0]! : undefined
    const candidates = pinned === undefined ? order : order.filter(p => p === pinned)
    const able = candidates.filter(p => fits(all, total.get(p)!))
    if (able.length === 0) {
      return pinned !== undefined && !total.has(pinned)
        ? wait(`its node ${pinned} is not alive`)
        : never(`STRICT_PACK needs one node with ${describe(all)}; ${alive.length === 0 ? 'no node offering CPUs is in view' : `the largest has ${largest(alive)}`}`)
    }
    const node = able.find(p => fits(all, free.get(p)!))
    if (node === undefined) return wait(`no node has ${describe(all)} free for all bundles at once (STRICT_PACK)`)
    for (const i of todo) take(i, node)
    return { ok: true, nodes: out }
  }
  if (strategy === 'STRICT_SPREAD') {
    const others = alive.length - used.size
    if (others < todo.length) {
      return alive.length < bundles.length
        ? never(`STRICT_SPREAD needs ${bundles.length} nodes, one per bundle; ${alive.length} ${alive.length === 1 ? 'node is' : 'nodes are'} in view`)
        : wait(`STRICT_SPREAD needs ${todo.length} more nodes without a bundle of the group`)
    }
  }
  for (const i of todo) {
    const b = bundles[i]!
    const able = order.filter(p => fits(b, total.get(p)!))
    if (able.length === 0) {
      return never(`no node can hold bundle ${i} (${describe(b)}): ${alive.slice(0, 4).map(p => `${p.info.peer.slice(-8)} lacks ${shortfall(b, p.info.resources.total).join(', ')}`).join('; ') || 'no node offering CPUs is in view'}`)
    }
    const room = able.filter(p => fits(b, free.get(p)!))
    let pick: string | undefined
    if (strategy === 'PACK') {
      // A node already chosen first (the fewest nodes), then the most free.
      pick = room.find(p => used.has(p)) ?? room[0]
    } else if (strategy === 'SPREAD') {
      pick = room.find(p => !used.has(p)) ?? room[0]
    } else {
      pick = room.find(p => !used.has(p))
    }
    if (pick === undefined) return wait(`no node has bundle ${i}'s ${describe(b)} free${strategy === 'STRICT_SPREAD' ? ' apart from the group\'s other bundles' : ''}`)
    take(i, pick)
  }
  return { ok: true, nodes: out }
}

function largest (nodes: readonly NodeEntry[]): string {
  const best = [...nodes].sort((a, b) => b.info.resources.total.cpus - a.info.resources.total.cpus)[0]!
  return `cpus: ${best.info.resources.total.cpus}, gpus: ${best.info.resources.total.gpus}`
}

/** Check bundles from a user: at least one, each a non-empty bag of non-negative amounts without group names. */
export function checkBundles (bundles: readonly Resources[], what: string): void {
  if (bundles.length === 0) throw new TypeError(`${what}: a placement group needs at least one bundle, like bundles: [{ cpus: 1 }]`)
  for (const [i, b] of bundles.entries()) {
    if (kinds(b).length === 0) throw new TypeError(`${what}: bundle ${i} asks for nothing; give it cpus, gpus, memoryMb or resources`)
    for (const k of Object.keys(b.custom)) if (isGroupKey(k)) throw new TypeError(`${what}: bundle ${i}: resource name '${k}' is reserved for placement groups`)
  }
}

/** `demand` without the CPUs it holds (of its node's own or of bundles): what a blocked guest that lent its CPUs gives back at the end. */
export function withoutCpus (demand: Resources): Resources {
  let custom = demand.custom
  for (const k of Object.keys(custom)) {
    if (parseGroupKey(k)?.kind === 'cpus') {
      if (custom === demand.custom) custom = { ...custom }
      delete custom[k]
    }
  }
  return { ...demand, cpus: 0, custom }
}
