// The data library across `fabric join` processes (issue 15): the same pipelines as on an
// embedded fabric, through a connected driver, against plain JavaScript on random data; and a
// node SIGKILLed while a pipeline runs, its results still right.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import type { ConnectedFabric, GuestModule } from '../../src/index.js'
import { data } from '../../src/libs/data/index.js'
import { seededRandom } from '../../src/gpu/conformance.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { testSeed } from '../helpers/seed.js'
import { Cluster, type Joined } from './cluster.js'

type Rows = GuestModule<typeof import('../fixtures/guests/ts/data-rows.js')>

describe('e2e: data pipelines on a 3-process fabric', function () {
  this.timeout(240_000)
  const cluster = new Cluster()
  const files = tempDir('fabric-data-e2e-')
  const rand = seededRandom(testSeed())
  let nodes: Joined[]
  let driver: ConnectedFabric
  let m: Rows

  before(async () => {
    const component = await fixtureComponent('guests/ts/data-rows.ts')
    nodes = await cluster.start(3)
    driver = await cluster.connect(3, { log: false })
    m = await driver.load<Rows>(component)
  })

  after(async () => {
    await driver?.stop()
    await cluster.stop()
    files.remove()
  })

  it('map, filter, flatMap, groupBy, sort, randomShuffle and limit equal plain JS, their tasks spread over the nodes', async () => {
    const n = 2000 + Math.floor(rand() * 3000)
    const k = 2 + Math.floor(rand() * 4)
    const ds = data(driver).range(n, { parallelism: 12 })
    const ids = Array.from({ length: n }, (_, id) => ({ id }))
    assert.deepEqual(await ds.map(m.square).filter(m.isMultipleOf, k).takeAll(), ids.map(r => ({ id: r.id, sq: r.id * r.id })).filter(r => r.id % k === 0))
    assert.equal(await ds.flatMap(m.twice).count(), 2 * n)
    const counts = await ds.map(m.square).groupBy('id', { partitions: 4 }).count().count()
    assert.equal(counts, n)
    const sorted = await ds.randomShuffle({ seed: 3 }).sort('id', { descending: true }).takeAll()
    assert.deepEqual(sorted, [...ids].reverse())
    assert.deepEqual(await ds.map(m.square).limit(5).takeAll(), ids.slice(0, 5).map(r => ({ id: r.id, sq: r.id * r.id })))
    const rows = await driver.list('tasks', { job: driver.jobId }, 10_000)
    const onNodes = new Set(rows.rows.filter(r => String(r.name).startsWith('fabric:map:')).map(r => r.node))
    assert.ok(onNodes.size >= 2, `map tasks ran on ${onNodes.size} node(s)`)
  })

  it('fixed-width records sorted by their key bytes across the nodes equal a plain-JS sort; rows and limit', async () => {
    const n = 30_000
    const width = 100
    const input = new Uint8Array(n * width)
    for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 256)
    const buf = Buffer.from(input.buffer)
    const order = Array.from({ length: n }, (_, i) => i)
    // buf.compare(target, tStart, tEnd, sStart, sEnd) orders the source range against the target's.
    order.sort((a, b) => buf.compare(buf, b * width, b * width + 10, a * width, a * width + 10) || a - b)
    const want = Buffer.concat(order.map(i => buf.subarray(i * width, (i + 1) * width)))
    const ds = data(driver).fromRecords(input, { fields: { key: 10, value: 90 }, parallelism: 12 }).sort('key', { partitions: 4 })
    // Run again (and again, by take and limit) while the driver holds the first run's blocks: each
    // run makes objects with the same CIDs on the same nodes, and releasing one run's must not drop
    // another's (a node once dropped every keep of a CID at the first release).
    for (let run = 0; run < 3; run++) {
      const parts: Uint8Array[] = []
      for await (const b of ds.iterBlocks()) parts.push(await driver.get(b.ref) as unknown as Uint8Array)
      assert.ok(Buffer.concat(parts).equals(want), `run ${run + 1}: the sorted records differ from the reference`)
    }
    const first = await ds.take(2)
    assert.ok(Buffer.from(first[1]!.key!).equals(want.subarray(width, width + 10)))
    assert.equal(await ds.limit(12_345).count(), 12_345)
    const rows = await driver.list('tasks', { job: driver.jobId }, 10_000)
    const onNodes = new Set(rows.rows.filter(r => String(r.name) === 'sortRecords').map(r => r.node))
    assert.ok(onNodes.size >= 2, `record kernels ran on ${onNodes.size} node(s)`)
  })

  it('a node SIGKILLed while a pipeline runs: the blocks it held or was making are made again, the result is right', async () => {
    const n = 30_000
    const k = 3
    const ds = data(driver, { maxBlocksInFlight: 6 }).range(n, { parallelism: 60 }).map(m.square).filter(m.isMultipleOf, k).randomShuffle({ seed: 5 }).sort('id')
    const victim = nodes[2]!
    const running = ds.takeAll()
    // Killed once it has done some of this pipeline's work (its blocks are then lost with it).
    let worked = 0
    while (worked < 5) {
      await new Promise(resolve => setTimeout(resolve, 100))
      worked = (await driver.list('tasks', { job: driver.jobId, node: victim.peer }, 10_000)).rows.filter(r => String(r.name).startsWith('fabric:')).length
    }
    victim.proc.kill('SIGKILL')
    const got = await running
    assert.deepEqual(got, Array.from({ length: n }, (_, id) => ({ id, sq: id * id })).filter(r => r.id % k === 0))
    await victim.exit
  })

  it('reads CSV on the driver\'s disk, aggregates, writes JSON lines back', async () => {
    const shops = ['north', 'south', 'east', 'west']
    const sales = Array.from({ length: 3000 }, (_, id) => ({ id, shop: shops[Math.floor(rand() * 4)]!, units: Math.floor(rand() * 20) }))
    for (let f = 0; f < 3; f++) {
      const part = sales.filter((_, i) => i % 3 === f)
      fs.writeFileSync(path.join(files.dir, `sales-${f}.csv`), 'id,shop,units\n' + part.map(s => `${s.id},${s.shop},${s.units}`).join('\n') + '\n')
    }
    const out = path.join(files.dir, 'totals')
    await data(driver).readCsv(path.join(files.dir, 'sales-*.csv')).groupBy('shop').sum('units').writeJson(out)
    const written = fs.readdirSync(out).flatMap(f => fs.readFileSync(path.join(out, f), 'utf8').trim().split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Record<string, unknown>))
    written.sort((a, b) => String(a.shop).localeCompare(String(b.shop)))
    assert.deepEqual(written, [...shops].sort().map(shop => ({ shop, 'sum(units)': sales.filter(s => s.shop === shop).reduce((a, s) => a + s.units, 0) })))
  })
})
