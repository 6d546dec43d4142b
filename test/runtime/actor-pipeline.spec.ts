// An actor that does not restart has calls sent ahead to its worker (up to 32): they still run one
// at a time in the order they were made, a call waiting for an argument holds back the calls after
// it, and each answers with its own result. A call that ends before it runs (cancelled, or its
// argument failed) leaves the actor's queue: it once held the calls after it back for good.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>

describe('runtime/actor-table: calls sent ahead keep their order; a call that ends before it runs holds up none', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let m: Kitchen

  before(async () => {
    cache = tempDir()
    const componentPath = await fixtureComponent('guests/ts/kitchen.ts')
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Kitchen>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('300 calls made at once, one of them on a slow task\'s result, run in the order made', async () => {
    const c = await m.Counter.create(0)
    const slow = m.sumSquares.remote(2_000_000)
    const bys = Array.from({ length: 300 }, (_, i) => i === 40 ? slow : (i % 7) + 1)
    const refs = bys.map(by => c.incr.remote(by as number))
    const outs = await fabric.get(refs)
    const s = await fabric.get(slow)
    let n = 0
    const want = bys.map(by => (n += typeof by === 'number' ? by : s))
    assert.deepEqual(outs, want)
    assert.deepEqual((await fabric.get(c.get2.remote())).history, want)
  })

  it('calls of several actors made at once each keep their own order', async () => {
    const actors = await Promise.all([1, 2, 3, 4].map(async () => await m.Counter.create(0)))
    const refs = Array.from({ length: 200 }, (_, i) => actors[i % 4]!.incr.remote(1))
    const outs = await fabric.get(refs)
    assert.deepEqual(outs, Array.from({ length: 200 }, (_, i) => Math.floor(i / 4) + 1))
  })

  it('a call waiting for its argument, cancelled, fails with TaskCancelledError; the next calls run', async () => {
    const c = await m.Counter.create(0)
    const slow = m.sumSquares.remote(3_000_000)
    const waiting = c.incr.remote(slow as never)
    const after = c.incr.remote(5)
    assert.equal(fabric.cancel(waiting), true)
    await assert.rejects(fabric.get(waiting), { name: 'TaskCancelledError' })
    assert.equal(await fabric.get(after, { timeoutMs: 20_000 }), 5)
    assert.equal(await fabric.get(c.incr.remote(1), { timeoutMs: 20_000 }), 6)
  })

  it('a call whose argument failed fails with DependencyFailedError; the next calls run', async () => {
    const c = await m.Counter.create(0)
    const broken = m.fail.remote('no number for you')
    const waiting = c.incr.remote(broken as never)
    const after = c.incr.remote(2)
    await assert.rejects(fabric.get(waiting), { name: 'DependencyFailedError' })
    assert.equal(await fabric.get(after, { timeoutMs: 20_000 }), 2)
  })
})
