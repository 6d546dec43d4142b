// The generic guest entry: turns a user's module (tasks and actor classes) into the exports of
// the fabric:core `guest` interface. `fabric build` wires this to the user's entry.
/// <reference path="./host-imports.d.ts" />
import * as objects from 'fabric:core/objects@0.1.0'
import { encode, decode } from '../../src/objects/codec.js'
import { STREAM_ITEM_HEAD } from '../../src/objects/object-ref.js'
import { isTask, nameTasks } from './task.js'
import { actor } from './types.js'
import { GuestError, fromTaskError, toTaskError, type TaskErrorRecord } from './guest-error.js'

/** The manifest record of the WIT. */
export interface Manifest {
  sdk: string
  tasks: Array<{ name: string, streaming: boolean, memo: boolean }>
  actors: Array<{ name: string, methods: string[], streaming: string[] }>
}

type AnyFn = (...args: unknown[]) => unknown
type ActorClass = new (...args: unknown[]) => object

export const SDK_NAME = 'fabric-qjs/0.1.0'

function isActorClass (value: unknown): value is ActorClass {
  return typeof value === 'function' && value.prototype instanceof actor
}

const GeneratorFunction = Object.getPrototypeOf(function * () {}).constructor

/**
 * The callable methods of an actor class (own and inherited, not `_private` ones), and which of
 * them are generators (`*items () { yield ... }`): the manifest lists those as streaming.
 */
function methodsOf (cls: ActorClass): { methods: string[], streaming: Set<string> } {
  const names = new Map<string, boolean>()
  for (let p = cls.prototype; p !== null && p !== actor.prototype && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      // A subclass's method hides its base class's one of the same name.
      if (name === 'constructor' || name.startsWith('_') || names.has(name)) continue
      const d = Object.getOwnPropertyDescriptor(p, name)
      if (d !== undefined && typeof d.value === 'function') names.set(name, d.value instanceof GeneratorFunction)
    }
  }
  const methods = [...names.keys()].sort()
  return { methods, streaming: new Set(methods.filter(m => names.get(m) === true)) }
}

function decodeArgs (bytes: Uint8Array, what: string): unknown[] {
  let args: unknown
  try {
    args = decode(bytes)
  } catch (err) {
    throw new GuestError('bad-argument', `${what}: arguments are not valid CBOR: ${(err as Error).message}`)
  }
  if (!Array.isArray(args)) throw new GuestError('bad-argument', `${what}: arguments must be a CBOR array, got ${typeof args}`)
  return args
}

function isIterator (value: unknown): value is IterableIterator<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Iterator<unknown>).next === 'function' &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function'
}

/**
 * Hand one yielded value to the host as it is yielded; false when the host does not take it as a
 * stream item. Only the first item may be refused: a bare pool without an object service
 * (`unsupported`), or a call the host runs as an ordinary one (a nested call from a guest, a
 * guest's call of an actor's generator method) answers the first item so, and then gets the values
 * together, as the result.
 */
function emit (value: unknown, what: string, first: boolean): boolean {
  let item: Uint8Array
  try {
    item = encode(value)
  } catch (err) {
    throw new GuestError('bad-result', `${what} yielded a value that cannot be encoded: ${(err as Error).message}`)
  }
  const bytes = new Uint8Array(STREAM_ITEM_HEAD.length + item.length)
  bytes.set(STREAM_ITEM_HEAD)
  bytes.set(item, STREAM_ITEM_HEAD.length)
  try {
    objects.put(bytes)
    return true
  } catch (err) {
    const payload = (err as { payload?: { kind?: string } }).payload
    if (first || payload?.kind === 'unsupported') return false
    // The host's task-error, not componentize-qjs's wrapper ("[object Object]").
    throw fromTaskError(err)
  }
}

/**
 * Run a generator: stream its values to the host as they come, returning `{ streamed: count }`,
 * or, where the host does not take them as a stream, collect them and return the array.
 */
