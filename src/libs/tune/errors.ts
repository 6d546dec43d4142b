// The tune library's errors: a stable `name` to match on, a message that says what to do.

/** Thrown (by `fit`) when a trainable's result lacks the metric being tuned, or it is not a number. */
export class TuneMetricError extends Error {
  override readonly name = 'TuneMetricError'
  constructor (message = 'a result lacks the metric being tuned') { super(message) }
}

/** Thrown by `restore` for a state that is not a tuning run's (a wrong file, another version). */
export class TuneStateError extends Error {
  override readonly name = 'TuneStateError'
  constructor (message = 'not a tuning run\'s state') { super(message) }
}

/** Thrown (by `fit`) when the trainable cannot be run as one: a class without `step()`, for example. */
export class TuneTrainableError extends Error {
  override readonly name = 'TuneTrainableError'
  constructor (message = 'the trainable is not a task or a class with setup/step') { super(message) }
}

/** Thrown (by `fit`) when a callback of the run threw: the `stop` function, a custom scheduler or search algorithm. */
export class TuneCallbackError extends Error {
  override readonly name = 'TuneCallbackError'
  constructor (message = 'a callback of the tuning run threw', options?: { cause?: unknown }) { super(message, options) }
}
