// The driver API: Ray's model in TypeScript. `Fabric.start()` runs an embedded node in this
// process; modules loaded from components call tasks with `.remote()` and get ObjectRefs at once.
import { ConnectedFabric, type ConnectInit } from './connected-fabric.js'
import type { Manifest } from '../component/index.js'
import { decode, encode, findRefs, ObjectRef } from '../objects/index.js'
import { LocalNode, type StreamReader } from '../runtime/local-node.js'
import { resolveActorOptions, resolveTaskOptions } from '../runtime/options.js'
import type { ArgSpec, NodeInit, NodeStats } from '../runtime/interface.js'
import type { CompiledComponent } from '../component/interface.js'
import type { ActorHandle, ActorOptions, RemoteActorClass, RemoteFunction, TaskOptions } from './interface.js'

/** Byte strings larger than this are stored as they are (see Fabric.put). */
const LARGE_BYTES = 100 * 1024

/** Options of {@link Fabric.start}: the embedded node's workers, resources and object store. */
export interface FabricInit extends NodeInit {}

/** A module loaded without its `.d.ts` type: every export is callable, untyped. */
export type UntypedModule = Record<string, RemoteFunction<unknown[], unknown> & RemoteActorClass<unknown[], Record<string, (...args: unknown[]) => unknown>>>

/** Options of {@link Fabric.get}. */
export interface GetOptions {
  /** Give up after this many ms with GetTimeoutError. */
  timeoutMs?: number
}

/** Options of {@link Fabric.wait}. */
export interface WaitOptions {
  /** How many refs must be ready. @default 1 */
  numReturns?: number
  /** Return what is ready after this many ms. @default wait as long as it takes */
  timeoutMs?: number
}

/**
 * A fabric, seen from the driver: load components, call their tasks and actors, put and get
 * objects.
 *
 * @example
 * const fabric = await Fabric.start()
 * const m = await fabric.load<Module>('build/tasks.wasm')
 * const sum = m.add.remote(1, m.square.remote(3))
 * console.log(await fabric.get(sum)) // 10
 * await fabric.stop()
 */
export class Fabric {
  private readonly node: LocalNode
  // Driver-side refs are released when the program drops them: the GC tells us.
  private readonly registry = new FinalizationRegistry<string>((id) => this.node.release(id))
  private stopped = false

  private constructor (node: LocalNode) {
    this.node = node
  }

  /**
   * Drive a running fabric of `fabric join` nodes from this process (first slice: tasks, by value;
   * see {@link ConnectedFabric}). `address` is a node's multiaddr, or several; default
   * `FABRIC_ADDRESS` (set by `fabric run --address`).
   */
  static async connect (address: string | string[] | undefined = process.env.FABRIC_ADDRESS, init: ConnectInit = {}): Promise<ConnectedFabric> {
    return await ConnectedFabric.connect(address, init)
  }

  /** Start an embedded fabric in this process (workers = CPUs unless set). */
  static async start (init: FabricInit = {}): Promise<Fabric> {
    const node = new LocalNode(init)
    await node.start()
    return new Fabric(node)
  }

  /** Stop the fabric: running work ends, workers and spill files go. Idempotent. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.node.stop()
  }

  /** This fabric's id (the prefix of its refs). */
  get id (): string {
    return this.node.fabricId
  }

  /** Resources, tasks, actors and store use of the node. */
  stats (): NodeStats {
    return this.node.stats()
  }

  /**
   * Load a component (a `.wasm` path or its bytes). Type it with the `Module` type of the `.d.ts`
   * that `fabric build` wrote beside it.
   */
  async load<M = UntypedModule> (source: string | Uint8Array): Promise<M> {
    const { component, manifest } = await this.node.load(source)
    return this.moduleOf(component, manifest) as M
  }

