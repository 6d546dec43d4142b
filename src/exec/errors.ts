// Typed failures of running guest code. Each has a stable `name` so it survives the trip across
// worker and network boundaries (see src/errors).
import { FabricError, registerError } from '../errors/index.js'

type Init = { retryable?: boolean, cause?: unknown }

/** Thrown when a call runs past its timeout; the worker running it was terminated and replaced. */
export class TaskTimeoutError extends FabricError {
  override name = 'TaskTimeoutError'
  constructor (message = 'the call ran past its timeout', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

/** Thrown when guest code traps (unreachable, out-of-bounds access, stack overflow); the instance was discarded. */
export class GuestTrapError extends FabricError {
  override name = 'GuestTrapError'
  constructor (message = 'the guest trapped', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

/** Thrown when a guest reaches its memory cap (per instance, or the pool's per-process budget). */
export class GuestOutOfMemoryError extends FabricError {
  override name = 'GuestOutOfMemoryError'
  constructor (message = 'the guest ran out of memory', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

/**
 * Thrown when the guest returned a `task-error` (the user's code threw, or the call named an
 * unknown task or method). `kind` is the guest's error kind.
 */
export class TaskError extends FabricError {
  override name = 'TaskError'
  kind: string
  constructor (message = 'the task failed', init: Init & { kind?: string } = {}) {
    super(message, init)
    this.kind = init.kind ?? 'application'
  }
}

/** Thrown when the worker running a call died for a reason other than a timeout; retryable. */
export class WorkerCrashedError extends FabricError {
  override name = 'WorkerCrashedError'
  constructor (message = 'the worker running the call died', init: Init = {}) { super(message, { retryable: true, ...init }) }
}

/** Thrown when an actor's instance is gone (its worker was replaced, or it was killed). */
export class ActorDiedError extends FabricError {
  override name = 'ActorDiedError'
  constructor (message = 'the actor is no longer alive', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

/** Thrown for work submitted to, or still queued in, a pool that is stopping. */
export class PoolStoppedError extends FabricError {
  override name = 'PoolStoppedError'
  constructor (message = 'the worker pool has stopped', init: Init = {}) { super(message, { retryable: true, ...init }) }
}

/** Thrown when a call was cancelled through its AbortSignal. */
export class TaskCancelledError extends FabricError {
  override name = 'TaskCancelledError'
  constructor (message = 'the call was cancelled', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

/**
 * A call sent ahead to a busy worker was taken back before it started (see ExecPool.callAhead):
 * nothing of it ran; the caller queues it again.
 */
export class CallNotStartedError extends FabricError {
  override name = 'CallNotStartedError'
  constructor (message = 'the call sent ahead was taken back before it started', init: Init = {}) { super(message, { retryable: true, ...init }) }
}

for (const cls of [TaskTimeoutError, GuestTrapError, GuestOutOfMemoryError, TaskError, WorkerCrashedError, ActorDiedError, PoolStoppedError, TaskCancelledError, CallNotStartedError]) {
  registerError(new cls().name, cls)
}
