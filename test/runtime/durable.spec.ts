// Durable actors' snapshots on a node (runtime/durable.ts) and on its replicas
// (runtime/snapshot-keeper.ts), over real object stores: deltas chain onto full manifests and are
// compacted every COMPACT_AFTER; an image rebuilt from any snapshot is the memory as it was; the
// objects kept stay bounded; replicas take full snapshots when they lack the chain, refuse a delta
// of a chain they do not hold, and let go of what a newer full snapshot no longer names.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createObjectStore, encode, type ObjectStore } from '../../src/objects/index.js'
import { COMPACT_AFTER, DurableState, Durables, type SnapshotRef, type SnapshotTransport } from '../../src/runtime/durable.js'
import { SnapshotKeeper } from '../../src/runtime/snapshot-keeper.js'
import { SNAPSHOT_PAGE_BYTES, type SnapshotDelta } from '../../src/exec/snapshot.js'
import type { NodeCore } from '../../src/runtime/node-core.js'

const PAGES = 16
const page = (fill: number): Uint8Array => new Uint8Array(SNAPSHOT_PAGE_BYTES).fill(fill)
const digest = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest()

/** A memory of PAGES pages as a model, and deltas of it. */
class Model {
  readonly pages = Array.from({ length: PAGES }, () => page(0))
  private first = true
  change (indexes: number[], fill: number): SnapshotDelta {
    for (const i of indexes) this.pages[i] = page(fill)
    const all = this.first ? this.pages.map((_, i) => i) : indexes
    this.first = false
    return { memories: [{ size: PAGES * SNAPSHOT_PAGE_BYTES, changed: all.map(index => ({ index, bytes: this.pages[index]!, digest: digest(this.pages[index]!) })) }], globals: [fill, BigInt(fill)] }
  }
}

/** Commit and wait until stored; the snapshot's ref. */
async function commit (node: Durables, s: DurableState, delta: SnapshotDelta, call: { seq?: number, result?: Uint8Array }): Promise<SnapshotRef> {
  let ref: SnapshotRef | undefined
  await node.commit(s, delta, call, r => { ref = r })
  await node.settled(s)
  return ref!
}

