import type { GpuErrorKind } from './interface.js'

/**
 * A tensor operation that cannot run: wrong shapes, a released tensor, memory, a backend failure.
 * Crosses into the guest as a task-error with the same `kind`.
 */
export class GpuError extends Error {
  override name = 'GpuError'
  constructor (readonly kind: GpuErrorKind, message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

const KINDS = new Set<string>(['shape-mismatch', 'dtype-mismatch', 'invalid-argument', 'released', 'not-found', 'out-of-memory', 'backend'])

/** A native addon error (its `code` names the kind) or anything else, as a GpuError. */
export function fromNative (err: unknown, what: string): GpuError {
  if (err instanceof GpuError) return err
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof RangeError && /allocation|Array buffer/i.test(message)) return new GpuError('out-of-memory', `${what}: ${message}`, { cause: err })
  return new GpuError(typeof code === 'string' && KINDS.has(code) ? code as GpuErrorKind : 'backend', `${what}: ${message}`, { cause: err })
}
