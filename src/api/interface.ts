// The driver-facing types: how a component's tasks and actors look to the program that calls them.
// `fabric build` emits a `.d.ts` whose `Module` type is `GuestModule<typeof TheGuest>`.
import type { GuestTaskOptions, Task, actor } from '../../guest-sdk/src/types.js'
import type { ObjectRef } from '../objects/object-ref.js'

export type { ObjectRef }

/** Resources and policy of one call (Ray's options, camelCase): a guest's nested-call options plus placement. */
export interface TaskOptions extends GuestTaskOptions {
  /**
   * Placement strategy: `'spread'` spreads calls over nodes; `{ nodeAffinity: id }` runs on the node
   * whose id `fabric.nodes()` lists (a hard affinity to a node not in the fabric fails the call with
   * InfeasibleTaskError; `soft: true` prefers it and runs elsewhere when it cannot). An embedded
   * fabric is one node: every form is accepted and all run there.
   * @default 'default'
   */
  scheduling?: 'default' | 'spread' | { nodeAffinity: string, soft?: boolean }
  /**
   * Node labels the work needs (`fabric join --labels zone=eu`, `createNode({ labels })`): only
   * nodes whose label equals each value run it (a value `'!v'`: the label must not be v). When no
   * node has them the call fails with InfeasibleTaskError, saying which.
   * @example { labelSelector: { zone: 'eu', disk: 'ssd' } }
   */
  labelSelector?: Record<string, string>
  /** Node labels the work prefers: matching nodes with room first, others when none has room. Not with labelSelector. */
  softLabelSelector?: Record<string, string>
  /**
   * Run in a bundle of a placement group (Ray's PlacementGroupSchedulingStrategy): on the node
   * holding bundle `bundleIndex` (-1, the default: any bundle that can hold it), out of the
   * resources the bundle reserved. The work waits until the group is placed; its cpus, gpus,
   * memoryMb and resources must fit the bundle (else InfeasibleTaskError). Not with scheduling or
   * label selectors. Work still running when the group is removed is ended.
   */
  placementGroup?: { group: PlacementGroup, bundleIndex?: number }
  /**
   * Memoise the call (tasks only): when the fabric holds a result for the same component, function
   * and argument bytes (from any job, on any node), the ref settles to it without running. The
   * task's nested tasks are memoised too; it may not call actors. Refused with `gpus`. A
   * generator's items are kept and yielded again in order. See docs/memo-and-durability.md. @default false
   */
  memo?: boolean
}

/** What one bundle of a placement group reserves (the same names as task options). */
export interface BundleSpec {
  cpus?: number
  gpus?: number
  memoryMb?: number
  /** Custom resources, like `{ ssd: 1 }`. */
  resources?: Record<string, number>
}

/**
 * How a placement group's bundles spread over nodes (Ray's strategies): `PACK` on as few nodes as
 * possible, `SPREAD` on as many, `STRICT_PACK` all on one node, `STRICT_SPREAD` each on its own node.
 */
export type PlacementStrategy = 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD'

/**
 * Actors that run collectives together (Ray's collective group): each member's guest calls
 * `collective.allReduce(t, { group: name })` (and broadcast, barrier) with the others, in the same
 * order; its rank is its place in the list the group was formed from.
 */
export interface CollectiveGroup {
  /** This forming's id ('cg' and 24 hex digits). */
  readonly id: string
  /** What the members' guests name it by. */
  readonly name: string
  readonly size: number
  /** Leave the group on every member's node: operations waiting in it fail. Idempotent. */
  destroy (): Promise<void>
}

/** Options of {@link FabricDriver.collectiveGroup}. */
export interface CollectiveGroupOptions {
  /** @default 'default' */
  name?: string
  /** How long a member waits for another's data before the group fails (CollectiveError, kind timeout). @default 300000 */
  timeoutMs?: number
}

/** Options of {@link FabricDriver.placementGroup}. */
export interface PlacementGroupOptions {
  bundles: BundleSpec[]
  /** @default 'PACK' */
  strategy?: PlacementStrategy
  /** Shown in errors and the state API. */
  name?: string
}

/**
 * Resources reserved together on the fabric's nodes (Ray's placement group): every bundle or none.
 * Work placed in it (the `placementGroup` option) runs out of its bundles' resources. It lives until
 * removed (`fabric.removePlacementGroup`) or until its driver stops; when a node holding bundles
 * dies, those bundles are placed again and the work in them waits for that (actors restart there
 * within their `maxRestarts`).
 */
