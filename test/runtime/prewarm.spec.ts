// A node readies its workers at start for the components its disk cache used last (NodeInit.prewarm,
// `fabric join --prewarm`): in the background, never failing the node.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { LocalNode, resolveTaskOptions } from '../../src/runtime/index.js'
import { cidOfBytesSync } from '../../src/component/index.js'
import { decode, encode } from '../../src/objects/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

describe('runtime: prewarm at start', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let kitchen: Uint8Array

  before(async () => {
    cache = tempDir()
    kitchen = fs.readFileSync(await fixtureComponent('guests/ts/kitchen.ts'))
    const first = new LocalNode({ workers: 1, cacheDir: cache.dir, log: () => {} })
    await first.start()
    await first.load(kitchen) // fills the disk cache
    await first.stop()
  })

  after(() => cache?.remove())

  it('readies the most recently used components of the cache, then runs work as usual', async () => {
    const node = new LocalNode({ workers: 2, cacheDir: cache.dir, log: () => {}, prewarm: 2 })
    await node.start()
    try {
      assert.deepEqual(await node.prewarmed, [cidOfBytesSync(kitchen)])
      assert.equal(node.poolStats().memoryBytes, 0, 'prewarming keeps no instance')
      const { component } = await node.load(kitchen)
      const id = node.submit({ component, name: 'add', args: [{ kind: 'value', bytes: encode(2), refs: [] }, { kind: 'value', bytes: encode(3), refs: [] }], options: resolveTaskOptions({}, 'add'), streaming: false })
      assert.equal(decode(await node.get(id)), 5)
    } finally {
      await node.stop()
    }
  })

  it('prewarms nothing by default or from an empty cache, survives a stop while prewarming, and refuses a bad count', async () => {
    const plain = new LocalNode({ workers: 1, cacheDir: cache.dir, log: () => {} })
    await plain.start()
    assert.deepEqual(await plain.prewarmed, [])
    await plain.stop()
    const empty = tempDir()
    try {
      const node = new LocalNode({ workers: 1, cacheDir: empty.dir, log: () => {}, prewarm: 2 })
      await node.start()
      assert.deepEqual(await node.prewarmed, [])
      await node.stop()
    } finally {
      empty.remove()
    }
    const stopping = new LocalNode({ workers: 1, cacheDir: cache.dir, log: () => {}, prewarm: 2 })
    await stopping.start()
    await stopping.stop()
    assert.ok(Array.isArray(await stopping.prewarmed))
    assert.throws(() => new LocalNode({ prewarm: -1 }), /prewarm must be an integer 0-8, got -1/)
    assert.throws(() => new LocalNode({ prewarm: 1.5 }), /prewarm must be an integer 0-8, got 1.5/)
    assert.throws(() => new LocalNode({ prewarm: 9 }), /prewarm must be an integer 0-8, got 9/)
  })
})
