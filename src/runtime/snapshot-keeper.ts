// Copies of other nodes' durable actors' snapshots (the replica side of net/snapshot-protocol.ts):
// per actor key, the objects of its current chain, pinned in the store. A full snapshot starts a
// chain and lets the older objects go; a node restoring the actor pulls them from here by CID. A
// key's copies go when told (the actor ended), or when the actor's owner leaves the fabric.
import { cidOfDigest } from '../objects/index.js'
import { QuotaExceededError } from '../errors/index.js'
import { parseManifest, split } from './durable.js'
import { SNAPSHOT_PAGE_BYTES } from '../exec/snapshot.js'
import type { NodeCore } from './node-core.js'

/** Bytes of snapshots one peer may have kept here. */
export const KEEPER_BYTES_PER_PEER = 1024 * 1024 * 1024

interface Kept {
  /** The node that sent the latest (it pays for them against its quota). */
  from: string
  owner: string | undefined
  pinned: Map<string, number>
  bytes: number
  /** The objects of the current chain, and of the chain before it (kept too: see `hold`). */
  chain: Set<string>
  previous: Set<string>
}

export class SnapshotKeeper {
  private readonly kept = new Map<string, Kept>()
  private readonly held = new Map<string, number>()
  private readonly bytesOf = new Map<string, number>()
  /** Holds of one key run one after another (a resent hold may overlap the first). */
  private readonly queues = new Map<string, Promise<void>>()

  constructor (private readonly n: NodeCore) {}

  holds (cid: string): boolean {
    return this.held.has(cid)
  }

  /**
   * Keep snapshot `manifest` of `key` with `pages` (4 KiB each). A full snapshot starts a chain:
   * the chain it replaces is kept until the next full one, so an owner that missed the newest
   * snapshot (its node died before it heard) can still restore from the one before.
   * @throws QuotaExceededError past KEEPER_BYTES_PER_PEER for the sender; Error for a page of
   *   another size, a delta of no chain held here, or a full snapshot naming a page neither sent
   *   nor kept for this key
   */
  async hold (from: string, req: { key: string, owner?: string, manifest: Uint8Array, pages: Uint8Array[], full: boolean }): Promise<void> {
    const run = (this.queues.get(req.key) ?? Promise.resolve()).then(async () => { await this.holdNow(from, req) })
    const queued = run.catch(() => {})
    this.queues.set(req.key, queued)
    void queued.then(() => { if (this.queues.get(req.key) === queued) this.queues.delete(req.key) })
    await run
  }

  private async holdNow (from: string, req: { key: string, owner?: string, manifest: Uint8Array, pages: Uint8Array[], full: boolean }): Promise<void> {
    const store = this.n.store
    for (const p of req.pages) if (p.byteLength !== SNAPSHOT_PAGE_BYTES) throw new Error(`a snapshot page has ${p.byteLength} bytes, not ${SNAPSHOT_PAGE_BYTES}`)
    /** CIDs put by this request, each holding the pin of its put until taken over. */
    const put: string[] = []
    try {
      const manifestCid = await store.put(req.manifest)
      put.push(manifestCid)
      const m = parseManifest(req.manifest, manifestCid)
      const known = this.kept.get(req.key)
      if (known !== undefined && known.from !== from && known.owner !== undefined && req.owner !== known.owner) throw new Error(`snapshots of ${req.key} are kept for another owner`)
      const k = known ?? { from, owner: req.owner, pinned: new Map<string, number>(), bytes: 0, chain: new Set<string>(), previous: new Set<string>() }
      if (!req.full && !k.chain.has(m.base ?? '')) throw new Error(`snapshot ${manifestCid} of ${req.key} changes ${m.base ?? 'nothing'}, which this node does not hold: send a full snapshot`)
      const incoming = req.pages.reduce((s, p) => s + p.byteLength, 0) + req.manifest.byteLength
      const used = (this.bytesOf.get(from) ?? 0) - (k.from === from && req.full ? k.bytes : 0)
      if (used + incoming > KEEPER_BYTES_PER_PEER) throw new QuotaExceededError(`quota 'snapshots' of limit ${KEEPER_BYTES_PER_PEER} bytes reached on this node for ${from}`, { quota: 'snapshots', limit: KEEPER_BYTES_PER_PEER })
      for (const p of req.pages) put.push(await store.put(p))
      const named = req.full ? new Set([manifestCid, ...m.digests!.flatMap(d => split(d)).map(d => cidOfDigest(d))]) : undefined
      // Every page a full manifest names was sent now or is kept for this key already: a hold
      // never pins (and so never serves) an object the sender did not have.
      if (named !== undefined) for (const cid of named) if (!put.includes(cid) && !k.pinned.has(cid)) throw new Error(`snapshot ${manifestCid} of ${req.key} names page ${cid}, which was not sent`)
      for (const cid of put.splice(0)) this.take(k, cid)
      if (named !== undefined) {
        // The chain replaced is kept until the next full snapshot; the one before it goes.
        const keep = new Set([...named, ...k.chain])
        for (const cid of [...k.pinned.keys()]) if (!keep.has(cid)) this.unpin(k, cid)
        k.previous = k.chain
        k.chain = named
      } else {
        k.chain.add(manifestCid)
        for (const p of m.changed!) k.chain.add(cidOfDigest(p[2]))
      }
      const before = known?.from
      k.from = from
      k.owner = req.owner ?? k.owner
      this.kept.set(req.key, k)
      // The last sender of a key pays for all of it.
      if (before !== undefined && before !== from) {
        this.account(before, -k.bytes)
        this.account(from, k.bytes)
      }
    } finally {
      for (const cid of put) store.unpin(cid) // refused: nothing of it stays
    }
  }

