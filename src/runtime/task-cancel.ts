// A running task's cancel switch. The pool takes anything shaped like an AbortSignal; a node makes
// one per task, and Node's AbortController is ~1 KB of event-target machinery that a scavenge
// promotes (a 200k-task job grew its heap by ~220 MiB more with it). This is two fields.
import type { CancelSignal } from '../exec/index.js'

/** One task attempt's cancellation: `abort()` tells the pool call listening on it. */
export class TaskCancel implements CancelSignal {
  aborted = false
  private listener: (() => void) | undefined = undefined

  /** The pool listens once per call; a second listener replaces nothing silently. */
  addEventListener (_type: 'abort', listener: () => void): void {
    if (this.listener !== undefined && this.listener !== listener) throw new Error('TaskCancel: one listener per task attempt')
    this.listener = listener
  }

  removeEventListener (_type: 'abort', listener: () => void): void {
    if (this.listener === listener) this.listener = undefined
  }

  abort (): void {
    if (this.aborted) return
    this.aborted = true
    const fn = this.listener
    this.listener = undefined
    fn?.()
  }
}
