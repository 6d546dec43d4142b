// Durable actors: an actor's state kept as content-addressed snapshots, so that a restart (its
// worker crashed, its node died) resumes from the last one instead of from fresh state.
//
// After a call (every call, or every `checkpointEvery`), the worker sends the 4 KiB pages of the
// instance's memory that changed and its mutable globals (exec/snapshot.ts). Each page is an
// object of the store named by its CID, so a page that did not change is stored once however many
// snapshots name it. A snapshot's manifest (an object too) names the pages by digest: a full one
// lists every page, a delta one the pages changed since its `base`; every COMPACT_AFTER snapshots a
// full one starts the chain again and the pages no longer named are let go. The manifest also
// keeps the sequence number of the last call it includes and the results of the last few, so that
// a call the owner sends again after a restart (it never heard the answer) is answered, not run
// twice. A snapshot is copied to `snapshotReplicas` other nodes (net/snapshot-protocol.ts) before
// the call that made it is answered: it outlives the node that made it.
import { createHash } from 'node:crypto'
import { cidOfDigest, decode, encode } from '../objects/index.js'
import { SNAPSHOT_PAGE_BYTES, type SnapshotDelta, type SnapshotImage } from '../exec/snapshot.js'
import type { NodeCore } from './node-core.js'

/** Deltas after a full manifest before the next full one. */
export const COMPACT_AFTER = 32
/** Memories an instance may have, and the most bytes of one (wasm32). */
const MAX_MEMORIES = 16
const MAX_MEMORY_BYTES = 2 ** 32
const WASM_PAGE = 65536
/** Pages asked of a replica in one request (within its reply frame). */
const MAX_PAGES_PER_GET = 900
/** Results of the last calls a snapshot keeps (a call sent again after a restart is answered from them). */
export const RESULTS_KEPT = 16
/** Largest result a snapshot keeps; a larger one sent again after a restart fails, saying so. */
export const RESULT_KEPT_BYTES = 64 * 1024

/** Where a snapshot is: its manifest's CID and the nodes holding it. */
export interface SnapshotRef {
  cid: string
  holders: string[]
}

/** How an actor is kept durable (ResolvedActorOptions.durable). */
export interface DurableSpec {
  /** A snapshot after every this many calls (1: after each). */
  every: number
  /** Other nodes each snapshot is copied to. */
  replicas: number
  /** Names the actor's snapshots across its restarts (replicas keep one snapshot per key). */
  key: string
  /** The snapshot to resume from (a restart on another node). */
  restore?: SnapshotRef
}

/** A snapshot's manifest, as stored (CBOR). */
export interface Manifest {
  v: 1
  page: number
  /** Memory sizes in bytes. */
  sizes: number[]
  /** Full: every page's digest per memory (32 bytes each, in page order). */
  digests?: Uint8Array[]
  /** Delta: the manifest it changes, and the pages changed: [memory, page, digest]. */
  base?: string
  changed?: Array<[number, number, Uint8Array]>
  depth: number
  globals: unknown[]
  /** The last call's sequence number the state includes (-1: none counted). */
  applied: number
  /** [seq, result bytes or null (too large to keep)] of the last calls. */
  results: Array<[number, Uint8Array | null]>
}

/** What moves a snapshot to other nodes (set once the node is in a fabric). */
export interface SnapshotTransport {
  /** This node. */
  readonly self: string
  /** Up to `count` other nodes to hold snapshots of `key`, the same ones while they live. */
  replicasFor: (key: string, count: number) => string[]
  /** Have `peer` hold snapshot `manifest` of `key` (with the pages it lacks: all of them for a full one). */
  hold: (peer: string, req: { key: string, owner?: string, manifest: Uint8Array, pages: Uint8Array[], full: boolean }) => Promise<void>
  /** `peer` may let go of the snapshots of `key`. */
  drop: (peer: string, key: string) => Promise<void>
  /** Pull an object by CID (verified) from nodes that hold it. */
  pull: (cid: string, holders: string[]) => Promise<Uint8Array>
  /** Snapshot objects among `cids` that `holder` keeps, many per request (null for one it does not; not verified). */
  getMany: (holder: string, cids: string[]) => Promise<Array<Uint8Array | null>>
}

