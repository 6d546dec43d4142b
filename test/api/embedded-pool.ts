// Tests' look at the worker pool inside an embedded fabric (what LocalNode built), wherever the
// node keeps it (on itself, or on its core since LocalNode was split into parts).
import type { Fabric } from '../../src/index.js'

/** The parts of the pool the api tests read. */
export interface PoolView {
  defaultTimeoutMs?: number
  heapMb: number
  budgetBytes: number
  maxActorWorkers: number
  maxExtraWorkers: number
  slots: Array<{ running?: unknown, worker: { terminate: () => Promise<number>, resourceLimits?: { maxOldGenerationSizeMb?: number } } }>
  stats: () => { workers: number, actorWorkers: number }
}

export function poolOf (fabric: Fabric): PoolView {
  const node = (fabric.embedded as unknown as { node: { pool?: PoolView, n?: { pool?: PoolView } } }).node
  const pool = node.pool ?? node.n?.pool
  if (pool === undefined) throw new Error('no worker pool found inside the embedded fabric\'s node (test/api/embedded-pool.ts needs to learn where it is now)')
  return pool
}
