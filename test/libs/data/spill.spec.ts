// A pipeline larger than the store's memory tier (issue 15): materialized, its blocks spill to
// disk and are read back for the consumers; the results are exact and the process's memory stays
// bounded by the tier and the blocks in flight, not by the dataset's size.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule } from '../../../src/index.js'
import { data } from '../../../src/libs/data/index.js'
import { fixtureComponent, tempDir } from '../../helpers/fixtures.js'

type Rows = GuestModule<typeof import('../../fixtures/guests/ts/data-rows.js')>

const MiB = 2 ** 20

describe('libs/data: a pipeline larger than the memory tier', function () {
  this.timeout(240_000)
  let cache: ReturnType<typeof tempDir>
  let spill: ReturnType<typeof tempDir>
  let fabric: Fabric

  before(async () => {
    cache = tempDir()
    spill = tempDir('fabric-data-spill-')
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {}, objectStore: { memoryCapacityBytes: 8 * MiB, spillDir: spill.dir } })
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
    spill?.remove()
  })

  it('384 MiB of rows through map, materialized with an 8 MiB memory tier: spilled, read back exactly, memory bounded', async () => {
    const m = await fabric.load<Rows>(await fixtureComponent('guests/ts/data-rows.ts'))
    const ROWS = 1536
    const PAYLOAD = 256 * 1024
    // The rows are made by a guest task per block (range → map), so the driver never holds them all.
    const ds = data(fabric, { maxBlocksInFlight: 4 }).range(ROWS, { parallelism: ROWS / 4 }).mapBatches(m.makePayloads, { format: 'rows' }).map(m.weigh)
    const rss0 = process.memoryUsage().rss
    const kept = await ds.materialize()
    const store = fabric.embedded!.stats().store
    assert.ok(store.spills > 0 && store.diskBytes >= 300 * MiB, `spilled: ${JSON.stringify(store)}`)
    assert.ok(store.memoryBytes <= 8 * MiB + 2 * MiB, `memory tier held: ${JSON.stringify(store)}`)
    let rows = 0
    let bytes = 0
    for await (const batch of kept.iterBatches({ batchSize: 8 })) {
      for (const r of batch as Array<{ i: number, payload: Uint8Array, size: number }>) {
        assert.equal(r.i, rows)
        assert.equal(r.size, PAYLOAD)
        assert.equal(r.payload[7], (r.i * 7) & 0xff)
        rows++
        bytes += r.payload.length
      }
    }
    assert.equal(rows, ROWS)
    assert.equal(bytes, ROWS * PAYLOAD)
    assert.ok(fabric.embedded!.stats().store.reloads > 0, 'blocks read back from disk')
    const grown = (process.memoryUsage().rss - rss0) / MiB
    console.log(`      (RSS grew ${grown.toFixed(0)} MiB; ${(store.diskBytes / MiB).toFixed(0)} MiB spilled)`)
    // Bounded by the memory tier, the blocks in flight and garbage not yet collected: well under the dataset.
    assert.ok(grown < 160, `RSS grew ${grown.toFixed(0)} MiB for a 384 MiB dataset`)
  })
})
