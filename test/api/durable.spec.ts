// Durable actors on an embedded fabric: a restart after the actor's worker was lost (a call ran
// past its timeout) resumes from the last snapshot, not fresh state; checkpointEvery keeps every
// Nth; what a failing method changed is kept; options are checked with the reason.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

type Memo = GuestModule<typeof import('../fixtures/guests/ts/memo.js')>

describe('api: durable actors (embedded)', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let m: Memo

  before(async () => {
    cache = tempDir()
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Memo>(await fixtureComponent('guests/ts/memo.ts'))
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('a durable actor whose worker is lost restarts from its last snapshot; a plain one starts over', async () => {
    const durable = await m.Counter.options({ durable: true, maxRestarts: 1, timeoutMs: 2000 }).create(256, 4)
    const plain = await m.Counter.options({ maxRestarts: 1, timeoutMs: 2000 }).create(256, 4)
    for (let i = 1; i <= 100; i++) {
      assert.equal(await fabric.get(durable.incr.remote()), i)
      assert.equal(await fabric.get(plain.incr.remote()), i)
    }
    const digest = await fabric.get(durable.digest.remote())
    await assert.rejects(fabric.get(durable.spin.remote()), (e: Error) => e.name === 'TaskTimeoutError')
    await assert.rejects(fabric.get(plain.spin.remote()), (e: Error) => e.name === 'TaskTimeoutError')
    assert.equal(await fabric.get(durable.value.remote()), 100)
    assert.equal(await fabric.get(durable.digest.remote()), digest)
    assert.equal(await fabric.get(plain.value.remote()), 0, 'a plain actor restarts with fresh state')
    assert.equal(await fabric.get(durable.incr.remote()), 101)
    const stats = fabric.embedded!.stats().durable
    assert.ok(stats.snapshots >= 100 && stats.restores === 1, JSON.stringify(stats))
  })

  it('checkpointEvery: N resumes from the last Nth call; what a failing method changed is kept', async () => {
    const c = await m.Counter.options({ checkpointEvery: 10, maxRestarts: 2, timeoutMs: 2000 }).create()
    for (let i = 1; i <= 25; i++) await fabric.get(c.incr.remote())
    await assert.rejects(fabric.get(c.spin.remote()), (e: Error) => e.name === 'TaskTimeoutError')
    assert.equal(await fabric.get(c.value.remote()), 20)
    const d = await m.Counter.options({ durable: true, maxRestarts: 1, timeoutMs: 2000 }).create()
    await assert.rejects(fabric.get(d.incrThenFail.remote()), /failed at 1/)
    await assert.rejects(fabric.get(d.spin.remote()), (e: Error) => e.name === 'TaskTimeoutError')
    assert.equal(await fabric.get(d.value.remote()), 1)
  })

  it('refuses options that make no sense, saying why', () => {
    assert.throws(() => m.Counter.options({ durable: 'yes' as unknown as boolean }), /option durable must be a boolean/)
    assert.throws(() => m.Counter.options({ checkpointEvery: 0 }), /checkpointEvery must be an integer >= 1/)
    assert.throws(() => m.Counter.options({ durable: false, checkpointEvery: 3 }), /checkpointEvery makes an actor durable/)
    assert.throws(() => m.Counter.options({ snapshotReplicas: 2 }), /snapshotReplicas applies to durable actors/)
    assert.throws(() => m.Counter.options({ durableKey: 'x' } as never), /unknown option durableKey/)
  })
})
