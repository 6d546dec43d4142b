// Task and actor options: defaults and checks in one place, for the driver's `.options({...})`,
// guests' nested submits and the requests nodes receive.
import { resources } from '../scheduler/resources.js'
import type { ResolvedActorOptions, ResolvedTaskOptions } from './interface.js'

/** The smallest per-instance memory cap, in MiB (a task's `memoryMb` raises it). */
export const DEFAULT_MEMORY_LIMIT_MB = 256

/**
 * Defaults and checks for task options (the driver's `.options({...})` and guests' nested submits).
 *
 * @throws {TypeError} naming the bad option
 */
export function resolveTaskOptions (o: Record<string, unknown>, what: string): ResolvedTaskOptions {
  const num = (k: string, d: number): number => {
    const v = o[k]
    if (v === undefined) return d
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`${what}: option ${k} must be a non-negative number, got ${String(v)}`)
    return v
  }
  const custom = o.resources ?? {}
  if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) throw new TypeError(`${what}: option resources must be an object like { ssd: 1 }`)
  for (const [k, v] of Object.entries(custom)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`${what}: resource '${k}' must be a non-negative number, got ${String(v)}`)
  }
  const retry = o.retryExceptions ?? false
  if (typeof retry !== 'boolean' && !(Array.isArray(retry) && retry.every(x => typeof x === 'string'))) {
    throw new TypeError(`${what}: option retryExceptions must be a boolean or a list of error names/kinds`)
  }
  const timeoutMs = o.timeoutMs === undefined ? undefined : num('timeoutMs', 0)
  const memoryMb = num('memoryMb', 0)
  return {
    resources: resources({ cpus: num('cpus', 1), gpus: num('gpus', 0), memoryMb, custom: custom as Record<string, number> }),
    maxRetries: Math.floor(num('maxRetries', 3)),
    retryExceptions: retry as boolean | string[],
    timeoutMs,
    memoryLimitMb: Math.max(DEFAULT_MEMORY_LIMIT_MB, Math.ceil(memoryMb))
  }
}

/** Defaults and checks for actor options. */
export function resolveActorOptions (o: Record<string, unknown>, what: string): ResolvedActorOptions {
  const base = resolveTaskOptions({ ...o, cpus: o.cpus ?? 0, maxRetries: 0 }, what)
  const int = (k: string, d: number, min = 0): number => {
    const v = o[k]
    if (v === undefined) return d
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TypeError(`${what}: option ${k} must be an integer >= ${min}, got ${String(v)}`)
    return v
  }
  const name = o.name
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) throw new TypeError(`${what}: option name must be a non-empty string`)
  return {
    resources: base.resources,
    name: name as string | undefined,
    maxRestarts: int('maxRestarts', 0),
    maxTaskRetries: int('maxTaskRetries', 0),
    maxConcurrency: int('maxConcurrency', 1, 1),
    timeoutMs: base.timeoutMs,
    memoryLimitMb: base.memoryLimitMb
  }
}