export interface PlacementGroup {
  /** Unique id, 'pg' and 24 hex digits. */
  readonly id: string
  readonly name?: string
  readonly strategy: PlacementStrategy
  /** The bundles, as given (with defaults). */
  readonly bundles: ReadonlyArray<Readonly<Required<BundleSpec>>>
  /** `pending` until first placed, `created`, `rescheduling` after a node with bundles died, `removed`. */
  readonly state: 'pending' | 'created' | 'rescheduling' | 'removed'
  /** Why it is not placed yet (while pending or rescheduling): what no node has free, or could ever hold. */
  readonly pendingReason: string | undefined
  /**
   * Resolves once every bundle is reserved (at once when it is).
   *
   * @throws GetTimeoutError after `timeoutMs` (the message says why it waits); PlacementGroupRemovedError
   *   once removed; InfeasibleTaskError on an embedded fabric, whose one node can never hold it
   */
  ready (options?: { timeoutMs?: number }): Promise<void>
  /** The node (as `fabric.nodes()` names it) holding each bundle, undefined for one not placed. */
  bundleNodes (): Array<string | undefined>
}

/** Options of an actor: resources, identity and restart policy. */
export interface ActorOptions extends Omit<TaskOptions, 'maxRetries' | 'retryExceptions' | 'memo'> {
  /** A name to find the actor by with `fabric.getActor(name)`: unique within its namespace while the actor lives. */
  name?: string
  /**
   * The namespace the name lives in (Ray's `namespace`): other jobs find the actor by name only
   * when they name the same namespace (`Fabric.start({ namespace })`, or `getActor(name, { namespace })`).
   * @default the job's namespace
   */
  namespace?: string
  /**
   * `'detached'`: the actor outlives its job (Ray's `lifetime="detached"`) on a fabric of nodes;
   * it needs a name, and is killed by `kill` on a handle found by name within its namespace. An
   * embedded fabric ends its actors when it stops, detached or not.
   * @default the actor ends with its job (its creator's session)
   */
  lifetime?: 'detached'
  /** Restarts after the actor's worker or node dies. @default 0 */
  maxRestarts?: number
  /** Retries of a method call interrupted by a restart. @default 0 */
  maxTaskRetries?: number
  /**
   * Calls that may run at once. Only 1 is supported yet (calls to one actor run one at a time, in
   * order); a higher value is refused with a TypeError rather than accepted and ignored.
   * @default 1
   */
  maxConcurrency?: number
  /**
   * Keep the actor's state (its instance's memory and globals) as a content-addressed snapshot
   * after each call: a restart (its worker crashed, its node died; within `maxRestarts`) resumes
   * from the last snapshot instead of fresh state, and a call its owner sends again after a node was
   * lost is answered, not run twice. Calls then go one at a time. See docs/memo-and-durability.md.
   * @default false
   */
  durable?: boolean
  /** Durable, with a snapshot after every this many calls (calls since the last are lost on a restart). */
  checkpointEvery?: number
  /** Other nodes each snapshot is copied to before the call is answered (a durable actor only). @default 1 */
  snapshotReplicas?: number
}

/** An argument: the value itself or a ref to it (resolved before the call runs). */
export type RemoteArgs<A extends unknown[]> = { [I in keyof A]: A[I] | ObjectRef<A[I]> }

/** What `.remote()` returns: a ref to the result, or for generators an async stream of refs. */
export type RemoteResult<R> = R extends Generator<infer Y, unknown, unknown> ? AsyncIterable<ObjectRef<Y>> : ObjectRef<Awaited<R>>

/** The item a task takes first (`A = [T, ...Rest]`): what a vectorised call's list holds. */
export type ItemOf<A extends unknown[]> = A extends [infer T, ...unknown[]] ? T : A extends Array<infer T> ? T : never
/** The arguments a task takes after its item: passed the same to every item's call. */
export type RestOf<A extends unknown[]> = A extends [unknown, ...infer Rest] ? Rest : A extends [unknown?, ...infer Rest] ? Rest : unknown[]
/** What a flatMap's task returns one array of: its element type (`unknown` for an untyped task). */
export type ElementOf<R> = unknown extends R ? unknown : Awaited<R> extends ReadonlyArray<infer E> ? E : never

