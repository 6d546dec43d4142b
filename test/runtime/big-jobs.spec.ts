// Jobs at scale on the embedded fabric: many tasks, a large object, a tiny memory tier. Each
// reports the driver's peak RSS and checks it stays bounded.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule, type UntypedModule } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { peakRss } from '../helpers/rss.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>

describe('runtime: jobs at scale (embedded fabric)', function () {
  this.timeout(300_000)
  let cache: ReturnType<typeof tempDir>
  let kitchenPath: string
  let sandboxPath: string

  before(async () => {
    cache = tempDir()
    ;[kitchenPath, sandboxPath] = await Promise.all([
      fixtureComponent('guests/ts/kitchen.ts'),
      fixtureComponent('guests/as-sandbox/sandbox.ts', 'as')
    ])
  })

  after(() => cache?.remove())

  it('a 100,000-task job finishes with the driver\'s RSS bounded', async () => {
    const fabric = await Fabric.start({ workers: 2, cacheDir: cache.dir, log: () => {} })
    try {
      const m = await fabric.load<Kitchen>(kitchenPath)
      const started = performance.now()
      const { result: total, before, peak } = await peakRss(async () => {
        let sum = 0
        // In windows of 10,000: each window's refs are dropped once summed.
        for (let w = 0; w < 10; w++) {
          const refs = Array.from({ length: 10_000 }, (_, i) => m.add.remote(w * 10_000 + i, 1))
          for (const v of await fabric.get(refs)) sum += v
        }
        return sum
      })
      const seconds = (performance.now() - started) / 1000
      assert.equal(total, (99_999 * 100_000) / 2 + 100_000)
      console.log(`      (100,000 tasks in ${seconds.toFixed(1)} s, ${(100_000 / seconds).toFixed(0)} tasks/s; driver RSS ${before.toFixed(0)} MiB -> peak ${peak.toFixed(0)} MiB)`)
      assert.ok(peak - before < 768, `driver RSS grew by ${(peak - before).toFixed(0)} MiB`)
      assert.equal(fabric.stats().tasks.running + fabric.stats().tasks.queued, 0)
    } finally {
      await fabric.stop()
    }
  })

  it('a 1 GiB object passes through tasks with the driver\'s RSS bounded', async () => {
    // A 256 MiB memory tier: the object lives on disk and is reloaded when read.
    const fabric = await Fabric.start({ workers: 2, cacheDir: cache.dir, objectStore: { memoryCapacityBytes: 256 * 2 ** 20 }, log: () => {} })
    try {
      const m = await fabric.load<Kitchen>(kitchenPath)
      const s = await fabric.load<UntypedModule>(sandboxPath)
      const stamp = (bytes: Uint8Array): number => {
        let sum = 0
        for (let i = 0; i < bytes.length; i += 4096) sum = (sum + bytes[i]!) >>> 0
        return sum
      }
      const { result, before, peak } = await peakRss(async () => {
        const big = new Uint8Array(2 ** 30)
        for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff
        const expected = stamp(big)
        const ref = fabric.put(big)
        // Through two tasks as a ref inside their values (each waits for it to exist), then read
        // back whole by the driver.
        const hop1 = m.echo.remote({ payload: ref })
        const hop2 = m.echo.remote(hop1)
        const box = await fabric.get(hop2) as { payload: typeof ref }
        const back = await fabric.get(box.payload)
        // A guest reads a 512 MiB object whole (AssemblyScript allocations stop short of 1 GiB).
        const half = fabric.put(big.subarray(0, 2 ** 29))
        const sum = await fabric.get(s.checksum!.options({ memoryMb: 1400 }).remote(half))
        let halfSum = 0
        for (let i = 0; i < 2 ** 29; i++) halfSum = (halfSum + big[i]!) >>> 0
        return { same: back.length === big.length && stamp(back) === expected, sum, halfSum, stats: fabric.stats().store }
      })
      assert.ok(result.same, 'the 1 GiB object came back intact')
      assert.equal(result.sum, result.halfSum)
      assert.ok(result.stats.spills >= 1, 'the object spilled to disk')
      console.log(`      (1 GiB object through 2 tasks and back, 512 MiB read whole by a guest; driver RSS ${before.toFixed(0)} MiB -> peak ${peak.toFixed(0)} MiB)`)
      assert.ok(peak - before < 5 * 1024, `driver RSS grew by ${(peak - before).toFixed(0)} MiB`)
    } finally {
      await fabric.stop()
    }
  })

  it('spills objects to disk with a tiny memory tier and reloads them for tasks and gets', async () => {
    const fabric = await Fabric.start({ workers: 2, cacheDir: cache.dir, objectStore: { memoryCapacityBytes: 1024 * 1024 }, log: () => {} })
    try {
      const m = await fabric.load<Kitchen>(kitchenPath)
      const blobs = Array.from({ length: 20 }, (_, i) => new Uint8Array(200 * 1024).fill(i))
      const refs = blobs.map(b => fabric.put(b))
      await fabric.wait(refs, { numReturns: refs.length })
      const spilled = fabric.stats().store
      assert.ok(spilled.spills > 0 && spilled.diskBytes > 0, JSON.stringify(spilled))
      assert.ok(spilled.memoryBytes <= 1024 * 1024)
      // Back through tasks (refs as args) and through get.
      const echoed = await fabric.get(refs.map(r => m.echo.remote(r)))
      for (let i = 0; i < blobs.length; i++) assert.deepEqual(echoed[i], blobs[i])
      for (let i = 0; i < blobs.length; i++) assert.deepEqual(await fabric.get(refs[i]!), blobs[i])
      assert.ok(fabric.stats().store.reloads > 0)
    } finally {
      await fabric.stop()
    }
  })
})
