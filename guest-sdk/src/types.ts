// The guest-side types that the driver's types are derived from: `Task` and the `actor` base class.
// Kept free of host imports so that driver code can import them for typing only.

/** Brand that marks a value returned by {@link task}. */
export const TASK_BRAND: unique symbol = Symbol.for('fabric.task')

/**
 * A function exported as a fabric task. Create with `task(fn)`; the driver calls it with
 * `module.name.remote(...args)`.
 */
export interface Task<Args extends unknown[], R> {
  readonly [TASK_BRAND]: true
  /** The user's function. */
  readonly fn: (...args: Args) => R
  /** True when `fn` is a generator: each yielded value becomes its own object. */
  readonly streaming: boolean
}

/**
 * Base class of actor classes: stateful objects that live in one instance and run their method
 * calls in order.
 *
 * @example
 * export class Counter extends actor {
 *   n = 0
 *   incr (by: number) { this.n += by; return this.n }
 * }
 */
export abstract class actor {}
