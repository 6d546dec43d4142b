// The objects a node owns (owner bookkeeping): every ref it made, small values inline and large
// ones in the store, who holds each, and waiting for them to settle.
import { ForeignRefError, GetTimeoutError, ObjectReleasedError } from './errors.js'
import { INLINE_LIMIT, inlineBytes, isInline, packInline, type RefEntry, type StoredValue } from './ref-table.js'
import { cborHead, concat } from './call-args.js'
import type { NodeCore } from './node-core.js'
import type { TaskRecord } from './node-records.js'

/** The node's objects: put, get, wait, hold, release and free refs; serve bytes by CID. */
export class ObjectOwner {
  constructor (private readonly n: NodeCore) {}

  /**
   * Store an encoded value; returns its ref id at once (held once for the caller). Large values
   * are hashed and stored in the background: the ref is pending until then.
   */
  put (bytes: Uint8Array, nested: string[]): string {
    this.n.assertRunning()
    for (const id of nested) this.entryOf(id) // refuse unknown refs before storing anything
    const e = this.n.refs.create('o')
    e.holders++
    if (bytes.byteLength <= INLINE_LIMIT) {
      this.n.refs.settle(e, { value: packInline(bytes), nested })
    } else {
      this.storeValue(bytes).then(
        value => this.n.refs.settle(e, { value, nested }),
        (err: unknown) => this.n.refs.settle(e, { error: err as Error })
      )
    }
    return e.id
  }

  /**
   * Store an encoded value that is still on its way (pulled from another node): its ref id at
   * once (held once for the caller), pending until the bytes arrive, failed if they do not.
   */
  putLater (bytes: Promise<Uint8Array>): string {
    this.n.assertRunning()
    const e = this.n.refs.create('o')
    e.holders++
    bytes.then(async b => await this.storeValue(b)).then(
      value => this.n.refs.settle(e, { value, nested: [] }),
      (err: unknown) => this.n.refs.settle(e, { error: err as Error })
    )
    return e.id
  }

  /**
   * Store a large byte string as it is (the store hashes and keeps the caller's buffer: no copy).
   * Returns its ref id at once, held once for the caller.
   */
  putBytes (bytes: Uint8Array): string {
    this.n.assertRunning()
    const e = this.n.refs.create('o')
    e.holders++
    this.n.store.put(bytes).then(
      cid => this.n.refs.settle(e, { value: { cid, size: bytes.byteLength, raw: true }, nested: [] }),
      (err: unknown) => this.n.refs.settle(e, { error: err as Error })
    )
    return e.id
  }

  async storeValue (bytes: Uint8Array, sha256?: Uint8Array): Promise<StoredValue> {
    if (bytes.byteLength <= INLINE_LIMIT) return packInline(bytes)
    return { cid: await this.n.store.put(bytes, sha256 !== undefined ? { sha256 } : {}), size: bytes.byteLength }
  }

  onRefDeleted (e: RefEntry): void {
    if (e.value !== undefined && !isInline(e.value)) this.n.store.unpin(e.value.cid)
    const stream = (e.producer as TaskRecord | undefined)?.stream
    if (stream !== undefined) {
      // Items nobody took go with the stream.
      for (const id of stream.items.slice(stream.taken)) this.n.refs.release(id)
      stream.taken = stream.items.length
    }
    e.producer = undefined
  }

  /** The task that makes ref `id`, while it is not done (a stream's while the ref lives). */
  producerOf (id: string): TaskRecord | undefined {
    return this.n.refs.get(id)?.producer as TaskRecord | undefined
  }

  /** The entry of a ref, or a typed error saying why there is none. */
  entryOf (id: string): RefEntry {
    const e = this.n.refs.get(id)
    if (e !== undefined) return e
    if (this.n.refs.owns(id)) throw new ObjectReleasedError(`ObjectRef(${id}) was released: nothing held it any more (or it was freed)`)
    throw new ForeignRefError(`ObjectRef(${id}) was not made by this fabric (${this.n.fabricId}): refs cannot move between fabrics`)
  }

  hold (id: string): void {
    this.n.refs.hold(id)
  }

  release (id: string): void {
    this.n.refs.release(id)
  }

  /** Drop a ref now, whoever holds it: later gets fail with ObjectReleasedError. */
  free (id: string): void {
    const e = this.n.refs.get(id)
    if (e === undefined) return
    e.holders = 1
    if (e.state === 'pending') {
      this.n.refs.settle(e, { error: new ObjectReleasedError(`ObjectRef(${id}) was freed before it was ready`) })
    }
    this.n.refs.release(id)
  }

