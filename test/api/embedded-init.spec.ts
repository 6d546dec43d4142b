// The worker-pool limits an embedded fabric takes through Fabric.start (documented in
// driver-api.md): each is shown to take effect on the real pool. LocalNode builds the pool: where
// it does not pass a limit on yet, the test says so and is skipped (the limit is still refused
// when it is not a valid number, and unknown options are refused).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { cidOfBytesSync } from '../../src/component/index.js'
import { Fabric, type GuestModule } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { poolOf } from './embedded-pool.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>

describe('api/Fabric.start: worker pool limits of an embedded fabric', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let kitchen: string

  before(async () => {
    cache = tempDir()
    kitchen = await fixtureComponent('guests/ts/kitchen.ts')
  })

  after(() => cache?.remove())

  async function withFabric (init: Parameters<typeof Fabric.start>[0], run: (fabric: Fabric) => Promise<void>): Promise<void> {
    const fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {}, ...init })
    try {
      await run(fabric)
    } finally {
      await fabric.stop()
    }
  }

  it('defaultTimeoutMs: a task that sets no timeout is stopped after it (TaskTimeoutError)', async function () {
    await withFabric({ defaultTimeoutMs: 300 }, async fabric => {
      assert.equal(poolOf(fabric).defaultTimeoutMs, 300, 'defaultTimeoutMs reaches the pool')
      const m = await fabric.load<Kitchen>(kitchen)
      const started = Date.now()
      await assert.rejects(fabric.get(m.spin.options({ maxRetries: 0 }).remote()), { name: 'TaskTimeoutError' })
      assert.ok(Date.now() - started < 10_000)
      assert.equal(await fabric.get(m.add.remote(1, 2)), 3)
    })
  })

  it('workerHeapMb: every worker runs with that JavaScript heap limit', async function () {
    await withFabric({ workerHeapMb: 96 }, async fabric => {
      const pool = poolOf(fabric)
      assert.equal(pool.heapMb, 96, 'workerHeapMb reaches the pool')
      assert.deepEqual(pool.slots.map(s => s.worker.resourceLimits?.maxOldGenerationSizeMb), [96, 96])
    })
  })

  it('actorWorkers: actors share at most that many workers', async function () {
    await withFabric({ actorWorkers: 1 }, async fabric => {
      assert.equal(poolOf(fabric).maxActorWorkers, 1, 'actorWorkers reaches the pool')
      const m = await fabric.load<Kitchen>(kitchen)
      const actors = await Promise.all([1, 2, 3].map(async i => await m.Counter.create(i)))
      assert.deepEqual(await fabric.get(actors.map(a => a.incr.remote(1))), [2, 3, 4])
      assert.equal(poolOf(fabric).stats().actorWorkers, 1)
    })
  })

  it('maxExtraWorkers and processMemoryLimitMb reach the pool', async function () {
    await withFabric({ maxExtraWorkers: 0, processMemoryLimitMb: 64 }, async fabric => {
      const pool = poolOf(fabric)
      assert.equal(pool.maxExtraWorkers, 0, 'maxExtraWorkers reaches the pool')
      assert.equal(pool.budgetBytes, 32 * 1024 * 1024, 'the memory budget is split between the 2 workers')
      const m = await fabric.load<Kitchen>(kitchen)
      assert.equal(await fabric.get(m.add.remote(2, 2)), 4)
      assert.equal(pool.stats().workers, 2, 'no extra worker')
    })
  })

  it('prewarm: the node readies its workers for the most recently used component of its cache', async function () {
    await withFabric({}, async fabric => { await fabric.load<Kitchen>(kitchen) }) // fills the cache
    await withFabric({ prewarm: 1 }, async fabric => {
      const node = (fabric.embedded as unknown as { node: { prewarmed: Promise<string[]> } }).node
      assert.deepEqual(await node.prewarmed, [cidOfBytesSync(fs.readFileSync(kitchen))])
      const m = await fabric.load<Kitchen>(kitchen)
      assert.equal(await fabric.get(m.add.remote(2, 3)), 5)
    })
  })

  it('starts an embedded fabric for address \'local\' even with FABRIC_ADDRESS set, and when FABRIC_ADDRESS is empty', async () => {
    const before = process.env.FABRIC_ADDRESS
    try {
      process.env.FABRIC_ADDRESS = '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWNotARealNodeNotARealNodeNotARealNode'
      await withFabric({}, async fabric => {
        assert.equal(fabric.kind, 'embedded')
        assert.equal(fabric.nodes().length, 1)
        assert.equal(fabric.nodes()[0]!.id, fabric.id)
      })
      process.env.FABRIC_ADDRESS = ''
      const f = await Fabric.start({ workers: 1, cacheDir: cache.dir })
      try {
        assert.equal(f.kind, 'embedded')
        assert.ok(f.embedded !== undefined && f.connected === undefined)
        assert.equal(f.stats().tasks.running, 0)
      } finally {
        await f.stop()
      }
    } finally {
      if (before === undefined) delete process.env.FABRIC_ADDRESS
      else process.env.FABRIC_ADDRESS = before
    }
  })

  it('refuses unknown options and limits that are not positive numbers, saying which', async () => {
    await assert.rejects(Fabric.start({ address: 'local', worker: 2 } as never), /Fabric.start: unknown option worker \(known: address, connect, workers, /)
    await assert.rejects(Fabric.start({ address: 'local', defaultTimeoutMs: -1 }), /option defaultTimeoutMs must be a positive number, got -1/)
    await assert.rejects(Fabric.start({ address: 'local', maxExtraWorkers: 1.5 }), /option maxExtraWorkers must be an integer >= 0/)
    await assert.rejects(Fabric.start({ address: 'local', prewarm: -1 }), /option prewarm must be an integer 0-8, got -1/)
    await assert.rejects(Fabric.start({ address: '' }), /option address must be a node's multiaddr \(or several\), or 'local'/)
    // Checked also when an address applies (before connecting), so a bad driver fails alike everywhere.
    await assert.rejects(Fabric.start({ address: '/ip4/127.0.0.1/tcp/1', workers: 0 }), /option workers must be a positive number, got 0/)
    await assert.rejects(Fabric.start({ address: '/ip4/127.0.0.1/tcp/1', connect: { secret: 'x' } as never }), /Fabric.connect: unknown option secret \(known: dataDir, swarmKey, fabricName, listen, timeoutMs, namespace, log, metricsPort, metricsHost\)/)
  })
})
