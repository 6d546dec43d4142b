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

/** Finished task rows, the last `capacity` of them. */
export class TaskHistory {
  private readonly ring: Array<TaskRow | undefined>
  private next = 0

  constructor (readonly capacity: number) {
    this.ring = new Array<TaskRow | undefined>(Math.max(0, capacity))
  }

  add (row: TaskRow): void {
    if (this.capacity <= 0) return
    this.ring[this.next] = row
    this.next = (this.next + 1) % this.capacity
  }

  /** The kept rows, newest first. */
  rows (): TaskRow[] {
    const out: TaskRow[] = []
    for (let k = 1; k <= this.capacity; k++) {
      const row = this.ring[(this.next - k + this.capacity) % this.capacity]
      if (row !== undefined) out.push(row)
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

/**
 * The row of a finished task: one object of one shape (no spread: a row lives until 10,000 later
 * tasks have finished, so it is built once, with every field, absent ones undefined).
 */
export function finishedRow (t: TaskRecord, error: Error | undefined, endedAt: number): TaskRow {
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
  const row = finishedRow(t, undefined, 0)
  row.endedAt = undefined
  if (t.state === 'running') {
    row.state = 'running'
  } else if (t.state === 'queued' && t.actor !== undefined) {
    row.state = 'queued'
    row.reason = `behind ${Math.max(0, t.actor.queue.indexOf(t))} earlier call(s) of actor ${t.actor.id}`
  } else if (t.state === 'queued') {
    const missing = shortfall(t.options.resources, n.available)
    row.state = missing.length === 0 ? 'queued' : 'waiting-for-resources'
    row.reason = missing.length === 0 ? 'next to run' : `needs ${missing.join('; ')} free on this node`
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
