// Task counts by state over time, sampled on the server into a bounded ring, so a page opened now
// shows the last half hour at once. One sample asks the fabric for its jobs rows (tasks counted by
// state per job on every node) and adds them up.
import type { DashboardNode, StateSample } from './interface.js'

/** The states a task row can be in (runtime/task-history.ts), in the order the chart stacks them. */
export const TASK_STATES = ['waiting-for-args', 'waiting-for-resources', 'queued', 'running', 'finished', 'failed', 'cancelled'] as const

/** A ring of samples taken every `sampleMs`, `capacity` at most. */
export class StateHistory {
  private readonly samples: StateSample[] = []
  private timer: NodeJS.Timeout | undefined
  private inFlight = false

  constructor (private readonly node: DashboardNode, readonly sampleMs: number, readonly capacity: number) {}

  start (): void {
    if (this.timer !== undefined) return
    void this.sample()
    this.timer = setInterval(() => { void this.sample() }, this.sampleMs)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** The samples, oldest first. */
  all (): StateSample[] {
    return [...this.samples]
  }

  /** Take one sample now (skipped while the previous one is still being read). */
  async sample (): Promise<void> {
    if (this.inFlight) return
    this.inFlight = true
    try {
      const reply = await this.node.state({ what: 'jobs', limit: 10_000 })
      const counts: Record<string, number> = Object.fromEntries(TASK_STATES.map(s => [s, 0]))
      for (const row of reply.rows) {
        for (const s of TASK_STATES) if (typeof row[s] === 'number') counts[s]! += row[s]
      }
      this.samples.push({ t: Date.now(), counts })
      if (this.samples.length > this.capacity) this.samples.splice(0, this.samples.length - this.capacity)
    } catch {
      // A node stopping or a fan-out failing: this sample is missing; the next one tries again.
    } finally {
      this.inFlight = false
    }
  }
}