/** One durable actor's snapshot state on its node. */
export class DurableState {
  /** Calls since the last snapshot. */
  since = 0
  applied = -1
  results: Array<[number, Uint8Array | null]> = []
  /** Each memory's page digests as of the last snapshot, and their CIDs. */
  view: Uint8Array[][] = []
  cids: string[][] = []
  sizes: number[] = []
  latest: SnapshotRef | undefined
  depth = 0
  /** Objects this state keeps pinned in the store (pages and manifests of the current chain). */
  readonly pinned = new Set<string>()
  /** Per replica, the manifest it last took: a replica that missed one is sent a full snapshot. */
  readonly acked = new Map<string, string>()
  /** The snapshots taken but not stored yet, in order (see Durables.commit). */
  pending: Promise<void> = Promise.resolve()
  /** The actor is gone: snapshots stored after this are let go at once. */
  released = false
  /** A snapshot that could not be stored (the store failed): the state since is not kept. */
  lost: Error | undefined

  constructor (readonly spec: DurableSpec, readonly owner?: string) {}
}

const ZERO_DIGEST = createHash('sha256').update(new Uint8Array(SNAPSHOT_PAGE_BYTES)).digest()
const ZERO_CID = cidOfDigest(ZERO_DIGEST)

/** A node's durable actors' snapshots: commit after calls, images to restart from, replication. */
export class Durables {
  transport: SnapshotTransport | undefined
  /** How many states pin each CID (served to peers that ask: see LocalNode.mayServe). */
  private readonly held = new Map<string, number>()
  readonly counters = { snapshots: 0, pagesStored: 0, bytesStored: 0, restores: 0, replicaFailures: 0 }

  constructor (private readonly n: NodeCore) {}

  holds (cid: string): boolean {
    return this.held.has(cid)
  }

  /** The result of call `seq` when the state already includes it: bytes, null (too large to keep), or undefined (not yet run). */
  answered (s: DurableState, seq: number | undefined): Uint8Array | null | undefined {
    if (seq === undefined || seq > s.applied) return undefined
    const r = s.results.find(([q]) => q === seq)
    return r === undefined ? null : r[1]
  }

  /**
   * Take what changed after a call (with its sequence number and result) as the actor's new
   * snapshot; resolves once the call may be answered. With replicas, that is once they hold it
   * (its node may die next). Without, the snapshot is stored after the answer, while the actor runs
   * its next call: until then the delta is held here, and a restart in place waits for it
   * (`settled`). Snapshots are stored one after another, in order; `onRef` is told of each.
   */
  async commit (s: DurableState, delta: SnapshotDelta, call: { seq?: number, result?: Uint8Array }, onRef?: (ref: SnapshotRef) => void): Promise<void> {
    // Chosen once per snapshot (a hash per peer in view): the same ones decide the wait and the copies.
    const replicas = this.transport === undefined || s.spec.replicas === 0 ? [] : this.transport.replicasFor(s.spec.key, s.spec.replicas)
    const stored = s.pending.then(async () => await this.persist(s, delta, call, replicas))
    s.pending = stored.then(ref => { if (s.released) this.keepOnly(s, new Set()); else onRef?.(ref) }, (err: unknown) => {
      // Not stored: the worker's copy has moved on, so later deltas would leave these pages out.
      // The actor restarts from the last stored snapshot before its next call (ActorTable).
      s.lost = err as Error
      if (s.released) this.keepOnly(s, new Set())
    })
    if (replicas.length > 0) await stored
  }

  /** Resolves once every snapshot taken of `s` is stored (a restart resumes from the last). */
  async settled (s: DurableState): Promise<void> {
    await s.pending
  }

