// The node's records of its work: a task (or actor call) from submission to its result, an actor,
// and a streaming task's items; how they are named in errors.
import type { DurableState, SnapshotRef } from './durable.js'
import type { CompiledComponent } from '../component/index.js'
import type { ActorRef } from '../exec/index.js'
import type { Resources } from '../scheduler/resources.js'
import type { TaskCancel } from './task-cancel.js'
import { NONE, type RefEntry } from './ref-table.js'
import type { ArgSpec, ResolvedActorOptions, ResolvedTaskOptions } from './interface.js'

/** Errors after which the same attempt may succeed elsewhere (the worker died, not the code). */
export const SYSTEM_RETRYABLE = new Set(['WorkerCrashedError'])
/** Errors that end an actor's instance. */
export const ACTOR_FATAL = new Set(['ActorDiedError', 'GuestTrapError', 'GuestOutOfMemoryError', 'TaskTimeoutError', 'WorkerCrashedError'])

export interface Stream {
  items: string[]
  /** Items handed to the reader (their holds went with them). */
  taken: number
  /** Items the current attempt of the generator has yielded. */
  yielded: number
  done: boolean
  error?: Error
  waiters: Array<() => void>
  /** A memoised generator's items as yielded (null once one held refs: such a stream is not kept). */
  kept?: Uint8Array[] | null
  /** Bytes of the items yielded so far (a memoised generator's). */
  keptBytes?: number
}

export interface TaskRecord {
  id: string
  kind: 'task' | 'actor-call'
  component: CompiledComponent
  name: string
  args: ArgSpec[]
  options: ResolvedTaskOptions
  /** The result ref (for streams: the ref of the whole list). */
  result: RefEntry
  /** A generator's items (set for streaming tasks only). */
  stream?: Stream
  /** Refs the task waits for. */
  deps: readonly string[]
  pending: number
  /**
   * `new`: recorded, not yet counted anywhere (a call to a dead actor ends from here). `ahead`: out
   * of the queue, sent to a worker busy with a task of its shape, to start when that one ends
   * (TaskRunner.sendAhead); it holds nothing until then.
   */
  state: 'new' | 'waiting' | 'queued' | 'ahead' | 'running' | 'done'
  attempts: number
  abort?: TaskCancel
  cancelled: boolean
  /** Refs a running guest made (put, submit): held until the task ends. */
  guestRefs: readonly string[]
  /** CPUs handed back while the guest is blocked on nested work. */
  lent: boolean
  /** Its resources went on to the task sent ahead behind it on its worker: not given back when it ends. */
  handedOff: boolean
  /** Submitted by a running guest (nested work): never sent ahead (see TaskRunner.sendAhead). */
  nested: boolean
  actor?: ActorRecord
  /** What the task holds while it runs (its options' resources; the queue orders by it). */
  demand: Resources
  /** Its place in the queue while queued (see TaskQueue). */
  queueSeq: number
  /** An actor call's own limit on retries after crashes (instead of the actor's maxTaskRetries), and who hears of each. */
  callRetries?: number
  onRetry?: () => void
  /** A durable actor's call: its owner's sequence number, so a call sent again after a restart is answered, not run twice. */
  seq?: number
  /** The key of the job it is part of (see job.ts), when it came from one: its guest's nested work and the objects it sends out are that job's. */
  job: string | undefined
  /** Refs the running guest made or received (inside values it read): with its arguments' refs, all it may name (see guest-access.ts). */
  readable: Set<string> | undefined
  /** Wall-clock ms of its submission and of its last attempt's start (0: not started); for the state API. */
  submittedAt: number
  startedAt: number
}

export interface ActorRecord {
  id: string
  component: CompiledComponent
  cls: string
  args: ArgSpec[]
  options: ResolvedActorOptions
  ref?: ActorRef
  state: 'creating' | 'alive' | 'restarting' | 'dead'
  deathCause?: Error
  queue: TaskRecord[]
  running: number
  /** Settles once the last call sent to the pool is in the pool's queue (calls are sent in order). */
  sent?: Promise<void>
  restarts: number
  /** Told the restart count each time the actor is restarted in place (createActor's onRestart). */
  onRestart?: (restarts: number) => void
  /** Told once when the actor dies on this node (crashed past its restarts, killed, its bundle released). */
  onDeath?: (cause: Error) => void
  /** Settles when the first instance exists (or could not be made). */
  created: Promise<void>
  /** The key of the job that created it (see job.ts), when one did: the state API lists its public id. */
  job: string | undefined
  /** Refs its guest was given, made or received over its calls: it may keep any in its state (see guest-access.ts). */
  readable?: Set<string>
  /** A durable actor's snapshots (see durable.ts). */
  durable?: DurableState
  /** Told of each snapshot a durable actor's calls make, before the result of the call it follows. */
  onSnapshot?: (ref: SnapshotRef) => void
}

/** An opaque handle of a streaming task's results. */
export interface StreamReader {
  /** The next item's ref id, or undefined at the end; throws the task's error. */
  next: () => Promise<string | undefined>
}

export function describe (t: Pick<TaskRecord, 'kind' | 'name' | 'id'>): string {
  return t.kind === 'task' ? `task '${t.name}' (${t.id})` : `actor method '${t.name}' (${t.id})`
}

/** Hold `id` for the running guest of `t` until the task ends; the guest may read it. */
export function keepForGuest (t: TaskRecord, id: string): void {
  if (t.guestRefs === NONE) t.guestRefs = [id]
  else (t.guestRefs as string[]).push(id)
  ;(t.readable ??= new Set()).add(id)
}
