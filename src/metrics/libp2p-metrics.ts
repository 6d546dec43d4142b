// libp2p's own metrics (@libp2p/prometheus-metrics) in the node's registry. Never the default
// registry: the plugin clears prom-client's default registry when a node is created and caches its
// metrics module-wide, so a process-global registry would lose other metrics and mix nodes up.
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { Registry } from 'prom-client'
import type { NetNodeInit } from '../net/index.js'

/** The `metrics` factory to give libp2p: its libp2p_* metrics (and Node's process metrics) go to `registry`. */
export function libp2pMetrics (registry: Registry): NonNullable<NetNodeInit['libp2pMetrics']> {
  // preserveExistingMetrics: false resets the plugin's module-wide cache, so this node's metrics
  // are made in this node's registry (a cache hit would leave them in an earlier node's).
  return prometheusMetrics({ registry, preserveExistingMetrics: false, collectDefaultMetrics: true })
}
