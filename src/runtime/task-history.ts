// What a node can say about its work (the state API, `/fabric/state/1`): its live tasks, read
// from the records it keeps anyway, and the last finished ones, kept in a bounded ring (a long
// job's memory stays flat). Each row is plain data: strings, numbers, booleans.
import { shortfall } from '../scheduler/resources.js'
import { jobIdOf } from './job.js'
import type { NodeCore } from './node-core.js'
import type { TaskRecord } from './node-records.js'

/** A task's state as the state API names it. */
export type TaskStateName = 'waiting-for-args' | 'waiting-for-resources' | 'queued' | 'running' | 'finished' | 'failed' | 'cancelled'

/** One task (or actor call) as the state API lists it. */
export interface TaskRow {
  id: string
  name: string
  kind: 'task' | 'actor-call'
  /** The public id of its job (none for a driver-less embedded call). */
  job: string | undefined
  state: TaskStateName
  attempts: number
  /** Wall-clock ms since the epoch. */
  submittedAt: number
  startedAt: number | undefined
  endedAt: number | undefined
  /** A failed task's error, `Name: message`. */
  error: string | undefined
  /** Why a task that waits is waiting, in words. */
  reason: string | undefined
}

/**
 * Finished tasks, the last `capacity` of them, in columns: recording one writes a few array
 * slots and allocates nothing (a row object per task would be garbage that outlives scavenges:
 * a million-task job's heap grew by hundreds of MiB that way). Rows are made when listed.
 */
export class TaskHistory {
  private readonly ids: Array<string | undefined>
  private readonly names: string[]
  private readonly jobs: Array<string | undefined>
  private readonly errors: Array<string | undefined>
  /** 0 task, 1 actor call; state: 0 finished, 1 failed, 2 cancelled. */
  private readonly kinds: Uint8Array
  private readonly states: Uint8Array
  private readonly attempts: Uint32Array
  /** submitted, started (0: never), ended: wall-clock ms. */
  private readonly times: Float64Array
  private next = 0

  constructor (readonly capacity: number) {
    const n = Math.max(0, capacity)
    this.ids = new Array<string | undefined>(n)
    this.names = new Array<string>(n)
    this.jobs = new Array<string | undefined>(n)
    this.errors = new Array<string | undefined>(n)
    this.kinds = new Uint8Array(n)
    this.states = new Uint8Array(n)
    this.attempts = new Uint32Array(n)
    this.times = new Float64Array(3 * n)
  }

  /** Record a task that ended (with `error` when it failed). */
  record (t: TaskRecord, error: Error | undefined, endedAt: number): void {
    if (this.capacity <= 0) return
    const i = this.next
    this.next = (i + 1) % this.capacity
    this.ids[i] = t.id
    this.names[i] = t.name
    this.jobs[i] = t.job
    this.kinds[i] = t.kind === 'task' ? 0 : 1
    this.states[i] = error === undefined ? 0 : error.name === 'TaskCancelledError' ? 2 : 1
    this.errors[i] = error === undefined ? undefined : `${error.name}: ${error.message}`.slice(0, 1000)
    this.attempts[i] = t.attempts
    this.times[3 * i] = t.submittedAt
    this.times[3 * i + 1] = t.startedAt
    this.times[3 * i + 2] = endedAt
  }

  /** The kept rows, newest first. */
  rows (): TaskRow[] {
    const out: TaskRow[] = []
    for (let k = 1; k <= this.capacity; k++) {
      const i = (this.next - k + this.capacity) % this.capacity
      const id = this.ids[i]
      if (id === undefined) continue
      const started = this.times[3 * i + 1]!
      out.push({
        id,
        name: this.names[i]!,
        kind: this.kinds[i] === 0 ? 'task' : 'actor-call',
        job: jobOf(this.jobs[i]),
        state: (['finished', 'failed', 'cancelled'] as const)[this.states[i]!]!,
        attempts: this.attempts[i]!,
        submittedAt: this.times[3 * i]!,
        startedAt: started === 0 ? undefined : started,
        endedAt: this.times[3 * i + 2]!,
        error: this.errors[i],
        reason: undefined
      })
    }
    return out
  }
}

const ids = new Map<string, string>()

/** The public id of the job whose key is `key` (hashed once per key). */
export function jobOf (key: string | undefined): string | undefined {
  if (key === undefined) return undefined
  let id = ids.get(key)
  if (id === undefined) {
    if (ids.size > 4096) ids.clear()
    ids.set(key, id = jobIdOf(key))
  }
  return id
}

/** The row of a task (as finished: {@link liveRow} says how it stands when it is not). */
function taskRow (t: TaskRecord, error: Error | undefined, endedAt: number): TaskRow {
  return {
    id: t.id,
    name: t.name,
    kind: t.kind,
    job: jobOf(t.job),
    state: error === undefined ? 'finished' : error.name === 'TaskCancelledError' ? 'cancelled' : 'failed',
    attempts: t.attempts,
    submittedAt: t.submittedAt,
    startedAt: t.startedAt === 0 ? undefined : t.startedAt,
    endedAt,
    error: error === undefined ? undefined : `${error.name}: ${error.message}`.slice(0, 1000),
    reason: undefined
  }
}

/** The row of a task not done yet, with why it waits. */
export function liveRow (n: NodeCore, t: TaskRecord): TaskRow {
  const row = taskRow(t, undefined, 0)
  row.endedAt = undefined
  if (t.state === 'running') {
    row.state = 'running'
  } else if (t.state === 'queued' && t.actor !== undefined) {
    row.state = 'queued'
    row.reason = `behind ${Math.max(0, t.actor.queue.indexOf(t))} earlier call(s) of actor ${t.actor.id}`
  } else if (t.state === 'queued' || t.state === 'ahead') {
    const missing = shortfall(t.options.resources, n.available)
    row.state = missing.length === 0 ? 'queued' : 'waiting-for-resources'
    row.reason = missing.length === 0 ? 'next to run' : `needs ${missing.join('; ')} free on this node`
    // Sent ahead (TaskRunner.sendAhead): it takes the resources of the task it waits behind.
    if (t.state === 'ahead') row.reason += '; sent ahead to a busy worker, it starts there when the task running there ends'
  } else {
    const pending = t.deps.filter(id => n.refs.get(id)?.state === 'pending')
    row.state = 'waiting-for-args'
    row.reason = `waiting for ${pending.length} argument(s) to be ready${pending.length === 0 ? '' : `: ${pending.slice(0, 4).join(', ')}`}`
  }
  return row
}

/** A row as the wire carries it: its fields that have a value. */
export function plainRow (row: object): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const [k, v] of Object.entries(row)) if (v !== undefined) out[k] = v as string | number | boolean
  return out
}
