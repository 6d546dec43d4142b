// Which node work goes to, from the caller's gossiped view (the fabric policy): the nodes whose
// totals can hold the demand and whose labels match (an infeasible demand says what no node
// has), alive nodes before suspected ones, node affinity, then nodes not too busy holding the
// most argument bytes (locality), the caller's own load per CPU, room now, and free CPUs.
import { InfeasibleTaskError } from './errors.js'
import type { FabricPolicy, LabelSelector, NodeEntry, PlacementRequest } from './interface.js'
import { fits, shortfall, type Resources } from './resources.js'

const NONE_PLACED = (): number => 0

/** A node with this much of the caller's work in flight per CPU is too busy to be chosen for locality alone. */
export const LOCALITY_MAX_LOAD_PER_CPU = 2

/** Whether a node's labels satisfy every key of the selector (`!v`: the label must not be v). */
export function labelsMatch (labels: Record<string, string>, match: Record<string, string>): boolean {
  for (const [k, want] of Object.entries(match)) {
    const have = labels[k]
    if (want.startsWith('!') ? have === want.slice(1) : have !== want) return false
  }
  return true
}

function describeSelector (s: LabelSelector): string {
  return Object.entries(s.match).map(([k, v]) => v.startsWith('!') ? `${k}!=${v.slice(1)}` : `${k}=${v}`).join(', ')
}

/**
 * The nodes that can run the work, best first: (default strategy) nodes not too busy that already
 * hold the most bytes of its arguments, then by the caller's own work in flight there per CPU
 * (fewest first), then nodes with room now (as last gossiped) before full ones, then by free CPUs;
 * spread also breaks ties by the caller's total placements there, so equal nodes take turns;
 * default breaks them in favour of the node that ran the caller's last task (its worker is warm:
 * one task after another stays on one node, as in packing before spreading). Soft labels and soft
 * affinity put matching nodes first.
 *
 * @throws InfeasibleTaskError when no node in the view can ever hold the demand (with what is missing),
 *   no node has the hard labels, or the hard node affinity names a node that is not in the view or cannot hold it
 */
export function rankNodes<N extends NodeEntry> (view: readonly N[], req: PlacementRequest, load: (peer: string) => number, placed: (peer: string) => number = NONE_PLACED): N[] {
  const hardLabels = req.labels !== undefined && req.labels.soft !== true ? req.labels : undefined
  // One pass for the usual case (a driver ranks the view for every task it places): the nodes
  // offering CPUs, with the hard labels, whose totals hold the demand, not excluded. The lists an
  // error names are rebuilt from the view only when one is thrown.
  const candidates: N[] = []
  let workers = 0
  for (const p of view) {
    if (p.info.resources.total.cpus <= 0) continue
    workers++
    if (hardLabels !== undefined && !labelsMatch(p.info.labels, hardLabels.match)) continue
    if (!fits(req.demand, p.info.resources.total)) continue
    if (req.exclude?.has(p.info.peer) === true) continue
    candidates.push(p)
  }
  // (Candidates have the labels: the view is searched only when there are none.)
  if (hardLabels !== undefined && candidates.length === 0 && workers > 0 && labelled(view, hardLabels).length === 0) {
    throw new InfeasibleTaskError(`no node in this caller's view has the labels ${req.what} needs (${describeSelector(hardLabels)}); use softLabelSelector to prefer them and run elsewhere when none has room`)
  }
  const affinity = typeof req.scheduling === 'object' ? req.scheduling : undefined
  if (affinity !== undefined && affinity.soft !== true) {
    const node = candidates.find(p => p.info.peer === affinity.nodeAffinity)
    if (node !== undefined) return [node]
    const known = labelled(view, hardLabels).find(p => p.info.peer === affinity.nodeAffinity)
    throw new InfeasibleTaskError(known === undefined
      ? `${req.what} must run on node ${affinity.nodeAffinity} (nodeAffinity), which is not in this caller's view of the fabric${hardLabels === undefined ? '' : ' with the labels it needs'}`
      : fits(req.demand, known.info.resources.total)
        ? `${req.what} must run on node ${affinity.nodeAffinity} (nodeAffinity), which already failed it`
        : `${req.what} must run on node ${affinity.nodeAffinity} (nodeAffinity), which lacks ${shortfall(req.demand, known.info.resources.total).join(', ')}`)
  }
  if (candidates.length === 0) {
    if (workers === 0) throw new InfeasibleTaskError(`no node offering CPUs is in this caller's view of the fabric (${req.what})`)
    const all = labelled(view, hardLabels)
    const able = all.filter(p => fits(req.demand, p.info.resources.total))
    if (able.length === 0) {
      const lacks = all.slice(0, 4).map(p => `${p.info.peer.slice(-8)}: ${shortfall(req.demand, p.info.resources.total).join(', ')}`)
      throw new InfeasibleTaskError(`no node can run ${req.what}: ${lacks.join('; ')}${all.length > 4 ? `; and ${all.length - 4} more` : ''}`)
    }
    throw new InfeasibleTaskError(`no node is left to run ${req.what}: all ${able.length} that could have failed it`)
  }
  // Suspected nodes (late heartbeats from a busy node are not a death) only when no alive one is left.
  let alive = 0
  for (const p of candidates) if (p.state === 'alive') alive++
  const nodes = alive === 0 || alive === candidates.length ? candidates : candidates.filter(p => p.state === 'alive')
  if (nodes.length > 1) {
    // One comparator over one context (a driver ranks for every task: no helper closures per call).
    const order: Order = { req, load, placed, spread: req.scheduling === 'spread', soft: req.labels?.soft === true ? req.labels.match : undefined }
    if (nodes.length <= SMALL_VIEW) insertionSort(nodes, order)
    else nodes.sort((a, b) => compare(a, b, order))
  }
  if (affinity !== undefined) {
    const i = nodes.findIndex(p => p.info.peer === affinity.nodeAffinity)
    if (i > 0) nodes.unshift(...nodes.splice(i, 1))
  }
  return nodes
}

