// Task and actor options: defaults and checks in one place, for the driver's `.options({...})`,
// guests' nested submits and the requests nodes receive.
import { resources } from '../scheduler/resources.js'
import { randomUUID } from 'node:crypto'
import { checkNamespace } from './job.js'
import { parseCid } from '../objects/index.js'
import type { DurableSpec } from './durable.js'
import type { ResolvedActorOptions, ResolvedTaskOptions } from './interface.js'
import type { LabelSelector } from '../scheduler/index.js'
import { isGroupKey, parseGroupKey } from '../scheduler/placement.js'

/** The smallest per-instance memory cap, in MiB (a task's `memoryMb` raises it). */
export const DEFAULT_MEMORY_LIMIT_MB = 256

/**
 * Defaults and checks for task options (the driver's `.options({...})` and guests' nested submits).
 *
 * @throws {TypeError} naming the bad option
 */
export function resolveTaskOptions (o: Record<string, unknown>, what: string): ResolvedTaskOptions {
  const custom = o.resources ?? NO_CUSTOM
  if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) throw new TypeError(`${what}: option resources must be an object like { ssd: 1 }`)
  for (const k in custom) {
    const v = (custom as Record<string, unknown>)[k]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`${what}: resource '${k}' must be a non-negative number, got ${String(v)}`)
  }
  const retry = o.retryExceptions ?? false
  if (typeof retry !== 'boolean' && !(Array.isArray(retry) && retry.every(x => typeof x === 'string'))) {
    throw new TypeError(`${what}: option retryExceptions must be a boolean or a list of error names/kinds`)
  }
  const timeoutMs = o.timeoutMs === undefined ? undefined : nonNegative(o, 'timeoutMs', what, 0)
  const memoryMb = nonNegative(o, 'memoryMb', what, 0)
  const memo = o.memo ?? false
  if (typeof memo !== 'boolean') throw new TypeError(`${what}: option memo must be a boolean (true: a call whose component, function and argument bytes ran before returns that result without running), got ${String(memo)}`)
  // CUDA's reductions (atomics, split-K gemm) may sum in another order each run: no result to reuse.
  if (memo && nonNegative(o, 'gpus', what, 0) > 0) throw new TypeError(`${what}: option memo cannot be used with gpus: GPU kernels may reduce in a different order on each run, so the same call need not give the same bytes (leave memo out, or run the task on CPUs)`)
  return {
    resources: resources({ cpus: nonNegative(o, 'cpus', what, 1), gpus: nonNegative(o, 'gpus', what, 0), memoryMb, custom: custom as Record<string, number> }),
    maxRetries: Math.floor(nonNegative(o, 'maxRetries', what, 3)),
    retryExceptions: retry as boolean | string[],
    timeoutMs,
    // Memory held in a placement group's bundle raises the cap as the node's own does.
    memoryLimitMb: Math.max(DEFAULT_MEMORY_LIMIT_MB, Math.ceil(memoryMb), Math.ceil(heldMemoryMb(custom as Record<string, number>))),
    ...(memo ? { memo: true as const } : {})
  }
}

/** Custom resources of a task that names none (never changed). */
const NO_CUSTOM: Record<string, number> = Object.freeze({}) as Record<string, number>

/** Option `k` of `o`: a non-negative number, `d` when absent. */
function nonNegative (o: Record<string, unknown>, k: string, what: string, d: number): number {
  const v = o[k]
  if (v === undefined) return d
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`${what}: option ${k} must be a non-negative number, got ${String(v)}`)
  return v
}

