// The fabric's error shape: one serialisable form for errors that cross worker, wasm and network
// boundaries, rebuilt into classes on the other side. Match on `name`, never on `instanceof`.

/** The wire form of every fabric error. */
export interface SerializedError {
  name: string
  message: string
  retryable: boolean
  /** The guest's `task-error.kind`, when the error came from a guest. */
  kind?: string
  cause?: SerializedError
}

/** Base class of every error the fabric raises on purpose. */
export class FabricError extends Error {
  override name = 'FabricError'
  /** Whether running the same work again may succeed. */
  retryable: boolean

  constructor (message: string, options: { retryable?: boolean, cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.retryable = options.retryable ?? false
  }

  toJSON (): SerializedError {
    return serializeError(this)
  }
}

/** Turn any thrown value into the wire form. */
export function serializeError (err: unknown): SerializedError {
  if (err instanceof Error) {
    const out: SerializedError = {
      name: err.name,
      message: err.message,
      retryable: (err as { retryable?: unknown }).retryable === true
    }
    const kind = (err as { kind?: unknown }).kind
    if (typeof kind === 'string') out.kind = kind
    if (err.cause !== undefined) out.cause = serializeError(err.cause)
    return out
  }
  return { name: 'Error', message: String(err), retryable: false }
}

type ErrorClass = new (message: string, options?: { retryable?: boolean, cause?: unknown }) => FabricError

const registry = new Map<string, ErrorClass>()

/** Make `deserializeError` rebuild errors named `name` as instances of `cls`. */
export function registerError (name: string, cls: ErrorClass): void {
  registry.set(name, cls)
}

/**
 * Rebuild an error from its wire form; unknown names become a FabricError with that name. The form
 * comes from peers: only its fields of the right type are taken (a name and kind of at most 100
 * characters, a message of at most 4,000, `retryable` only when `true`, causes at most 8 deep), so
 * a hostile peer's error is still an error with a string name.
 */
export function deserializeError (s: SerializedError, depth = 0): FabricError {
  const form = (typeof s === 'object' && s !== null ? s : {}) as Partial<Record<keyof SerializedError, unknown>>
  const name = typeof form.name === 'string' && form.name.length > 0 ? form.name.slice(0, 100) : 'Error'
  const message = typeof form.message === 'string' ? form.message.slice(0, 4000) : String(form.message ?? '').slice(0, 4000)
  const retryable = form.retryable === true
  const cause = form.cause === undefined || form.cause === null || depth >= 8 ? undefined : deserializeError(form.cause as SerializedError, depth + 1)
  const Cls = registry.get(name) ?? FabricError
  const err = new Cls(message, { retryable, cause })
  err.name = name
  err.retryable = retryable
  if (typeof form.kind === 'string') (err as FabricError & { kind?: string }).kind = form.kind.slice(0, 100)
  return err
}

// Refusals of the trust boundary: a peer, driver or guest asked for something it does not own, or
// for more than its quota. Both cross the wire by name and are never retryable: asking again gets
// the same answer.

type AccessInit = { retryable?: boolean, cause?: unknown }

/**
 * Refused because the asker does not own what it named: killing an actor another job created,
 * reading a ref a guest was not given, an object not shared with the asking job.
 */
export class PermissionDeniedError extends FabricError {
  override name = 'PermissionDeniedError'
  constructor (message = 'permission denied', init: AccessInit = {}) { super(message, { ...init, retryable: false }) }
}

/** The quotas a node keeps per peer (see docs/limits.md), and the node-wide ceilings. */
export type QuotaName = 'tasks-in-flight' | 'actors' | 'stored-bytes' | 'pulls' | 'node-actors' | 'task-time' | 'retries' | 'snapshots'

/**
 * Refused because the asking peer is at one of its quotas on the node (or the node at a ceiling):
 * `quota` names which, `limit` its value. Work already admitted is not affected.
 */
export class QuotaExceededError extends FabricError {
  override name = 'QuotaExceededError'
  /** Which quota (from the message when rebuilt from the wire). */
  readonly quota: string
  readonly limit: number
  constructor (message = 'quota exceeded', init: AccessInit & { quota?: QuotaName, limit?: number } = {}) {
    super(message, { ...init, retryable: false })
    this.quota = init.quota ?? /quota '([a-z-]+)'/.exec(message)?.[1] ?? 'unknown'
    this.limit = init.limit ?? Number(/limit (\d+)/.exec(message)?.[1] ?? NaN)
  }
}

registerError('PermissionDeniedError', PermissionDeniedError)
registerError('QuotaExceededError', QuotaExceededError)
export { Cancel, abortSignalOf, type Abortable } from './cancel.js'
