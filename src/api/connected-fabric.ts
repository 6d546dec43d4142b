// A driver connected to a fabric of `fabric join` nodes (Fabric.connect). Tasks run on the nodes
// (placed by RemoteRunner from this driver's gossiped view, resubmitted elsewhere when a node
// dies); actors live on a node for as long as this driver holds them (RemoteActor: one session
// each, restarted on another node when theirs dies); components travel to the nodes by CID.
// Small results come back by value and are held here; large ones stay on the node that made them
// (RemoteObjects: by CID, rebuilt from lineage when their nodes are gone), and travel to the node
// that needs them. Handles among arguments travel as { actorId } (the actor's address), which
// guests call and actorHandle() turns back. Generator tasks and generator actor methods stream
// their items as refs. Over 500 lines: one class is the whole driver contract of this face, and
// its tasks, actors and objects share the connection's state (the view, the runner, the gate).
import { DriverMetrics } from './driver-metrics.js'
import type { MetricsServer } from '../metrics/index.js'
import { flatUuid } from '../objects/flat-id.js'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { CollectiveSessions, createNetNode, fixedResources, PlacementSessions, readSwarmKey, type NetNode } from '../net/index.js'
import { formGroup } from './collective-groups.js'
import { connectedTransport, DriverPlacementGroups } from './placement-groups.js'
import { decode, encode, findRefs, ObjectRef } from '../objects/index.js'
import { TaskCancelledError } from '../exec/errors.js'
import {
  ActorNotFoundError, FabricStoppedError, ForeignRefError, GetTimeoutError, RemoteActor, RemoteObject, RemoteObjects, RemoteRunner, addressOf,
  attachActor, findNamedActor, formatActorAddress, InfeasibleTaskError, parseActorAddress, type Held, type Lineage
} from '../runtime/index.js'
import { driverActorOptions, driverTaskOptions, PLACEMENT_OPTION_NAMES, type PlacementOption, type SchedulingOption } from '../runtime/options.js'
import type { LabelSelector } from '../scheduler/index.js'
import type { ResolvedActorOptions, ResolvedTaskOptions } from '../runtime/interface.js'
import { assertRef, checkNumReturns, namespaceOf } from './embedded-fabric.js'
import { newJob, type Job } from '../runtime/job.js'
import { withHandleForms } from './handle-forms.js'
import { RefStream } from './ref-stream.js'
import { announceStarted } from './started-channel.js'
import { DriverLogs, printLogLine, type DriverLogSink } from './driver-logs.js'
import type { Manifest } from '../component/interface.js'
import type { ResultRef, StateKind, StateReply } from '../net/index.js'
import { SubmitGate, type GateEntry } from '../runtime/index.js'
import { vectorisedCalls } from './vectorised.js'
import type { ActorHandle, ActorOptions, CollectiveGroup, CollectiveGroupOptions, FabricDriver, GetActorOptions, GetOptions, NodeSummary, PlacementGroup, PlacementGroupOptions, RemoteActorClass, RemoteFunction, TaskOptions, UntypedModule, ValuesOf, WaitOptions } from './interface.js'

/** Options of {@link ConnectedFabric.connect}. */
export interface ConnectInit {
  /** Where this driver's identity key lives. @default a fresh temporary directory */
  dataDir?: string
  /** The fabric's swarm key, for a private fabric (`fabric join --secret`). @default the key in the file $FABRIC_SWARM_KEY_FILE names, if set */
  swarmKey?: Uint8Array
  /** The fabric's name (`fabric join --name`). @default $FABRIC_NAME (a submitted job's node sets it), else 'default' */
  fabricName?: string
  /** Where this driver listens (nodes fetch components from it). @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /** How long to wait for a node offering CPUs to appear in the view. @default 30000 */
  timeoutMs?: number
  /** Where this job's named actors live. @default a fresh namespace per job */
  namespace?: string
  /**
   * Where the guest log lines of this job's tasks and actors go, from every node (false: not
   * followed). @default printed: `(add task=... node=...) message`, warn and error to stderr
   */
  log?: DriverLogSink | false
  /**
   * Serve the metrics libraries add (FabricDriver.addMetrics: serve's, ...) on
   * `http://metricsHost:metricsPort/metrics` (0: a free port; see `metricsUrl`). The nodes serve
   * their own (`fabric join --metrics-port`). @default no endpoint
   */
  metricsPort?: number
  /** Where that endpoint listens; beyond loopback only when named here. @default '127.0.0.1' */
  metricsHost?: string
}

