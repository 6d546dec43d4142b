// The one metric updated per task: how long tasks and actor calls take from submit to end. The
// runtime tells an observer (LocalNode.setTaskObserver). An observation is a few array operations
// (prom-client's Histogram.observe resolves labels on every call: ~0.5 µs here); the buckets are
// turned into Prometheus histogram series only when scraped.
import type { Metric, Registry } from 'prom-client'
import type { TaskObserver } from '../runtime/index.js'

/** Upper bounds in seconds: 1 ms to 5 min (submit times have millisecond resolution). */
export const TASK_SECONDS_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

const NAME = 'fabric_task_duration_seconds'
const HELP = 'Seconds from submit to end of tasks and actor calls this node ran, by kind (task, actor_call).'

/** Counts per bucket (the last: above every bound), their sum and count. */
class Buckets {
  readonly counts = new Float64Array(TASK_SECONDS_BUCKETS.length + 1)
  sum = 0
  count = 0

  observe (seconds: number): void {
    const bounds = TASK_SECONDS_BUCKETS
    let i = 0
    while (i < bounds.length && seconds > bounds[i]!) i++
    this.counts[i]!++
    this.sum += seconds
    this.count++
  }

  /** The series of one label set, cumulative as Prometheus wants them. */
  series (kind: string): Array<{ metricName: string, labels: Record<string, string | number>, value: number }> {
    const out: Array<{ metricName: string, labels: Record<string, string | number>, value: number }> = []
    let cumulative = 0
    TASK_SECONDS_BUCKETS.forEach((le, i) => {
      cumulative += this.counts[i]!
      out.push({ metricName: `${NAME}_bucket`, labels: { le, kind }, value: cumulative })
    })
    out.push({ metricName: `${NAME}_bucket`, labels: { le: '+Inf', kind }, value: this.count })
    out.push({ metricName: `${NAME}_sum`, labels: { kind }, value: this.sum })
    out.push({ metricName: `${NAME}_count`, labels: { kind }, value: this.count })
    return out
  }
}

/** Add `fabric_task_duration_seconds` to `registry`; returns the observer to give the runtime. */
export function taskLatency (registry: Registry): TaskObserver {
  const task = new Buckets()
  const call = new Buckets()
  // A metric as the registry reads it (name, help, type, get()): what prom-client's own classes expose.
  const metric = {
    name: NAME,
    help: HELP,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name: NAME, help: HELP, type: 'histogram', aggregator: 'sum', values: [...task.series('task'), ...call.series('actor_call')] }),
    reset: () => {}
  }
  registry.registerMetric(metric as unknown as Metric)
  return (kind, seconds) => {
    (kind === 'task' ? task : call).observe(seconds < 0 ? 0 : seconds)
  }
}
