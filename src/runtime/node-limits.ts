// What a node gives its peers at most (issue 13, "limits per peer and per node"): ceilings on a
// task's time and retries and on the actors the node hosts, and per-peer quotas on tasks in
// flight, actors, and bytes kept for the peer. Checked where peers' work arrives (the remote
// executor and actor host); the embedded fabric, one trusted program, has none. Past one, the
// asker gets QuotaExceededError naming the quota and its limit; work already taken goes on.
import { QuotaExceededError, type QuotaName } from '../errors/index.js'

/** A node's limits; every field has a default (see {@link DEFAULT_NODE_LIMITS}). */
export interface NodeLimits {
  /** The longest a peer's task or actor call may run: the timeout of work that sets none, the ceiling of work that sets one. */
  maxTaskMs: number
  /** The most retries a peer's task may ask for. */
  maxRetries: number
  /** Actors the node hosts at most, for all peers together. */
  maxActors: number
  /** Tasks one peer may have in flight on the node (running, queued, or being prepared). */
  tasksPerPeer: number
  /** Live actors one peer may have created on the node. */
  actorsPerPeer: number
  /** Bytes of results and copies the node may keep for one peer. */
  storedBytesPerPeer: number
  /** Object streams one peer may have open to the node at once (pulls; see net-node.ts). */
  pullsPerPeer: number
  /** Peers' components the node keeps loaded (their bytes and compiled modules), least recently used dropped first; one in use is kept. */
  maxComponents: number
  /** Bytes of peers' components the node keeps, as for {@link maxComponents}. */
  maxComponentBytes: number
}

export const DEFAULT_NODE_LIMITS: Readonly<NodeLimits> = Object.freeze({
  maxTaskMs: 6 * 3600_000,
  maxRetries: 100,
  maxActors: 8192,
  tasksPerPeer: 8192,
  actorsPerPeer: 1024,
  storedBytesPerPeer: 16 * 1024 ** 3,
  pullsPerPeer: 64,
  maxComponents: 256,
  maxComponentBytes: 1024 ** 3
})

/** `given` over the defaults, each a positive integer (else a TypeError naming it). */
export function resolveNodeLimits (given: Partial<NodeLimits> = {}): NodeLimits {
  const out: NodeLimits = { ...DEFAULT_NODE_LIMITS }
  for (const [k, v] of Object.entries(given)) {
    if (!(k in DEFAULT_NODE_LIMITS)) throw new TypeError(`unknown node limit ${k} (known: ${Object.keys(DEFAULT_NODE_LIMITS).join(', ')})`)
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new TypeError(`node limit ${k} must be a positive integer, got ${String(v)}`)
    out[k as keyof NodeLimits] = v
  }
  return out
}

/** The error for a quota at its limit. */
export function quotaError (quota: QuotaName, limit: number, what: string): QuotaExceededError {
  return new QuotaExceededError(`${what}: quota '${quota}' of limit ${limit} reached on this node (the node's operator sets it: fabric join --limit ${quota}=N)`, { quota, limit })
}

/** Counts per peer, for quotas: take one (or n) or be refused, give back when done. */
export class PeerCounter {
  private readonly counts = new Map<string, number>()

  constructor (private readonly quota: QuotaName, private readonly limit: () => number) {}

  /** Take `n` for `peer`, or throw QuotaExceededError when that would pass the limit. */
  take (peer: string, what: string, n = 1): void {
    const now = this.counts.get(peer) ?? 0
    if (now + n > this.limit()) throw quotaError(this.quota, this.limit(), what)
    this.counts.set(peer, now + n)
  }

  give (peer: string, n = 1): void {
    const left = (this.counts.get(peer) ?? 0) - n
    if (left > 0) this.counts.set(peer, left)
    else this.counts.delete(peer)
  }

  of (peer: string): number {
    return this.counts.get(peer) ?? 0
  }
}

/** Most components a node prewarms at start (NodeInit.prewarm: each holds every task worker ~10 ms before any work). */
export const MAX_PREWARM = 8