  /** Store a snapshot and copy it to the replicas; resolves once it is held where it will be found. */
  private async persist (s: DurableState, delta: SnapshotDelta, call: { seq?: number, result?: Uint8Array }, replicas: string[]): Promise<SnapshotRef> {
    const store = this.n.store
    const changedPages: Uint8Array[] = []
    const changed: Array<[number, number, Uint8Array]> = []
    for (const [m, mem] of delta.memories.entries()) {
      const view = s.view[m] ??= []
      const cids = s.cids[m] ??= []
      const pages = mem.size / SNAPSHOT_PAGE_BYTES
      while (view.length < pages) view.push(ZERO_DIGEST)
      while (cids.length < pages) cids.push(ZERO_CID)
      s.sizes[m] = mem.size
      for (const p of mem.changed) {
        view[p.index] = p.digest
        changed.push([m, p.index, p.digest])
        changedPages.push(p.bytes)
        const cid = await store.put(p.bytes, { sha256: p.digest })
        cids[p.index] = cid
        this.pin(s, cid)
        this.counters.pagesStored++
        this.counters.bytesStored += p.bytes.byteLength
      }
    }
    if (call.seq !== undefined) {
      s.applied = call.seq
      s.results.push([call.seq, call.result !== undefined && call.result.byteLength <= RESULT_KEPT_BYTES ? call.result : null])
      if (s.results.length > RESULTS_KEPT) s.results.shift()
    }
    // A full manifest starts a chain: the first, every COMPACT_AFTER, and whenever a replica lacks the chain.
    const full = s.latest === undefined || s.depth >= COMPACT_AFTER || replicas.some(r => s.acked.get(r) !== s.latest?.cid)
    const manifest: Manifest = {
      v: 1,
      page: SNAPSHOT_PAGE_BYTES,
      sizes: [...s.sizes],
      ...(full ? { digests: s.view.map(v => concat(v)) } : { base: s.latest!.cid, changed }),
      depth: full ? 0 : s.depth + 1,
      globals: delta.globals,
      applied: s.applied,
      results: s.results
    }
    const bytes = encode(manifest)
    const cid = await store.put(bytes)
    this.pin(s, cid)
    this.counters.bytesStored += bytes.byteLength
    this.counters.snapshots++
    if (full) this.keepOnly(s, new Set([cid, ...s.cids.flat()]))
    s.depth = manifest.depth
    const holders = [this.transport?.self ?? '']
    if (replicas.length > 0) {
      const pages = full ? await this.allPages(s) : changedPages
      const done = await Promise.allSettled(replicas.map(async peer => {
        await this.transport!.hold(peer, { key: s.spec.key, ...(s.owner === undefined ? {} : { owner: s.owner }), manifest: bytes, pages, full })
        s.acked.set(peer, cid)
        return peer
      }))
      for (const [i, d] of done.entries()) {
        if (d.status === 'fulfilled') holders.push(d.value)
        else {
          this.counters.replicaFailures++
          s.acked.delete(replicas[i]!)
        }
      }
    }
    s.latest = { cid, holders }
    return s.latest
  }

