// The guest-side types that the driver's types are derived from: `Task` and the `actor` base class.
// Kept free of host imports so that driver code can import them for typing only.
import type { ObjectRef } from '../../src/objects/object-ref.js'

/** Brand that marks a value returned by {@link task}. */
export const TASK_BRAND: unique symbol = Symbol.for('fabric.task')

/** An argument of a nested call: the value itself or a ref to it (as the driver's `RemoteArgs`). */
export type GuestRemoteArgs<A extends unknown[]> = { [I in keyof A]: A[I] | ObjectRef<A[I]> }

/**
 * What `.remote()` returns inside a guest: a ref to the result. Guests run synchronously, so a
 * generator task called from a guest gives one ref to the array of its values.
 */
export type GuestRemoteResult<R> = R extends Generator<infer Y, unknown, unknown> ? ObjectRef<Y[]> : ObjectRef<R>

/**
 * Options of a nested call (Ray's names, camelCase; the host validates them as the driver's). The
 * driver's TaskOptions add placement (a nested task is placed by its node).
 */
export interface GuestTaskOptions {
  /** CPU slots the task holds while it runs. @default 1 */
  cpus?: number
  /** GPUs the task needs. @default 0 */
  gpus?: number
  /** Memory the task reserves, in MiB. @default 0 */
  memoryMb?: number
  /** Custom resources, e.g. `{ ssd: 1 }`. */
  resources?: Record<string, number>
  /** Retries after a worker or node failure. @default 3 */
  maxRetries?: number
  /** Also retry application errors (all, or those whose name is listed). @default false */
  retryExceptions?: boolean | string[]
  /** Wall-clock limit of one attempt, in ms. */
  timeoutMs?: number
  /**
   * Reuse a result the fabric holds for the same call (this component, function and argument
   * bytes) instead of running it. Inside a memoised task every nested task is memoised anyway.
   */
  memo?: boolean
}

/** What `task(fn, declared)` declares about a task for every caller (the driver too). */
export interface TaskDeclaration {
  /**
   * The task is a pure function of its arguments: drivers and guests call it memoised unless they
   * say `memo: false` (see GuestTaskOptions.memo). A generator's items are kept as one list.
   */
  memo?: boolean
}

/** A task as a guest calls it: `.remote(...)` submits a nested call and returns a ref at once. */
export interface GuestRemoteFunction<Args extends unknown[], R> {
  /** Submit a nested call of this task; returns a ref to its result at once. */
  remote (...args: GuestRemoteArgs<Args>): GuestRemoteResult<R>
  /** The same task with these options (merged over earlier ones) for the calls made through it. */
  options (options: GuestTaskOptions): GuestRemoteFunction<Args, R>
}

/**
 * A function exported as a fabric task. Create with `task(fn)`; the driver calls it with
 * `module.name.remote(...args)`, another task of the same component with `name.remote(...args)`.
 */
export interface Task<Args extends unknown[], R> extends GuestRemoteFunction<Args, R> {
  readonly [TASK_BRAND]: true
  /** The user's function. */
  readonly fn: (...args: Args) => R
  /** True when `fn` is a generator: each yielded value becomes its own object. */
  readonly streaming: boolean
  /** Declared memoised: `task(fn, { memo: true })`. */
  readonly memo: boolean
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
