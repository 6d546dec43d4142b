/// <reference path="./host-imports.d.ts" />
// The guest's view of the host: objects, nested tasks and logging, over the fabric:core imports.
import { log as hostLog, type Level } from 'fabric:core/log@0.1.0'
import * as objects from 'fabric:core/objects@0.1.0'
import * as tasks from 'fabric:core/tasks@0.1.0'
import { encode, decode } from '../../src/objects/codec.js'
import { ObjectRef } from '../../src/objects/object-ref.js'
import { fromTaskError } from './guest-error.js'

function hostCall<T> (fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw fromTaskError(err)
  }
}

/**
 * Read an object: the value behind a ref (waiting for its task if needed) or a CID string.
 *
 * @example
 * const xs = get<number[]>(ref)
 */
export function get<T = unknown> (ref: ObjectRef<T> | string, options: { timeoutMs?: number } = {}): T {
  const id = typeof ref === 'string' ? ref : ref.id
  return decode(hostCall(() => options.timeoutMs === undefined ? objects.get(id) : tasks.get(id, options.timeoutMs))) as T
}

/** Store a value as an object and return a ref to it. */
export function put<T> (value: T): ObjectRef<T> {
  const bytes = encode(value)
  return new ObjectRef<T>(hostCall(() => objects.put(bytes)))
}

/**
 * Submit a task of this component (or of the component whose CID is given) and return a ref to
 * its result at once.
 */
export function submit<T = unknown> (name: string, args: unknown[], options: { component?: string } & Record<string, unknown> = {}): ObjectRef<T> {
  const { component = '', ...rest } = options
  return new ObjectRef<T>(hostCall(() => tasks.submit(component, name, encode(args), encode(rest))))
}

/** Wait until `numReturns` of `refs` are ready (or the timeout passes); returns the ready ones. */
export function wait (refs: ObjectRef[], options: { numReturns?: number, timeoutMs?: number } = {}): ObjectRef[] {
  const ready = new Set(hostCall(() => tasks.wait(refs.map(r => r.id), options.numReturns ?? refs.length, options.timeoutMs)))
  return refs.filter(r => ready.has(r.id))
}

function format (args: unknown[]): string {
  return args.map(a => typeof a === 'string' ? a : safeJson(a)).join(' ')
}

function safeJson (value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v) ?? String(value)
  } catch {
    return String(value)
  }
}

function at (level: Level) {
  return (...args: unknown[]): void => hostLog(level, format(args))
}

/**
 * Log through the host (the node's log, tagged with the task).
 *
 * @example
 * log.info('processed', n, 'items')
 */
export const log = Object.assign((...args: unknown[]) => hostLog('info', format(args)), {
  trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error')
})