function drain (it: IterableIterator<unknown>, what: string): unknown {
  const kept: unknown[] = []
  let streaming = true
  let count = 0
  for (const value of it) {
    if (streaming && !emit(value, what, count === 0)) streaming = false
    if (!streaming) kept.push(value)
    count++
  }
  return streaming ? { streamed: count } : kept
}

function run (what: string, fn: AnyFn, self: unknown, argBytes: Uint8Array, streaming: boolean): Uint8Array {
  const args = decodeArgs(argBytes, what)
  let result: unknown
  try {
    result = fn.apply(self, args)
    if (streaming && isIterator(result)) result = drain(result, what)
  } catch (err) {
    throw toTaskError(err)
  }
  if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
    throw new GuestError('bad-result', `${what} returned a Promise: QuickJS guests run synchronously; return the value itself`)
  }
  try {
    return encode(result)
  } catch (err) {
    throw new GuestError('bad-result', `${what} returned a value that cannot be encoded: ${(err as Error).message}`)
  }
}

/** The reserved call names' prefix: `fabric:<mode>:<task>` runs a task over a list of items. */
const RESERVED_PREFIX = 'fabric:'
const MODES = ['map', 'filter', 'flatMap']

function typeName (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Uint8Array) return 'bytes'
  return typeof value
}

/**
 * A vectorised call (`fabric:map:parse`): the task's function called as `fn(item, ...rest)` for
 * each item in order, the loop here rather than a task per item. map returns the results, filter
 * the items whose result is `true`, flatMap the concatenation of the results (each an array).
 */
function runVectorised (name: string, tasks: Map<string, { fn: AnyFn, streaming: boolean }>, argBytes: Uint8Array): Uint8Array {
  const rest = name.slice(RESERVED_PREFIX.length)
  const colon = rest.indexOf(':')
  const mode = rest.slice(0, colon)
  const taskName = rest.slice(colon + 1)
  if (colon < 0 || !MODES.includes(mode)) {
    throw new GuestError('unknown-task', `'${name}' is not a call guests know: reserved names are fabric:<${MODES.join('|')}>:<task>`)
  }
  const t = tasks.get(taskName)
  if (t === undefined) {
    throw new GuestError('unknown-task', `no task '${taskName}' in this component to call as ${mode} (it has: ${[...tasks.keys()].join(', ') || 'none'})`)
  }
  const what = `task '${taskName}' (${mode})`
  if (t.streaming) {
    throw new GuestError('unknown-task', `${what}: a generator (streaming) task cannot be called over a list of items; call it per item with .remote(), or make it a plain function`)
  }
  const [items, ...extra] = decodeArgs(argBytes, what)
  if (!Array.isArray(items)) {
    throw new GuestError('bad-argument', `${what}: the first argument must be the array of items, got ${typeName(items)}; pass an array (or a ref to one)`)
  }
  const out: unknown[] = []
  // One argument list for every item (its first slot replaced): no spread per call in QuickJS.
  const callArgs = [undefined, ...extra]
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    let result: unknown
    try {
      callArgs[0] = item
      result = t.fn.apply(undefined, callArgs)
    } catch (err) {
      // The item's own kind and retryability, its place in the list added.
      const record = toTaskError(err)
      throw new GuestError(record.kind, `${what} failed at item ${i}: ${record.message}`, record.retryable)
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      throw new GuestError('bad-result', `${what} returned a Promise at item ${i}: QuickJS guests run synchronously; return the value itself`)
    }
    if (mode === 'map') out.push(result)
    else if (mode === 'filter') {
      if (typeof result !== 'boolean') throw new GuestError('bad-result', `${what} returned ${typeName(result)} at item ${i}: a filter's task must return true or false`)
      if (result) out.push(item)
    } else {
      if (!Array.isArray(result)) throw new GuestError('bad-result', `${what} returned ${typeName(result)} at item ${i}: a flatMap's task must return an array (empty for none)`)
      for (const r of result) out.push(r)
    }
  }
  try {
    return encode(out)
  } catch (err) {
    throw new GuestError('bad-result', `${what} returned a value that cannot be encoded: ${(err as Error).message}`)
  }
}