describe('runtime/durable: snapshots, chains and replicas', function () {
  this.timeout(60_000)
  let stores: ObjectStore[]
  const store = async (): Promise<ObjectStore> => {
    const s = createObjectStore({})
    await s.start()
    stores.push(s)
    return s
  }
  beforeEach(() => { stores = [] })
  afterEach(async () => { for (const s of stores) await s.stop() })

  it('chains deltas onto full manifests; any snapshot rebuilds the memory as it was; what is kept stays bounded', async () => {
    const node = new Durables({ store: await store() } as unknown as NodeCore)
    const s = new DurableState({ every: 1, replicas: 0, key: 'actor-key-1' })
    const model = new Model()
    const taken: Array<{ cid: string, pages: Uint8Array[], fill: number }> = []
    for (let call = 1; call <= 2 * COMPACT_AFTER + 5; call++) {
      const ref = await commit(node, s, model.change([call % PAGES, (call * 7) % PAGES], call & 0xff), { seq: call, result: Uint8Array.of(call & 0xff) })
      taken.push({ cid: ref.cid, pages: model.pages.map(p => p.slice()), fill: call & 0xff })
      // Objects kept: at most the pages of the memory now and those changed along the chain, plus its manifests.
      assert.ok(s.pinned.size <= PAGES + 2 * (COMPACT_AFTER + 1) + COMPACT_AFTER + 1, `${s.pinned.size} objects kept after ${call} calls`)
    }
    for (const t of [taken[0]!, taken[COMPACT_AFTER - 1]!, taken[taken.length - 1]!]) {
      const fresh = new DurableState({ every: 1, replicas: 0, key: 'actor-key-1' })
      try {
        const image = await node.image(fresh, { cid: t.cid, holders: [''] })
        const mem = new Uint8Array(PAGES * SNAPSHOT_PAGE_BYTES)
        for (const p of image.memories[0]!.pages) mem.set(p.bytes, p.index * SNAPSHOT_PAGE_BYTES)
        assert.deepEqual(mem, Uint8Array.from(t.pages.flatMap(p => [...p])))
        // CBOR gives a small i64 back as a number; the restore makes it a bigint again (exec/snapshot.ts).
        assert.deepEqual(image.globals.map(Number), [t.fill, t.fill])
      } catch (err) {
        // An early snapshot's chain was let go when a later full manifest started a new one.
        assert.ok(t !== taken[taken.length - 1], String(err))
      } finally {
        node.release(fresh)
      }
    }
    // A call the state includes is answered from it; a later one is not.
    const n = taken.length
    assert.deepEqual(node.answered(s, n), Uint8Array.of(n & 0xff))
    assert.equal(node.answered(s, n + 1), undefined)
    assert.equal(node.answered(s, 1), null, 'too old: its result was not kept')
    node.release(s)
    assert.equal(stores[0]!.stats().objects, 0, 'released: nothing kept')
  })

  it('copies snapshots to replicas: a full one first and after a miss, deltas after; a replica rebuilds the actor', async () => {
    const home = { store: await store() } as unknown as NodeCore
    const replicaCore = { store: await store() } as unknown as NodeCore
    const keeper = new SnapshotKeeper(replicaCore)
    let failNext = false
    const sent: Array<{ full: boolean, pages: number }> = []
    const transport: SnapshotTransport = {
      self: 'home',
      replicasFor: () => ['replica'],
      hold: async (_peer, req) => {
        if (failNext) { failNext = false; throw new Error('replica unreachable') }
        sent.push({ full: req.full, pages: req.pages.length })
        await keeper.hold('home', req)
      },
      drop: async (_peer, key) => { keeper.drop('home', key) },
      pull: async (cid) => await replicaCore.store.get(cid),
      getMany: async (_holder, cids) => await keeper.get('elsewhere', cids)
    }
    const node = new Durables(home)
    node.transport = transport
    const s = new DurableState({ every: 1, replicas: 1, key: 'actor-key-2' }, 'owner-peer')
    const model = new Model()
    let ref = await commit(node, s, model.change([1], 1), {})
    assert.deepEqual(ref.holders, ['home', 'replica'])
    ref = await commit(node, s, model.change([2], 2), {})
    failNext = true
    ref = await commit(node, s, model.change([3], 3), {})
    assert.deepEqual(ref.holders, ['home'], 'a failed copy: held here only')
    ref = await commit(node, s, model.change([4], 4), {})
    assert.deepEqual(sent.map(x => x.full), [true, false, true], 'full, delta, then full again after the miss')
    assert.equal(sent[0]!.pages, 2, 'each distinct page once (15 zero pages are one)')
    assert.equal(sent[1]!.pages, 1)
    // The home node is gone: a new node rebuilds the actor from the replica alone.
    const elsewhere = new Durables({ store: await store() } as unknown as NodeCore)
    elsewhere.transport = { ...transport, self: 'elsewhere' }
    const image = await elsewhere.image(new DurableState({ every: 1, replicas: 1, key: 'actor-key-2' }), { cid: ref.cid, holders: ['replica'] })
    const mem = new Uint8Array(PAGES * SNAPSHOT_PAGE_BYTES)
    for (const p of image.memories[0]!.pages) mem.set(p.bytes, p.index * SNAPSHOT_PAGE_BYTES)
    assert.deepEqual(mem, Uint8Array.from(model.pages.flatMap(p => [...p])))
    // A delta of a chain the replica does not hold is refused; the owner leaving drops the key.
    await assert.rejects(keeper.hold('home', { key: 'other-key-3', manifest: (await home.store.get(ref.cid)), pages: [], full: false }), /does not hold: send a full snapshot/)
    assert.equal(keeper.stats().keys, 1)
    keeper.ownerGone('owner-peer')
    assert.deepEqual(keeper.stats(), { keys: 0, objects: 0 })
    assert.equal(replicaCore.store.stats().objects, 0)
  })

  it('a replica refuses what would let a peer pin or read objects it did not send, and drops only when the sender or owner says', async () => {
    const core = { store: await store() } as unknown as NodeCore
    const keeper = new SnapshotKeeper(core)
    // An object on the replica for another reason (another job's), which the hold names but does not send.
    const secret = page(9)
    await core.store.put(secret)
    const manifest = (pages: Uint8Array[]): Uint8Array => encode({ v: 1, page: SNAPSHOT_PAGE_BYTES, sizes: [PAGES * SNAPSHOT_PAGE_BYTES], digests: [Buffer.concat(Array.from({ length: PAGES }, (_, i) => digest(pages[i % pages.length]!)))], depth: 0, globals: [], applied: -1, results: [] })
    await assert.rejects(keeper.hold('peer-a', { key: 'actor-key-4', manifest: manifest([secret]), pages: [], full: true }), /names page .* which was not sent/)
    assert.equal(keeper.holds(await core.store.put(secret)), false)
    await assert.rejects(keeper.hold('peer-a', { key: 'actor-key-4', manifest: manifest([page(1)]), pages: [new Uint8Array(100)], full: true }), /100 bytes, not 4096/)
    await keeper.hold('peer-a', { key: 'actor-key-4', owner: 'owner-a', manifest: manifest([page(1)]), pages: [page(1)], full: true })
    assert.throws(() => keeper.drop('stranger', 'actor-key-4'), /only it or the actor's owner may drop them/)
    await assert.rejects(keeper.hold('peer-b', { key: 'actor-key-4', owner: 'owner-b', manifest: manifest([page(2)]), pages: [page(2)], full: true }), /kept for another owner/)
    // The chain a full snapshot replaces stays until the next one.
    const first = await core.store.put(manifest([page(1)]))
    await keeper.hold('peer-a', { key: 'actor-key-4', owner: 'owner-a', manifest: manifest([page(2)]), pages: [page(2)], full: true })
    assert.ok(keeper.holds(first), 'the chain before is still kept')
    await keeper.hold('peer-a', { key: 'actor-key-4', owner: 'owner-a', manifest: manifest([page(3)]), pages: [page(3)], full: true })
    assert.equal(keeper.holds(first), false, 'two full snapshots later it goes')
    keeper.drop('owner-a', 'actor-key-4')
    assert.deepEqual(keeper.stats(), { keys: 0, objects: 0 })
  })
})