/** Every option a {@link ConnectInit} may have (unknown ones are refused). */
const CONNECT_INIT_NAMES: readonly string[] = ['dataDir', 'swarmKey', 'fabricName', 'listen', 'timeoutMs', 'namespace', 'log', 'metricsPort', 'metricsHost']

/** A handle this driver made: its actor, the chain its calls wait on (for order), its name (`namespace\0name`), and the handle object. */
interface ActorEntry { actor: RemoteActor, chain: Promise<unknown>, name?: string, cls: string, methods: readonly string[], handle: Record<string, unknown> }

/** An actor class as a handle needs it: its methods, and the generators among them (their calls stream). */
interface ClassInfo { methods: readonly string[], streaming: ReadonlySet<string> }

function classInfo (c: { methods: readonly string[], streaming?: readonly string[] }): ClassInfo {
  return { methods: c.methods, streaming: new Set(c.streaming ?? []) }
}

/** Task options after the shared check (runtime/options.ts), as both faces resolve them. */
interface TaskPlan { resolved: ResolvedTaskOptions, scheduling: SchedulingOption, labels?: LabelSelector, placement?: PlacementOption }

/**
 * A fabric of remote nodes, driven from this process: the {@link FabricDriver} contract plus
 * `locate()` and `actorInfo()`.
 */
export class ConnectedFabric implements FabricDriver {
  readonly kind = 'connected' as const
  /** This driver's pending tasks, by ref id (for cancel). */
  private readonly cancels = new Map<string, GateEntry<Lineage, Held>>()
  /** At most so many tasks started at once: the rest wait as a small record each (see SubmitGate). */
  private readonly gate = new SubmitGate<Lineage, Held>((lineage, signal) => {
    lineage.options.signal = signal
    return this.objects.run(lineage)
  }, () => this.gateCapacity(), entry => { if (entry.key !== undefined) this.cancels.delete(entry.key) })
  private capacity = { value: 0, at: -Infinity }
  /** Live handles by actorId (several ids may name one actor: one was made before it moved). */
  private readonly actors = new Map<string, ActorEntry>()
  /** Each handle object this driver made: arguments holding one travel with its form. */
  private readonly handles = new WeakMap<object, ActorEntry>()
  /** Whether any handle was made (arguments are looked through for handles only then; a killed actor's handle still travels). */
  private madeHandles = false
  /** Names of actors this driver is creating now. */
  private readonly naming = new Set<string>()
  /** Follows this job's guest log lines on the nodes. */
  private logs: DriverLogs | undefined
  /** Libraries' metrics (addMetrics), served at metricsUrl when connected with metricsPort. */
  private readonly texts = new DriverMetrics()
  private metricsServer: MetricsServer | undefined
  private stopped = false

  /** This job's placement groups, reserved over one placement session per node (its end releases them there). */
  private readonly groups: DriverPlacementGroups
  /** Forms this job's collective groups on their members' nodes (opened on first use). */
  private collectiveSessions: CollectiveSessions | undefined

  private constructor (private readonly net: NetNode, private readonly runner: RemoteRunner, private readonly objects: RemoteObjects, private readonly job: Job, private readonly tmpDir?: string) {
    const groups = new DriverPlacementGroups(connectedTransport(net, new PlacementSessions(net, job.key, peer => { groups.nodeLost(peer) })), false)
    this.groups = groups
    const lost = (e: { info: { peer: string } }): void => { groups.nodeLost(e.info.peer) }
    net.view.on('dead', lost)
    net.view.on('leave', lost)
    net.view.on('join', () => { groups.wake() })
    net.view.on('update', () => { groups.wake() })
  }

  placementGroup (options: PlacementGroupOptions): PlacementGroup {
    this.assertRunning()
    return this.groups.create(options)
  }

  async removePlacementGroup (group: PlacementGroup): Promise<void> {
    await this.groups.remove(group)
  }

  async collectiveGroup (actors: ReadonlyArray<{ actorId: string }>, options: CollectiveGroupOptions = {}): Promise<CollectiveGroup> {
    this.assertRunning()
    this.collectiveSessions ??= new CollectiveSessions(this.net)
    const sessions = this.collectiveSessions
    const job = this.job.key
    return await formGroup(actors, options, {
      locate: (actorId) => {
        const at = parseActorAddress(actorId)
        if (at.peer === undefined) throw new TypeError(`collectiveGroup: ${actorId} does not name an actor of a node (a handle of this driver has <id>@<PeerId>)`)
        return { peer: at.peer, actor: at.actor }
      },
      join: async (peer, spec) => { await sessions.join(peer, spec, job) },
      leave: async (peer, id) => { await sessions.leave(peer, id, job) }
    })
  }

  get jobId (): string {
    return this.job.id
  }

