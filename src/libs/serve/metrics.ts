// Serve's metrics in Prometheus' text format (prom-client), one registry per fabric for all its
// applications: requests by application, deployment and status code, request latency, and on each
// scrape the replicas, ongoing and queued requests of every deployment. They are served at each
// ingress's `/-/metrics` and on the driver's metrics endpoint (FabricDriver.addMetrics: an embedded
// fabric's `metricsPort`, after the node's own; a connected driver's `connect.metricsPort`).
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ServeStatus } from './interface.js'

/** Latency buckets (seconds): from a warm no-op call's ~0.2 ms to the default 30 s timeout. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** What an ingress records and serves. */
export interface IngressMetrics {
  observe: (deployment: string, code: number, seconds: number) => void
  text: () => Promise<string>
}

/** The running applications of one fabric, by `app` label (the ingress's `host:port`). */
export type AppStatuses = () => Array<{ app: string, status: ServeStatus }>

export class ServeMetrics {
  readonly registry = new Registry()
  private readonly requests: Counter<'app' | 'deployment' | 'code'>
  private readonly latency: Histogram<'app' | 'deployment'>

  constructor (apps: AppStatuses) {
    const registers = [this.registry]
    this.requests = new Counter({ name: 'fabric_serve_requests_total', help: 'HTTP requests answered, by application (ingress host:port), ingress deployment and status code', labelNames: ['app', 'deployment', 'code'], registers })
    this.latency = new Histogram({ name: 'fabric_serve_request_duration_seconds', help: 'From a request\'s arrival to its answer\'s last byte', labelNames: ['app', 'deployment'], buckets: BUCKETS, registers })
    const gauge = (name: string, help: string, value: (d: ServeStatus['deployments'][number]) => number): void => {
      new Gauge({ // eslint-disable-line no-new
        name,
        help,
        labelNames: ['app', 'deployment'],
        registers,
        collect () {
          this.reset()
          for (const { app, status } of apps()) for (const d of status.deployments) this.set({ app, deployment: d.name }, value(d))
        }
      })
    }
    gauge('fabric_serve_replicas', 'Running replicas', d => d.replicas.filter(r => r.state === 'running').length)
    gauge('fabric_serve_target_replicas', 'Replicas the deployment wants (autoscaling moves it)', d => d.target)
    gauge('fabric_serve_ongoing_requests', 'Requests held by replicas', d => d.replicas.reduce((n, r) => n + r.ongoing, 0))
    gauge('fabric_serve_queued_requests', 'Requests waiting for a batch', d => d.queued)
  }

  /** What the ingress of application `app` records and serves. */
  forApp (app: () => string): IngressMetrics {
    return {
      observe: (deployment, code, seconds) => {
        this.requests.inc({ app: app(), deployment, code: String(code) })
        this.latency.observe({ app: app(), deployment }, seconds)
      },
      text: async () => await this.text()
    }
  }

  /** Drop application `app`'s series (it shut down). */
  async forget (app: string): Promise<void> {
    for (const v of (await this.requests.get()).values) if (v.labels.app === app) this.requests.remove(v.labels as Record<'app' | 'deployment' | 'code', string>)
    const deployments = new Set((await this.latency.get()).values.filter(v => v.labels.app === app).map(v => String(v.labels.deployment)))
    for (const deployment of deployments) this.latency.remove({ app, deployment })
  }

  async text (): Promise<string> {
    return await this.registry.metrics()
  }
}
