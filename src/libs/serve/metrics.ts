// Serve's metrics in Prometheus' text format at the ingress's `/-/metrics` (prom-client): requests
// by deployment and status code, request latency, and on each scrape the replicas, ongoing and
// queued requests of every deployment.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ServeStatus } from './interface.js'

/** Latency buckets (seconds): from a warm no-op call's ~0.2 ms to the default 30 s timeout. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export class ServeMetrics {
  readonly registry = new Registry()
  private readonly requests: Counter<'deployment' | 'code'>
  private readonly latency: Histogram<'deployment'>

  constructor (status: () => ServeStatus) {
    const registers = [this.registry]
    this.requests = new Counter({ name: 'fabric_serve_requests_total', help: 'HTTP requests answered, by ingress deployment and status code', labelNames: ['deployment', 'code'], registers })
    this.latency = new Histogram({ name: 'fabric_serve_request_duration_seconds', help: 'From a request\'s arrival to its answer\'s last byte', labelNames: ['deployment'], buckets: BUCKETS, registers })
    const gauge = (name: string, help: string, value: (d: ServeStatus['deployments'][number]) => number): void => {
      new Gauge({ // eslint-disable-line no-new
        name,
        help,
        labelNames: ['deployment'],
        registers,
        collect () {
          this.reset()
          for (const d of status().deployments) this.set({ deployment: d.name }, value(d))
        }
      })
    }
    gauge('fabric_serve_replicas', 'Running replicas', d => d.replicas.filter(r => r.state === 'running').length)
    gauge('fabric_serve_target_replicas', 'Replicas the deployment wants (autoscaling moves it)', d => d.target)
    gauge('fabric_serve_ongoing_requests', 'Requests held by replicas', d => d.replicas.reduce((n, r) => n + r.ongoing, 0))
    gauge('fabric_serve_queued_requests', 'Requests waiting for a batch', d => d.queued)
  }

  /** One request answered. */
  observe (deployment: string, code: number, seconds: number): void {
    this.requests.inc({ deployment, code: String(code) })
    this.latency.observe({ deployment }, seconds)
  }

  async text (): Promise<string> {
    return await this.registry.metrics()
  }
}
