// Which node work goes to, from the caller's gossiped view (the fabric policy): the nodes whose
// totals can hold the demand and whose labels match (an infeasible demand says what no node
// has), alive nodes before suspected ones, node affinity, then nodes not too busy holding the
// most argument bytes (locality), the caller's own load per CPU, room now, and free CPUs.
import { InfeasibleTaskError } from './errors.js'
import type { FabricPolicy, LabelSelector, NodeEntry, PlacementRequest } from './interface.js'
import { fits, shortfall, type Resources } from './resources.js'

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
export function rankNodes<N extends NodeEntry> (view: readonly N[], req: PlacementRequest, load: (peer: string) => number, placed: (peer: string) => number = () => 0): N[] {
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
  const labelled = (): N[] => view.filter(p => p.info.resources.total.cpus > 0 && (hardLabels === undefined || labelsMatch(p.info.labels, hardLabels.match)))
  const feasible = (): N[] => labelled().filter(p => fits(req.demand, p.info.resources.total))
  // (Candidates have the labels: the view is searched only when there are none.)
  if (hardLabels !== undefined && candidates.length === 0 && workers > 0 && labelled().length === 0) {
    throw new InfeasibleTaskError(`no node in this caller's view has the labels ${req.what} needs (${describeSelector(hardLabels)}); use softLabelSelector to prefer them and run elsewhere when none has room`)
  }
  const affinity = typeof req.scheduling === 'object' ? req.scheduling : undefined
  if (affinity !== undefined && affinity.soft !== true) {
    const node = candidates.find(p => p.info.peer === affinity.nodeAffinity)
    if (node !== undefined) return [node]
    const known = labelled().find(p => p.info.peer === affinity.nodeAffinity)
    throw new InfeasibleTaskError(known === undefined
      ? `${req.what} must run on node ${affinity.nodeAffinity} (nodeAffinity), which is not in this caller's view of the fabric${hardLabels === undefined ? '' : ' with the labels it needs'}`
      : fits(req.demand, known.info.resources.total)
        ? `${req.what} must run on node ${affinity.nodeAffinity} (nodeAffinity), which already failed it`
        : `${req.what} must run on node ${affinity.nodeAffinity} (nodeAffinity), which lacks ${shortfall(req.demand, known.info.resources.total).join(', ')}`)
  }
  if (candidates.length === 0) {
    if (workers === 0) throw new InfeasibleTaskError(`no node offering CPUs is in this caller's view of the fabric (${req.what})`)
    const able = feasible()
    if (able.length === 0) {
      const all = labelled()
      const lacks = all.slice(0, 4).map(p => `${p.info.peer.slice(-8)}: ${shortfall(req.demand, p.info.resources.total).join(', ')}`)
      throw new InfeasibleTaskError(`no node can run ${req.what}: ${lacks.join('; ')}${all.length > 4 ? `; and ${all.length - 4} more` : ''}`)
    }
    throw new InfeasibleTaskError(`no node is left to run ${req.what}: all ${able.length} that could have failed it`)
  }
  // Suspected nodes (late heartbeats from a busy node are not a death) only when no alive one is left.
  let alive = 0
  for (const p of candidates) if (p.state === 'alive') alive++
  const nodes = alive === 0 || alive === candidates.length ? candidates : candidates.filter(p => p.state === 'alive')
  const room = (p: N): number => fits(req.demand, p.info.resources.available) ? 0 : 1
  const spread = req.scheduling === 'spread'
  // The caller's own work in flight per CPU first: gossiped availability is up to a heartbeat old,
  // while this caller knows exactly what it sent since.
  const perCpu = (p: N): number => load(p.info.peer) / Math.max(1, p.info.resources.total.cpus)
  const local = req.localBytes ?? (() => 0)
  const busy = (p: N): number => perCpu(p) >= LOCALITY_MAX_LOAD_PER_CPU ? 1 : 0
  const soft = req.labels?.soft === true ? req.labels.match : undefined
  // Soft labels: matching nodes with room first; a matching node that is full does not beat one with room.
  const unmatched = (p: N): number => soft === undefined || (labelsMatch(p.info.labels, soft) && room(p) === 0) ? 0 : 1
  const ranked = nodes.sort((a, b) =>
    unmatched(a) - unmatched(b) ||
    (spread ? 0 : busy(a) - busy(b) || local(b.info.peer) - local(a.info.peer)) ||
    perCpu(a) - perCpu(b) ||
    room(a) - room(b) ||
    (spread ? placed(a.info.peer) - placed(b.info.peer) : (b.info.peer === req.warm ? 1 : 0) - (a.info.peer === req.warm ? 1 : 0)) ||
    b.info.resources.available.cpus - a.info.resources.available.cpus)
  if (affinity !== undefined) {
    const i = ranked.findIndex(p => p.info.peer === affinity.nodeAffinity)
    if (i > 0) ranked.unshift(...ranked.splice(i, 1))
  }
  return ranked
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
