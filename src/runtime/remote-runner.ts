// A caller's tasks across nodes (RemoteRunner): placed on the fabric's nodes by the fabric policy
// from the caller's view, sent over /fabric/task/1 (sent back and placed again on spillback), and
// resubmitted elsewhere when their node dies.
import type { Abortable } from '../errors/index.js'
import { MAX_SPILLBACKS, type NestedRef, type NetNode, type PeerEntry, type RefArg, type RemoteTask, type ResultRef, type TaskOutcome } from '../net/index.js'
import { cidOfBytesSync } from '../objects/cid.js'
import { decode, encode } from '../objects/index.js'
import { RetriesExhaustedError } from './errors.js'
import type { BundleLocator } from './interface.js'
import { defaultFabricPolicy, type FabricPolicy, type LabelSelector, type PlacementRequest, type Resources, type Scheduling } from '../scheduler/index.js'

/** What a remote task gave: its value, or the CID of a large result kept by `peer`; and the node that ran it. */
export type RemoteResult = ({ value: unknown, object?: undefined } | { object: { cid: string, size: number }, value?: undefined }) & {
  peer: string
  /** Object arguments the node pulled and now holds too. */
  copies: string[]
  /** Refs inside the value, by the node's ids (see {@link ResultRef}). */
  nested?: ResultRef[]
}

/** Times a task is tried again on a node still in the view before that node is given up. */
const MAX_STALLS_PER_NODE = 3

/** Options of {@link RemoteRunner.submit}. */
export interface RemoteSubmitOptions {
  /** Times a task is resubmitted after its node died or became unreachable. @default 3 */
  maxRetries?: number
  /** The job the task is part of (its key; see job.ts). @default the net node's own (a driver's) */
  job?: string
  timeoutMs?: number
  /** What the task holds while it runs (placement, and the node's own accounting). @default 1 CPU */
  demand?: Resources
  scheduling?: Scheduling
  /** Node labels the task needs (hard) or prefers (soft). */
  labels?: LabelSelector
  /** Application errors the node retries (on the node, up to maxRetries), as in TaskOptions. @default false */
  retryExceptions?: boolean | string[]
  /** Reuse a result the fabric holds for the same call (the node looks it up; see runtime/memo.ts). @default false */
  memo?: boolean
  /**
   * A generator's items, in order. After a resubmission the items already given are skipped (the
   * generator is assumed deterministic, as Ray does).
   */
  onItem?: (item: TaskOutcome, peer: string) => void
  /** Aborting it cancels the task (on its node too); the submit rejects with the abort's reason. */
  signal?: Abortable
  /** The placement group bundle it runs in: it goes where the bundle is, asking for the bundle's resources (not with scheduling or labels). */
  bundle?: BundleLocator
}

/** The node's options of a task (failures there, a worker crash or a retried exception, are retried there; a lost node here). */
function taskOptions (options: RemoteSubmitOptions, maxRetries: number): Record<string, unknown> {
  const o: Record<string, unknown> = options.demand === undefined ? {} : demandOptions(options.demand)
  o.maxRetries = maxRetries
  if (options.retryExceptions !== undefined) o.retryExceptions = options.retryExceptions
  if (options.memo === true) o.memo = true
  return o
}

/** Bytes of a task's object arguments each node holds already (placement prefers those nodes). */
function bytesPerHolder (refs: RefArg[]): (peer: string) => number {
  const local = new Map<string, number>()
  for (const r of refs) for (const h of r.holders) local.set(h, (local.get(h) ?? 0) + r.size)
  return peer => local.get(peer) ?? 0
}

/** runTask's options for a task that neither streams nor can be cancelled. */
const NO_RUN_OPTIONS = Object.freeze({})

const DEFAULT_DEMAND: Resources = Object.freeze({ cpus: 1, gpus: 0, memoryMb: 0, custom: Object.freeze({}) as Record<string, number> })

/** The wire form of a demand (the task protocol's `options`). */
export function demandOptions (d: Resources): Record<string, unknown> {
  return { cpus: d.cpus, gpus: d.gpus, memoryMb: d.memoryMb, resources: d.custom }
}

/**
 * Places tasks on the nodes of a fabric from the caller's net view: each task goes to the alive
 * node (offering CPUs) with the fewest tasks in flight from this caller, ties broken by the
 * node's gossiped free CPUs; a task whose node dies or drops the stream is resubmitted on
 * another, up to `maxRetries` times. The caller serves its components to the nodes over
 * `/fabric/object/1`.
 */
