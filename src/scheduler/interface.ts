// The scheduler's contracts: every placement decision of the fabric goes through one of two
// policies, chosen at wiring time (createNode, the drivers). The local policy decides what a node
// does with work it holds (queue order, CPUs lent by blocked guests, nested work kept or sent
// out, work taken or sent back); the fabric policy decides which node work goes to (feasibility,
// labels, affinity, locality, load, spread). The runtime asks; it does not decide.
import type { Resources } from './resources.js'

/** Placement strategy of a task or actor (TaskOptions.scheduling). */
export type Scheduling = 'default' | 'spread' | { nodeAffinity: string, soft?: boolean }

/**
 * Node labels a task or actor needs (`{ zone: 'eu-1' }`): each key's label must equal the value,
 * or (a value starting with `!`) must not. Hard by default: no node without them runs the work;
 * `soft: true` prefers matching nodes and runs elsewhere when none has room.
 */
export interface LabelSelector {
  match: Record<string, string>
  soft?: boolean
}

/** A node as the policies see it: what it gossiped and whether it is alive (net's PeerEntry fits). */
export interface NodeEntry {
  state: 'alive' | 'suspected'
  info: {
    peer: string
    /** Its heartbeat counter: admission counts what it sent a node per heartbeat. */
    seq: number
    /** Tasks waiting for a slot on the node. */
    queue: number
    labels: Record<string, string>
    resources: { total: Resources, available: Resources }
  }
}

/** What to place. */
export interface PlacementRequest {
  /** What the task or actor holds while it runs. */
  demand: Resources
  scheduling?: Scheduling
  labels?: LabelSelector
  /** Nodes not to use (they failed this work already). */
  exclude?: ReadonlySet<string>
  /** Names the work in errors: "task 'add'". */
  what: string
  /** Bytes of the work's arguments each node already holds (locality). */
  localBytes?: (peer: string) => number
  /** The node that ran this caller's last task: among equals it goes first (its worker is warm). */
  warm?: string
}

/** Which node work goes to. */
export interface FabricPolicy {
  /**
   * The nodes that can run the work, best first.
   *
   * @param load the caller's own work in flight on a node (tasks sent, actors placed)
   * @param placed the caller's placements on a node in all (spread takes turns by it)
   * @throws InfeasibleTaskError saying what no node has, or why the hard constraint cannot hold
   */
  rank: <N extends NodeEntry>(nodes: readonly N[], req: PlacementRequest, load: (peer: string) => number, placed?: (peer: string) => number) => N[]
  /** Whether some node could take work of `demand`: now (`anyFree`, alive with it free), or ever (its totals hold it). */
  hasRoom: (nodes: readonly NodeEntry[], demand: Resources, anyFree?: boolean) => boolean
  /** Whether `node` may run the work at all (its totals and hard labels), e.g. the node a spillback names. */
  mayRun: (node: NodeEntry, demand: Resources, labels?: LabelSelector) => boolean
}

/** What a node knows of itself when it decides about one task. */
export interface NodeLoad {
  total: Resources
  available: Resources
  /** Tasks queued here waiting for resources (taken, not started). */
  queued: number
}

/** A task sent back to its caller, with the node to try instead. */
export interface SpillbackDecision {
  reason: string
  to?: string
}

/** What a node does with work it holds or is offered. */
export interface LocalPolicy {
  /** The order queued tasks start in (see TaskQueue): true puts a task before everything queued now. */
  urgent: (kind: 'driver' | 'nested' | 'retry' | 'awaited') => boolean
  /** Whether a guest blocked on nested work gives its CPUs back while it waits (Ray does, to avoid deadlock). */
  lendsBlockedCpus: boolean
  /**
   * Where a guest's nested task runs: 'here', or 'elsewhere' (another node with room, as the
   * fabric policy says). `callerCpus`: what the calling guest holds (it gives them back while it
   * waits for its children, so they do not count as taken).
   */
  nested: (self: NodeLoad, demand: Resources, callerCpus: number) => 'here' | 'elsewhere'
  /**
   * Take a task a peer offers, or send it back. `from`: the offering peer; `active`: tasks taken
   * from peers and not finished (loading ones count as queued).
   */
  admit: (self: NodeLoad & { active: number }, demand: Resources, nodes: readonly NodeEntry[], from: string) => SpillbackDecision | undefined
}