/** Defaults and checks for actor options. */
export function resolveActorOptions (o: Record<string, unknown>, what: string): ResolvedActorOptions {
  const base = resolveTaskOptions({ ...o, cpus: o.cpus ?? 0, maxRetries: 0, memo: undefined, durable: undefined, checkpointEvery: undefined, snapshotReplicas: undefined }, what)
  const int = (k: string, d: number, min = 0): number => {
    const v = o[k]
    if (v === undefined) return d
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TypeError(`${what}: option ${k} must be an integer >= ${min}, got ${String(v)}`)
    return v
  }
  const name = o.name
  if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.length > 256)) throw new TypeError(`${what}: option name must be a string of 1-256 characters`)
  const namespace = checkNamespace(o.namespace, what)
  if (o.lifetime !== undefined && o.lifetime !== 'detached') throw new TypeError(`${what}: option lifetime must be 'detached' (the actor outlives its job; leave it out for one that ends with the job), got ${JSON.stringify(o.lifetime)}`)
  if (o.lifetime === 'detached' && name === undefined) throw new TypeError(`${what}: a detached actor needs a name (it is found and killed by name within its namespace once its job has ended)`)
  const durable = resolveDurable(o, what, int)
  return {
    resources: base.resources,
    name: name as string | undefined,
    ...(namespace === undefined ? {} : { namespace }),
    detached: o.lifetime === 'detached',
    maxRestarts: int('maxRestarts', 0),
    maxTaskRetries: int('maxTaskRetries', 0),
    maxConcurrency: int('maxConcurrency', 1, 1),
    timeoutMs: base.timeoutMs,
    memoryLimitMb: base.memoryLimitMb,
    ...(durable === undefined ? {} : { durable })
  }
}

/**
 * `durable: true` (a snapshot after each call) or `checkpointEvery: N`, with `snapshotReplicas`;
 * `durableKey` and `restore` come from the actor's owner over the wire only (the driver's options
 * refuse them by name).
 */
function resolveDurable (o: Record<string, unknown>, what: string, int: (k: string, d: number, min?: number) => number): DurableSpec | undefined {
  if (o.durable !== undefined && typeof o.durable !== 'boolean') throw new TypeError(`${what}: option durable must be a boolean (true: the actor's state is snapshotted after each call and a restart resumes from it), got ${String(o.durable)}`)
  const every = o.checkpointEvery === undefined ? undefined : int('checkpointEvery', 1, 1)
  if (o.durable === false && every !== undefined) throw new TypeError(`${what}: option checkpointEvery makes an actor durable: leave out durable: false`)
  if (o.durable !== true && every === undefined) {
    if (o.snapshotReplicas !== undefined) throw new TypeError(`${what}: option snapshotReplicas applies to durable actors: add durable: true or checkpointEvery`)
    return undefined
  }
  const key = o.durableKey ?? randomUUID()
  if (typeof key !== 'string' || !/^[0-9a-zA-Z-]{8,64}$/.test(key)) throw new TypeError(`${what}: durableKey must be 8-64 letters, digits or '-'`)
  const spec: DurableSpec = { every: every ?? 1, replicas: int('snapshotReplicas', 1), key }
  const r = o.restore as { cid?: unknown, holders?: unknown } | undefined
  if (r !== undefined) {
    if (typeof r !== 'object' || r === null || typeof r.cid !== 'string' || !Array.isArray(r.holders) || r.holders.length > 64 || !r.holders.every(h => typeof h === 'string' && h.length <= 256)) {
      throw new TypeError(`${what}: restore must be { cid, holders } (a snapshot and the nodes holding it)`)
    }
    parseCid(r.cid)
    spec.restore = { cid: r.cid, holders: r.holders as string[] }
  }
  return spec
}

/** Where a task or actor may run: Ray's strategies (the same shape as placement's `Scheduling`). */
export type SchedulingOption = 'default' | 'spread' | { nodeAffinity: string, soft?: boolean }

/** Every task option a driver accepts (both faces; see api/interface.ts TaskOptions). */
export const TASK_OPTION_NAMES: readonly string[] = ['cpus', 'gpus', 'memoryMb', 'resources', 'maxRetries', 'retryExceptions', 'timeoutMs', 'scheduling', 'labelSelector', 'softLabelSelector', 'placementGroup', 'memo']
/** Every actor option a driver accepts (both faces; see api/interface.ts ActorOptions). */
export const ACTOR_OPTION_NAMES: readonly string[] = ['cpus', 'gpus', 'memoryMb', 'resources', 'timeoutMs', 'scheduling', 'labelSelector', 'softLabelSelector', 'placementGroup', 'name', 'namespace', 'lifetime', 'maxRestarts', 'maxTaskRetries', 'maxConcurrency', 'durable', 'checkpointEvery', 'snapshotReplicas']
/** Options that say where work runs: the placing side uses them, the node that runs the work never sees them. */
export const PLACEMENT_OPTION_NAMES: readonly string[] = ['scheduling', 'labelSelector', 'softLabelSelector', 'placementGroup']

