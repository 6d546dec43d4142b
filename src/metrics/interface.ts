// What the metrics area reads from a node (its stats getters, sampled on each scrape) and the
// options of the /metrics endpoint.
import type { PoolStats } from '../exec/index.js'
import type { ObjectTransferStats } from '../net/index.js'
import type { NodeStats } from '../runtime/index.js'

/** A node's counters as the metrics read them: each is called once per scrape, never per task. */
export interface MetricsSource {
  /** Tasks, actors and the object store (LocalNode.stats()). */
  stats: () => NodeStats
  /** The worker pool (LocalNode.poolStats()). */
  pool: () => PoolStats
  /** Objects pulled and served (a node in a fabric only). */
  transfers?: () => ObjectTransferStats
  /** Peers in this node's view of the fabric by liveness (a node in a fabric only). */
  peers?: () => { alive: number, suspected: number }
}

/** What the /metrics endpoint reads on each scrape: a prom-client Registry, or text joined from several (api/driver-metrics.ts). */
export interface MetricsText {
  readonly contentType: string
  metrics: () => Promise<string>
}

/** Where the /metrics endpoint listens (`--metrics-port`, `--metrics-host`). */
export interface MetricsInit {
  /** TCP port; 0 picks a free one (read it back from the server's `url`). */
  port: number
  /**
   * Address to listen on. Anything beyond loopback must be asked for explicitly (the metrics
   * name the node's work and peers). @default '127.0.0.1'
   */
  host?: string
}

/** A running /metrics endpoint. */
export interface MetricsServer {
  /** `http://HOST:PORT/metrics`, with the bound port. */
  readonly url: string
  /** Close the listener and its connections. Idempotent. */
  stop: () => Promise<void>
}
