// Errors as a guest sees them: the wire record `task-error` and a class to throw.

/** The `task-error` record of the fabric:core WIT. */
export interface TaskErrorRecord {
  kind: string
  message: string
  retryable: boolean
}

/**
 * An error raised by the host (a failed `get`, a refused `submit`) or thrown by user code with a
 * kind of its own. `retryable: true` tells the scheduler that running the task again may succeed.
 */
export class GuestError extends Error {
  override name = 'GuestError'
  readonly kind: string
  readonly retryable: boolean

  constructor (kind: string, message: string, retryable = false) {
    super(message)
    this.kind = kind
    this.retryable = retryable
  }
}

export function isTaskErrorRecord (value: unknown): value is TaskErrorRecord {
  const v = value as Partial<TaskErrorRecord> | null
  return typeof v === 'object' && v !== null && typeof v.kind === 'string' && typeof v.message === 'string' && typeof v.retryable === 'boolean'
}

/**
 * A host import's `task-error` as a GuestError. componentize-qjs throws the record wrapped in an
 * Error whose `payload` is the record.
 */
export function fromTaskError (err: unknown): Error {
  const payload = err instanceof Error ? (err as { payload?: unknown }).payload : undefined
  if (isTaskErrorRecord(payload)) return new GuestError(payload.kind, payload.message, payload.retryable)
  if (isTaskErrorRecord(err)) return new GuestError(err.kind, err.message, err.retryable)
  return err instanceof Error ? err : new Error(String(err))
}

/** Any thrown value as the record the guest returns to the host. */
export function toTaskError (err: unknown, fallbackKind = 'application'): TaskErrorRecord {
  if (err instanceof GuestError) return { kind: err.kind, message: err.message, retryable: err.retryable }
  if (isTaskErrorRecord(err)) return { kind: err.kind, message: err.message, retryable: err.retryable }
  if (err instanceof Error) {
    const where = typeof err.stack === 'string' && err.stack.length > 0 ? `\n${err.stack.trimEnd()}` : ''
    return { kind: fallbackKind, message: `${err.name}: ${err.message}${where}`, retryable: false }
  }
  return { kind: fallbackKind, message: `thrown: ${String(err)}`, retryable: false }
}
