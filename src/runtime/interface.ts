// Contracts of the runtime: a node that owns tasks, actors and objects, and what the driver API
// hands it (already encoded: the runtime never sees driver-side JavaScript values).
import type { LocalPolicy } from '../scheduler/index.js'
import type { ExecPoolInit } from '../exec/interface.js'
import type { CompiledComponent } from '../component/interface.js'
import type { ObjectStoreInit } from '../objects/interface.js'
import type { Resources } from '../scheduler/resources.js'
import type { MemoInit, MemoStats } from './memo.js'
import type { DurableSpec } from './durable.js'
import type { Abortable } from '../errors/index.js'

/** Options of a node (and of its worker pool: timeouts, heap and memory limits, actor and extra workers). */
export interface NodeInit extends Pick<ExecPoolInit, 'defaultTimeoutMs' | 'workerHeapMb' | 'processMemoryLimitMb' | 'actorWorkers' | 'maxExtraWorkers'> {
  /**
   * Worker threads running tasks.
   * @default the number of CPUs
   */
  workers?: number
  /**
   * What the node offers to tasks.
   * @default `{ cpus: workers, gpus: 0, memoryMb: total RAM in MiB, custom: {} }`
   */
  resources?: Partial<Resources>
  /** The object store's tiers. */
  objectStore?: ObjectStoreInit
  /** Cache folder (transpiled components, worker bundles). @default $FABRIC_CACHE or ~/.cache/fabric */
  cacheDir?: string
  /**
   * Guest log lines. @default info and above printed, prefixed with the function and task
   * (`(add task=...) message`; warn and error to stderr)
   */
  log?: (level: string, message: string, source: LogSource) => void
  /** What the node does with work it holds or is offered. @default createLocalPolicy() */
  localPolicy?: LocalPolicy
  /** Finished tasks the node keeps for the state API (`fabric list tasks`), newest first. @default 10000 */
  taskHistory?: number
  /** The node's labels, which work's `labelSelector` is matched against. @default {} */
  labels?: Record<string, string>
  /** Bounds of the index of memoised results (see memo.ts). */
  memo?: MemoInit
  /**
   * At start, ready the workers for this many of the most recently used components of the disk
   * cache, in the background (`ExecPool.prewarm`): the first task of any QuickJS component then
   * finds the engine they share compiled and warm (~12-16 ms to a first result instead of ~37-47 in docs/benchmarks.md).
   * `fabric join` sets 2; at most 8 (MAX_PREWARM). @default 0
   */
  prewarm?: number
}

/** Finds the result of a memoised call on other nodes of a fabric. */
export interface MemoRemote {
  /**
   * The result's bytes for call `name` (see memo.ts memoName), pulled from a node that holds it and
   * verified against its CID; undefined when no node answers that it holds one.
   */
  find: (name: string, signal?: AbortSignal) => Promise<Uint8Array | undefined>
}

/** Where a guest's log line comes from. */
export interface LogSource {
  /** The component's CID. */
  cid: string
  /** The task or actor call that wrote it (its id, as the state API lists it). */
  task?: string
  /** The actor, for an actor's calls. */
  actor?: string
  /** The public id of the job the work is part of. */
  job?: string
  /** The function, or `Class.method`. */
  name?: string
}

/** A ref inside a result from another node (by that node's id): its CBOR value, or the error of the task behind it. */
export type OffloadedRef = { id: string, value: Uint8Array } | { id: string, error: Error }

/** An argument of a task run on another node: its CBOR bytes, or an object this node's store holds (served by CID). */
export type OffloadArg = { value: Uint8Array } | { cid: string, size: number }

/**
 * Runs guests' nested tasks on other nodes of a fabric (set by a node that has joined one). A node
 * keeps nested work local until about half its CPUs are taken, then sends it to nodes with room.
 */