  /**
   * Store a value in the fabric; returns a ref at once. Objects are immutable: do not change a
   * value after putting it (a large `Uint8Array` is kept as it is, without a copy).
   */
  put<T> (value: T): ObjectRef<T> {
    if (value instanceof Uint8Array && value.constructor === Uint8Array && value.byteLength > LARGE_BYTES) {
      return this.track<T>(this.node.putBytes(value))
    }
    const { bytes, refs } = this.encodeValue(value, 'put')
    return this.track<T>(this.node.put(bytes, refs))
  }

  /** The value behind a ref (or each of several), once ready; throws the task's error if it failed. */
  async get<T> (ref: ObjectRef<T>, options?: GetOptions): Promise<T>
  async get<T extends readonly ObjectRef[]> (refs: T, options?: GetOptions): Promise<{ [K in keyof T]: T[K] extends ObjectRef<infer V> ? V : never }>
  async get (refOrRefs: ObjectRef | readonly ObjectRef[], options: GetOptions = {}): Promise<unknown> {
    if (Array.isArray(refOrRefs)) {
      const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs
      const out: unknown[] = []
      for (const r of refOrRefs as readonly ObjectRef[]) {
        out.push(await this.getOne(r, deadline === undefined ? undefined : Math.max(0, deadline - Date.now())))
      }
      return out
    }
    return await this.getOne(refOrRefs as ObjectRef, options.timeoutMs)
  }

  private async getOne (ref: ObjectRef, timeoutMs: number | undefined): Promise<unknown> {
    assertRef(ref, 'get')
    const stored = await this.node.getStored(ref.id, timeoutMs)
    if (stored.raw) return stored.bytes
    const value = decode(stored.bytes)
    for (const nested of findRefs(value)) {
      this.node.hold(nested.id)
      this.registry.register(nested, nested.id)
    }
    return value
  }

  /** Wait until `numReturns` of `refs` are ready (or the timeout passes). */
  async wait<T extends ObjectRef> (refs: readonly T[], options: WaitOptions = {}): Promise<{ ready: T[], pending: T[] }> {
    for (const r of refs) assertRef(r, 'wait')
    const numReturns = options.numReturns ?? 1
    if (!Number.isInteger(numReturns) || numReturns < 0 || numReturns > refs.length) {
      throw new RangeError(`wait: numReturns must be an integer from 0 to ${refs.length} (the number of refs), got ${numReturns}`)
    }
    const ready = new Set(await this.node.wait(refs.map(r => r.id), numReturns, options.timeoutMs))
    return { ready: refs.filter(r => ready.has(r.id)), pending: refs.filter(r => !ready.has(r.id)) }
  }

  /** Cancel the task behind a ref: queued work is dropped, running work stopped. Returns whether it was. */
  cancel (ref: ObjectRef): boolean {
    assertRef(ref, 'cancel')
    return this.node.cancel(ref.id)
  }

  /** Release objects now (Ray's `free`): later gets fail with ObjectReleasedError. */
  free (refs: ObjectRef | readonly ObjectRef[]): void {
    for (const r of Array.isArray(refs) ? refs as readonly ObjectRef[] : [refs as ObjectRef]) {
      assertRef(r, 'free')
      this.node.free(r.id)
    }
  }

  /** A live named actor. */
  getActor<I = Record<string, (...args: unknown[]) => unknown>> (name: string): ActorHandle<I> {
    const a = this.node.actorByName(name)
    return this.actorHandle(a.id, a.component, a.cls) as ActorHandle<I>
  }

  /** Kill an actor: its queued calls fail with ActorDiedError. */
  kill (handle: { actorId: string }): void {
    this.node.kill(handle.actorId)
  }

  // ---- module handles ------------------------------------------------------------------------

  private moduleOf (component: CompiledComponent, manifest: Manifest): Record<string, unknown> {
    const m: Record<string, unknown> = {}
    for (const t of manifest.tasks) m[t.name] = this.remoteFunction(component, t.name, t.streaming, {})
    for (const a of manifest.actors) m[a.name] = this.remoteClass(component, a.name, a.methods, {})
    this.methods.set(component.cid, new Map(manifest.actors.map(a => [a.name, a.methods])))
    return Object.freeze(m)
  }

