// Memoised tasks: a call named by what decides its result, and the node's index of results by name.
//
// A guest has no clock, network, filesystem or unseeded randomness, so a call's result is a function
// of the component's bytes, the function's name and the argument bytes. `memoName` hashes exactly
// those; no option changes a successful result (resources, retries and timeouts decide only whether
// it succeeds; `gpus` is refused with `memo`, see options.ts). The index keeps each result as an
// object of the store (pinned while indexed), bounded by count and bytes and evicted least recently
// used first; it also keeps hints of results other nodes hold (heard by gossip or lookup), bounded
// the same way. A hit's bytes come from the store or from a peer by CID: both verify the bytes
// against the CID, so a hit is never bytes the fabric has not checked.
import { createHash } from 'node:crypto'
import type { ObjectStore } from '../objects/index.js'

/** Prefix of every call name: a new scheme (another hash, another encoding) gets a new one. */
const NAME_SCHEME = 'fabric-memo/1'

/** A call name: 43 characters of base64url (a sha-256). */
export const MEMO_NAME_RE = /^[A-Za-z0-9_-]{43}$/

/**
 * The name of a call: sha-256 over the scheme, the component's CID, the function and the sha-256 of
 * the CBOR argument array the guest receives (refs already replaced by their values' bytes).
 */
export function memoName (component: string, fn: string, args: Uint8Array): string {
  const argsDigest = createHash('sha256').update(args).digest()
  return createHash('sha256').update(`${NAME_SCHEME}\0${component}\0${fn}\0`).update(argsDigest).digest('base64url')
}

/** A result this node holds for a call name. */
export interface MemoEntry {
  cid: string
  size: number
}

/** A node that said it holds a result (its gossip names the call, not the result's CID). */
export interface MemoHint {
  peer: string
}

/** Bounds of a node's memo index. */
export interface MemoInit {
  /** Results kept. @default 100000 */
  maxEntries?: number
  /** Bytes of results kept (beyond it the least recently used go). @default 1 GiB */
  maxBytes?: number
  /** Hints of other nodes' results kept. @default 100000 */
  maxHints?: number
}

/** What the index has done since the node started. */
export interface MemoStats {
  entries: number
  bytes: number
  hints: number
  /** Calls answered from a result held here. */
  hits: number
  /** Calls answered from a result pulled from another node. */
  remoteHits: number
  /** Memoised calls that ran. */
  misses: number
  evictions: number
}

export class MemoIndex {
  /** By call name, least recently used first (a Map keeps insertion order; a use re-inserts). */
  private readonly entries = new Map<string, MemoEntry>()
  private readonly hints = new Map<string, MemoHint>()
  /** How many entries name each CID (two calls may give the same bytes). */
  private readonly byCid = new Map<string, number>()
  /** Entries added since the last {@link drainRecent}, for gossip. */
  private recent: Array<[string, MemoEntry]> = []
  private bytes = 0
  private readonly maxEntries: number
  /** Bytes of results kept at most (a result over it is not kept). */
  readonly maxBytes: number
  private readonly maxHints: number
  readonly counters = { hits: 0, remoteHits: 0, misses: 0, evictions: 0 }

  constructor (private readonly store: ObjectStore, init: MemoInit = {}) {
    this.maxEntries = positive(init.maxEntries, 100_000, 'maxEntries')
    this.maxBytes = positive(init.maxBytes, 2 ** 30, 'maxBytes')
    this.maxHints = positive(init.maxHints, 100_000, 'maxHints')
  }

  /** The result held here for `name` (a use: it becomes the most recent). */
  get (name: string): MemoEntry | undefined {
    const e = this.entries.get(name)
    if (e === undefined) return undefined
    if (!this.store.has(e.cid)) {
      // The store lost it (stopped, or a disk tier failed): the entry says nothing any more.
      this.drop(name, e)
      return undefined
    }
    this.entries.delete(name)
    this.entries.set(name, e)
    return e
  }

  /** The bytes of a result held here, or undefined when it is gone. */
  async bytesOf (e: MemoEntry): Promise<Uint8Array | undefined> {
    try {
      return await this.store.get(e.cid)
    } catch {
      return undefined
    }
  }

  /** Whether some entry names `cid` (such objects are served to any member that asks). */
  holds (cid: string): boolean {
    return this.byCid.has(cid)
  }

  /**
   * Keep `bytes` as the result of call `name` (stored and pinned), evicting the least recently
   * used past the bounds. A result larger than the byte bound is not kept.
   */
  async remember (name: string, bytes: Uint8Array, sha256?: Uint8Array): Promise<MemoEntry | undefined> {
    const known = this.entries.get(name)
    if (known !== undefined) return known
    if (bytes.byteLength > this.maxBytes) return undefined
    const cid = await this.store.put(bytes, sha256 === undefined ? {} : { sha256 })
    if (this.entries.has(name)) {
      // Another run of the same call finished while this one was stored.
      this.store.unpin(cid)
      return this.entries.get(name)
    }
    const e = { cid, size: bytes.byteLength }
    this.entries.set(name, e)
    this.byCid.set(cid, (this.byCid.get(cid) ?? 0) + 1)
    this.bytes += e.size
    this.hints.delete(name)
    this.recent.push([name, e])
    if (this.recent.length > RECENT_MAX) this.recent.splice(0, this.recent.length - RECENT_MAX)
    for (const [oldest, o] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break
      this.drop(oldest, o)
      this.counters.evictions++
    }
    return e
  }

  private drop (name: string, e: MemoEntry): void {
    this.entries.delete(name)
    this.bytes -= e.size
    const n = (this.byCid.get(e.cid) ?? 1) - 1
    if (n > 0) this.byCid.set(e.cid, n)
    else this.byCid.delete(e.cid)
    this.store.unpin(e.cid)
  }

  /** Another node holds a result for `name` (its gossip or its answer to a lookup). */
  hint (name: string, h: MemoHint): void {
    if (this.entries.has(name)) return
    this.hints.delete(name)
    this.hints.set(name, h)
    if (this.hints.size > this.maxHints) this.hints.delete(this.hints.keys().next().value!)
  }

  hintOf (name: string): MemoHint | undefined {
    return this.hints.get(name)
  }

  /** Forget a hint that turned out wrong (the peer is gone, or no longer holds it). */
  forgetHint (name: string, h: MemoHint): void {
    if (this.hints.get(name) === h) this.hints.delete(name)
  }

  /** The entries added since the last call (for gossip), oldest first. */
  drainRecent (): Array<[string, MemoEntry]> {
    const out = this.recent
    this.recent = []
    return out
  }

  stats (): MemoStats {
    return { entries: this.entries.size, bytes: this.bytes, hints: this.hints.size, ...this.counters }
  }

  /** Unpin every result (the node stops). */
  clear (): void {
    for (const [name, e] of [...this.entries]) this.drop(name, e)
    this.hints.clear()
    this.recent = []
  }
}

/** Entries waiting for the next gossip message at most (older ones are only found by lookup). */
const RECENT_MAX = 4096

function positive (v: number | undefined, d: number, what: string): number {
  if (v === undefined) return d
  if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`memo ${what} must be a positive integer, got ${String(v)}`)
  return v
}
