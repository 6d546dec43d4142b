// `task(fn)`: marks a function as a remotely callable task.
import { TASK_BRAND, type Task } from './types.js'

const GeneratorFunction = Object.getPrototypeOf(function * () {}).constructor

/**
 * Export a function as a task of this component.
 *
 * @example
 * export const square = task((x: number) => x * x)
 * export const countTo = task(function * (n: number) { for (let i = 0; i < n; i++) yield i })
 */
export function task<Args extends unknown[], R> (fn: (...args: Args) => R): Task<Args, R> {
  if (typeof fn !== 'function') throw new TypeError('task() takes a function')
  return Object.freeze({ [TASK_BRAND]: true as const, fn, streaming: fn instanceof GeneratorFunction })
}

/** Whether a value was made by {@link task}. */
export function isTask (value: unknown): value is Task<unknown[], unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TASK_BRAND] === true
}