/** `placementGroup: { group, bundleIndex? }` as given: the group is checked by the driver that made it. */
export interface PlacementOption {
  group: unknown
  /** -1: any bundle. */
  bundleIndex: number
}

/**
 * The one check both driver faces run on `.options({...})`: unknown names refused with the list of
 * known ones (no face silently ignores an option), then defaults and checks, and the scheduling
 * strategy.
 *
 * @throws {TypeError} naming the bad option and what would be right
 */
export function driverTaskOptions (o: unknown, what: string): { resolved: ResolvedTaskOptions, scheduling: SchedulingOption, labels?: LabelSelector, placement?: PlacementOption } {
  const options = checkOptionNames(o, TASK_OPTION_NAMES, what)
  refuseGroupNames(options, what)
  const labels = resolveLabels(options, what)
  const placement = resolvePlacement(options, what)
  return { resolved: resolveTaskOptions(options, what), scheduling: resolveScheduling(options.scheduling, what), ...(labels === undefined ? {} : { labels }), ...(placement === undefined ? {} : { placement }) }
}

/** As {@link driverTaskOptions}, for actors (and `maxConcurrency` above 1 is refused). */
export function driverActorOptions (o: unknown, what: string): { resolved: ResolvedActorOptions, scheduling: SchedulingOption, labels?: LabelSelector, placement?: PlacementOption } {
  const options = checkOptionNames(o, ACTOR_OPTION_NAMES, what)
  refuseGroupNames(options, what)
  const resolved = resolveActorOptions(options, what)
  const placement = resolvePlacement(options, what)
  // Guests run synchronously: a higher limit would be accepted and do nothing, so it is refused.
  if (resolved.maxConcurrency > 1) throw new TypeError(`${what}: option maxConcurrency ${resolved.maxConcurrency} is not supported yet: calls to one actor run one at a time (leave it out, or set 1)`)
  const labels = resolveLabels(options, what)
  return { resolved, scheduling: resolveScheduling(options.scheduling, what), ...(labels === undefined ? {} : { labels }), ...(placement === undefined ? {} : { placement }) }
}

/** `placementGroup: { group, bundleIndex? }`, alone: the group decides where the work runs. */
function resolvePlacement (o: Record<string, unknown>, what: string): PlacementOption | undefined {
  const p = o.placementGroup
  if (p === undefined) return undefined
  if (typeof p !== 'object' || p === null || Array.isArray(p) || !('group' in p) || Object.keys(p).some(k => k !== 'group' && k !== 'bundleIndex')) {
    throw new TypeError(`${what}: option placementGroup must be { group: <a PlacementGroup from fabric.placementGroup()>, bundleIndex?: number }, got ${typeof p === 'object' && p !== null ? `an object with ${Object.keys(p).join(', ') || 'no keys'}` : String(p)}`)
  }
  const { group, bundleIndex } = p as { group: unknown, bundleIndex?: unknown }
  if (bundleIndex !== undefined && (typeof bundleIndex !== 'number' || !Number.isInteger(bundleIndex) || bundleIndex < -1)) {
    throw new TypeError(`${what}: placementGroup.bundleIndex must be an integer >= -1 (-1: any bundle), got ${String(bundleIndex)}`)
  }
  const clash = ['scheduling', 'labelSelector', 'softLabelSelector'].filter(k => o[k] !== undefined && o[k] !== 'default')
  if (clash.length > 0) throw new TypeError(`${what}: option placementGroup decides where the work runs: leave out ${clash.join(', ')}`)
  return { group, bundleIndex: bundleIndex ?? -1 }
}