  get namespace (): string {
    return this.job.namespace
  }

  /**
   * Connect to the fabric that `address` (a node's multiaddr) belongs to, and wait until a node
   * offering CPUs is in view.
   *
   * @example
   * const fabric = await Fabric.connect('/ip4/10.0.0.5/tcp/7400/p2p/12D3KooW...')
   * const m = await fabric.load<Module>('build/tasks.wasm')
   * console.log(await fabric.get(m.add.remote(1, 2)))
   * await fabric.stop()
   */
  static async connect (address: string | string[] | undefined = process.env.FABRIC_ADDRESS, init: ConnectInit = {}): Promise<ConnectedFabric> {
    if (address === undefined || address.length === 0) {
      throw new TypeError('Fabric.connect needs the multiaddr of a fabric node (or FABRIC_ADDRESS, which `fabric run --address` sets)')
    }
    const unknown = Object.keys(init).filter(k => !CONNECT_INIT_NAMES.includes(k))
    if (unknown.length > 0) throw new TypeError(`Fabric.connect: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${CONNECT_INIT_NAMES.join(', ')})`)
    const job = newJob(init.namespace, 'Fabric.connect')
    // A private fabric's key from the environment (`fabric submit` jobs get FABRIC_SWARM_KEY_FILE from their node).
    const keyFile = process.env.FABRIC_SWARM_KEY_FILE
    const swarmKey = init.swarmKey ?? (keyFile === undefined || keyFile === '' ? undefined : await readSwarmKey(keyFile))
    const tmpDir = init.dataDir === undefined ? await mkdtemp(path.join(os.tmpdir(), 'fabric-driver-')) : undefined
    let runner: RemoteRunner | undefined
    let objects: RemoteObjects | undefined
    const net = await createNetNode({
      dataDir: init.dataDir ?? tmpDir!,
      listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: Array.isArray(address) ? address : [address],
      ...(swarmKey === undefined ? {} : { swarmKey }),
      ...((init.fabricName ?? envName()) === undefined ? {} : { fabricName: init.fabricName ?? envName()! }),
      // A driver offers nothing: no task is placed on it.
      resources: () => fixedResources({}, { labels: { role: 'driver' } }),
      // The nodes this job sent work to pull its components and large puts from it, presenting its key.
      objects: { get: (cid, _from, key) => key === job.key ? runner?.componentBytes(cid) ?? objects?.servedBytes(cid) : undefined },
      job: job.key
    })
    runner = new RemoteRunner(net)
    objects = new RemoteObjects(net, runner)
    const fabric = new ConnectedFabric(net, runner, objects, job, tmpDir)
    if (init.metricsPort !== undefined) {
      try {
        const { startMetricsServer } = await import('../metrics/index.js')
        fabric.metricsServer = await startMetricsServer(fabric.texts, { port: init.metricsPort, ...(init.metricsHost === undefined ? {} : { host: init.metricsHost }) })
      } catch (err) {
        await fabric.stop()
        throw err
      }
    }
    if (init.log !== false) {
      fabric.logs = new DriverLogs(net, job.id, init.log ?? printLogLine)
      fabric.logs.start()
    }
    const deadline = Date.now() + (init.timeoutMs ?? 30_000)
    while (fabric.nodes().length === 0) {
      if (Date.now() > deadline) {
        await fabric.stop()
        throw new GetTimeoutError(`no node offering CPUs appeared within ${init.timeoutMs ?? 30_000} ms of connecting to ${String(address)} (is a \`fabric join\` node running there, with the same --secret and --name?)`)
      }
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    announceStarted({ kind: 'connected', fabric })
    return fabric
  }

  /**
   * Rows of the state API (what `fabric list` shows), asked of a node in view, which merges every
   * node's: e.g. `list('jobs', { job: fabric.jobId })` for this job's task counts.
   * @throws PeerUnreachableError when no node answers
   */
  async list (what: StateKind, filters: Record<string, string> = {}, limit = 1000): Promise<StateReply> {
    this.assertRunning()
    let last: Error | undefined
    for (const node of this.nodes().filter(n => n.state === 'alive')) {
      try {
        return await this.net.requestState(node.peer, { type: 'list', what, filters, limit }, { timeoutMs: 10_000 })
      } catch (err) {
        last = err as Error
      }
    }
    throw last ?? new InfeasibleTaskError('no node offering CPUs is in this driver\'s view of the fabric')
  }

  /** The nodes this driver can place tasks on: PeerId, state, CPUs free/total. */
  nodes (): Array<NodeSummary & { peer: string }> {
    return this.net.view.peers()
      .filter(p => p.info.resources.total.cpus > 0)
      .map(p => ({ id: p.info.peer, peer: p.info.peer, state: p.state, cpus: { available: p.info.resources.available.cpus, total: p.info.resources.total.cpus } }))
  }

  /** This driver's PeerId. */
  get id (): string {
    return this.net.peerId
  }

  /** Refs this driver holds now (they go when the program drops them; for tests of that). */
  heldRefs (): number {
    return this.objects.size
  }

  /**
   * Load a component (a `.wasm` path or its bytes) for the nodes to run: a node in the fabric
   * pulls it and says what it exports (its manifest), so the module has exactly the component's
   * tasks (`.remote()`; a generator's returns an async stream of refs) and actor classes
   * (`.create()`), as with {@link Fabric.load}.
   *
   * @throws InvalidComponentError (from the node) for bytes that are not a fabric component
   */
  async load<M = UntypedModule> (source: string | Uint8Array): Promise<M> {
    this.assertRunning()
    const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source
    const cid = this.runner.addComponent(bytes)
    const manifest = await this.describe(cid)
    const m: Record<string, unknown> = {}
    for (const t of manifest.tasks) m[t.name] = this.remoteFunction(cid, t.name, t.streaming, t.memo === true ? { memo: true } : {}, manifest.sdk)
    for (const a of manifest.actors) m[a.name] = this.remoteClass(cid, a.name, classInfo(a), {})
    return Object.freeze(m) as M
  }

  /** The component's manifest, from the first node that answers (it pulls and compiles the component). */
  private async describe (cid: string): Promise<Manifest> {
    const failures: Error[] = []
    const nodes = this.runner.rank(`component ${cid}`, { cpus: 0, gpus: 0, memoryMb: 0, custom: {} }, undefined, new Set())
    for (const node of nodes) {
      try {
        return await this.net.describeComponent(node.info.peer, cid)
      } catch (err) {
        if ((err as Error).name !== 'PeerUnreachableError') throw err
        failures.push(err as Error)
      }
    }
    throw failures[failures.length - 1] ?? new InfeasibleTaskError('no node offering CPUs is in this driver\'s view of the fabric')
  }

  private remoteFunction (cid: string, name: string, streaming: boolean, options: TaskOptions, sdk: string): RemoteFunction<unknown[], unknown> {
    const plan = driverTaskOptions(options, `task '${name}'`)
    const submitter = (call: string, o: TaskOptions): (...args: unknown[]) => ObjectRef => {
      const p = driverTaskOptions(o, `task '${call}'`)
      return (...args) => this.submitTask(cid, call, args, p)
    }
    return {
      ...vectorisedCalls({ task: name, streaming, sdk, cid, submitter }, options),
      remote: (...args: unknown[]) => streaming ? this.streamTask(cid, name, args, plan) : this.submitTask(cid, name, args, plan),
      options: (more: TaskOptions) => this.remoteFunction(cid, name, streaming, { ...options, ...more }, sdk)
    } as RemoteFunction<unknown[], unknown>
  }

  private remoteClass (cid: string, cls: string, info: ClassInfo, options: ActorOptions): RemoteActorClass<unknown[], Record<string, (...args: unknown[]) => unknown>> {
    const plan = driverActorOptions(options, `actor '${cls}'`)
    return {
      create: async (...args: unknown[]) => await this.createActor(cid, cls, info, args, plan, options),
      options: (more: ActorOptions) => this.remoteClass(cid, cls, info, { ...options, ...more })
    } as RemoteActorClass<unknown[], Record<string, (...args: unknown[]) => unknown>>
  }

  /** A generator task: its items arrive as refs, in order, as the node yields them. */
  private streamTask (cid: string, name: string, args: unknown[], plan: TaskPlan): AsyncIterable<ObjectRef> {
    const lineage = this.lineage(cid, name, args, plan)
    const queue: ObjectRef[] = []
    const waiters: Array<() => void> = []
    let finished = false
    let failure: Error | undefined
    const wake = (): void => { for (const w of waiters.splice(0)) w() }
    this.objects.runStream(lineage, held => { queue.push(this.hold(Promise.resolve(held))); wake() })
      .then(() => { finished = true; wake() }, (err: Error) => { failure = err; finished = true; wake() })
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<ObjectRef>> => {
          while (queue.length === 0 && !finished) await new Promise<void>(resolve => waiters.push(resolve))
          if (queue.length > 0) return { done: false, value: queue.shift()! }
          if (failure !== undefined) throw failure
          return { done: true, value: undefined }
        },
        return: async (): Promise<IteratorResult<ObjectRef>> => ({ done: true, value: undefined })
      })
    }
  }

  private submitTask (cid: string, name: string, args: unknown[], plan: TaskPlan): ObjectRef {
    const { result, entry } = this.gate.submit(this.lineage(cid, name, args, plan))
    const ref = this.hold(result)
    // Forgotten as the gate ends it (see the gate's `ended`).
    entry.key = ref.id
    this.cancels.set(ref.id, entry)
    return ref
  }

  /**
   * How many tasks may be started at once: as many as every node's in-flight limit allows (each
   * started one is an async chain whose garbage outlives scavenges while it waits), read from the
   * view at most every 100 ms.
   */
  private gateCapacity (): number {
    const now = performance.now()
    if (now - this.capacity.at > 100) {
      // Nodes that run tasks (drivers in the view offer no CPUs).
      const nodes = this.net.view.peers().filter(p => p.state === 'alive' && p.info.resources.total.cpus > 0).length
      this.capacity = { value: RemoteRunner.MAX_IN_FLIGHT_PER_NODE * Math.max(1, nodes), at: now }
    }
    return this.capacity.value
  }

  /**
   * Cancel the task behind a ref: queued work is dropped, running work stopped (on its node), and
   * `get` throws TaskCancelledError. Returns whether the task was still pending.
   */
  cancel (ref: ObjectRef): boolean {
    assertRef(ref, 'cancel')
    const entry = this.cancels.get(ref.id)
    if (entry === undefined) return false
    this.cancels.delete(ref.id)
    return this.gate.cancel(entry, new TaskCancelledError(`${ref.toString()} was cancelled`))
  }

  /** A task call as the objects table runs it (and runs it again to rebuild its result). */
  private lineage (cid: string, name: string, given: unknown[], { resolved, scheduling, labels, placement }: TaskPlan): Lineage {
    this.assertRunning()
    const args = this.travel(given)
    this.checkArgs(args, `${name}.remote`)
    const bundle = placement === undefined ? undefined : this.groups.resolve(placement, resolved.resources, `task '${name}'`).locator
    // Field by field (one per task, kept while its ref lives for lineage): no spread's temporaries.
    const options: Lineage['options'] = { maxRetries: resolved.maxRetries, demand: resolved.resources }
    if (resolved.timeoutMs !== undefined) options.timeoutMs = resolved.timeoutMs
    if (scheduling !== 'default') options.scheduling = scheduling
    if (labels !== undefined) options.labels = labels
    if (bundle !== undefined) options.bundle = bundle
    if (resolved.retryExceptions !== false) options.retryExceptions = resolved.retryExceptions
    if (resolved.memo === true) options.memo = true
    return { component: cid, name, args, options }
  }

  private async createActor (cid: string, cls: string, info: ClassInfo, given: unknown[], { resolved, scheduling, labels, placement }: { resolved: ResolvedActorOptions, scheduling: SchedulingOption, labels?: LabelSelector, placement?: PlacementOption }, options: ActorOptions): Promise<Record<string, unknown>> {
    this.assertRunning()
    const bundle = placement === undefined ? undefined : this.groups.resolve(placement, resolved.resources, `actor '${cls}'`).locator
    const args = this.travel(given)
    this.checkArgs(args, `${cls}.create`)
    const name = resolved.name
    const namespace = resolved.namespace ?? this.job.namespace
    const named = name === undefined ? undefined : `${namespace}\u0000${name}`
    if (named !== undefined && (this.naming.has(named) || [...this.actors.values()].some(a => a.name === named && !a.actor.isDead))) {
      throw new TypeError(`an actor named '${name}' already exists in namespace '${namespace}': names are unique in a namespace while the actor lives`)
    }
    // Names are unique across the fabric view: RemoteActor checks the nodes before and after it creates.
    if (named !== undefined) this.naming.add(named)
    try {
      // Refs among the arguments travel as what they stand for (a value, or a CID and holders).
      const nested = await this.objects.nestedOf(args, `actor '${cls}' constructor`)
      // Where the actor runs is decided here: the node gets only what it needs to run it.
      const nodeOptions = { ...Object.fromEntries(Object.entries(options).filter(([k]) => !PLACEMENT_OPTION_NAMES.includes(k))), namespace }
      const actor = await RemoteActor.create(this.net, this.runner, {
        component: cid,
        cls,
        args: encode(args),
        ...(nested.length === 0 ? {} : { nested }),
        demand: resolved.resources,
        ...(scheduling === 'default' ? {} : { scheduling }),
        ...(labels === undefined ? {} : { labels }),
        ...(bundle === undefined ? {} : { bundle }),
        maxRestarts: resolved.maxRestarts,
        maxTaskRetries: resolved.maxTaskRetries,
        nodeOptions: nodeOptions as Record<string, unknown>,
        ...(name === undefined ? {} : { name, namespace })
      })
      keepAlive(args) // until the node has pulled what they stand for
      return this.handleOf(actor, cls, info, named)
    } finally {
      if (named !== undefined) this.naming.delete(named)
    }
  }

  /**
   * Refuse, now, arguments that cannot travel: values that are not data (CodecError naming the
   * argument), refs of another fabric or freed ones.
   */
  private checkArgs (args: unknown[], what: string): void {
    for (const [i, a] of args.entries()) {
      if (a instanceof ObjectRef) {
        void this.objects.heldOf(a)
        continue
      }
      for (const r of findRefs(a)) void this.objects.heldOf(r)
      try {
        encode(a)
      } catch (err) {
        ;(err as Error).message = `${what}: argument ${i + 1}: ${(err as Error).message}`
        throw err
      }
    }
  }

  /**
   * A handle: `actorId` (the actor's address, `<id on its node>@<PeerId>`, which guests can call)
   * and each method with `.remote()`. One handle per address: asked again (getActor, actorHandle),
   * the same one comes back, and a second session to that actor is closed.
   */
  private handleOf (actor: RemoteActor, cls: string, info: ClassInfo, name?: string): Record<string, unknown> {
    const actorId = actor.actorId === undefined || actor.peer === undefined ? flatUuid('d-actor-') : formatActorAddress({ actor: actor.actorId, peer: actor.peer })
    const known = this.actors.get(actorId)
    if (known !== undefined && !known.actor.isDead) {
      if (known.actor !== actor) void actor.close().catch(() => {})
      return known.handle
    }
    const handle: Record<string, unknown> = { actorId }
    const entry: ActorEntry = { actor, chain: Promise.resolve(), cls, methods: info.methods, handle, ...(name === undefined ? {} : { name }) }
    this.actors.set(actorId, entry)
    /** A value from the actor's node as this driver holds it: refs inside it (by the node's ids) become refs of this driver. */
    const held = (out: { value: Uint8Array, nested?: ResultRef[], peer: string }): Held => {
      const value = decode(out.value)
      return { value: out.nested === undefined ? value : this.objects.adopt(value, out.nested, out.peer) }
    }
    for (const method of info.methods) {
      const streaming = info.streaming.has(method)
      handle[method] = {
        remote: (...given: unknown[]) => {
          this.assertRunning()
          const args = this.travel(given)
          this.checkArgs(args, `${cls}.${method}.remote`)
          // Calls reach the actor in the order they are made, each once its ref arguments are
          // ready; refs travel as what they stand for (the node passes a whole-argument ref's value).
          const ready = entry.chain.then(async () => await this.objects.nestedOf(args, `actor method '${method}'`))
          entry.chain = ready.catch(() => {})
          if (!streaming) {
            return this.hold(ready.then(async nested => {
              const out = await actor.invoke(method, encode(args), { nested })
              keepAlive(args) // until the node has pulled what they stand for
              return held(out)
            }))
          }
          // A generator method: each value comes as a ref while the method runs; its error ends the stream.
          const stream = new RefStream<ObjectRef>()
          ready.then(async nested => {
            await actor.invoke(method, encode(args), { nested, onItem: item => { if (!stream.closed) stream.push(this.hold(Promise.resolve(held(item)))) } })
            keepAlive(args)
          }).then(() => { stream.end() }, (err: Error) => { stream.end(err) })
          return stream
        }
      }
    }
    this.handles.set(handle, entry)
    this.madeHandles = true
    return Object.freeze(handle)
  }

  /**
   * `values` with this driver's handles replaced by the form they travel as: `{ actorId }` with the
   * actor's address now (after a restart on another node, its new one).
   */
  private travel<T> (values: T): T {
    if (!this.madeHandles) return values
    return withHandleForms(values, h => {
      const e = this.handles.get(h)
      if (e === undefined) return undefined
      const { actorId, peer } = e.actor
      return { actorId: actorId === undefined || peer === undefined ? (e.handle as { actorId: string }).actorId : formatActorAddress({ actor: actorId, peer }) }
    }) as T
  }

  /** A ref to what a task gives (or will, once `held` settles). */
  private hold (held: Promise<Held>): ObjectRef {
    return this.objects.newRef(held)
  }

  /**
   * Store a value in the fabric: kept by this driver (a large one is served by CID to the nodes
   * whose tasks take it, so it crosses the network once per node, not once per task).
   */
  put<T> (given: T): ObjectRef<T> {
    this.assertRunning()
    const value = this.travel(given)
    for (const r of findRefs(value)) void this.objects.heldOf(r) // a foreign or freed ref fails now
    let bytes: Uint8Array
    try {
      bytes = encode(value)
    } catch (err) {
      ;(err as Error).message = `put: ${(err as Error).message}`
      throw err
    }
    return this.hold(this.objects.put(value, bytes)) as ObjectRef<T>
  }

  /** A live named actor of this job's namespace (or `options.namespace`): one this driver created, or one any node in view hosts. */
  async getActor<I = Record<string, (...args: unknown[]) => unknown>> (name: string, options?: GetActorOptions): Promise<ActorHandle<I>> {
    this.assertRunning()
    const namespace = namespaceOf(options, this.job.namespace)
    const named = `${namespace}\u0000${name}`
    for (const e of this.actors.values()) if (e.name === named && !e.actor.isDead) return e.handle as ActorHandle<I>
    const found = await findNamedActor(this.net, this.runner, name, namespace)
    // Not kept under the name: another job's actor may be gone by the next look.
    return this.handleOf(found.actor, found.cls, classInfo(found)) as ActorHandle<I>
  }

  /**
   * A callable handle from what names a live actor: its actorId (`<id>@<PeerId>`) or the form a
   * handle travels as (`{ actorId }`, e.g. a task's result). This driver's own actor gives its own
   * handle (calls keep their order and its restarts); another's is attached to on its node, as
   * getActor attaches to a named one (never restarted from here).
   *
   * @throws ActorNotFoundError when its node is not in view or has no such live actor;
   *   TypeError (BadActorAddressError) for a malformed id
   */
  async actorHandle<I = Record<string, (...args: unknown[]) => unknown>> (actor: string | { readonly actorId: string }): Promise<ActorHandle<I>> {
    this.assertRunning()
    const own = typeof actor === 'object' && actor !== null ? this.handles.get(actor) : undefined
    if (own !== undefined) return own.handle as ActorHandle<I>
    const { actor: id, peer } = addressOf(actor)
    if (peer === undefined) throw new ActorNotFoundError(`actor ${id} names no node: across nodes an actorId is '<id>@<PeerId>' (pass the handle, or its actorId, as the fabric gave it)`)
    const known = this.actors.get(formatActorAddress({ actor: id, peer })) ?? [...this.actors.values()].find(e => e.actor.peer === peer && e.actor.actorId === id)
    if (known !== undefined && !known.actor.isDead) return known.handle as ActorHandle<I>
    const found = await attachActor(this.net, this.runner, peer, id)
    return this.handleOf(found.actor, found.cls, classInfo(found)) as ActorHandle<I>
  }

  /**
   * Kill an actor: its calls not yet answered fail with ActorDiedError; it is not restarted. Its
   * node honours it from the job that created it, or for a detached actor from a handle found by
   * name in its namespace.
   *
   * @throws PermissionDeniedError when the actor's node refused (the handle ends with it)
   */
  async isActorAlive (handle: { actorId: string }): Promise<boolean> {
    const e = this.actors.get(handle.actorId)
    return e !== undefined && !e.actor.isDead
  }

  async kill (handle: { actorId: string }): Promise<void> {
    const e = this.actors.get(handle.actorId)
    if (e === undefined) return
    try {
      await e.actor.kill()
    } finally {
      this.actors.delete(handle.actorId)
      for (const [id, other] of this.actors) if (other.actor === e.actor) this.actors.delete(id)
    }
  }

  /**
   * Where the actor behind a handle lives now (its node's PeerId) and how often it was restarted:
   * in place on its node and on other nodes together, never more than its maxRestarts (0 for a
   * handle from getActor of an actor another driver made).
   */
  actorInfo (handle: { actorId: string }): { peer?: string, restarts: number } {
    const e = this.actors.get(handle.actorId)
    if (e === undefined) throw new ForeignRefError(`actor ${handle.actorId} was not made by this connection`)
    return { ...(e.actor.peer === undefined ? {} : { peer: e.actor.peer }), restarts: e.actor.restartCount }
  }

  /** The value behind a ref (or each of several, typed position by position): waits for its task; throws the task's error. */
  async get<T> (ref: ObjectRef<T>, options?: GetOptions): Promise<T>
  async get<const T extends readonly ObjectRef[]> (refs: T, options?: GetOptions): Promise<ValuesOf<T>>
  async get (refOrRefs: ObjectRef | readonly ObjectRef[], options: GetOptions = {}): Promise<unknown> {
    const many = Array.isArray(refOrRefs)
    const refs = (many ? refOrRefs : [refOrRefs]) as readonly ObjectRef[]
    for (const r of refs) assertRef(r, 'get')
    const all = Promise.all(refs.map(async r => await this.objects.value(await this.objects.heldOf(r))))
    let values: unknown[]
    if (options.timeoutMs === undefined) {
      values = await all
    } else {
      let timer: NodeJS.Timeout | undefined
      const what = many ? `${refs.length} refs were` : `${refs[0]!.toString()} was`
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new GetTimeoutError(`${what} not ready within ${options.timeoutMs} ms`)), options.timeoutMs)
      })
      all.catch(() => {}) // the timeout may win; the refs' own errors are not unhandled then
      try {
        values = await Promise.race([all, timeout])
      } finally {
        clearTimeout(timer)
      }
    }
    return many ? values : values[0]
  }

  /** Wait until `numReturns` of `refs` are done (or the timeout passes), as {@link Fabric.wait}. */
  async wait<T extends ObjectRef> (refs: readonly T[], options: WaitOptions = {}): Promise<{ ready: T[], pending: T[] }> {
    for (const r of refs) assertRef(r, 'wait')
    const numReturns = checkNumReturns(options.numReturns, refs.length)
    for (const r of refs) void this.objects.heldOf(r) // a foreign or freed ref fails now
    const readyNow = (): T[] => refs.filter(r => this.objects.isSettled(r.id))
    if (readyNow().length < numReturns) {
      // Only refs still pending get a handler; done ones are known without one.
      await new Promise<void>(resolve => {
        let count = readyNow().length
        // The pending ids, each with how many times refs names it.
        const want = new Map<string, number>()
        for (const r of refs) if (!this.objects.isSettled(r.id)) want.set(r.id, (want.get(r.id) ?? 0) + 1)
        const done = (): void => {
          clearTimeout(timer)
          off()
          resolve()
        }
        const timer = options.timeoutMs === undefined ? undefined : setTimeout(done, options.timeoutMs)
        const off = this.objects.onSettled(id => {
          const n = want.get(id)
          if (n === undefined) return
          want.delete(id)
          if ((count += n) >= numReturns) done()
        })
      })
    }
    // As the embedded fabric: at most numReturns ready, in the order given.
    const ready = new Set(readyNow().slice(0, Math.max(numReturns, 0)).map(r => r.id))
    return { ready: refs.filter(r => ready.has(r.id)), pending: refs.filter(r => !ready.has(r.id)) }
  }

  /**
   * Where the object behind a ref is (once its task finished): `inline` for a value this driver
   * holds, or its CID and the PeerIds of the nodes holding it (this driver's own for a large put).
   */
  async locate (ref: ObjectRef): Promise<{ inline: true } | { cid: string, size: number, holders: string[] }> {
    const held = await this.objects.heldOf(ref)
    return held instanceof RemoteObject ? { cid: held.cid, size: held.size, holders: [...held.holders] } : { inline: true }
  }

  /** Release objects now: later gets fail; copies on nodes are dropped. */
  free (refs: ObjectRef | readonly ObjectRef[]): void {
    for (const r of Array.isArray(refs) ? refs as readonly ObjectRef[] : [refs as ObjectRef]) {
      assertRef(r, 'free')
      this.objects.free(r)
    }
  }

  /** Leave the fabric (the nodes keep running). Idempotent. */
  /** `http://HOST:PORT/metrics` when connected with `metricsPort`. */
  get metricsUrl (): string | undefined {
    return this.metricsServer?.url
  }

  addMetrics (collect: () => Promise<string>): () => void {
    return this.texts.add(collect)
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.logs?.stop()
    // The nodes release this job's bundles as its placement sessions end (with the net node, below).
    this.groups.stop()
    await this.metricsServer?.stop()
    // This driver's actors go with it (their nodes kill an actor whose owner's session ends).
    await Promise.all([...new Set([...this.actors.values()].map(e => e.actor))].map(async a => await a.close().catch(() => {})))
    this.actors.clear()
    await this.objects.releaseAll()
    await this.net.stop({ leave: true })
    if (this.tmpDir !== undefined) await rm(this.tmpDir, { recursive: true, force: true })
  }

  private assertRunning (): void {
    if (this.stopped) throw new FabricStoppedError('this connection to the fabric is stopped')
  }
}

/** The fabric name a submitted job's node gives it (FABRIC_NAME), when set. */
function envName (): string | undefined {
  const name = process.env.FABRIC_NAME
  return name === undefined || name === '' ? undefined : name
}

/** Keep `value` reachable until here: refs among call arguments live until the node has them. */
function keepAlive (value: unknown): void {
  if (value === keepAlive) throw new Error('unreachable')
}
