// Typed failures of the jobs area; each has a stable `name` and crosses the wire as a
// SerializedError (match on `name`).
import { FabricError, registerError } from '../errors/index.js'

type Init = { retryable?: boolean, cause?: unknown }

/** Thrown when a node refuses a submission: it does not accept jobs, the upload is over its limits, or it runs its most jobs already. */
export class JobRefusedError extends FabricError {
  override name = 'JobRefusedError'
  constructor (message = 'the node refused the job', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

/** Thrown when a submission id names no job the node remembers. */
export class JobNotFoundError extends FabricError {
  override name = 'JobNotFoundError'
  constructor (message = 'no such job', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

registerError('JobRefusedError', JobRefusedError)
registerError('JobNotFoundError', JobNotFoundError)
