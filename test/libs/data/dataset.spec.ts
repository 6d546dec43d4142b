// The data library on an embedded fabric: every operator against the same computation in plain
// JavaScript, on random sizes and block counts.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule } from '../../../src/index.js'
import { data } from '../../../src/libs/data/index.js'
import { fixtureComponent, tempDir } from '../../helpers/fixtures.js'
import { seededRandom } from '../../../src/gpu/conformance.js'
import { testSeed } from '../../helpers/seed.js'

type Rows = GuestModule<typeof import('../../fixtures/guests/ts/data-rows.js')>

describe('libs/data: datasets on an embedded fabric', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let m: Rows
  const rand = seededRandom(testSeed())
  const ids = (n: number): Array<{ id: number }> => Array.from({ length: n }, (_, id) => ({ id }))

  before(async () => {
    cache = tempDir()
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Rows>(await fixtureComponent('guests/ts/data-rows.ts'))
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('range and fromItems make the rows they say, in order, in the blocks asked for', async () => {
    for (let round = 0; round < 4; round++) {
      const n = Math.floor(rand() * 3000)
      const parallelism = 1 + Math.floor(rand() * 12)
      const ds = data(fabric).range(n, { parallelism })
      assert.deepEqual(await ds.takeAll(), ids(n))
      assert.equal(await ds.count(), n)
      const blocks = []
      for await (const b of ds.iterBlocks()) blocks.push(b)
      assert.equal(blocks.length, Math.min(parallelism, n))
      const items = Array.from({ length: n }, () => ({ v: rand() }))
      assert.deepEqual(await data(fabric).fromItems(items, { parallelism }).takeAll(), items)
    }
    assert.deepEqual(await data(fabric).range(0).takeAll(), [])
  })

  it('map, filter and flatMap run the row function over whole blocks, equal to plain JS', async () => {
    for (let round = 0; round < 3; round++) {
      const n = Math.floor(rand() * 3000)
      const k = 2 + Math.floor(rand() * 5)
      const ds = data(fabric).range(n, { parallelism: 1 + Math.floor(rand() * 9) })
      assert.deepEqual(await ds.map(m.square).takeAll(), ids(n).map(r => ({ id: r.id, sq: r.id * r.id })))
      assert.deepEqual(await ds.filter(m.isMultipleOf, k).takeAll(), ids(n).filter(r => r.id % k === 0))
      assert.deepEqual(await ds.flatMap(m.twice).takeAll(), ids(n).flatMap(r => [r, { ...r, copy: true }]))
      // Chained: each block's whole chain is submitted at once.
      const chained = ds.filter(m.isMultipleOf, k).map(m.square).limit(50)
      assert.deepEqual(await chained.takeAll(), ids(n).filter(r => r.id % k === 0).map(r => ({ id: r.id, sq: r.id * r.id })).slice(0, 50))
      assert.equal(await ds.filter(m.isMultipleOf, k).count(), ids(n).filter(r => r.id % k === 0).length)
    }
    await assert.rejects(data(fabric).range(20).map(m.failOn, 13).takeAll(), /row 13 is bad/)
    assert.throws(() => data(fabric).range(3).map((() => 1) as never), /must be a task of a loaded component/)
  })

  it('groupBy(key).mapGroups(fn) gives fn each group with its rows', async () => {
    const rows = Array.from({ length: 500 }, (_, id) => ({ id, g: id % 7 }))
    const got = await data(fabric).fromItems(rows, { parallelism: 5 }).groupBy('g').mapGroups(m.groupSize as never).takeAll() as Array<{ key: number, n: number, ids: number }>
    got.sort((a, b) => a.key - b.key)
    assert.deepEqual(got, Array.from({ length: 7 }, (_, g) => ({ key: g, n: rows.filter(r => r.g === g).length, ids: rows.filter(r => r.g === g).reduce((a, r) => a + r.id, 0) })))
  })

  it('mapBatches: whole blocks, batches of batchSize, and columns (numeric as Float64Array)', async () => {
    const n = 1000
    const blocks = await data(fabric).range(n, { parallelism: 4 }).mapBatches(m.tagBatch).takeAll()
    assert.deepEqual(blocks, ids(n).map(r => ({ ...r, batch: 250 })))
    const cut = await data(fabric).range(n, { parallelism: 4 }).mapBatches(m.tagBatch, { batchSize: 100 }).takeAll()
    // Each block of 250: batches of 100, 100 and 50.
    assert.deepEqual(cut, ids(n).map(r => ({ ...r, batch: (r.id % 250) < 200 ? 100 : 50 })))
    const odd = await data(fabric).range(n, { parallelism: 4 }).mapBatches(m.tagBatch, { batchSize: 90 }).takeAll()
    // Each block of 250: two batches of 90 and one of 70.
    assert.deepEqual(odd.map(r => (r as unknown as { batch: number }).batch), ids(n).map(r => (r.id % 250) < 180 ? 90 : 70))
    const cols = await data(fabric).range(10).mapBatches(m.doubleColumns, { format: 'columns' }).takeAll()
    assert.deepEqual(cols, ids(10).map(r => ({ id: r.id * 2, half: r.id / 2 })))
    assert.throws(() => data(fabric).range(10).mapBatches(m.tagBatch, { batchSize: 0 }), /batchSize must be a positive integer/)
    assert.throws(() => data(fabric).range(10).mapBatches(m.tagBatch, { format: 'arrow' as never }), /format must be 'rows' or 'columns'/)
  })

  it('limit, take, union, repartition and iterBatches keep order and sizes', async () => {
    for (let round = 0; round < 3; round++) {
      const n = 1 + Math.floor(rand() * 2000)
      const p = 1 + Math.floor(rand() * 9)
      const ds = data(fabric).range(n, { parallelism: p })
      const k = Math.floor(rand() * (n + 10))
      assert.deepEqual(await ds.limit(k).takeAll(), ids(Math.min(k, n)))
      assert.deepEqual(await ds.take(7), ids(Math.min(7, n)))
      const other = data(fabric).fromItems([{ id: -1 }, { id: -2 }])
      assert.deepEqual(await ds.union(other).takeAll(), [...ids(n), { id: -1 }, { id: -2 }])
      const parts = 1 + Math.floor(rand() * 7)
      const re = ds.repartition(parts)
      const sizes: number[] = []
      for await (const b of re.iterBlocks()) sizes.push((await fabric.get(b.ref)).length)
      assert.equal(sizes.length, parts)
      assert.equal(sizes.reduce((a, b) => a + b, 0), n)
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `even sizes: ${sizes.join(',')}`)
      assert.deepEqual(await re.takeAll(), ids(n))
      const batchSize = 1 + Math.floor(rand() * 300)
      const batches: Array<Array<{ id: number }>> = []
      for await (const batch of ds.iterBatches({ batchSize })) batches.push(batch)
      assert.ok(batches.slice(0, -1).every(b => b.length === batchSize))
      assert.deepEqual(batches.flat(), ids(n))
    }
  })

  it('materialize runs the plan once: later consumers read its blocks; stats say what each operator did', async () => {
    const ds = data(fabric).range(600, { parallelism: 3 }).mapBatches(m.tagBatch, { batchSize: 100 })
    const kept = await ds.materialize()
    const stats = ds.stats()
    assert.deepEqual(stats.map(s => s.name).sort(), ['mapBatches(fn)', 'range(600)'])
    const mb = stats.find(s => s.name.startsWith('mapBatches'))!
    assert.equal(mb.blocks, 3)
    assert.equal(mb.tasks, 3 * 5) // per block of 200: 2 slices and their 2 calls, then a concat
    const range = stats.find(s => s.name.startsWith('range'))!
    assert.deepEqual([range.blocks, range.rows, range.tasks], [3, 600, 3])
    assert.deepEqual(await kept.takeAll(), ids(600).map(r => ({ ...r, batch: 100 })))
    assert.equal(await kept.count(), 600)
  })

  it('a failing batch function fails the consumer with the guest\'s error', async () => {
    await assert.rejects(data(fabric).range(50).mapBatches(m.failOn as never).takeAll(), /TaskError|bad|row/)
  })
})