/**
 * A task called over a list of items in one call, the loop running inside the guest:
 * `fn(item, ...rest)` for each item in order (TypeScript guests only; see docs/driver-api.md).
 * The call is an ordinary task (`fabric:map:<task>` in the state API): options, retries,
 * timeouts and cancellation apply to the whole call; one item that throws fails it, naming the item.
 */
export interface VectorisedFunction<T, Rest extends unknown[], Out> {
  /** Submit the call over `items` (an array, or a ref to one), with `rest` passed to every item's call; returns at once. */
  remote: (items: T[] | ObjectRef<T[]>, ...rest: RemoteArgs<Rest>) => ObjectRef<Out>
  /** The same call with other options (over the task's own). */
  options: (options: TaskOptions) => VectorisedFunction<T, Rest, Out>
}

/**
 * A task's filter over a list: like {@link VectorisedFunction}, its result the items themselves
 * (of the type given), those for which the task returned `true`.
 */
export interface VectorisedFilter<T, Rest extends unknown[]> {
  /** Submit the filter over `items` (an array, or a ref to one), with `rest` passed to every item's call; returns at once. */
  remote: <U extends T>(items: U[] | ObjectRef<U[]>, ...rest: RemoteArgs<Rest>) => ObjectRef<U[]>
  /** The same call with other options (over the task's own). */
  options: (options: TaskOptions) => VectorisedFilter<T, Rest>
}

/** A generator task has no vectorised calls: its `map`, `filter` and `flatMap` throw TypeError when called. */
type Vectorised<R, V> = R extends Generator<unknown, unknown, unknown> ? never : V

/** A task as the driver sees it. */
export interface RemoteFunction<A extends unknown[], R> {
  /** Submit a call; returns at once. */
  remote: (...args: RemoteArgs<A>) => RemoteResult<R>
  /** The same task with other options. */
  options: (options: TaskOptions) => RemoteFunction<A, R>
  /**
   * The task over a list in one call: a ref to the results, in order (`items.map(fn)`).
   * @example const lens = await fabric.get(m.len.map.remote(['a', 'bb']))  // [1, 2]
   */
  map: Vectorised<R, VectorisedFunction<ItemOf<A>, RestOf<A>, Array<Awaited<R>>>>
  /**
   * The items for which the task returns `true`, in order (`items.filter(fn)`); a result that is
   * not a boolean fails the call.
   * @example const even = await fabric.get(m.isEven.filter.remote([1, 2, 3, 4]))  // [2, 4]
   */
  filter: Vectorised<R, VectorisedFilter<ItemOf<A>, RestOf<A>>>
  /**
   * The concatenation of the task's results, each an array (`items.flatMap(fn)`).
   * @example const words = await fabric.get(m.split.flatMap.remote(['a b', 'c']))  // ['a', 'b', 'c']
   */
  flatMap: Vectorised<R, VectorisedFunction<ItemOf<A>, RestOf<A>, Array<ElementOf<R>>>>
}

type MethodsOf<I> = { [K in keyof I as I[K] extends (...args: never[]) => unknown ? K : never]: I[K] }

/**
 * A live actor: each method has `.remote()`, which returns a ref to the result, or for a generator
 * method an `AsyncIterable` of refs to its values, arriving as the method yields them (its place in
 * the actor's call order kept). `actorId` names it anywhere in the fabric (the actor's id on its
 * node, with `@PeerId` across nodes); passed as an argument, the handle (or its actorId) reaches
 * guests, whose `actorHandle(x)` calls it.
 *
 * @example
 * const feed = await m.Feed.create()
 * for await (const ref of feed.items.remote(3)) console.log(await fabric.get(ref))
 */
export type ActorHandle<I> = {
  readonly [K in keyof MethodsOf<I>]: MethodsOf<I>[K] extends (...args: infer P) => infer R ? { remote: (...args: RemoteArgs<P>) => RemoteResult<R> } : never
} & { readonly actorId: string }

/** An actor class as the driver sees it. */
export interface RemoteActorClass<A extends unknown[], I> {
  /** Create an instance somewhere in the fabric. */
  create: (...args: RemoteArgs<A>) => Promise<ActorHandle<I>>
  /** The same class with other options. */
  options: (options: ActorOptions) => RemoteActorClass<A, I>
}

