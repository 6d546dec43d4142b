// Where a caller places work in a fabric of nodes, from its gossiped view: the nodes whose totals
// can hold the demand (an infeasible demand says what no node has), alive nodes before suspected
// ones, node affinity, then the nodes with room now, the least loaded by this caller first.
import type { FabricView, PeerEntry } from '../net/index.js'
import { fits, shortfall, type Resources } from '../scheduler/resources.js'
import { InfeasibleTaskError } from './errors.js'

/** Placement strategy of a task or actor (TaskOptions.scheduling). */
export type Scheduling = 'default' | 'spread' | { nodeAffinity: string, soft?: boolean }

/** What to place. */
export interface PlacementRequest {
  /** What the task or actor holds while it runs. */
  demand: Resources
  scheduling?: Scheduling
  /** Nodes not to use (they failed this work already). */
  exclude?: ReadonlySet<string>
  /** Names the work in errors: "task 'add'". */
  what: string
  /** Bytes of the work's arguments each node already holds (locality). */
  localBytes?: (peer: string) => number
  /** The node that ran this caller's last task: among equals it goes first (its worker is warm). */
  warm?: string
}

/** A node with this much of the caller's work in flight per CPU is too busy to be chosen for locality alone. */
const LOCALITY_MAX_LOAD_PER_CPU = 2

/**
 * The nodes that can run the work, best first: (default strategy) nodes not too busy that already
 * hold the most bytes of its arguments, then by the caller's own work in flight there per CPU
 * (fewest first), then nodes with room now (as last gossiped) before full ones, then by free CPUs;
 * spread also breaks ties by the caller's total placements there, so equal nodes take turns;
 * default breaks them in favour of the node that ran the caller's last task (its worker is warm:
 * one task after another stays on one node, as in packing before spreading).
 *
 * @throws InfeasibleTaskError when no node in the view can ever hold the demand (with what is missing),
 *   or the hard node affinity names a node that is not in the view or cannot hold it
 */
export function rankNodes (view: FabricView, req: PlacementRequest, load: (peer: string) => number, placed: (peer: string) => number = () => 0): PeerEntry[] {
  const workers = view.peers().filter(p => p.info.resources.total.cpus > 0)
  const feasible = workers.filter(p => fits(req.demand, p.info.resources.total))
  const candidates = feasible.filter(p => req.exclude?.has(p.info.peer) !== true)
  const affinity = typeof req.scheduling === 'object' ? req.scheduling : undefined
  if (affinity !== undefined && affinity.soft !== true) {
    const node = candidates.find(p => p.info.peer === affinity.nodeAffinity)
    if (node !== undefined) return [node]
    const known = workers.find(p => p.info.peer === affinity.nodeAffinity)
    throw new InfeasibleTaskError(known === undefined
      ? `${req.what} must run on node ${affinity.nodeAffinity} (nodeAffinity), which is not in this caller's view of the fabric`
      : feasible.includes(known)
        ? `${req.what} must run on node ${affinity.nodeAffinity} (nodeAffinity), which already failed it`
        : `${req.what} must run on node ${affinity.nodeAffinity} (nodeAffinity), which lacks ${shortfall(req.demand, known.info.resources.total).join(', ')}`)
  }
  if (candidates.length === 0) {
    if (workers.length === 0) throw new InfeasibleTaskError(`no node offering CPUs is in this caller's view of the fabric (${req.what})`)
    if (feasible.length === 0) {
      const lacks = workers.slice(0, 4).map(p => `${p.info.peer.slice(-8)}: ${shortfall(req.demand, p.info.resources.total).join(', ')}`)
      throw new InfeasibleTaskError(`no node can run ${req.what}: ${lacks.join('; ')}${workers.length > 4 ? `; and ${workers.length - 4} more` : ''}`)
    }
    throw new InfeasibleTaskError(`no node is left to run ${req.what}: all ${feasible.length} that could have failed it`)
  }
  // Suspected nodes (late heartbeats from a busy node are not a death) only when no alive one is left.
  const alive = candidates.filter(p => p.state === 'alive')
  const nodes = alive.length > 0 ? alive : candidates
  const room = (p: PeerEntry): number => fits(req.demand, p.info.resources.available) ? 0 : 1
  const spread = req.scheduling === 'spread'
  // The caller's own work in flight per CPU first: gossiped availability is up to a heartbeat old,
  // while this caller knows exactly what it sent since.
  const perCpu = (p: PeerEntry): number => load(p.info.peer) / Math.max(1, p.info.resources.total.cpus)
  const local = req.localBytes ?? (() => 0)
  const busy = (p: PeerEntry): number => perCpu(p) >= LOCALITY_MAX_LOAD_PER_CPU ? 1 : 0
  const ranked = nodes.sort((a, b) =>
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
