// A driver connected to a fabric of `fabric join` nodes (Fabric.connect): the first slice of
// driving many nodes. Tasks run on the nodes (placed by RemoteRunner from this driver's gossiped
// view, resubmitted elsewhere when a node dies); components travel to them by CID; results come
// back by value and are held here, in the driver, behind ObjectRefs. Refs passed as arguments are
// resolved here before the task is sent. Not yet across nodes: actors, streaming tasks, put/get of
// objects held by nodes, task options other than maxRetries and timeoutMs.
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createNetNode, fixedResources, type NetNode } from '../net/index.js'
import { findRefs, ObjectRef } from '../objects/index.js'
import { FabricStoppedError, ForeignRefError, GetTimeoutError, RemoteRunner } from '../runtime/index.js'
import type { GetOptions, UntypedModule, WaitOptions } from './fabric.js'
import type { TaskOptions } from './interface.js'

/** Options of {@link ConnectedFabric.connect}. */
export interface ConnectInit {
  /** Where this driver's identity key lives. @default a fresh temporary directory */
  dataDir?: string
  /** The fabric's swarm key, for a private fabric (`fabric join --secret`). */
  swarmKey?: Uint8Array
  /** The fabric's name (`fabric join --name`). @default 'default' */
  fabricName?: string
  /** Where this driver listens (nodes fetch components from it). @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /** How long to wait for a node offering CPUs to appear in the view. @default 30000 */
  timeoutMs?: number
}

const SUPPORTED_OPTIONS = new Set(['maxRetries', 'timeoutMs'])

/** A fabric of remote nodes, driven from this process. */
export class ConnectedFabric {
  private readonly results = new Map<string, Promise<unknown>>()
  private stopped = false

  private constructor (private readonly net: NetNode, private readonly runner: RemoteRunner, private readonly tmpDir?: string) {}

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
    const tmpDir = init.dataDir === undefined ? await mkdtemp(path.join(os.tmpdir(), 'fabric-driver-')) : undefined
    let runner: RemoteRunner | undefined
    const net = await createNetNode({
      dataDir: init.dataDir ?? tmpDir!,
      listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: Array.isArray(address) ? address : [address],
      ...(init.swarmKey === undefined ? {} : { swarmKey: init.swarmKey }),
      ...(init.fabricName === undefined ? {} : { fabricName: init.fabricName }),
      // A driver offers nothing: no task is placed on it.
      resources: () => fixedResources({}, { labels: { role: 'driver' } }),
      objects: { get: (cid) => runner?.componentBytes(cid) }
    })
    runner = new RemoteRunner(net)
    const fabric = new ConnectedFabric(net, runner, tmpDir)
    const deadline = Date.now() + (init.timeoutMs ?? 30_000)
    while (fabric.nodes().length === 0) {
      if (Date.now() > deadline) {
        await fabric.stop()
        throw new GetTimeoutError(`no node offering CPUs appeared within ${init.timeoutMs ?? 30_000} ms of connecting to ${String(address)} (is a \`fabric join\` node running there, with the same --secret and --name?)`)
      }
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return fabric
  }

  /** The nodes this driver can place tasks on: PeerId, state, CPUs free/total. */
  nodes (): Array<{ peer: string, state: string, cpus: { available: number, total: number } }> {
    return this.net.view.peers()
      .filter(p => p.info.resources.total.cpus > 0)
      .map(p => ({ peer: p.info.peer, state: p.state, cpus: { available: p.info.resources.available.cpus, total: p.info.resources.total.cpus } }))
  }

  /**
   * Load a component (a `.wasm` path or its bytes) for the nodes to run. Every property of the
   * returned module is a remote function: a name the component does not export fails when called
   * (`unknown-task`).
   */
  async load<M = UntypedModule> (source: string | Uint8Array): Promise<M> {
    this.assertRunning()
    const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source
    const cid = this.runner.addComponent(bytes)
    const fns = new Map<string, unknown>()
    return new Proxy({}, {
      get: (_t, name) => {
        if (typeof name !== 'string' || name === 'then') return undefined
        let fn = fns.get(name)
        if (fn === undefined) fns.set(name, fn = this.remoteFunction(cid, name, {}))
        return fn
      }
    }) as M
  }