  private readonly methods = new Map<string, Map<string, string[]>>()

  private remoteFunction (component: CompiledComponent, name: string, streaming: boolean, options: TaskOptions): RemoteFunction<unknown[], unknown> {
    const resolved = resolveTaskOptions(options as Record<string, unknown>, `task '${name}'`)
    return {
      remote: (...args: unknown[]) => {
        const id = this.node.submit({ component, name, args: this.encodeArgs(args, `${name}.remote`), options: resolved, streaming })
        if (!streaming) return this.track(id)
        return this.streamOf(id)
      },
      options: (more: TaskOptions) => this.remoteFunction(component, name, streaming, { ...options, ...more })
    } as RemoteFunction<unknown[], unknown>
  }

  private streamOf (id: string): AsyncIterable<ObjectRef> {
    const reader: StreamReader = this.node.stream(id)
    const node = this.node
    const track = (itemId: string): ObjectRef => this.track(itemId)
    let released = false
    const release = (): void => {
      if (!released) node.release(id)
      released = true
    }
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<ObjectRef>> => {
          try {
            const item = await reader.next()
            if (item === undefined) {
              release()
              return { done: true, value: undefined }
            }
            return { done: false, value: track(item) }
          } catch (err) {
            release()
            throw err
          }
        },
        return: async (): Promise<IteratorResult<ObjectRef>> => {
          release()
          return { done: true, value: undefined }
        }
      })
    }
  }

  private remoteClass (component: CompiledComponent, cls: string, methods: string[], options: ActorOptions): RemoteActorClass<unknown[], Record<string, (...args: unknown[]) => unknown>> {
    const resolved = resolveActorOptions(options as Record<string, unknown>, `actor '${cls}'`)
    return {
      create: async (...args: unknown[]) => {
        const actorId = await this.node.createActor(component, cls, this.encodeArgs(args, `${cls}.create`), resolved)
        return this.actorHandle(actorId, component, cls, methods)
      },
      options: (more: ActorOptions) => this.remoteClass(component, cls, methods, { ...options, ...more })
    } as RemoteActorClass<unknown[], Record<string, (...args: unknown[]) => unknown>>
  }

  private actorHandle (actorId: string, component: CompiledComponent, cls: string, methods?: string[]): Record<string, unknown> {
    const names = methods ?? this.methods.get(component.cid)?.get(cls) ?? []
    const handle: Record<string, unknown> = { actorId }
    for (const method of names) {
      handle[method] = {
        remote: (...args: unknown[]) => this.track(this.node.callActor(actorId, method, this.encodeArgs(args, `${cls}.${method}.remote`)))
      }
    }
    return Object.freeze(handle)
  }

  // ---- encoding ------------------------------------------------------------------------------

  private encodeArgs (args: unknown[], what: string): ArgSpec[] {
    return args.map((a, i) => {
      if (a instanceof ObjectRef) return { kind: 'ref', id: a.id }
      const { bytes, refs } = this.encodeValue(a, `${what}: argument ${i + 1}`)
      return { kind: 'value', bytes, refs }
    })
  }

  private encodeValue (value: unknown, what: string): { bytes: Uint8Array, refs: string[] } {
    try {
      return { bytes: encode(value), refs: findRefs(value).map(r => r.id) }
    } catch (err) {
      ;(err as Error).message = `${what}: ${(err as Error).message}`
      throw err
    }
  }

  /** A driver-side ref: held by the node until the program drops it. */
  private track<T> (id: string): ObjectRef<T> {
    const ref = new ObjectRef<T>(id)
    this.registry.register(ref, id)
    return ref
  }
}

function assertRef (r: unknown, what: string): asserts r is ObjectRef {
  if (!(r instanceof ObjectRef)) throw new TypeError(`${what}: expected an ObjectRef, got ${r === null ? 'null' : typeof r}`)
}
