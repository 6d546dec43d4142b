// The objects a driver owns in a fabric of nodes. Small values live here, in the driver; a large
// task result stays on the node that made it and is known here by CID, holders and lineage (the
// task that made it). A ref passed to another task travels as its CID: the node that runs the task
// pulls it from a holder (and placement prefers the holders). When every holder of an object is
// gone, the object is rebuilt by running its task again (whose own lost arguments are rebuilt the
// same way); an object that cannot be rebuilt fails with ObjectLostError saying why. What a ref
// stands for is kept while the program holds an ObjectRef for it: when the garbage collector takes
// the last one (a value holding it, a pending call taking it and a result's lineage hold theirs),
// it is released here and on the nodes that keep copies, as `free` does.
import { randomId } from '../objects/flat-id.js'
import { MAX_RELEASE_CIDS, type NestedRef, type NetNode, type RefArg, type ResultRef } from '../net/index.js'
import { cidOfBytes } from '../objects/cid.js'
import { decode, encode, findRefs, mapRefs, ObjectLostError, ObjectRef } from '../objects/index.js'
import { deserializeError } from '../errors/index.js'
import { INLINE_LIMIT } from './ref-table.js'
import { DependencyFailedError, ForeignRefError, ObjectReleasedError } from './errors.js'
import type { RemoteRunner, RemoteSubmitOptions } from './remote-runner.js'

/** How a node-held object is made again: its task and the arguments it was given (refs included). */
export interface Lineage {
  component: string
  name: string
  args: unknown[]
  options: RemoteSubmitOptions
}

/** The ref arguments and nested refs of a call without refs (shared: never changed). */
const NO_REF_ARGS: RefArg[] = Object.freeze([]) as unknown as RefArg[]
const NO_NESTED: NestedRef[] = Object.freeze([]) as unknown as NestedRef[]

/** A large object held by nodes (or, for a large put, by this driver). */
export class RemoteObject {
  /** Set while the object is being rebuilt; callers wait on it. */
  rebuilding?: Promise<void>
  constructor (public cid: string, public size: number, readonly holders: Set<string>, readonly lineage?: Lineage) {}
}

/** What a driver ref stands for: a value here, or an object held by nodes. */
export type Held = { value: unknown } | RemoteObject

/** Freed ref ids remembered (for ObjectReleasedError instead of ForeignRefError). */
const MAX_FREED_REMEMBERED = 100_000

/** Times one task is run again because an argument it needed was lost on the way. */
const MAX_ARG_REBUILDS = 3

/** Owner-side table of a driver's objects (see the file comment). */
export class RemoteObjects {
  private readonly held = new Map<string, Promise<Held>>()
  /** Refs whose task has finished, for wait without a promise per ref and call. */
  private readonly settled = new Set<string>()
  /** Listeners told of each ref that settles (see onSettled). */
  private readonly watchers = new Set<(id: string) => void>()
  /** What settled refs stand for (to find the CIDs other refs still use when one is released). */
  private readonly values = new Map<string, Held>()
  /** Large puts this driver serves by CID. */
  private readonly served = new Map<string, Uint8Array>()
  /** Live ObjectRef instances per ref id; the GC counts them down. */
  private readonly live = new Map<string, number>()
  private readonly registry = new FinalizationRegistry<string>(id => this.collected(id))
  /** Ref ids the GC took since the last release batch. */
  private dropped = new Set<string>()
  private releasing?: NodeJS.Timeout
  /**
   * How many times each holder reported keeping each CID for this driver (a result, a copy it
   * pulled, an object inside a result), by CID then holder. A release drops that many keeps there:
   * a task still running may make the same bytes again, and its keep must outlive the release.
   */
  private readonly kept = new Map<string, Map<string, number>>()
  /** Ids freed on purpose: a later get says so (ObjectReleasedError), not that the ref is foreign. */
  private readonly freed = new Set<string>()
  private closed = false

  constructor (private readonly net: NetNode, private readonly runner: RemoteRunner) {}

