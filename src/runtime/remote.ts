// Tasks across nodes, first slice: a node runs tasks other nodes send it (RemoteTaskExecutor, on
// its LocalNode), and a caller places its tasks on the fabric's nodes and resubmits them elsewhere
// when a node dies (RemoteRunner). Arguments and results travel by value (CBOR); refs across
// nodes are the next step.
import { randomUUID } from 'node:crypto'
import type { CompiledComponent, Manifest } from '../component/index.js'
import { TaskError } from '../exec/errors.js'
import type { NetNode, PeerEntry, RemoteTask } from '../net/index.js'
import { cidOfBytesSync } from '../objects/cid.js'
import { decode, encode, findRefs } from '../objects/index.js'
import { ForeignRefError, InfeasibleTaskError, RetriesExhaustedError } from './errors.js'
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

  private async load (cid: string, from: string): Promise<{ component: CompiledComponent, manifest: Manifest }> {
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
    const values = decode(req.args)
    if (!Array.isArray(values)) throw new TaskError('the arguments must be a CBOR array', { kind: 'bad-argument' })
    if (findRefs(values).length > 0) throw new ForeignRefError(`task "${req.name}": object refs cannot cross nodes yet; pass values`)
    const options = resolveTaskOptions({ maxRetries: 0, ...(req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs }) }, `task '${req.name}'`)
    const id = this.node.submit({ component, name: req.name, args: values.map(v => ({ kind: 'value' as const, bytes: encode(v), refs: [] })), options, streaming: false })
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

  /**
   * The node for the next task: alive nodes offering CPUs first; suspected ones (late heartbeats
   * from a busy node are not a death) only when no alive node is left.
   */
  private place (exclude: Set<string>, causes: Error[]): PeerEntry {
    const offering = this.net.view.peers().filter(p => p.info.resources.total.cpus > 0 && !exclude.has(p.info.peer))
    const alive = offering.filter(p => p.state === 'alive')
    const nodes = alive.length > 0 ? alive : offering
    if (nodes.length === 0) {
      throw new InfeasibleTaskError(exclude.size === 0 ? 'no node offering CPUs is in this caller\'s view of the fabric' : `no node offering CPUs is left (tried ${exclude.size}: ${causes.slice(-4).map(c => c.message).join('; ')})`)
    }
    const load = (p: PeerEntry): number => this.inFlight.get(p.info.peer) ?? 0
    return nodes.sort((a, b) => load(a) - load(b) || b.info.resources.available.cpus - a.info.resources.available.cpus)[0]!
  }

  /**
   * Run task `name` of component `cid` with `args` somewhere in the fabric. Resolves to the
   * decoded result and the node that ran it.
   */
  async submit (cid: string, name: string, args: unknown[], options: RemoteSubmitOptions = {}): Promise<{ value: unknown, peer: string }> {
    if (!this.components.has(cid)) throw new TypeError(`component ${cid} was not added to this runner (addComponent)`)
    const maxRetries = options.maxRetries ?? 3
    const task: RemoteTask = { type: 'run', id: randomUUID(), component: cid, name, args: encode(args), ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) }
    const failed = new Set<string>()
    const causes: Error[] = []
    /** Failures per node still in the view: a busy node (compiling a component, a deep queue) can miss a deadline without being gone. */
    const stalls = new Map<string, number>()
    for (let attempt = 0; ; attempt++) {
      let node = this.place(failed, causes)
      while ((this.inFlight.get(node.info.peer) ?? 0) >= RemoteRunner.MAX_IN_FLIGHT_PER_NODE) {
        await new Promise<void>(resolve => this.slotWaiters.push(resolve))
        node = this.place(failed, causes)
      }
      const peer = node.info.peer
      this.inFlight.set(peer, (this.inFlight.get(peer) ?? 0) + 1)
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
