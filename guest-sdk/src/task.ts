// `task(fn)`: marks a function as a remotely callable task, and gives it `.remote()` for nested
// calls from inside the guest (the name it is exported under is learnt when the entry is read).
import { GuestError } from './guest-error.js'
import { submit } from './host.js'
import { TASK_BRAND, type GuestTaskOptions, type Task, type TaskDeclaration } from './types.js'

const GeneratorFunction = Object.getPrototypeOf(function * () {}).constructor

/** The export name of each task, set by {@link nameTasks} when the component's entry is read. */
const names = new WeakMap<object, string>()
let exportsRead = false

/**
 * Record the export names of the tasks among a module's exports (the guest runtime calls this
 * once, with the entry's namespace). A task exported under two names keeps the first.
 */
export function nameTasks (exports: Iterable<[string, unknown]>): void {
  for (const [name, value] of exports) {
    if (isTask(value) && !names.has(value)) names.set(value, name)
  }
  exportsRead = true
}

function nameOf (t: object): string {
  const name = names.get(t)
  if (name !== undefined) return name
  if (!exportsRead) {
    throw new GuestError('unknown-task', 'task.remote(): the task\'s name is not known yet: the component\'s exports are read after its modules load, so call .remote() inside a task or actor method, not at a module\'s top level')
  }
  throw new GuestError('unknown-task', 'task.remote(): this task is not exported from the component\'s entry, so the fabric cannot call it by name: export it (`export const fib = task(...)`) or call its function directly')
}

function remoteFunction (t: object, options: GuestTaskOptions): Pick<Task<unknown[], unknown>, 'remote' | 'options'> {
  return {
    remote: (...args: unknown[]) => submit(nameOf(t), args, options as Record<string, unknown>) as never,
    options: (more: GuestTaskOptions) => {
      if (typeof more !== 'object' || more === null || Array.isArray(more)) {
        throw new GuestError('bad-argument', `task.options() takes an object of options (cpus, gpus, memoryMb, ...), got ${Array.isArray(more) ? 'an array' : String(more)}`)
      }
      return Object.freeze(remoteFunction(t, { ...options, ...more })) as never
    }
  }
}

/**
 * Export a function as a task of this component. Other tasks of the component call it with
 * `.remote(...args)` (a ref to the result, at once), or `.options({ cpus: 2 }).remote(...args)`.
 *
 * @example
 * export const square = task((x: number) => x * x)
 * export const countTo = task(function * (n: number) { for (let i = 0; i < n; i++) yield i })
 * export const fib = task((n: number): number => n < 2 ? n : get(fib.remote(n - 1)) + get(fib.remote(n - 2)))
 * export const parse = task((text: string) => JSON.parse(text), { memo: true }) // reused when called again
 */
export function task<Args extends unknown[], R> (fn: (...args: Args) => R, declared: TaskDeclaration = {}): Task<Args, R> {
  if (typeof fn !== 'function') throw new TypeError('task() takes a function')
  if (typeof declared !== 'object' || declared === null || Object.keys(declared).some(k => k !== 'memo') || (declared.memo !== undefined && typeof declared.memo !== 'boolean')) {
    throw new TypeError('task(fn, declared): declared takes { memo?: boolean } only')
  }
  const streaming = fn instanceof GeneratorFunction
  const memo = declared.memo === true
  const t = { [TASK_BRAND]: true as const, fn, streaming, memo } as Task<Args, R>
  Object.assign(t, remoteFunction(t, memo ? { memo } : {}))
  return Object.freeze(t)
}

/** Whether a value was made by {@link task}. */
export function isTask (value: unknown): value is Task<unknown[], unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TASK_BRAND] === true
}