  /** An ObjectRef for id `id`, counted: the id is released once the GC has taken every one. */
  instance<T = unknown> (id: string): ObjectRef<T> {
    const ref = new ObjectRef<T>(id)
    this.live.set(id, (this.live.get(id) ?? 0) + 1)
    this.registry.register(ref, id)
    return ref
  }

  private collected (id: string): void {
    const n = (this.live.get(id) ?? 0) - 1
    if (n > 0) {
      this.live.set(id, n)
      return
    }
    this.live.delete(id)
    if (this.closed || !this.held.has(id)) return
    // Batched: a collection frees many refs at once, and holders are told once per batch.
    this.dropped.add(id)
    this.releasing ??= setTimeout(() => this.releaseDropped(), 20)
    this.releasing.unref()
  }

  /** Release the refs the GC took: here, and the node copies no other ref of this driver uses. */
  private releaseDropped (): void {
    this.releasing = undefined
    const ids = this.dropped
    this.dropped = new Set()
    const objects: RemoteObject[] = []
    for (const id of ids) {
      const held = this.values.get(id)
      if (this.forget(id) && held instanceof RemoteObject) objects.push(held)
    }
    // A pending ref's object is released once its task finishes (it may still be running).
    this.releaseObjects(objects)
  }

  /** Forget ref `id`; whether it was known. A pending one's object is released once its task finishes. */
  private forget (id: string): boolean {
    const p = this.held.get(id)
    if (p === undefined) return false
    const pending = !this.settled.has(id)
    this.held.delete(id)
    this.settled.delete(id)
    this.values.delete(id)
    this.notify(id)
    if (pending) p.then(held => { if (held instanceof RemoteObject) this.releaseObjects([held]) }, () => {})
    return true
  }

  /** Tell the holders of `objects` to drop them, except CIDs another live ref of this driver stands for. */
  private releaseObjects (objects: RemoteObject[]): void {
    if (objects.length === 0 || this.closed) return
    const inUse = new Set<string>()
    for (const h of this.values.values()) if (h instanceof RemoteObject) inUse.add(h.cid)
    const cids = new Set<string>()
    for (const o of objects) {
      if (inUse.has(o.cid)) continue
      // A large put: this driver stops serving it; nodes that pulled it drop their copies too.
      this.served.delete(o.cid)
      cids.add(o.cid)
    }
    for (const [h, release] of this.takeKept(cids)) void this.sendRelease(h, release).catch(() => {})
  }

  /** Ask holder `peer` to drop keeps, in requests of at most the node's limit of CIDs. */
  private async sendRelease (peer: string, release: { cids: string[], counts: number[] }, signal?: AbortSignal): Promise<void> {
    for (let at = 0; at < release.cids.length; at += MAX_RELEASE_CIDS) {
      await this.net.releaseObjects(peer, release.cids.slice(at, at + MAX_RELEASE_CIDS), { counts: release.counts.slice(at, at + MAX_RELEASE_CIDS), ...(signal === undefined ? {} : { signal }) })
    }
  }

  /** Holder `peer` kept `cid` for this driver once more. */
  private reported (cid: string, peer: string): void {
    let by = this.kept.get(cid)
    if (by === undefined) this.kept.set(cid, by = new Map())
    by.set(peer, (by.get(peer) ?? 0) + 1)
  }

  /** The keeps of `cids` to release, by holder; they are forgotten here. */
  private takeKept (cids: Iterable<string>): Map<string, { cids: string[], counts: number[] }> {
    const byHolder = new Map<string, { cids: string[], counts: number[] }>()
    for (const cid of cids) {
      for (const [h, n] of this.kept.get(cid) ?? []) {
        let release = byHolder.get(h)
        if (release === undefined) byHolder.set(h, release = { cids: [], counts: [] })
        release.cids.push(cid)
        release.counts.push(n)
      }
      this.kept.delete(cid)
    }
    return byHolder
  }

  /** How many refs this driver holds now (for tests of release on garbage collection). */
  get size (): number {
    return this.held.size
  }

  /** Bytes this driver serves to the nodes: large puts. */
  servedBytes (cid: string): Uint8Array | undefined {
    return this.served.get(cid)
  }

