// A cancel switch for the per-task paths of the driver and the node (issue 18). Node's
// AbortController is an EventTarget: ~1 KB, and each listener added or removed goes through
// `isEventTarget`, option parsing and a listener map. A driver made one per remote task and a
// node one per task it serves: in a profile of 1,000-task batches they and their listeners were
// ~5% of the driver's CPU, and the garbage they leave outlives scavenges. `Cancel` is an array of
// listeners and a reason. Anything typed `Abortable` also takes an AbortSignal.

/** What the per-task paths need of a signal: an AbortSignal, or a {@link Cancel}. */
export interface Abortable {
  readonly aborted: boolean
  readonly reason: unknown
  throwIfAborted: () => void
  addEventListener: (type: 'abort', listener: () => void, options?: { once?: boolean }) => void
  removeEventListener: (type: 'abort', listener: () => void) => void
}

/** One task's cancellation: `abort(reason)` calls each listener once, in the order they came. */
export class Cancel implements Abortable {
  aborted = false
  reason: unknown = undefined
  private listeners: Array<() => void> | undefined = undefined

  throwIfAborted (): void {
    if (this.aborted) throw this.reason
  }

  /** Listeners are called once either way (`once` is implied); one added twice is called once. */
  addEventListener (_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (this.aborted) return
    if (this.listeners === undefined) this.listeners = [listener]
    else if (!this.listeners.includes(listener)) this.listeners.push(listener)
  }

  removeEventListener (_type: 'abort', listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1
    if (at >= 0) this.listeners!.splice(at, 1)
  }

  /** Abort with `reason` (default: an AbortError, as AbortController's); later calls do nothing. */
  abort (reason?: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason ?? new DOMException('This operation was aborted', 'AbortError')
    const listeners = this.listeners
    this.listeners = undefined
    for (const l of listeners ?? []) {
      try {
        l()
      } catch (err) {
        // As an AbortSignal's listener that throws: the others still run, the error is uncaught.
        process.nextTick(() => { throw err })
      }
    }
  }
}

/**
 * A real AbortSignal for APIs that need one (libp2p's dials): `signal` itself when it is one, else
 * one that aborts with it; when there is none, `AbortSignal.timeout(timeoutMs)`, or a signal that
 * never aborts without `timeoutMs`.
 */
export function abortSignalOf (signal: Abortable | undefined, timeoutMs?: number): AbortSignal {
  if (signal === undefined) return timeoutMs === undefined ? new AbortController().signal : AbortSignal.timeout(timeoutMs)
  if (signal instanceof AbortSignal) return signal
  const c = new AbortController()
  if (signal.aborted) c.abort(signal.reason)
  else signal.addEventListener('abort', () => { c.abort(signal.reason) }, { once: true })
  return c.signal
}
