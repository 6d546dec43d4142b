// Libraries' metrics on a driver's Prometheus endpoint (FabricDriver.addMetrics): each library adds
// a function returning Prometheus text (serve: requests, latency, replicas, queue), and a scrape
// of the driver's `/metrics` joins them after the node's own metrics (an embedded fabric's), or
// alone (a connected driver's endpoint: ConnectInit.metricsPort).
import type { MetricsText } from '../metrics/index.js'

/** Prometheus' text exposition format, as prom-client writes it. */
const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8'

export class DriverMetrics implements MetricsText {
  private readonly sources = new Set<() => Promise<string>>()

  constructor (private readonly base?: MetricsText) {}

  get contentType (): string {
    return this.base?.contentType ?? TEXT_FORMAT
  }

  /**
   * Add a library's metrics; returns the function that removes them.
   * @throws TypeError when `collect` is not a function
   */
  add (collect: () => Promise<string>): () => void {
    if (typeof collect !== 'function') throw new TypeError('addMetrics: give a function returning Prometheus text (e.g. () => registry.metrics())')
    const source = async (): Promise<string> => await collect()
    this.sources.add(source)
    return () => { this.sources.delete(source) }
  }

  /** The node's metrics (when there is a node here), then each library's; one that fails says so in a comment, the rest still answer. */
  async metrics (): Promise<string> {
    const parts = await Promise.all([
      this.base === undefined ? '' : this.base.metrics(),
      ...[...this.sources].map(async s => {
        try {
          return await s()
        } catch (err) {
          return `# a library's metrics failed: ${String((err as Error)?.message ?? err).replace(/\s+/g, ' ')}\n`
        }
      })
    ])
    return parts.filter(p => p !== '').map(p => p.endsWith('\n') ? p : `${p}\n`).join('')
  }
}