export class RemoteRunner {
  /** Tasks this caller keeps in flight on one node at most; the rest wait here for a slot. */
  static readonly MAX_IN_FLIGHT_PER_NODE = 128
  private readonly components = new Map<string, Uint8Array>()
  private readonly inFlight = new Map<string, number>()
  /** Tasks and actors placed per node in all (spread takes turns by it). */
  private readonly placed = new Map<string, number>()
  /** This caller's actors per node. */
  private readonly actors = new Map<string, number>()
  /** The node that finished this caller's last task. */
  private lastPeer?: string
  private readonly slotWaiters: Array<() => void> = []
  /** Tasks nodes sent back (spillback) so far. */
  spillbacks = 0

  /**
   * @param net the caller's net node: its view is where tasks go
   * @param policy ranks the nodes (the fabric policy)
   */
  constructor (private readonly net: NetNode, private readonly policy: FabricPolicy = defaultFabricPolicy) {}

  /** Register a component's bytes (served to the nodes that run its tasks); returns its CID. */
  addComponent (bytes: Uint8Array): string {
    const cid = cidOfBytesSync(bytes)
    this.components.set(cid, bytes)
    return cid
  }

  /** For the net node's object source: the components this caller serves. */
  componentBytes (cid: string): Uint8Array | undefined {
    return this.components.get(cid)
  }

  /** Nodes for work with this demand, best first (the fabric policy's rank); actors placed count as load. */
  rank (what: string, demand: Resources, scheduling: Scheduling | undefined, exclude: ReadonlySet<string>, localBytes?: (peer: string) => number, labels?: LabelSelector): PeerEntry[] {
    const req: PlacementRequest = { demand, scheduling, exclude, what }
    if (labels !== undefined) req.labels = labels
    if (localBytes !== undefined) req.localBytes = localBytes
    if (this.lastPeer !== undefined) req.warm = this.lastPeer
    return this.policy.rank(this.net.view.peerList(), req, this.loadOf, this.placedOn)
  }

  /** This caller's work on node `peer`: tasks in flight and actors placed (the rank's load). */
  private readonly loadOf = (peer: string): number => (this.inFlight.get(peer) ?? 0) + (this.actors.get(peer) ?? 0)
  private readonly placedOn = (peer: string): number => this.placed.get(peer) ?? 0

  /** Count an actor placed on (+1) or gone from (-1) node `peer`. */
  actorPlaced (peer: string, delta: 1 | -1): void {
    this.actors.set(peer, Math.max(0, (this.actors.get(peer) ?? 0) + delta))
    if (delta > 0) this.placed.set(peer, (this.placed.get(peer) ?? 0) + 1)
  }

  /**
   * Where the next task goes (the fabric policy's rank): the node a spillback named when it is
   * alive, not excluded and may run it; nodes that spilled the task back come last.
   */
  private place (name: string, options: RemoteSubmitOptions, exclude: Set<string>, causes: Error[], localBytes: ((peer: string) => number) | undefined, spill?: { from: Set<string>, to?: string }): PeerEntry {
    if (spill !== undefined) {
      const to = spill.to === undefined ? undefined : this.net.view.get(spill.to)
      if (to !== undefined && to.state === 'alive' && !exclude.has(to.info.peer) && typeof options.scheduling !== 'object' &&
        this.policy.mayRun(to, options.demand ?? DEFAULT_DEMAND, options.labels)) return to
      const others = new Set([...exclude, ...spill.from])
      try {
        return this.rank(`task '${name}'`, options.demand ?? DEFAULT_DEMAND, options.scheduling, others, localBytes, options.labels)[0]!
      } catch {
        // Every node left sent it back: take the best of all (the task is queued there).
      }
    }
    try {
      return this.rank(`task '${name}'`, options.demand ?? DEFAULT_DEMAND, options.scheduling, exclude, localBytes, options.labels)[0]!
    } catch (err) {
      if (causes.length > 0) (err as Error).message += ` (failures: ${causes.slice(-4).map(c => c.message).join('; ')})`
      throw err
    }
  }