/** Views up to this size are sorted in place without Array.prototype.sort's work arrays (a few hundred bytes per call). */
const SMALL_VIEW = 16

/** Stable, as Array.prototype.sort. */
function insertionSort<N extends NodeEntry> (nodes: N[], order: Order): void {
  for (let i = 1; i < nodes.length; i++) {
    const x = nodes[i]!
    let j = i - 1
    while (j >= 0 && compare(nodes[j]!, x, order) > 0) {
      nodes[j + 1] = nodes[j]!
      j--
    }
    nodes[j + 1] = x
  }
}

/** The nodes offering CPUs that have the hard labels (all of them without): what an error names. */
function labelled<N extends NodeEntry> (view: readonly N[], hardLabels: LabelSelector | undefined): N[] {
  return view.filter(p => p.info.resources.total.cpus > 0 && (hardLabels === undefined || labelsMatch(p.info.labels, hardLabels.match)))
}

/** What {@link compare} ranks by: the request, the caller's load and placements. */
interface Order {
  req: PlacementRequest
  load: (peer: string) => number
  placed: (peer: string) => number
  spread: boolean
  soft: Record<string, string> | undefined
}

/** rankNodes' order: negative when `a` goes before `b`. */
function compare (a: NodeEntry, b: NodeEntry, o: Order): number {
  const { req } = o
  return unmatched(a, o) - unmatched(b, o) ||
    (o.spread ? 0 : busy(a, o) - busy(b, o) || (req.localBytes === undefined ? 0 : req.localBytes(b.info.peer) - req.localBytes(a.info.peer))) ||
    perCpu(a, o) - perCpu(b, o) ||
    room(a, req) - room(b, req) ||
    (o.spread ? o.placed(a.info.peer) - o.placed(b.info.peer) : (b.info.peer === req.warm ? 1 : 0) - (a.info.peer === req.warm ? 1 : 0)) ||
    b.info.resources.available.cpus - a.info.resources.available.cpus
}

/** 0 when the node has room now for the demand (as last gossiped), else 1. */
function room (p: NodeEntry, req: PlacementRequest): number {
  return fits(req.demand, p.info.resources.available) ? 0 : 1
}

/** The caller's own work in flight per CPU first: gossiped availability is up to a heartbeat old, while this caller knows exactly what it sent since. */
function perCpu (p: NodeEntry, o: Order): number {
  return o.load(p.info.peer) / Math.max(1, p.info.resources.total.cpus)
}

/** 1 when the node is too busy to be chosen for locality alone. */
function busy (p: NodeEntry, o: Order): number {
  return perCpu(p, o) >= LOCALITY_MAX_LOAD_PER_CPU ? 1 : 0
}

/** Soft labels: matching nodes with room first; a matching node that is full does not beat one with room. */
function unmatched (p: NodeEntry, o: Order): number {
  return o.soft === undefined || (labelsMatch(p.info.labels, o.soft) && room(p, o.req) === 0) ? 0 : 1
}

/** Whether `node` may run the work at all: its totals hold the demand and it has the hard labels (a spillback target is checked so). */
export function mayRun (node: NodeEntry, demand: Resources, labels?: LabelSelector): boolean {
  return fits(demand, node.info.resources.total) && (labels === undefined || labels.soft === true || labelsMatch(node.info.labels, labels.match))
}

/** Whether some node could take work of `demand`: now (alive, with it free), or (`anyFree` false) ever. */
export function hasRoom (nodes: readonly NodeEntry[], demand: Resources, anyFree = true): boolean {
  return nodes.some(p => p.info.resources.total.cpus > 0 && (anyFree
    ? p.state === 'alive' && fits(demand, p.info.resources.available)
    : fits(demand, p.info.resources.total)))
}

/** The fabric policy every caller uses unless wired otherwise. */
export const defaultFabricPolicy: FabricPolicy = { rank: rankNodes, hasRoom, mayRun }
