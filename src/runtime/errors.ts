// Typed failures of the runtime: what a driver's get() throws besides the guest's own errors.
import { FabricError, registerError } from '../errors/index.js'
import { InfeasibleTaskError } from '../scheduler/errors.js'

type Init = { retryable?: boolean, cause?: unknown }

/** Thrown by `get`/`wait` with a timeout when the objects are not ready in time. */
export class GetTimeoutError extends FabricError {
  override name = 'GetTimeoutError'
  constructor (message = 'the object was not ready before the timeout', init: Init = {}) { super(message, init) }
}

/** Thrown when a task failed on every attempt it was allowed; `cause` is the last failure. */
export class RetriesExhaustedError extends FabricError {
  override name = 'RetriesExhaustedError'
  constructor (message = 'the task failed on every attempt', init: Init = {}) { super(message, init) }
}

/** Thrown for a task whose argument's task failed; `cause` is the dependency's error. */
export class DependencyFailedError extends FabricError {
  override name = 'DependencyFailedError'
  constructor (message = 'an argument of the task failed', init: Init = {}) { super(message, init) }
}

/** Thrown by `get` on an object that was released (freed, or no reference to it was left). */
export class ObjectReleasedError extends FabricError {
  override name = 'ObjectReleasedError'
  constructor (message = 'the object was released', init: Init = {}) { super(message, init) }
}

/** Thrown for an ObjectRef this fabric did not make (it belongs to another fabric). */
export class ForeignRefError extends FabricError {
  override name = 'ForeignRefError'
  constructor (message = 'the ref belongs to another fabric', init: Init = {}) { super(message, init) }
}

// A placement failure, decided by the scheduler; one of the runtime's errors to a driver.
export { InfeasibleTaskError }

/** Thrown by `getActor` for a name no live actor has. */
export class ActorNotFoundError extends FabricError {
  override name = 'ActorNotFoundError'
  constructor (message = 'no actor has that name', init: Init = {}) { super(message, init) }
}

/** Work placed in a placement group that was removed (or whose driver stopped): it did not run, or was ended. */
export class PlacementGroupRemovedError extends FabricError {
  override name = 'PlacementGroupRemovedError'
  constructor (message = 'the placement group was removed', init: Init = {}) { super(message, init) }
}

/** Thrown for calls on a fabric that has stopped. */
export class FabricStoppedError extends FabricError {
  override name = 'FabricStoppedError'
  constructor (message = 'the fabric has stopped', init: Init = {}) { super(message, init) }
}

for (const cls of [GetTimeoutError, RetriesExhaustedError, DependencyFailedError, ObjectReleasedError, ForeignRefError, InfeasibleTaskError, ActorNotFoundError, FabricStoppedError, PlacementGroupRemovedError]) {
  registerError(new cls().name, cls)
}