  /**
   * The image of snapshot `from` (its manifest chain and pages read here, or pulled from its
   * holders), and `s` set to continue from it. The pages are kept here from now on.
   */
  async image (s: DurableState, from: SnapshotRef): Promise<SnapshotImage> {
    const chain: Manifest[] = []
    const manifests = new Map<string, Uint8Array>()
    for (let cid: string | undefined = from.cid; cid !== undefined;) {
      const bytes = await this.fetch(cid, from.holders)
      const m = parseManifest(bytes, cid)
      chain.unshift(m)
      manifests.set(cid, bytes)
      cid = m.base
      if (chain.length > COMPACT_AFTER + 1) throw new Error(`snapshot ${from.cid} has a chain of more than ${COMPACT_AFTER + 1} manifests`)
    }
    if (chain[0]!.base !== undefined || chain[0]!.digests === undefined) throw new Error(`snapshot ${from.cid} does not start from a full manifest`)
    const view: Uint8Array[][] = chain[0]!.digests!.map(d => split(d))
    for (const m of chain.slice(1)) {
      m.sizes.forEach((size, i) => { const v = view[i] ??= []; while (v.length < size / SNAPSHOT_PAGE_BYTES) v.push(ZERO_DIGEST) })
      for (const [mem, index, digest] of m.changed!) view[mem]![index] = digest
    }
    const last = chain[chain.length - 1]!
    for (const bytes of manifests.values()) this.pin(s, await this.n.store.put(bytes))
    // Pages pulled a few at a time: a 3 MiB instance has ~800.
    const distinct = new Map<string, Uint8Array>()
    for (const d of view.flat()) if (!isZero(d)) distinct.set(cidOfDigest(d), d)
    const bytesOf = new Map<string, Uint8Array>()
    for (const cid of distinct.keys()) if (this.n.store.has(cid)) bytesOf.set(cid, await this.n.store.get(cid))
    await this.pullPages([...distinct].filter(([cid]) => !bytesOf.has(cid)), from.holders, bytesOf)
    for (const [cid, d] of distinct) this.pin(s, await this.n.store.put(bytesOf.get(cid)!, { sha256: d }))
    s.view = view
    s.cids = view.map(pages => pages.map(d => isZero(d) ? ZERO_CID : cidOfDigest(d)))
    s.sizes = [...last.sizes]
    s.applied = last.applied
    s.results = last.results
    s.depth = last.depth
    s.latest = { cid: from.cid, holders: [this.transport?.self ?? '', ...from.holders.filter(h => h !== this.transport?.self)] }
    s.acked.clear()
    s.lost = undefined
    // Released while it was restored (the actor was killed): what it pinned goes too.
    if (s.released) this.keepOnly(s, new Set())
    this.counters.restores++
    return {
      memories: view.map((pages, i) => ({
        size: last.sizes[i]!,
        pages: pages.flatMap((d, index) => isZero(d) ? [] : [{ index, bytes: bytesOf.get(cidOfDigest(d))! }])
      })),
      globals: last.globals
    }
  }

  /** The actor is gone for good: its snapshots go here and on its replicas. */
  release (s: DurableState): void {
    s.released = true
    this.keepOnly(s, new Set())
    for (const peer of s.acked.keys()) void this.transport?.drop(peer, s.spec.key).catch(() => {})
    s.acked.clear()
  }

  private async fetch (cid: string, holders: string[]): Promise<Uint8Array> {
    if (this.n.store.has(cid)) return await this.n.store.get(cid)
    const others = holders.filter(h => h !== this.transport?.self && h !== '')
    if (this.transport === undefined || others.length === 0) throw new Error(`snapshot object ${cid} is not on this node and no other node holds it`)
    return await this.transport.pull(cid, others)
  }

  /**
   * Pages from the holders, many per request (a 3 MiB instance has ~800), each checked against its
   * digest; a page no holder gives is pulled alone over the object protocol.
   * @throws when a page cannot be had from any holder
   */
  private async pullPages (wanted: Array<[string, Uint8Array]>, holders: string[], into: Map<string, Uint8Array>): Promise<void> {
    const others = holders.filter(h => h !== this.transport?.self && h !== '')
    if (wanted.length === 0) return
    if (this.transport === undefined || others.length === 0) throw new Error(`snapshot page ${wanted[0]![0]} is not on this node and no other node holds it`)
    for (const holder of others) {
      const left = wanted.filter(([cid]) => !into.has(cid))
      for (let at = 0; at < left.length; at += MAX_PAGES_PER_GET) {
        const batch = left.slice(at, at + MAX_PAGES_PER_GET)
        let got: Array<Uint8Array | null>
        try {
          got = await this.transport.getMany(holder, batch.map(([cid]) => cid))
        } catch {
          break // this holder is gone: the next one
        }
        got.forEach((bytes, i) => {
          // A holder may be hostile: only bytes that hash to the page's digest are taken.
          if (bytes !== null && Buffer.compare(createHash('sha256').update(bytes).digest(), batch[i]![1]) === 0) into.set(batch[i]![0], bytes)
        })
      }
    }
    for (const [cid] of wanted) if (!into.has(cid)) into.set(cid, await this.transport.pull(cid, others))
  }