/** The driver's view of a guest module: its tasks and actor classes, other exports dropped. */
export type GuestModule<M> = {
  [K in keyof M as M[K] extends Task<never, unknown> ? K : M[K] extends abstract new (...args: never[]) => actor ? K : never]:
  M[K] extends Task<infer A, infer R> ? RemoteFunction<A, R>
    : M[K] extends abstract new (...args: infer A) => infer I ? RemoteActorClass<A, I> : never
}

/** A module loaded without its `.d.ts` type: every export is callable, untyped. */
export type UntypedModule = Record<string, RemoteFunction<unknown[], unknown> & RemoteActorClass<unknown[], Record<string, (...args: unknown[]) => unknown>>>

/** Options of {@link FabricDriver.get}. */
export interface GetOptions {
  /** Give up after this many ms with GetTimeoutError (for an array: for all of them together). */
  timeoutMs?: number
}

/** Options of {@link FabricDriver.getActor}. */
export interface GetActorOptions {
  /** Look in this namespace instead of the job's own. */
  namespace?: string
}

/** Options of {@link FabricDriver.wait}. */
export interface WaitOptions {
  /** How many refs must be ready. @default 1 */
  numReturns?: number
  /** Return what is ready after this many ms. @default wait as long as it takes */
  timeoutMs?: number
}

/** The values behind a tuple (or array) of refs, position by position. */
export type ValuesOf<T extends readonly ObjectRef[]> = { -readonly [K in keyof T]: T[K] extends ObjectRef<infer V> ? V : never }

/** A node of the fabric as a driver sees it (an embedded fabric has one). */
export interface NodeSummary {
  /** What `scheduling: { nodeAffinity }` names: the node's PeerId, or the embedded fabric's id. */
  id: string
  /** `suspected` while a node misses heartbeats (connected only). */
  state: 'alive' | 'suspected'
  cpus: { available: number, total: number }
}

/**
 * The driver contract: what a program may do with a fabric, the same embedded (`Fabric.start()`
 * with no address) and across nodes (`Fabric.start({ address })`, `Fabric.connect`). Code written
 * against it runs unchanged on both; a conformance suite (test/api/conformance/) proves it.
 *
 * Objects live while the program holds their refs: when the last reference to an ObjectRef is
 * dropped (garbage collection), the fabric releases what it keeps for it, unless a value holding
 * the ref, a pending call taking it, or an actor given it still needs it.
 *
 * @example
 * const fabric: FabricDriver = await Fabric.start()    // FABRIC_ADDRESS set: connects instead
 * const m = await fabric.load<Module>('build/tasks.wasm')
 * const [a, b] = await fabric.get([m.add.remote(1, 2), m.shout.remote('hi')])  // [number, string]
 * await fabric.stop()
 */