  /** Register what a new ref stands for. */
  track (id: string, held: Promise<Held>): void {
    this.held.set(id, held)
    const settle = (value?: Held): void => {
      if (this.held.get(id) !== held) return
      this.settled.add(id)
      if (value !== undefined) this.values.set(id, value)
      this.notify(id)
    }
    held.then(settle, () => settle()) // failures are observed by get/wait
  }

  /**
   * Call `fn` with the id of every ref that settles (or is forgotten) from now on; the returned
   * function unregisters it. A waiter over many refs keeps one listener and a set of the ids it
   * wants, instead of a callback on each (wait() in a loop over a thousand refs).
   */
  onSettled (fn: (id: string) => void): () => void {
    this.watchers.add(fn)
    return () => { this.watchers.delete(fn) }
  }

  private notify (id: string): void {
    for (const fn of this.watchers) fn(id)
  }


  /** Whether the task behind ref `id` has finished (ready or failed). */
  isSettled (id: string): boolean {
    return this.settled.has(id)
  }

  /** What a ref stands for, once its task finished. */
  heldOf (ref: ObjectRef): Promise<Held> {
    const p = this.held.get(ref.id)
    if (p !== undefined) return p
    if (this.freed.has(ref.id)) throw new ObjectReleasedError(`${ref.toString()} was released: it was freed`)
    throw new ForeignRefError(`${ref.toString()} was not made by this connection: refs cannot move between fabrics`)
  }

  /** A new ref of this driver, standing for what `held` settles to. */
  newRef (held: Promise<Held>): ObjectRef {
    const id = newId()
    this.track(id, held)
    return this.instance(id)
  }

  /**
   * Keep a value: small ones here as they are, large ones encoded and served by CID. A value
   * holding refs stays here whatever its size (it travels with what its refs stand for).
   * `encoded`: the value's CBOR bytes when the caller has them already.
   */
  async put (value: unknown, encoded?: Uint8Array): Promise<Held> {
    const refs = findRefs(value)
    for (const r of refs) this.heldOf(r) // refuse refs this driver does not know, now
    if (refs.length > 0) return { value }
    const bytes = encoded ?? encode(value)
    if (bytes.byteLength <= INLINE_LIMIT) return { value }
    const cid = await cidOfBytes(bytes)
    this.served.set(cid, bytes)
    return new RemoteObject(cid, bytes.byteLength, new Set([this.net.peerId]))
  }

  /**
   * Run a generator task on the fabric: each item (a value, or an object kept by the node) goes to
   * `onItem` as it comes. Items have no lineage of their own: one lost with its node is ObjectLostError.
   */
  async runStream (lineage: Lineage, onItem: (item: Held) => void): Promise<void> {
    const { values, refs, nested } = await this.args(lineage)
    await this.runner.submit(lineage.component, lineage.name, values, {
      ...lineage.options,
      onItem: (item, peer) => {
        if ('object' in item) {
          this.reported(item.object.cid, peer)
          onItem(new RemoteObject(item.object.cid, item.object.size, new Set([peer])))
        }
        else onItem({ value: item.nested === undefined ? decode(item.value) : this.adopt(decode(item.value), item.nested, peer) })
      }
    }, refs, nested)
  }

  /** Run a task on the fabric; its result is a value, or a node-held object with this lineage. */
  async run (lineage: Lineage): Promise<Held> {
    for (let rebuilds = 0; ; rebuilds++) {
      // Arguments without a ref among them (the usual call) travel as they are, without a wait.
      const { values, refs, nested } = findRefs(lineage.args).length === 0 ? { values: lineage.args, refs: NO_REF_ARGS, nested: NO_NESTED } : await this.args(lineage)
      try {
        const r = await this.runner.submit(lineage.component, lineage.name, values, lineage.options, refs, nested)
        // The node keeps what it pulled: another holder of those arguments.
        for (const cid of r.copies) this.reported(cid, r.peer)
        if (r.copies.length > 0) await this.addHolder(lineage, r.copies, r.peer)
        if (r.object !== undefined) {
          this.reported(r.object.cid, r.peer)
          return new RemoteObject(r.object.cid, r.object.size, new Set([r.peer]), lineage)
        }
        return { value: r.nested === undefined ? r.value : this.adopt(r.value, r.nested, r.peer) }
      } catch (err) {
        // The node could not pull an argument: its holders are gone (or going); rebuild it and go again.
        if ((err as Error).name !== 'ObjectLostError' || rebuilds >= MAX_ARG_REBUILDS) throw err
        for (const a of refsOf(lineage)) {
          const held = await this.heldOf(a)
          if (held instanceof RemoteObject && (err as Error).message.includes(held.cid)) held.holders.clear()
        }
      }
    }
  }