  /** The bytes of a ref's value once it is ready; throws its error if it failed. */
  async get (id: string, timeoutMs?: number): Promise<Uint8Array> {
    return await this.valueBytes(await this.ready(id, timeoutMs))
  }

  /** The entry of `id` once it is ready; throws its error if it failed. */
  private async ready (id: string, timeoutMs: number | undefined): Promise<RefEntry> {
    const e = this.entryOf(id)
    if (e.state === 'pending') await this.settled(e, timeoutMs)
    if (e.state === 'failed') throw e.error!
    return e
  }

  /** Resolve when `e` settles; GetTimeoutError after `timeoutMs` (its waiter is taken off then). */
  private settled (e: RefEntry, timeoutMs: number | undefined): Promise<void> {
    if (timeoutMs === undefined) return this.n.refs.whenSettled(e)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.n.refs.offSettle(e, onSettle)
        reject(new GetTimeoutError(`ObjectRef(${e.id}) was not ready within ${timeoutMs} ms`))
      }, timeoutMs)
      const onSettle = (): void => {
        clearTimeout(timer)
        resolve()
      }
      this.n.refs.onSettle(e, onSettle)
    })
  }

  /** A ready value's CBOR bytes (a raw byte string gets its CBOR head). */
  async valueBytes (e: RefEntry): Promise<Uint8Array> {
    const v = e.value!
    if (isInline(v)) return inlineBytes(v)
    const bytes = await this.n.store.get(v.cid)
    return v.raw === true ? concat([cborHead(2, bytes.byteLength), bytes]) : bytes
  }

  /**
   * A ready value as stored: CBOR bytes, or (`raw`) a byte string's payload, which the caller may
   * use as the value itself without decoding or copying.
   */
  async getStored (id: string, timeoutMs?: number): Promise<{ bytes: Uint8Array, raw: boolean }> {
    const e = await this.ready(id, timeoutMs)
    const v = e.value!
    if (!isInline(v) && v.raw === true) return { bytes: await this.n.store.get(v.cid), raw: true }
    return { bytes: await this.valueBytes(e), raw: false }
  }

  /**
   * Where a ready value lives: inline CBOR bytes (small), or the CID and size of its CBOR bytes in
   * this node's store (served to peers by CID while the ref is held). Throws the task's error.
   */
  async location (id: string): Promise<{ inline: Uint8Array } | { cid: string, size: number }> {
    const v = (await this.ready(id, undefined)).value!
    if (isInline(v)) return { inline: inlineBytes(v) }
    if (v.raw === true) return { inline: await this.valueBytes(await this.ready(id, undefined)) }
    return { cid: v.cid, size: v.size }
  }

  /** The bytes of object `cid` when this node's store holds it (for peers pulling it). */
  async objectBytes (cid: string): Promise<Uint8Array | undefined> {
    if (!this.n.store.has(cid)) return undefined
    try {
      return await this.n.store.get(cid)
    } catch {
      return undefined // released in between
    }
  }

  /** Wait until `numReturns` of `ids` have settled (ready or failed); returns those, in order. */
  async wait (ids: string[], numReturns: number, timeoutMs?: number): Promise<string[]> {
    const entries = ids.map(id => this.entryOf(id))
    let settled = 0
    for (const e of entries) if (e.state !== 'pending') settled++
    if (settled < numReturns && timeoutMs !== 0) {
      const pending = entries.filter(e => e.state === 'pending')
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined
        const done = (): void => {
          if (timer !== undefined) clearTimeout(timer)
          // Take our waiter off the refs still pending: repeated waits must not pile them up.
          for (const e of pending) this.n.refs.offSettle(e, onSettle)
          resolve()
        }
        const onSettle = (): void => {
          if (++settled >= numReturns) done()
        }
        for (const e of pending) this.n.refs.onSettle(e, onSettle)
        if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs)
      })
    }
    const ready: string[] = []
    for (const e of entries) {
      if (ready.length >= numReturns) break
      if (e.state !== 'pending') ready.push(e.id)
    }
    return ready
  }

  /** Whether the settled value of ref `id` holds refs. */
  holdsRefs (id: string): boolean {
    return (this.n.refs.get(id)?.nested.length ?? 0) > 0
  }
}
