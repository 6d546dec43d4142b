// The train library's typed failures: a stable `name` to match on, a message that says what happened.

/** A run that failed more often than its maxFailures allowed (`cause`: the last failure). */
export class TrainingFailedError extends Error {
  override readonly name = 'TrainingFailedError'
  constructor (message: string, init: { cause?: unknown } = {}) { super(message, init.cause === undefined ? undefined : { cause: init.cause }) }
}