  /**
   * A result holding refs of the node that ran it (`peer`): each becomes a ref of this driver,
   * standing for its value, or for the object `peer` keeps for this driver (it has no lineage: lost
   * with its node).
   */
  adopt (value: unknown, nested: ResultRef[], peer: string): unknown {
    const ids = new Map(nested.map(n => [n.id, newId()]))
    const rename = (v: unknown): unknown => mapRefs(v, r => ids.has(r.id) ? this.instance(ids.get(r.id)!) : r)
    for (const n of nested) {
      if ('cid' in n) this.reported(n.cid, peer)
      const held: Promise<Held> = 'value' in n
        ? Promise.resolve({ value: rename(decode(n.value)) })
        : 'error' in n ? Promise.reject(deserializeError(n.error)) : Promise.resolve(new RemoteObject(n.cid, n.size, new Set([peer])))
      this.track(ids.get(n.id)!, held)
    }
    return rename(value)
  }

  private async addHolder (lineage: Lineage, cids: string[], peer: string): Promise<void> {
    for (const a of refsOf(lineage)) {
      let held: Held
      try {
        held = await this.heldOf(a)
      } catch {
        continue // freed meanwhile
      }
      if (held instanceof RemoteObject && cids.includes(held.cid)) held.holders.add(peer)
    }
  }

  /**
   * A task's arguments: values inline, node-held objects as CIDs with their live holders, and for
   * refs nested inside values what each stands for (the node gives the task refs of its own), each
   * listed after the refs inside its own value.
   */
  private async args (lineage: Lineage): Promise<{ values: unknown[], refs: RefArg[], nested: NestedRef[] }> {
    const refs: RefArg[] = []
    const nested = new Map<string, NestedRef>()
    const values = []
    const what = `task '${lineage.name}'`
    for (const [index, a] of lineage.args.entries()) {
      const held = a instanceof ObjectRef ? await this.argument(a, what) : { value: a }
      if (held instanceof RemoteObject) {
        await this.available(held)
        refs.push({ index, cid: held.cid, size: held.size, holders: [...held.holders].slice(0, 16) })
        values.push(null)
      } else {
        // A value (a ref's value, too) travels inline, with what the refs inside it stand for.
        await this.describe(held.value, nested, what)
        values.push(held.value)
      }
    }
    return { values, refs, nested: [...nested.values()] }
  }

  /** What the refs inside `values` stand for, each listed after the refs inside its own value. */
  async nestedOf (values: unknown[], what = 'the call'): Promise<NestedRef[]> {
    const nested = new Map<string, NestedRef>()
    for (const v of values) await this.describe(v, nested, what)
    return [...nested.values()]
  }

  /** What an argument ref stands for; its task's failure is the call's DependencyFailedError (as embedded). */
  private async argument (ref: ObjectRef, what: string): Promise<Held> {
    const p = this.heldOf(ref)
    try {
      return await p
    } catch (err) {
      throw new DependencyFailedError(`${what} did not run: its argument ${ref.toString()} failed: ${(err as Error).message}`, { cause: err })
    }
  }

  private async describe (value: unknown, nested: Map<string, NestedRef>, what: string): Promise<void> {
    for (const r of findRefs(value)) {
      if (nested.has(r.id)) continue
      const held = await this.argument(r, what)
      if (held instanceof RemoteObject) {
        await this.available(held)
        nested.set(r.id, { id: r.id, cid: held.cid, size: held.size, holders: [...held.holders].slice(0, 16) })
      } else {
        await this.describe(held.value, nested, what)
        nested.set(r.id, { id: r.id, value: encode(held.value) })
      }
    }
  }

