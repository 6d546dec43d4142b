// The owner's table of objects: every ref this node made, its state, its value and who holds it.
// A ref lives while something holds it (a driver handle, a pending task's argument, a value that
// contains it, a running guest); when the last holder lets go of a settled ref, it is deleted and
// its bytes unpinned, so a long job's memory stays flat.
import { randomFillSync } from 'node:crypto'
import { flat } from '../objects/flat-id.js'

/** Random bytes for ref ids, drawn in blocks (one syscall per 1,024 ids). */
const pool = new Uint32Array(1024)
let drawn = pool.length

/** 32 random bits, base36: what makes a ref id unguessable next to its sequence number. */
function salt (): string {
  if (drawn === pool.length) {
    randomFillSync(pool)
    drawn = 0
  }
  return pool[drawn++]!.toString(36)
}

/**
 * Where a ready object's bytes are: inline (small, CBOR; see {@link InlineBytes}), or in the
 * object store by CID. `raw`: the store holds a byte string's payload itself (a large `Uint8Array`
 * put by the driver), named by the CID of those bytes and never copied into a CBOR wrapper.
 */
export type StoredValue = InlineBytes | { cid: string, size: number, raw?: boolean }

/**
 * A small value's CBOR bytes as the table keeps them: the bytes, or for the smallest (most task
 * results: a number, a short string) a one-byte string of them. V8 keeps such a string in 16 B
 * plus its length, and one-character strings are shared, where a `Uint8Array` with its own
 * `ArrayBuffer` costs ~210 B: a million small results is ~200 MB less. See {@link packInline}.
 */
export type InlineBytes = Uint8Array | string

/** Values up to this many bytes are kept as one-byte strings. */
const PACK_LIMIT = 64

/** `bytes` as the table keeps them (the caller's buffer is not kept when they are packed). */
export function packInline (bytes: Uint8Array): InlineBytes {
  if (bytes.byteLength > PACK_LIMIT) return bytes
  return String.fromCharCode.apply(null, bytes as unknown as number[])
}

/** The bytes of an inline value (a fresh copy when it was packed). */
export function inlineBytes (v: InlineBytes): Uint8Array {
  if (typeof v !== 'string') return v
  const out = new Uint8Array(v.length)
  for (let i = 0; i < v.length; i++) out[i] = v.charCodeAt(i)
  return out
}

export function isInline (v: StoredValue): v is InlineBytes {
  return typeof v === 'string' || v instanceof Uint8Array
}

/**
 * One object of the owner. Every field is set at creation (no field is added later), and empty
 * lists are one shared frozen array: a job of a million refs pays for no empty arrays.
 */
export interface RefEntry {
  id: string
  state: 'pending' | 'ready' | 'failed'
  value: StoredValue | undefined
  error: Error | undefined
  holders: number
  /** Refs found inside this object's value: held while it lives. */
  nested: readonly string[]
  /** Called once, when the ref settles (ready or failed); see {@link RefTable.onSettle}. */
  waiters: Array<() => void> | undefined
  /** The owner's record of the task that makes this object, while it runs (a stream's while the ref lives). */
  producer: unknown
}

/** The empty list every entry without one shares. */
export const NONE: readonly string[] = Object.freeze([])

/** Objects this small stay inline in the table; larger ones go to the object store. */
export const INLINE_LIMIT = 100 * 1024

export class RefTable {
  private readonly entries = new Map<string, RefEntry>()
  private seq = 0

  constructor (readonly prefix: string, private readonly onDelete: (entry: RefEntry) => void) {}

  get size (): number {
    return this.entries.size
  }

  /**
   * A new pending ref (a task's result), or a ready one. Its id is `<prefix>/<kind><seq>.<salt>`:
   * unique by its sequence number, unguessable by its 32 random bits (guests name refs by id; the
   * host also checks each was given to them, see guest-access.ts).
   */
  create (kind: 't' | 'o' | 's'): RefEntry {
    const id = flat(`${this.prefix}/${kind}${(++this.seq).toString(36)}.${salt()}`)
    const entry: RefEntry = { id, state: 'pending', value: undefined, error: undefined, holders: 0, nested: NONE, waiters: undefined, producer: undefined }
    this.entries.set(id, entry)
    return entry
  }

  get (id: string): RefEntry | undefined {
    return this.entries.get(id)
  }

  /** Whether `id` was made by this table (it may have been deleted since). */
  owns (id: string): boolean {
    return id.startsWith(`${this.prefix}/`)
  }

  hold (id: string): void {
    const e = this.entries.get(id)
    if (e !== undefined) e.holders++
  }

  release (id: string): void {
    const e = this.entries.get(id)
    if (e === undefined) return
    e.holders--
    if (e.holders <= 0 && e.state !== 'pending') this.delete(e)
  }

  settle (e: RefEntry, outcome: { value: StoredValue, nested: readonly string[] } | { error: Error }): void {
    if (e.state !== 'pending') return
    if ('error' in outcome) {
      e.state = 'failed'
      e.error = outcome.error
    } else {
      e.state = 'ready'
      e.value = outcome.value
      e.nested = outcome.nested.length === 0 ? NONE : outcome.nested
      for (const id of outcome.nested) this.hold(id)
    }
    const waiters = e.waiters
    e.waiters = undefined
    if (waiters !== undefined) for (const w of waiters) w()
    if (e.holders <= 0) this.delete(e)
  }

  /** Call `fn` once when the pending `e` settles. */
  onSettle (e: RefEntry, fn: () => void): void {
    if (e.waiters === undefined) e.waiters = [fn]
    else e.waiters.push(fn)
  }

  /** Take back a waiter that is no longer wanted (a timed-out get, a satisfied wait). */
  offSettle (e: RefEntry, fn: () => void): void {
    const at = e.waiters?.indexOf(fn) ?? -1
    if (at >= 0) e.waiters!.splice(at, 1)
  }

  /** Resolve when `id` settles (at once if it has). */
  whenSettled (e: RefEntry): Promise<void> {
    if (e.state !== 'pending') return Promise.resolve()
    return new Promise(resolve => this.onSettle(e, resolve))
  }

  private delete (e: RefEntry): void {
    if (!this.entries.delete(e.id)) return
    this.onDelete(e)
    for (const id of e.nested) this.release(id)
  }

  /** Every entry, for shutdown. */
  all (): IterableIterator<RefEntry> {
    return this.entries.values()
  }

  clear (): void {
    this.entries.clear()
  }
}