  private remoteFunction (cid: string, name: string, options: TaskOptions): unknown {
    const unsupported = Object.keys(options).filter(k => !SUPPORTED_OPTIONS.has(k))
    if (unsupported.length > 0) throw new TypeError(`task '${name}': option ${unsupported.join(', ')} is not supported across nodes yet (supported: maxRetries, timeoutMs)`)
    return {
      remote: (...args: unknown[]) => {
        this.assertRunning()
        const id = `d-${randomUUID()}`
        const value = (async () => {
          const values = await Promise.all(args.map(async (a, i) => {
            if (!(a instanceof ObjectRef)) {
              if (findRefs(a).length > 0) throw new ForeignRefError(`task '${name}': argument ${i + 1} holds object refs inside it; across nodes pass refs only as whole arguments`)
              return a
            }
            return await this.get(a)
          }))
          return (await this.runner.submit(cid, name, values, options)).value
        })()
        value.catch(() => {}) // observed by get/wait
        this.results.set(id, value)
        return new ObjectRef(id)
      },
      options: (more: TaskOptions) => this.remoteFunction(cid, name, { ...options, ...more })
    }
  }

  /** The value behind a ref (or each of several): waits for its task; throws the task's error. */
  async get<T> (ref: ObjectRef<T>, options?: GetOptions): Promise<T>
  async get<T extends readonly ObjectRef[]> (refs: T, options?: GetOptions): Promise<unknown[]>
  async get (refOrRefs: ObjectRef | readonly ObjectRef[], options: GetOptions = {}): Promise<unknown> {
    if (Array.isArray(refOrRefs)) return await Promise.all(refOrRefs.map(async r => await this.get(r as ObjectRef, options)))
    const ref = refOrRefs as ObjectRef
    const p = this.results.get(ref.id)
    if (p === undefined) throw new ForeignRefError(`${ref.toString()} was not made by this connection`)
    if (options.timeoutMs === undefined) return await p
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new GetTimeoutError(`${ref.toString()} was not ready within ${options.timeoutMs} ms`)), options.timeoutMs)
    })
    try {
      return await Promise.race([p, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Wait until `numReturns` of `refs` are done (or the timeout passes), as {@link Fabric.wait}. */
  async wait<T extends ObjectRef> (refs: readonly T[], options: WaitOptions = {}): Promise<{ ready: T[], pending: T[] }> {
    const numReturns = options.numReturns ?? 1
    if (!Number.isInteger(numReturns) || numReturns < 0 || numReturns > refs.length) {
      throw new RangeError(`wait: numReturns must be an integer from 0 to ${refs.length} (the number of refs), got ${numReturns}`)
    }
    const done = new Set<string>()
    await new Promise<void>(resolve => {
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(resolve, options.timeoutMs)
      if (numReturns === 0) resolve()
      for (const r of refs) {
        const p = this.results.get(r.id)
        if (p === undefined) throw new ForeignRefError(`${r.toString()} was not made by this connection`)
        void p.then(() => {}, () => {}).finally(() => {
          done.add(r.id)
          if (done.size >= numReturns) { clearTimeout(timer); resolve() }
        })
      }
    })
    return { ready: refs.filter(r => done.has(r.id)), pending: refs.filter(r => !done.has(r.id)) }
  }

  /** Forget a result held here. */
  free (ref: ObjectRef): void {
    this.results.delete(ref.id)
  }

  /** Leave the fabric (the nodes keep running). Idempotent. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.net.stop({ leave: true })
    if (this.tmpDir !== undefined) await rm(this.tmpDir, { recursive: true, force: true })
  }

  private assertRunning (): void {
    if (this.stopped) throw new FabricStoppedError('this connection to the fabric is stopped')
  }
}
