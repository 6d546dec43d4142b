// The FIFO scheduler: every trial runs until its stop condition (Ray's FIFOScheduler).
import type { TrialScheduler } from './interface.js'

/** Run every trial to its stop condition. */
export function fifo (): TrialScheduler {
  return { name: 'fifo', bind: () => {}, onResult: () => ({ action: 'continue' }) }
}