  private async allPages (s: DurableState): Promise<Uint8Array[]> {
    const seen = new Set<string>()
    const out: Uint8Array[] = []
    for (const cid of s.cids.flat()) {
      if (seen.has(cid)) continue
      seen.add(cid)
      out.push(cid === ZERO_CID ? new Uint8Array(SNAPSHOT_PAGE_BYTES) : await this.n.store.get(cid))
    }
    return out
  }

  /** One pin per state: a CID put again (an unchanged page) gives its extra pin back. */
  private pin (s: DurableState, cid: string): void {
    if (s.pinned.has(cid)) {
      this.n.store.unpin(cid)
      return
    }
    s.pinned.add(cid)
    this.held.set(cid, (this.held.get(cid) ?? 0) + 1)
  }

  private keepOnly (s: DurableState, keep: Set<string>): void {
    for (const cid of [...s.pinned]) {
      if (keep.has(cid)) continue
      s.pinned.delete(cid)
      const n = (this.held.get(cid) ?? 1) - 1
      if (n > 0) this.held.set(cid, n)
      else this.held.delete(cid)
      this.n.store.unpin(cid)
    }
  }
}

function isZero (digest: Uint8Array): boolean {
  return Buffer.compare(digest, ZERO_DIGEST) === 0
}

function concat (digests: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(digests.length * 32)
  digests.forEach((d, i) => out.set(d, i * 32))
  return out
}

export function split (bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < bytes.length; at += 32) out.push(bytes.subarray(at, at + 32))
  return out
}

/** Check a manifest read from a store or a peer (its bytes matched its CID; its shape is checked here). */
export function parseManifest (bytes: Uint8Array, cid: string): Manifest {
  const m = decode(bytes) as Partial<Manifest> | null
  const bad = (why: string): never => { throw new Error(`snapshot manifest ${cid} is malformed: ${why}`) }
  if (m === null || typeof m !== 'object' || m.v !== 1) return bad('not a version 1 manifest')
  if (m.page !== SNAPSHOT_PAGE_BYTES) return bad(`pages of ${String(m.page)} bytes, this node reads ${SNAPSHOT_PAGE_BYTES}`)
  // Bounded by what an instance can have: a peer's manifest must not make this node loop or allocate without end.
  if (!Array.isArray(m.sizes) || m.sizes.length === 0 || m.sizes.length > MAX_MEMORIES || !m.sizes.every(x => Number.isSafeInteger(x) && x >= 0 && x <= MAX_MEMORY_BYTES && x % WASM_PAGE === 0)) return bad(`sizes (1-${MAX_MEMORIES} memories, each a multiple of 64 KiB up to 4 GiB)`)
  const pages = m.sizes.map(x => x / SNAPSHOT_PAGE_BYTES)
  if (m.base === undefined) {
    if (!Array.isArray(m.digests) || m.digests.length !== m.sizes.length || !m.digests.every((d, i) => d instanceof Uint8Array && d.length === pages[i]! * 32)) return bad('digests')
  } else if (typeof m.base !== 'string' || m.base.length > 128 || !Array.isArray(m.changed) || m.changed.length > pages.reduce((a, b) => a + b, 0) ||
    !m.changed.every(c => Array.isArray(c) && c.length === 3 && Number.isSafeInteger(c[0]) && c[0] >= 0 && c[0] < pages.length && Number.isSafeInteger(c[1]) && c[1] >= 0 && c[1] < pages[c[0]]! && c[2] instanceof Uint8Array && c[2].length === 32)) {
    return bad('base and changed')
  }
  if (!Array.isArray(m.globals) || m.globals.length > 100_000 || !m.globals.every(g => typeof g === 'number' || typeof g === 'bigint' || g === null)) return bad('globals')
  if (!Array.isArray(m.results) || m.results.length > RESULTS_KEPT || !m.results.every(r => Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && (r[1] === null || r[1] instanceof Uint8Array))) return bad('results')
  if (!Number.isSafeInteger(m.applied) || !Number.isSafeInteger(m.depth) || m.depth! < 0 || m.depth! > COMPACT_AFTER) return bad('applied or depth')
  return m as Manifest
}