  /**
   * Run task `name` of component `cid` with `args` somewhere in the fabric (`refs`: arguments that
   * are objects held by nodes; their `args` slots are ignored). Resolves to the decoded result, or
   * the CID of a large result kept by the node, and the node that ran it.
   */
  async submit (cid: string, name: string, args: unknown[], options: RemoteSubmitOptions = {}, refs: RefArg[] = [], nested: NestedRef[] = []): Promise<RemoteResult> {
    if (!this.components.has(cid)) throw new TypeError(`component ${cid} was not added to this runner (addComponent)`)
    const maxRetries = options.maxRetries ?? 3
    const slots = refs.length === 0 ? args : args.map((a, i) => refs.some(r => r.index === i) ? null : a)
    // Built field by field, not from spreads: the driver makes one per task, and each spread of an
    // optional field was one more object to collect.
    const task: RemoteTask = { type: 'run', id: '', component: cid, name, args: encode(slots), options: taskOptions(options, maxRetries) }
    if (refs.length > 0) task.refs = refs
    if (nested.length > 0) task.nested = nested
    if (options.timeoutMs !== undefined) task.timeoutMs = options.timeoutMs
    if (options.job !== undefined) task.job = options.job
    const failed = new Set<string>()
    const causes: Error[] = []
    /** Failures per node still in the view: a busy node (compiling a component, a deep queue) can miss a deadline without being gone. */
    let stalls: Map<string, number> | undefined
    const localBytes = refs.length === 0 ? undefined : bytesPerHolder(refs)
    /** Stream items given to the caller so far (over all attempts). */
    let delivered = 0
    /** Nodes that sent the task back, and where the last one suggested. A hard node affinity is never spilled. */
    let spill: { from: Set<string>, to?: string } | undefined
    let spilled = typeof options.scheduling === 'object' && options.scheduling.soft !== true ? MAX_SPILLBACKS : 0
    for (let attempt = 0; ; attempt++) {
      let peer: string
      let request = task
      if (options.bundle !== undefined) {
        // In a placement group: where its bundle is (once placed; placed again after a node failed it), never spilled.
        const at = await options.bundle.locate(failed, options.signal)
        peer = at.peer
        request = { ...task, options: { ...task.options, ...demandOptions(at.demand) } }
        spilled = MAX_SPILLBACKS
      } else {
        let node = this.place(name, options, failed, causes, localBytes, spill)
        while ((this.inFlight.get(node.info.peer) ?? 0) >= RemoteRunner.MAX_IN_FLIGHT_PER_NODE) {
          await new Promise<void>(resolve => this.slotWaiters.push(resolve))
          node = this.place(name, options, failed, causes, localBytes, spill)
        }
        peer = node.info.peer
      }
      this.inFlight.set(peer, (this.inFlight.get(peer) ?? 0) + 1)
      this.placed.set(peer, (this.placed.get(peer) ?? 0) + 1)
      try {
        let seen = 0
        const onItem = options.onItem === undefined
          ? undefined
          : (item: TaskOutcome): void => {
              if (++seen <= delivered) return
              delivered++
              options.onItem!(item, peer)
            }
        options.signal?.throwIfAborted()
        const outcome = await this.net.runTask(peer, spilled === 0 ? request : { ...request, spilled }, onItem === undefined && options.signal === undefined ? NO_RUN_OPTIONS : { onItem, signal: options.signal })
        this.lastPeer = peer
        const copies = outcome.copies ?? []
        if ('object' in outcome) return { object: outcome.object, peer, copies }
        const result: RemoteResult = { value: decode(outcome.value), peer, copies }
        if (outcome.nested !== undefined) result.nested = outcome.nested
        return result
      } catch (err) {
        if ((err as Error).name === 'SpilledBackError' && spilled < MAX_SPILLBACKS) {
          // Full, or it cannot run it: place it again (not a retry), where the node suggested.
          // A node that sends back a task sent at the limit breaks the protocol: a failure, below.
          spilled++
          spill = { from: new Set([...(spill?.from ?? []), peer]), ...((err as { to?: string }).to === undefined ? {} : { to: (err as { to: string }).to }) }
          this.spillbacks++
          attempt--
          continue
        }
        // A node that went away (or sent back a task it had to take): resubmit elsewhere. The task's own failure: report it.
        if ((err as Error).name === 'SpilledBackError') {
          causes.push(err as Error)
          failed.add(peer)
          if (attempt >= maxRetries) throw new RetriesExhaustedError(`task "${name}" failed on ${attempt + 1} nodes: ${causes.map(c => c.message).join('; ')}`, { cause: err })
          continue
        }
        if ((err as Error).name !== 'PeerUnreachableError') throw err
        causes.push(err as Error)
        // A node still in the view (alive, or suspected: a busy node's heartbeats can run late) is
        // tried again after a moment, without spending a retry, a few times; a node gone from the
        // view (dead, left) or failing again and again is given up.
        stalls ??= new Map()
        const stalled = (stalls.get(peer) ?? 0) + 1
        stalls.set(peer, stalled)
        if (this.net.view.get(peer) !== undefined && stalled <= MAX_STALLS_PER_NODE) {
          attempt--
          await new Promise(resolve => setTimeout(resolve, 250 * stalled))
          continue
        }
        failed.add(peer)
        if (attempt >= maxRetries) throw new RetriesExhaustedError(`task "${name}" failed on ${attempt + 1} nodes: ${causes.map(c => c.message).join('; ')}`, { cause: err })
      } finally {
        this.inFlight.set(peer, (this.inFlight.get(peer) ?? 1) - 1)
        this.slotWaiters.shift()?.()
      }
    }
  }
}
