// The fabric_* metrics of one node, in a registry of its own: every value is read from the node's
// stats getters when Prometheus scrapes (collect callbacks), so nothing is done per task here.
import { Counter, Gauge, Registry } from 'prom-client'
import type { MetricsSource } from './interface.js'

/**
 * A registry holding the node's fabric_* metrics (added to `registry` when given: libp2p's are
 * there too), every series labelled `node` (the PeerId, or the embedded fabric's id).
 *
 * @example
 * const registry = nodeRegistry({ stats: () => node.stats(), pool: () => node.poolStats() }, node.fabricId)
 * console.log(await registry.metrics())
 */
export function nodeRegistry (source: MetricsSource, node: string, registry = new Registry()): Registry {
  registry.setDefaultLabels({ node })
  const registers = [registry]
  // One stats() per scrape: a registry collects its metrics in the order they were registered, so
  // the first one (fabric_tasks_finished_total) reads and the others reuse what it read.
  let cached: { stats: ReturnType<MetricsSource['stats']>, pool: ReturnType<MetricsSource['pool']> } | undefined
  const refresh = (): NonNullable<typeof cached> => (cached = { stats: source.stats(), pool: source.pool() })
  const read = (): NonNullable<typeof cached> => cached ?? refresh()
  const counter = (name: string, help: string, value: () => number): void => {
    // A counter set from a total the node keeps: reset, then add the total.
    new Counter({ name, help, registers, collect () { this.reset(); this.inc(value()) } }) // eslint-disable-line no-new
  }
  const gauge = (name: string, help: string, value: () => number): void => {
    new Gauge({ name, help, registers, collect () { this.set(value()) } }) // eslint-disable-line no-new
  }
  counter('fabric_tasks_finished_total', 'Tasks and actor calls that finished with a value.', () => refresh().stats.tasks.finished)
  counter('fabric_tasks_failed_total', 'Tasks and actor calls that failed (cancelled ones not included).', () => read().stats.tasks.failed - read().stats.tasks.cancelled)
  counter('fabric_tasks_cancelled_total', 'Tasks and actor calls that were cancelled.', () => read().stats.tasks.cancelled)
  gauge('fabric_tasks_waiting', 'Tasks waiting for their arguments.', () => read().stats.tasks.waiting)
  gauge('fabric_tasks_queued', 'Tasks and actor calls ready to run, waiting for resources or their actor.', () => read().stats.tasks.queued)
  gauge('fabric_tasks_running', 'Tasks running now.', () => read().stats.tasks.running)
  gauge('fabric_queue_length', 'Calls queued in the worker pool for a free worker.', () => read().pool.queued)
  gauge('fabric_workers', 'Task workers of the pool.', () => read().pool.workers)
  gauge('fabric_workers_busy', 'Task workers running a call now.', () => read().pool.busy)
  gauge('fabric_actor_workers', 'Workers holding actors.', () => read().pool.actorWorkers)
  gauge('fabric_actors', 'Live actors on this node.', () => read().stats.actors)
  gauge('fabric_refs', 'Object refs this node tracks.', () => read().stats.refs)
  gauge('fabric_objects', 'Objects in the store (either tier).', () => read().stats.store.objects)
  gauge('fabric_object_store_memory_bytes', 'Bytes of objects in memory.', () => read().stats.store.memoryBytes)
  gauge('fabric_object_store_disk_bytes', 'Bytes of objects spilled to disk.', () => read().stats.store.diskBytes)
  counter('fabric_object_spills_total', 'Objects written to disk (spilled).', () => read().stats.store.spills)
  counter('fabric_object_reloads_total', 'Spilled objects read back from disk.', () => read().stats.store.reloads)
  gauge('fabric_memo_entries', 'Results of memoised calls held on the node.', () => read().stats.memo.entries)
  gauge('fabric_memo_bytes', 'Bytes of results of memoised calls held on the node.', () => read().stats.memo.bytes)
  counter('fabric_memo_hits_total', 'Memoised calls answered from a result held on the node.', () => read().stats.memo.hits)
  counter('fabric_memo_remote_hits_total', 'Memoised calls answered from a result pulled from another node.', () => read().stats.memo.remoteHits)
  counter('fabric_memo_misses_total', 'Memoised calls that ran (no node held their result).', () => read().stats.memo.misses)
  counter('fabric_snapshots_total', 'Snapshots of durable actors taken on the node.', () => read().stats.durable.snapshots)
  counter('fabric_snapshot_bytes_total', 'Bytes stored by durable actors\' snapshots (changed pages and manifests).', () => read().stats.durable.bytesStored)
  counter('fabric_snapshot_restores_total', 'Durable actors restarted from a snapshot on the node.', () => read().stats.durable.restores)
  counter('fabric_memo_evictions_total', 'Results of memoised calls dropped to stay within the bounds.', () => read().stats.memo.evictions)
  gauge('fabric_cpus', 'CPUs this node offers.', () => read().stats.resources.total.cpus)
  gauge('fabric_cpus_available', 'CPUs free now (can dip below 0 while a blocked guest resumes).', () => read().stats.resources.available.cpus)
  const transfers = source.transfers
  if (transfers !== undefined) {
    counter('fabric_object_pulls_total', 'Objects this node pulled from peers.', () => transfers().pulls)
    counter('fabric_object_pull_failures_total', 'Object pulls that failed.', () => transfers().pullFailures)
    counter('fabric_object_pulled_bytes_total', 'Bytes of objects pulled from peers.', () => transfers().pulledBytes)
    counter('fabric_object_served_total', 'Object ranges served to peers.', () => transfers().served)
    counter('fabric_object_served_bytes_total', 'Bytes of objects served to peers.', () => transfers().servedBytes)
  }
  const peers = source.peers
  if (peers !== undefined) {
    new Gauge({ // eslint-disable-line no-new
      name: 'fabric_peers',
      help: 'Peers in this node\'s view of the fabric, by liveness.',
      labelNames: ['state'],
      registers,
      collect () {
        const p = peers()
        this.set({ state: 'alive' }, p.alive)
        this.set({ state: 'suspected' }, p.suspected)
      }
    })
  }
  return registry
}