  /** The value a ref stands for: pulled from a holder (rebuilt first when every holder is gone). */
  async value (held: Held): Promise<unknown> {
    if (!(held instanceof RemoteObject)) return held.value
    for (let attempt = 0; ; attempt++) {
      const own = this.served.get(held.cid)
      if (own !== undefined) return decode(own)
      await this.available(held)
      const holders = [...held.holders]
      try {
        return decode(await this.net.pullObject(held.cid, holders))
      } catch (err) {
        const name = (err as Error).name
        if (!['ObjectNotFoundError', 'PeerUnreachableError', 'RemoteError'].includes(name) || attempt >= MAX_ARG_REBUILDS) throw err
        // Every holder asked failed: none of them counts any more.
        for (const h of holders) held.holders.delete(h)
      }
    }
  }

  /**
   * Make sure some holder of `obj` is alive in the view: drop the dead ones, and rebuild the
   * object from its lineage when none is left.
   *
   * @throws ObjectLostError when it has no lineage or rebuilding it failed
   */
  private async available (obj: RemoteObject): Promise<void> {
    for (const h of [...obj.holders]) {
      if (h !== this.net.peerId && this.net.view.get(h) === undefined) obj.holders.delete(h)
    }
    if (obj.holders.size > 0) return
    obj.rebuilding ??= this.rebuild(obj).finally(() => { obj.rebuilding = undefined })
    await obj.rebuilding
  }

  private async rebuild (obj: RemoteObject): Promise<void> {
    const lineage = obj.lineage
    if (lineage === undefined) throw new ObjectLostError(`object ${obj.cid} is lost: every node holding it is gone, and it has no lineage (it was put, yielded by a generator, or returned inside another result)`, { cid: obj.cid })
    let again: Held
    try {
      again = await this.run(lineage)
    } catch (err) {
      throw new ObjectLostError(`object ${obj.cid} (the result of task '${lineage.name}') is lost: every node holding it is gone, and running the task again failed: ${(err as Error).name}: ${(err as Error).message}`, { cid: obj.cid, cause: err })
    }
    if (!(again instanceof RemoteObject)) throw new ObjectLostError(`object ${obj.cid}: task '${lineage.name}' gave a small value when run again; it is not deterministic`, { cid: obj.cid })
    // A task that is not deterministic gives other bytes: the ref stands for the new ones.
    obj.cid = again.cid
    obj.size = again.size
    for (const h of again.holders) obj.holders.add(h)
  }

  /** Release a ref now (Ray's free): later gets fail with ObjectReleasedError; node copies are dropped. */
  free (ref: ObjectRef): void {
    if (!this.held.has(ref.id)) return
    const held = this.values.get(ref.id)
    this.freed.add(ref.id)
    // Remembered only to say why a get fails; the oldest go first.
    if (this.freed.size > MAX_FREED_REMEMBERED) this.freed.delete(this.freed.values().next().value!)
    this.forget(ref.id)
    if (held instanceof RemoteObject) this.releaseObjects([held])
  }

  /** Release every node-held object on its holders (at stop; bounded in time). */
  async releaseAll (timeoutMs = 2000): Promise<void> {
    this.closed = true
    clearTimeout(this.releasing)
    // Tasks still running report their keeps when they finish (or never: the node drops what its
    // owner kept when the owner leaves).
    await Promise.allSettled([...this.held.values()])
    const signal = AbortSignal.timeout(timeoutMs)
    await Promise.allSettled([...this.takeKept([...this.kept.keys()])].map(async ([h, release]) => await this.sendRelease(h, release, signal)))
    this.held.clear()
    this.settled.clear()
    this.values.clear()
    this.served.clear()
  }
}

/** The refs a task was given: whole arguments and refs nested inside values. */
function refsOf (lineage: Lineage): ObjectRef[] {
  return lineage.args.flatMap(a => a instanceof ObjectRef ? [a] : findRefs(a))
}

/** A new driver ref id. */
function newId (): string {
  return randomId('d-')
}