export interface NestedOffload {
  /**
   * Whether some other node had room for `demand` at its last heartbeat (alive, with the resources
   * free); with `anyFree` false, whether any other node can ever run it (its totals hold it).
   */
  hasRoom: (demand: Resources, anyFree?: boolean) => boolean
  /**
   * Run task `name` of component `component` (a CID this node serves) elsewhere; resolves to the
   * result's CBOR bytes and, when it holds refs, the CBOR value of each (by the other node's ids;
   * refs inside those values listed too). Node failures are retried elsewhere up to `options.maxRetries`.
   */
  run: (task: { component: string, name: string, args: OffloadArg[], options: ResolvedTaskOptions, job?: string }, signal: Abortable) => Promise<{ value: Uint8Array, nested: OffloadedRef[] }>
}

/**
 * One argument of a call: an encoded value (with the ids of refs nested in it, which must exist
 * before the call runs) or a ref whose value is passed in its place.
 */
export type ArgSpec =
  | { kind: 'value', bytes: Uint8Array, refs: string[] }
  | { kind: 'ref', id: string }

/** Task options after defaults and validation. */
export interface ResolvedTaskOptions {
  resources: Resources
  maxRetries: number
  retryExceptions: boolean | string[]
  timeoutMs?: number
  /** Memory cap of the task's instance, in MiB (at least the default 256). */
  memoryLimitMb: number
  /**
   * Reuse a result the fabric holds for the same call (component CID, function, argument bytes)
   * instead of running it; the task's nested tasks are memoised too (see runtime/memo.ts). Absent: false.
   */
  memo?: true
}

/** Actor options after defaults and validation. */
export interface ResolvedActorOptions {
  resources: Resources
  name?: string
  /** Where the name lives (a driver sends its job's unless told another; see api ActorOptions.namespace). */
  namespace?: string
  /** Outlives its job (and its creator's session); killed by name within its namespace. */
  detached: boolean
  maxRestarts: number
  maxTaskRetries: number
  maxConcurrency: number
  timeoutMs?: number
  memoryLimitMb: number
  /** Snapshots of its state after calls; a restart resumes from the last (see durable.ts). */
  durable?: DurableSpec
}

/** A task to submit: what to run and with what. */
export interface TaskSubmission {
  component: CompiledComponent
  name: string
  args: ArgSpec[]
  options: ResolvedTaskOptions
  /** The task is a generator: its result is a stream of objects. */
  streaming: boolean
  /** The job it is part of (its key; see job.ts): its guest's nested work elsewhere is too. */
  job?: string
  /** A ref the task waits for before it may run, not an argument (its placement group's readiness): its failure fails the task. */
  after?: string
}

/** Told when a task or actor call ends: its kind, seconds from submit to end, and how it ended. */
export type TaskObserver = (kind: 'task' | 'actor-call', seconds: number, outcome: 'finished' | 'failed' | 'cancelled') => void

/** What a node reports about itself. */
export interface NodeStats {
  /** `cancelled`: of `failed`, those cancelled (TaskCancelledError). */
  tasks: { waiting: number, queued: number, running: number, finished: number, failed: number, cancelled: number }
  actors: number
  refs: number
  resources: { total: Resources, available: Resources }
  store: { objects: number, memoryBytes: number, diskBytes: number, spills: number, reloads: number }
  /** Memoised calls: results held and hinted, hits here and from other nodes, runs, evictions. */
  memo: MemoStats
  /** Durable actors: snapshots taken, pages and bytes stored (changed pages and manifests), restores, copies to replicas that failed. */
  durable: { snapshots: number, pagesStored: number, bytesStored: number, restores: number, replicaFailures: number }
}

/**
 * Where work placed in a placement group's bundle goes: the node holding the bundle, once the group
 * is placed, and the demand in the bundle's resource names (see scheduler/placement.ts).
 */
export interface BundleLocator {
  /** Names the bundle in errors: "bundle 0 of placement group pg…". */
  readonly what: string
  /**
   * Wait until the bundle is placed on a node not in `exclude` (nodes the work failed on: they are
   * taken for lost, and the bundle placed again) and resolve to it.
   *
   * @throws PlacementGroupRemovedError once the group is removed; the abort's reason when `signal` aborts
   */
  locate: (exclude: ReadonlySet<string>, signal?: Abortable) => Promise<{ peer: string, demand: Resources }>
}
