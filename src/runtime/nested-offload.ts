// Guests' nested tasks across nodes: a node of a fabric runs its guests' nested tasks itself until
// about half its CPUs are taken (LocalNode decides), then hands them to this, which places them on
// other nodes with room through the node's own RemoteRunner, as a driver would, and brings each
// result back into the node's store.
import type { NetNode, RefArg } from '../net/index.js'
import { decode, encode } from '../objects/index.js'
import { hasRoom, type Resources } from '../scheduler/index.js'
import { abortSignalOf, deserializeError, type Abortable } from '../errors/index.js'
import type { NestedOffload, OffloadArg, OffloadedRef, ResolvedTaskOptions } from './interface.js'
import type { RemoteRunner } from './remote-runner.js'

/**
 * The {@link NestedOffload} of a node in a fabric.
 *
 * @example
 * ```ts
 * runtime.setOffload(new FabricOffload(net, new RemoteRunner(net), cid => executor.componentBytes(cid)))
 * ```
 */
export class FabricOffload implements NestedOffload {
  /**
   * @param net this node's net node (its view places the tasks; peers pull arguments from it by CID)
   * @param runner places and runs the tasks (and resubmits them when a node dies)
   * @param componentBytes the bytes of a component this node runs, by CID (peers pull it from here)
   */
  constructor (private readonly net: NetNode, private readonly runner: RemoteRunner, private readonly componentBytes: (cid: string) => Uint8Array | undefined) {}

  hasRoom (demand: Resources, anyFree = true): boolean {
    return hasRoom(this.net.view.peers(), demand, anyFree)
  }

  async run (task: { component: string, name: string, args: OffloadArg[], options: ResolvedTaskOptions, job?: string }, signal: Abortable): Promise<{ value: Uint8Array, nested: OffloadedRef[] }> {
    const { component, name, args, options, job } = task
    if (this.runner.componentBytes(component) === undefined) {
      const bytes = this.componentBytes(component)
      if (bytes === undefined) throw new TypeError(`component ${component} is not held by this node, so its nested task '${name}' cannot run elsewhere`)
      this.runner.addComponent(bytes)
    }
    // Object arguments stay here and are pulled by CID; the others travel inline.
    const refs: RefArg[] = []
    const values = args.map((a, index) => {
      if ('value' in a) return decode(a.value)
      refs.push({ index, cid: a.cid, size: a.size, holders: [this.net.peerId] })
      return null
    })
    const submit = {
      maxRetries: options.maxRetries,
      demand: options.resources,
      retryExceptions: options.retryExceptions,
      memo: options.memo === true,
      signal,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(job === undefined ? {} : { job })
    }
    for (let attempt = 0; ; attempt++) {
      const r = await this.runner.submit(component, name, values, submit, refs)
      // The node keeps what it pulled, a large result and objects inside the result for this node:
      // take them over, then let them go there.
      const kept = [...r.copies, ...(r.object === undefined ? [] : [r.object.cid]), ...(r.nested ?? []).flatMap(n => 'cid' in n ? [n.cid] : [])]
      try {
        // Pulls take a real AbortSignal, made only for a pull (most results come inline).
        let pullSignal: AbortSignal | undefined
        const pulls = (): { signal: AbortSignal } => ({ signal: pullSignal ??= abortSignalOf(signal) })
        if (r.object !== undefined) return { value: await this.net.pullObject(r.object.cid, [r.peer], pulls()), nested: [] }
        const nested = await Promise.all((r.nested ?? []).map(async (n): Promise<OffloadedRef> => {
          if ('value' in n) return n
          if ('error' in n) return { id: n.id, error: deserializeError(n.error) }
          return { id: n.id, value: await this.net.pullObject(n.cid, [r.peer], pulls()) }
        }))
        return { value: encode(r.value), nested }
      } catch (err) {
        // The node died between its answer and the pull: run the task again while retries last.
        if (signal.aborted || attempt >= options.maxRetries) throw err
      } finally {
        if (kept.length > 0) void this.net.releaseObjects(r.peer, kept).catch(() => {})
      }
    }
  }
}
