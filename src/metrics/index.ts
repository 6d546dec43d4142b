// Prometheus metrics of a node (`--metrics-port`): the fabric_* metrics read from the node's
// stats on each scrape, the task latency histogram, libp2p's own metrics, and the bounded endpoint.
export type { MetricsInit, MetricsServer, MetricsSource, MetricsText } from './interface.js'
export { nodeRegistry } from './node-metrics.js'
export { taskLatency, TASK_SECONDS_BUCKETS } from './task-latency.js'
export { startMetricsServer, isLoopbackHost, DEFAULT_METRICS_HOST } from './http-server.js'
export { libp2pMetrics } from './libp2p-metrics.js'