export interface FabricDriver {
  /** Which face this is: an embedded node in this process, or a connection to `fabric join` nodes. */
  readonly kind: 'embedded' | 'connected'
  /**
   * Load a component (a `.wasm` path or its bytes). Type it with the `Module` type of the `.d.ts`
   * that `fabric build` wrote beside it.
   *
   * @throws InvalidComponentError for bytes that are not a fabric component
   */
  load<M = UntypedModule> (source: string | Uint8Array): Promise<M>
  /**
   * Store a value; returns its ref at once. Refs inside the value stay refs (and stay alive while
   * the value does). Objects are immutable: do not change a value after putting it.
   *
   * @throws CodecError for a value that is not data; ForeignRefError for a ref of another fabric
   */
  put<T> (value: T): ObjectRef<T>
  /** The value behind a ref, or each of an array of refs (typed position by position), once ready; throws the task's error. */
  get<T> (ref: ObjectRef<T>, options?: GetOptions): Promise<T>
  get<const T extends readonly ObjectRef[]> (refs: T, options?: GetOptions): Promise<ValuesOf<T>>
  /** Wait until `numReturns` of `refs` are ready or failed (or the timeout passes): `{ ready, pending }` in the order given, at most numReturns ready. */
  wait<T extends ObjectRef> (refs: readonly T[], options?: WaitOptions): Promise<{ ready: T[], pending: T[] }>
  /** Cancel the task behind a ref: queued work dropped, running work stopped (TaskCancelledError). Returns whether it was still pending. */
  cancel (ref: ObjectRef): boolean
  /** Release objects now (Ray's `free`): later gets fail with ObjectReleasedError. */
  free (refs: ObjectRef | readonly ObjectRef[]): void
  /**
   * A live named actor of this job's namespace, or of `options.namespace`.
   *
   * @throws ActorNotFoundError when no live actor has that name there
   */
  getActor<I = Record<string, (...args: unknown[]) => unknown>> (name: string, options?: GetActorOptions): Promise<ActorHandle<I>>
  /**
   * A callable handle from what names a live actor: its `actorId`, or the form a handle travels as
   * inside values (`{ actorId }`: what a task that returned a handle gives to `get`). Handles
   * passed as arguments travel in that form by themselves; a guest's `actorHandle(x)` takes it.
   *
   * @throws ActorNotFoundError when no live actor has that id (or its node is not in view);
   *   TypeError for a malformed id
   * @example
   * const form = await fabric.get(m.pickCounter.remote(a, b))       // { actorId: '...' }
   * const counter = await fabric.actorHandle<Counter>(form)
   * await fabric.get(counter.incr.remote(1))
   */
  actorHandle<I = Record<string, (...args: unknown[]) => unknown>> (actor: string | { readonly actorId: string }): Promise<ActorHandle<I>>
  /**
   * Kill an actor: its calls not yet answered fail with ActorDiedError; it is not restarted; its
   * name is free once this resolves. Only its owner (the job that created it) may, or, for a
   * detached actor, a handle found by name in its namespace.
   *
   * @throws PermissionDeniedError for an actor this job may not kill
   */
  kill (handle: { actorId: string }): Promise<void>
  /**
   * Whether an actor this driver holds a handle of is alive (restarting counts as alive): false
   * once it died, was killed, or was lost with its node for good. Read from what the driver knows
   * (embedded: its node; connected: the actor's session, which ends when its node does), no call
   * to the actor: a library checks its actors' health with it (serve replaces dead replicas).
   */
  isActorAlive (handle: { actorId: string }): Promise<boolean>
  /** This driver's job: every driver is one (see docs/security.md). */
  readonly jobId: string
  /** Where this job's named actors live (`Fabric.start({ namespace })`; else a fresh one per job). */
  readonly namespace: string
  /** The nodes work may run on (their ids are what `scheduling: { nodeAffinity }` names). */
  nodes (): NodeSummary[]
  /**
   * Serve a library's metrics on this driver's Prometheus endpoint (an embedded fabric's
   * `metricsPort`, after the node's own; a connected driver's `connect.metricsPort`): `collect`
   * returns Prometheus text, read on each scrape (its metric names must not clash with others').
   * Without an endpoint nothing reads them. Returns the function that removes them.
   *
   * @throws TypeError when `collect` is not a function
   */
  addMetrics (collect: () => Promise<string>): () => void
  /**
   * Reserve bundles of resources on the fabric's nodes, all of them or none, placed by `strategy`
   * (Ray's `placement_group`); returns at once: `await group.ready()` waits until it is placed.
   * Two groups that want the same resources never each hold part of them: one is placed, the other
   * waits with nothing held.
   *
   * @throws TypeError for a malformed bundle or strategy
   * @example
   * const pg = fabric.placementGroup({ bundles: [{ cpus: 1 }, { cpus: 1 }], strategy: 'SPREAD' })
   * await pg.ready()
   * const w = await m.Worker.options({ placementGroup: { group: pg, bundleIndex: 0 } }).create()
   */
  placementGroup (options: PlacementGroupOptions): PlacementGroup
  /** Release a group's bundles (Ray's `remove_placement_group`): the actors in it are killed and its tasks ended. Idempotent. */
  removePlacementGroup (group: PlacementGroup): Promise<void>
  /**
   * Put actors this driver created in a collective group (their rank: their place in `actors`).
   * Forming it again (the same name, the same actors) replaces the old group. The group fails for
   * every member when one's node or actor dies, or a member does not send within `timeoutMs`.
   *
   * @throws TypeError for an empty list, a handle twice, or a handle this driver did not make;
   *   PermissionDeniedError for another job's actor; ActorNotFoundError for a dead one
   * @example
   * const workers = await Promise.all([0, 1].map(async () => await m.Worker.create()))
   * const group = await fabric.collectiveGroup(workers, { name: 'trainers' })
   */
  collectiveGroup (actors: ReadonlyArray<{ actorId: string }>, options?: CollectiveGroupOptions): Promise<CollectiveGroup>
  /** Stop: pending gets fail with FabricStoppedError; an embedded fabric ends its workers, a connected driver leaves (its actors end). Idempotent. */
  stop (): Promise<void>
}