/** The exports of the fabric:core `guest` interface for a user's module. */
export interface GuestExports {
  describe: () => Manifest
  call: (name: string, args: Uint8Array) => Uint8Array
  Actor: { create: (cls: string, args: Uint8Array) => unknown }
}

/**
 * Build the `guest` interface exports from a user's module namespace: every `task(...)` export
 * is a task, every exported subclass of `actor` an actor class.
 */
export function makeGuest (user: Record<string, unknown>): GuestExports {
  // Tasks learn their export names here, for `.remote()` calls between them.
  nameTasks(Object.entries(user))
  const tasks = new Map<string, { fn: AnyFn, streaming: boolean, memo: boolean }>()
  const classes = new Map<string, { cls: ActorClass, methods: Set<string>, streaming: Set<string> }>()
  for (const [name, value] of Object.entries(user)) {
    if (isTask(value)) {
      // `export { f as 'fabric:map:x' }` is valid JavaScript: such a task would hide a vectorised call.
      if (name.startsWith(RESERVED_PREFIX)) {
        throw new Error(`task export '${name}': names starting '${RESERVED_PREFIX}' are reserved for the fabric's own calls (fabric:map:<task>, ...); export the task under another name`)
      }
      tasks.set(name, { fn: value.fn as AnyFn, streaming: value.streaming, memo: value.memo })
    }
    else if (isActorClass(value)) {
      const { methods, streaming } = methodsOf(value)
      classes.set(name, { cls: value, methods: new Set(methods), streaming })
    }
  }
  const manifest: Manifest = {
    sdk: SDK_NAME,
    tasks: [...tasks].map(([name, t]) => ({ name, streaming: t.streaming, memo: t.memo })),
    actors: [...classes].map(([name, c]) => ({ name, methods: [...c.methods], streaming: [...c.streaming] }))
  }

  // Errors leave the guest as the plain `task-error` record; componentize-qjs turns a thrown
  // record into the `err` case of the WIT result.
  const guard = <T>(fn: () => T): T => {
    try {
      return fn()
    } catch (err) {
      throw toTaskError(err) satisfies TaskErrorRecord
    }
  }

  class Actor {
    readonly #name: string
    readonly #instance: Record<string, unknown>
    readonly #methods: Set<string>
    readonly #streaming: Set<string>

    private constructor (name: string, instance: object, methods: Set<string>, streaming: Set<string>) {
      this.#name = name
      this.#instance = instance as Record<string, unknown>
      this.#methods = methods
      this.#streaming = streaming
    }

    static create (cls: string, args: Uint8Array): Actor {
      return guard(() => {
        const entry = classes.get(cls)
        if (entry === undefined) {
          throw new GuestError('unknown-actor', `no actor class '${cls}' in this component (it has: ${[...classes.keys()].join(', ') || 'none'})`)
        }
        const ctorArgs = decodeArgs(args, `${cls}.constructor`)
        let instance: object
        try {
          instance = new entry.cls(...ctorArgs)
        } catch (err) {
          throw toTaskError(err)
        }
        return new Actor(cls, instance, entry.methods, entry.streaming)
      })
    }

    invoke (method: string, args: Uint8Array): Uint8Array {
      return guard(() => {
        if (!this.#methods.has(method)) {
          throw new GuestError('unknown-method', `actor class '${this.#name}' has no method '${method}' (it has: ${[...this.#methods].join(', ') || 'none'})`)
        }
        // A generator method streams its values where the host takes them as a stream (a driver's
        // call); called from a guest, the host refuses the first item and gets the array instead.
        return run(`${this.#name}.${method}`, this.#instance[method] as AnyFn, this.#instance, args, this.#streaming.has(method))
      })
    }
  }

  return {
    describe: () => manifest,
    call: (name, args) => guard(() => {
      const t = tasks.get(name)
      if (t === undefined && name.startsWith(RESERVED_PREFIX)) return runVectorised(name, tasks, args)
      if (t === undefined) {
        throw new GuestError('unknown-task', `no task '${name}' in this component (it has: ${[...tasks.keys()].join(', ') || 'none'})`)
      }
      return run(name, t.fn, undefined, args, t.streaming)
    }),
    Actor
  }
}