  /** The actor ended: its copies go (only its owner, or the node that sent them, may say so). */
  drop (from: string, key: string): void {
    const k = this.kept.get(key)
    if (k === undefined) return
    if (from !== k.from && from !== k.owner) throw new Error(`snapshots of ${key} were sent by another node: only it or the actor's owner may drop them`)
    this.forget(key, k)
  }

  /** The bytes of the objects among `cids` this keeper holds (null for the others, and past `maxBytes` in all). */
  async get (_from: string, cids: string[], maxBytes = 3 * 1024 * 1024 + 512 * 1024): Promise<Array<Uint8Array | null>> {
    const seen = new Set<string>()
    let room = maxBytes
    const out: Array<Uint8Array | null> = []
    for (const cid of cids) {
      if (!this.held.has(cid) || seen.has(cid)) { out.push(null); continue }
      seen.add(cid)
      const size = this.n.store.size(cid) ?? Infinity
      if (size > room) { out.push(null); continue }
      room -= size
      try {
        out.push(await this.n.store.get(cid))
      } catch {
        out.push(null)
      }
    }
    return out
  }

  /** Peer `peer` left the fabric: the snapshots of actors it owned go (their actors went with it). */
  ownerGone (peer: string): void {
    for (const [key, k] of [...this.kept]) if (k.owner === peer) this.forget(key, k)
  }

  private forget (key: string, k: Kept): void {
    for (const cid of [...k.pinned.keys()]) this.unpin(k, cid)
    this.kept.delete(key)
  }

  stats (): { keys: number, objects: number } {
    return { keys: this.kept.size, objects: this.held.size }
  }

  /** `k` keeps `cid` with the pin its put took (or lets that pin go, keeping it already). */
  private take (k: Kept, cid: string): void {
    if (k.pinned.has(cid)) {
      this.n.store.unpin(cid)
      return
    }
    const size = this.n.store.size(cid) ?? 0
    k.pinned.set(cid, size)
    k.bytes += size
    this.account(k.from, size)
    this.held.set(cid, (this.held.get(cid) ?? 0) + 1)
  }

  private unpin (k: Kept, cid: string): void {
    const size = k.pinned.get(cid)
    if (size === undefined) return
    k.pinned.delete(cid)
    k.bytes -= size
    this.account(k.from, -size)
    const n = (this.held.get(cid) ?? 1) - 1
    if (n > 0) this.held.set(cid, n)
    else this.held.delete(cid)
    this.n.store.unpin(cid)
  }

  /** What `peer` has kept here changes by `bytes` (kept up to date, not summed per hold). */
  private account (peer: string, bytes: number): void {
    const sum = (this.bytesOf.get(peer) ?? 0) + bytes
    if (sum > 0) this.bytesOf.set(peer, sum)
    else this.bytesOf.delete(peer)
  }
}