/** Resource names a placement group's bundles add are the fabric's own: nobody asks for them by name. */
function refuseGroupNames (o: Record<string, unknown>, what: string): void {
  const custom = o.resources
  if (typeof custom !== 'object' || custom === null) return
  const reserved = Object.keys(custom).filter(isGroupKey)
  if (reserved.length > 0) throw new TypeError(`${what}: resource name ${reserved.join(', ')} is reserved for placement groups' bundles; place the work with the placementGroup option instead`)
}

/**
 * `labelSelector: { zone: 'eu' }` (only nodes with these labels run it; `'!v'`: not v) or
 * `softLabelSelector` (such nodes first, others when none has room); not both.
 */
function resolveLabels (o: Record<string, unknown>, what: string): LabelSelector | undefined {
  const hard = o.labelSelector
  const soft = o.softLabelSelector
  if (hard !== undefined && soft !== undefined) throw new TypeError(`${what}: give labelSelector (required labels) or softLabelSelector (preferred labels), not both`)
  const given = hard ?? soft
  if (given === undefined) return undefined
  const name = hard !== undefined ? 'labelSelector' : 'softLabelSelector'
  if (typeof given !== 'object' || given === null || Array.isArray(given) || Object.keys(given).length === 0 ||
    Object.entries(given).some(([k, v]) => typeof v !== 'string' || !LABEL_NAME.test(k))) {
    throw new TypeError(`${what}: option ${name} must map label names to values, like { zone: 'eu' } (or { zone: '!eu' } for "not eu"), got ${JSON.stringify(given)}`)
  }
  return { match: { ...given as Record<string, string> }, ...(soft !== undefined ? { soft: true } : {}) }
}

/** A label's name, as `fabric join --labels` takes it. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/

/**
 * The options of a guest's nested task (`fib.options({...}).remote()`, `submit(name, args, options)`):
 * the same check as the driver's, without placement (a nested task is placed by its node).
 *
 * @throws {TypeError} naming the bad option
 */
export function nestedTaskOptions (o: unknown, what: string): ResolvedTaskOptions {
  const options = checkOptionNames(o ?? {}, TASK_OPTION_NAMES, what)
  refuseGroupNames(options, what)
  const placement = Object.keys(options).filter(k => PLACEMENT_OPTION_NAMES.includes(k))
  if (placement.length > 0) throw new TypeError(`${what}: option ${placement.join(', ')} is not supported for nested tasks yet (their node places them); leave it out`)
  return resolveTaskOptions(options, what)
}

function checkOptionNames (o: unknown, known: readonly string[], what: string): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TypeError(`${what}: options must be an object like { cpus: 1 }, got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}`)
  const unknown = Object.keys(o).filter(k => !known.includes(k))
  if (unknown.length > 0) throw new TypeError(`${what}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`)
  return o as Record<string, unknown>
}

/** 'default', 'spread' or `{ nodeAffinity: '<node id>', soft?: boolean }`, and nothing else. */
function resolveScheduling (s: unknown, what: string): SchedulingOption {
  if (s === undefined || s === 'default') return 'default'
  if (s === 'spread') return s
  if (typeof s === 'object' && s !== null && !Array.isArray(s)) {
    const { nodeAffinity, soft, ...rest } = s as { nodeAffinity?: unknown, soft?: unknown }
    if (typeof nodeAffinity === 'string' && nodeAffinity.length > 0 && (soft === undefined || typeof soft === 'boolean') && Object.keys(rest).length === 0) {
      return soft === undefined ? { nodeAffinity } : { nodeAffinity, soft }
    }
  }
  throw new TypeError(`${what}: option scheduling must be 'default', 'spread' or { nodeAffinity: '<node id from fabric.nodes()>', soft?: boolean }, got ${JSON.stringify(s)}`)
}

/** The memory a demand holds in placement groups' bundles (its `memoryMb_group_…` names). */
function heldMemoryMb (custom: Record<string, number>): number {
  let mb = 0
  for (const [k, v] of Object.entries(custom)) if (v > mb && parseGroupKey(k)?.kind === 'memoryMb') mb = v
  return mb
}
