// Tasks across nodes, first slice: a node runs tasks other nodes send it (RemoteTaskExecutor, on
// its LocalNode), and a caller places its tasks on the fabric's nodes and resubmits them elsewhere
// when a node dies (RemoteRunner). Arguments and results travel by value (CBOR); refs across
// nodes are the next step.
import { randomUUID } from 'node:crypto'
import type { CompiledComponent, Manifest } from '../component/index.js'
import { TaskError } from '../exec/errors.js'
import type { NetNode, PeerEntry, RemoteTask } from '../net/index.js'
import { cidOfBytesSync } from '../objects/cid.js'
import { decode, encode } from '../objects/index.js'
import { wireArgs } from './remote-actor.js'
import { RetriesExhaustedError } from './errors.js'
import { rankNodes, type Scheduling } from './placement.js'
import type { Resources } from '../scheduler/resources.js'
import { resolveTaskOptions, type LocalNode } from './local-node.js'

/** Runs the tasks peers send: fetches components it lacks from the sender, runs them on the node. */
export class RemoteTaskExecutor {
  private readonly loaded = new Map<string, Promise<{ component: CompiledComponent, manifest: Manifest }>>()
  private readonly bytes = new Map<string, Uint8Array>()

  /**
   * @param node the node's runtime
   * @param fetch pulls a component's bytes by CID from a peer (the net node's pullObject)
   */
  constructor (private readonly node: LocalNode, private readonly fetch: (cid: string, from: string) => Promise<Uint8Array>) {}

  /** Component bytes this node holds, for serving them to other nodes. */
  componentBytes (cid: string): Uint8Array | undefined {
    return this.bytes.get(cid)
  }

  /** The component `cid`, compiled (pulled from `from` first when this node lacks it). */
  async load (cid: string, from: string): Promise<{ component: CompiledComponent, manifest: Manifest }> {
    let p = this.loaded.get(cid)
    if (p === undefined) {
      p = (async () => {
        const bytes = this.bytes.get(cid) ?? await this.fetch(cid, from)
        this.bytes.set(cid, bytes)
        return await this.node.load(bytes)
      })()
      p.catch(() => this.loaded.delete(cid))
      this.loaded.set(cid, p)
    }
    return await p
  }

  async run (req: RemoteTask, from: string): Promise<Uint8Array> {
    const { component, manifest } = await this.load(req.component, from)
    const task = manifest.tasks.find(t => t.name === req.name)
    if (task === undefined) throw new TaskError(`component ${req.component} has no task named "${req.name}"`, { kind: 'unknown-task' })
    if (task.streaming) throw new TaskError(`task "${req.name}" is a generator: streaming across nodes is not supported yet`, { kind: 'unsupported' })
    const args = wireArgs(req.args, `task '${req.name}'`)
    const options = resolveTaskOptions({ maxRetries: 0, ...req.options, ...(req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs }) }, `task '${req.name}'`)
    const id = this.node.submit({ component, name: req.name, args, options, streaming: false })
    try {
      return await this.node.get(id)
    } finally {
      this.node.release(id)
    }
  }
}

/** Times a task is tried again on a node still in the view before that node is given up. */
const MAX_STALLS_PER_NODE = 3

/** Options of {@link RemoteRunner.submit}. */
export interface RemoteSubmitOptions {
  /** Times a task is resubmitted after its node died or became unreachable. @default 3 */
  maxRetries?: number
  timeoutMs?: number
  /** What the task holds while it runs (placement, and the node's own accounting). @default 1 CPU */
  demand?: Resources
  scheduling?: Scheduling
  /** Application errors the node retries (on the node, up to maxRetries), as in TaskOptions. @default false */
  retryExceptions?: boolean | string[]
}

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
  private readonly slotWaiters: Array<() => void> = []

  constructor (private readonly net: NetNode) {}

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

  /** Nodes for work with this demand, best first (see {@link rankNodes}); actors placed count as load. */
  rank (what: string, demand: Resources, scheduling: Scheduling | undefined, exclude: ReadonlySet<string>): PeerEntry[] {
    return rankNodes(this.net.view, { demand, scheduling, exclude, what }, p => (this.inFlight.get(p) ?? 0) + (this.actors.get(p) ?? 0), p => this.placed.get(p) ?? 0)
  }

  /** Count an actor placed on (+1) or gone from (-1) node `peer`. */
  actorPlaced (peer: string, delta: 1 | -1): void {
    this.actors.set(peer, Math.max(0, (this.actors.get(peer) ?? 0) + delta))
    if (delta > 0) this.placed.set(peer, (this.placed.get(peer) ?? 0) + 1)
  }

  /** Where the next task goes (see {@link rankNodes}). */
  private place (name: string, options: RemoteSubmitOptions, exclude: Set<string>, causes: Error[]): PeerEntry {
    try {
      return this.rank(`task '${name}'`, options.demand ?? DEFAULT_DEMAND, options.scheduling, exclude)[0]!
    } catch (err) {
      if (causes.length > 0) (err as Error).message += ` (failures: ${causes.slice(-4).map(c => c.message).join('; ')})`
      throw err
    }
  }

  /**
   * Run task `name` of component `cid` with `args` somewhere in the fabric. Resolves to the
   * decoded result and the node that ran it.
   */
  async submit (cid: string, name: string, args: unknown[], options: RemoteSubmitOptions = {}): Promise<{ value: unknown, peer: string }> {
    if (!this.components.has(cid)) throw new TypeError(`component ${cid} was not added to this runner (addComponent)`)
    const maxRetries = options.maxRetries ?? 3
    const task: RemoteTask = {
      type: 'run', id: randomUUID(), component: cid, name, args: encode(args),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      // Failures on the node (a worker crash, a retried exception) are retried there; a lost node here.
      options: { ...(options.demand === undefined ? {} : demandOptions(options.demand)), maxRetries, ...(options.retryExceptions === undefined ? {} : { retryExceptions: options.retryExceptions }) }
    }
    const failed = new Set<string>()
    const causes: Error[] = []
    /** Failures per node still in the view: a busy node (compiling a component, a deep queue) can miss a deadline without being gone. */
    const stalls = new Map<string, number>()
    for (let attempt = 0; ; attempt++) {
      let node = this.place(name, options, failed, causes)
      while ((this.inFlight.get(node.info.peer) ?? 0) >= RemoteRunner.MAX_IN_FLIGHT_PER_NODE) {
        await new Promise<void>(resolve => this.slotWaiters.push(resolve))
        node = this.place(name, options, failed, causes)
      }
      const peer = node.info.peer
      this.inFlight.set(peer, (this.inFlight.get(peer) ?? 0) + 1)
      this.placed.set(peer, (this.placed.get(peer) ?? 0) + 1)
      try {
        return { value: decode(await this.net.runTask(peer, task)), peer }
      } catch (err) {
        // A node that went away: resubmit elsewhere. The task's own failure: report it.
        if ((err as Error).name !== 'PeerUnreachableError') throw err
        causes.push(err as Error)
        // A node still in the view (alive, or suspected: a busy node's heartbeats can run late) is
        // tried again after a moment, without spending a retry, a few times; a node gone from the
        // view (dead, left) or failing again and again is given up.
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
