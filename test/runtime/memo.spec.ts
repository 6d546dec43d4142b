// The node's memo index (runtime/memo.ts) over a real object store: call names depend on exactly
// the component, function and argument bytes; results are pinned while indexed and unpinned when
// evicted (least recently used first, by count and by bytes); hints are bounded; gossip drains.
import assert from 'node:assert/strict'
import { createObjectStore, type ObjectStore } from '../../src/objects/index.js'
import { MemoIndex, memoName, MEMO_NAME_RE } from '../../src/runtime/memo.js'

describe('runtime/memo', () => {
  let store: ObjectStore

  beforeEach(async () => {
    store = createObjectStore({})
    await store.start()
  })

  afterEach(async () => { await store.stop() })

  it('names a call by component, function and argument bytes, and nothing else', () => {
    const args = Uint8Array.of(0x82, 1, 2)
    const n = memoName('bafk1', 'add', args)
    assert.match(n, MEMO_NAME_RE)
    assert.equal(memoName('bafk1', 'add', args.slice()), n)
    assert.notEqual(memoName('bafk2', 'add', args), n)
    assert.notEqual(memoName('bafk1', 'sub', args), n)
    assert.notEqual(memoName('bafk1', 'add', Uint8Array.of(0x82, 1, 3)), n)
    // The separators keep fields apart: moving a character between them is another call.
    assert.notEqual(memoName('bafk1a', 'dd', args), n)
  })

  it('keeps results pinned while indexed; evicts the least recently used past the count bound', async () => {
    const memo = new MemoIndex(store, { maxEntries: 2 })
    const a = await memo.remember('a', Uint8Array.of(1))
    await memo.remember('b', Uint8Array.of(2))
    assert.ok(store.has(a!.cid))
    assert.ok(memo.holds(a!.cid))
    memo.get('a') // a is now the most recent
    await memo.remember('c', Uint8Array.of(3))
    assert.equal(memo.get('b'), undefined, 'b was the least recently used')
    assert.deepEqual(await memo.bytesOf(memo.get('a')!), Uint8Array.of(1))
    assert.equal(memo.stats().evictions, 1)
    assert.equal(memo.stats().entries, 2)
    memo.clear()
    assert.equal(store.has(a!.cid), false, 'unpinned, so gone')
  })

  it('bounds the bytes kept; a result over the bound is not kept; two calls with one result share it', async () => {
    const memo = new MemoIndex(store, { maxBytes: 100 })
    assert.equal(await memo.remember('huge', new Uint8Array(101)), undefined)
    const x = await memo.remember('x', new Uint8Array(60).fill(1))
    const y = await memo.remember('y', new Uint8Array(60).fill(1))
    assert.equal(x!.cid, y!.cid)
    // 120 bytes over the bound: x went, and its object stays for y.
    assert.equal(memo.get('x'), undefined)
    assert.ok(memo.holds(y!.cid))
    assert.ok(store.has(y!.cid))
    assert.equal(memo.stats().bytes, 60)
  })

  it('drains new entries for gossip; bounds hints and prefers what it holds', async () => {
    const memo = new MemoIndex(store, { maxHints: 2 })
    await memo.remember('a', Uint8Array.of(1))
    assert.deepEqual(memo.drainRecent().map(([n]) => n), ['a'])
    assert.deepEqual(memo.drainRecent(), [])
    memo.hint('a', { peer: 'p' })
    assert.equal(memo.hintOf('a'), undefined, 'held here: no hint needed')
    for (const n of ['h1', 'h2', 'h3']) memo.hint(n, { peer: 'p' })
    assert.equal(memo.hintOf('h1'), undefined)
    assert.equal(memo.stats().hints, 2)
    const h = memo.hintOf('h3')!
    memo.forgetHint('h3', h)
    assert.equal(memo.hintOf('h3'), undefined)
    assert.throws(() => new MemoIndex(store, { maxEntries: 0 }), /maxEntries must be a positive integer/)
  })
})
