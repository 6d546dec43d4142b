// What a node does with work it holds or is offered (the local policy): driver work first in,
// first out and nested, retried or awaited work first (depth first keeps the number of guests
// blocked on children near the recursion depth); a guest blocked on nested work lends its CPUs;
// nested work stays on the node until about half its CPUs are taken, then spreads (Ray's hybrid
// policy); a node with a long queue sends offered work back to a node that was idle.
import type { LocalPolicy, NodeEntry, NodeLoad, SpillbackDecision } from './interface.js'
import { fits, shortfall, type Resources } from './resources.js'

/** A node whose queue holds this many tasks per CPU sends new ones back when another node was idle. */
export const SPILL_QUEUE_PER_CPU = 2

/** Options of {@link createLocalPolicy}. */
export interface LocalPolicyInit {
  /** Share of the node's CPUs its guests' nested work may take before it spreads to other nodes. @default 0.5 */
  nestedPackShare?: number
  /** Tasks queued per CPU from which offered work is sent back to an idle node. @default 2 */
  spillQueuePerCpu?: number
}

/**
 * The local policy of one node. It remembers, per other node, how many tasks it sent there since
 * that node's last heartbeat, so a stale view cannot start a storm of spillbacks.
 */
export function createLocalPolicy (init: LocalPolicyInit = {}): LocalPolicy {
  const packShare = init.nestedPackShare ?? 0.5
  const spillPerCpu = init.spillQueuePerCpu ?? SPILL_QUEUE_PER_CPU
  /** Tasks sent back naming each node, since that node's heartbeat `seq`. */
  const spilledTo = new Map<string, { seq: number, count: number }>()

  return {
    urgent: (kind) => kind !== 'driver',
    lendsBlockedCpus: true,

    nested (self: NodeLoad, demand: Resources, callerCpus: number) {
      if (demand.cpus <= 0) return 'here'
      if (shortfall(demand, self.total).length > 0) return 'elsewhere'
      const taken = self.total.cpus - self.available.cpus - callerCpus + self.queued
      return taken + demand.cpus <= Math.max(1, self.total.cpus * packShare) ? 'here' : 'elsewhere'
    },

    admit (self: NodeLoad & { active: number }, demand: Resources, nodes: readonly NodeEntry[], from: string): SpillbackDecision | undefined {
      const missing = shortfall(demand, self.total)
      if (missing.length > 0) {
        // It can never run here: any node whose totals hold it (the best first).
        const able = nodes.filter(p => p.info.peer !== from && p.info.resources.total.cpus > 0 && fits(demand, p.info.resources.total))
        const best = able.sort((a, b) => (a.state === 'alive' ? 0 : 1) - (b.state === 'alive' ? 0 : 1) || b.info.resources.available.cpus - a.info.resources.available.cpus)[0]
        return best === undefined ? undefined : { to: best.info.peer, reason: `this node lacks ${missing.join(', ')}` }
      }
      // Tasks taken and not started yet: those still loading their component or arguments count too.
      const queued = Math.max(self.queued, self.active - self.total.cpus)
      if (queued < spillPerCpu * Math.max(1, self.total.cpus)) return undefined
      let best: NodeEntry | undefined
      let bestRoom = 0
      for (const p of nodes) {
        const info = p.info
        if (p.state !== 'alive' || info.peer === from || info.queue > 0 || !fits(demand, info.resources.available)) continue
        const sent = spilledTo.get(info.peer)
        const room = Math.floor(info.resources.available.cpus / Math.max(demand.cpus, 1e-9)) - (sent?.seq === info.seq ? sent.count : 0)
        if (room > bestRoom) {
          best = p
          bestRoom = room
        }
      }
      if (best === undefined) return undefined
      const sent = spilledTo.get(best.info.peer)
      spilledTo.set(best.info.peer, { seq: best.info.seq, count: sent?.seq === best.info.seq ? sent.count + 1 : 1 })
      return { to: best.info.peer, reason: `${queued} tasks queued on ${self.total.cpus} CPUs` }
    }
  }
}
