// The data library's all-to-all operators on an embedded fabric against plain JavaScript on random
// data: groupBy aggregates (Ray's column names), mapGroups, sort (both ways, numbers and strings,
// across blocks), randomShuffle (a permutation that replays with its seed).
import assert from 'node:assert/strict'
import { Fabric } from '../../../src/index.js'
import { data } from '../../../src/libs/data/index.js'
import { chooseBoundaries, compareKeys } from '../../../src/libs/data/shuffle.js'
import { seededRandom } from '../../../src/gpu/conformance.js'
import { tempDir } from '../../helpers/fixtures.js'
import { testSeed } from '../../helpers/seed.js'

interface Sale { id: number, shop: string, units: number | null, price: number }

describe('libs/data: groupBy, sort, randomShuffle', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  const rand = seededRandom(testSeed())
  const sales = (n: number): Sale[] => Array.from({ length: n }, (_, id) => ({
    id, shop: `shop-${Math.floor(rand() * 13)}`, units: rand() < 0.1 ? null : Math.floor(rand() * 50), price: Math.round(rand() * 10_000) / 100
  }))

  before(async () => {
    cache = tempDir()
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('groupBy(key) count, sum, mean, min, max give Ray\'s rows, equal to plain JS (nulls skipped)', async () => {
    for (let round = 0; round < 3; round++) {
      const rows = sales(200 + Math.floor(rand() * 3000))
      const ds = data(fabric).fromItems(rows, { parallelism: 1 + Math.floor(rand() * 8) })
      const byShop = new Map<string, Sale[]>()
      for (const r of rows) byShop.set(r.shop, [...(byShop.get(r.shop) ?? []), r])
      const shops = [...byShop.keys()].sort()
      const units = (s: string): number[] => byShop.get(s)!.map(r => r.units).filter((u): u is number => u !== null)
      const sortByShop = (a: Record<string, unknown>, b: Record<string, unknown>): number => compareKeys(a.shop, b.shop)
      assert.deepEqual((await ds.groupBy('shop').count().takeAll()).sort(sortByShop), shops.map(s => ({ shop: s, 'count()': byShop.get(s)!.length })))
      assert.deepEqual((await ds.groupBy('shop').sum('units').takeAll()).sort(sortByShop), shops.map(s => ({ shop: s, 'sum(units)': units(s).reduce((a, b) => a + b, 0) })))
      const stats = (await ds.groupBy('shop', { partitions: 3 }).aggregate({ fn: 'mean', on: 'price' }, { fn: 'min', on: 'units' }, { fn: 'max', on: 'units' }).takeAll()).sort(sortByShop)
      assert.equal(stats.length, shops.length)
      for (const [i, s] of shops.entries()) {
        const prices = byShop.get(s)!.map(r => r.price)
        assert.ok(Math.abs((stats[i]!['mean(price)'] as number) - prices.reduce((a, b) => a + b, 0) / prices.length) < 1e-9)
        assert.equal(stats[i]!['min(units)'], units(s).length === 0 ? null : Math.min(...units(s)))
        assert.equal(stats[i]!['max(units)'], units(s).length === 0 ? null : Math.max(...units(s)))
      }
    }
    await assert.rejects(data(fabric).fromItems([{ k: 1, v: 'x' }]).groupBy('k').sum('v').takeAll(), /sum\(v\): column 'v' holds a string/)
    assert.throws(() => data(fabric).range(3).groupBy(''), /name a column/)
  })

  it('sort(key) orders every row across blocks, ascending and descending, numbers and strings; equal keys keep their order within a block', async () => {
    for (let round = 0; round < 3; round++) {
      const rows = sales(100 + Math.floor(rand() * 4000))
      const ds = data(fabric).fromItems(rows, { parallelism: 1 + Math.floor(rand() * 10) })
      const byPrice = await ds.sort('price').takeAll()
      assert.deepEqual(byPrice.map(r => r.price), rows.map(r => r.price).sort((a, b) => a - b))
      assert.deepEqual(byPrice.map(r => r.id).sort((a, b) => a - b), rows.map(r => r.id))
      const down = await ds.sort('shop', { descending: true, partitions: 4 }).takeAll()
      assert.deepEqual(down.map(r => r.shop), rows.map(r => r.shop).sort().reverse())
      const withNull = await ds.sort('units').takeAll()
      assert.deepEqual(withNull.map(r => r.units), [...rows.map(r => r.units).filter(u => u !== null).sort((a, b) => a! - b!), ...rows.filter(r => r.units === null).map(() => null)])
    }
    assert.deepEqual(await data(fabric).fromItems([] as Sale[]).sort('price').takeAll(), [])
    assert.deepEqual(chooseBoundaries([5, 1, 1, 1, 9, 3], 3), [1, 5])
  })

  it('randomShuffle: a permutation of the rows, the same for the same seed, another for another', async () => {
    const ds = data(fabric).range(3000, { parallelism: 6 })
    const a = (await ds.randomShuffle({ seed: 7 }).takeAll()).map(r => r.id)
    const b = (await ds.randomShuffle({ seed: 7 }).takeAll()).map(r => r.id)
    const c = (await ds.randomShuffle({ seed: 8 }).takeAll()).map(r => r.id)
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 3000 }, (_, i) => i))
    assert.deepEqual(a, b)
    assert.notDeepEqual(a, c)
    // Not the input order, nor nearly: most rows move.
    assert.ok(a.filter((id, i) => id === i).length < 100)
  })
})
