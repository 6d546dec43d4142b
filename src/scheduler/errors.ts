// The scheduler's typed failure: work that no node can run, and why.
import { FabricError } from '../errors/index.js'

/** Thrown when no node can ever run a task: it asks for more than the fabric has, or a hard constraint (affinity, labels) cannot hold. */
export class InfeasibleTaskError extends FabricError {
  override name = 'InfeasibleTaskError'
  constructor (message = 'no node can run the task', init: { retryable?: boolean, cause?: unknown } = {}) { super(message, init) }
}
