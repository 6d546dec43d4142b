// A node's actor table: calls to an actor that is gone fail clearly and leave the node's counts
// true. (Issue 13: every call to a killed actor took one off the node's waiting count, which then
// went negative; the node's gossiped queue length failed its peers' validation, its heartbeats
// stopped counting, and a healthy node was declared dead.)
import assert from 'node:assert/strict'
import { Fabric, type GuestModule } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

type MathGuest = GuestModule<{ Counter: new (start: number) => { incr: (by: number) => number } }>

describe('runtime/actor-table', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric

  before(async () => {
    cache = tempDir()
    fabric = await Fabric.start({ address: 'local', workers: 1, cacheDir: cache.dir, log: () => {} })
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('calls to a killed actor fail with ActorDiedError and leave every task count at zero', async () => {
    const m = await fabric.load<MathGuest>(await fixtureComponent('guests/as/math.ts', 'as'))
    const c = await m.Counter.create(1)
    assert.equal(await fabric.get(c.incr.remote(2)), 3)
    await fabric.kill(c)
    const refs = [c.incr.remote(1), c.incr.remote(1), c.incr.remote(1)]
    for (const r of refs) await assert.rejects(fabric.get(r), (err: Error) => err.name === 'ActorDiedError' && /is not alive/.test(err.message))
    const { tasks } = fabric.embedded!.stats()
    assert.deepEqual({ waiting: tasks.waiting, queued: tasks.queued, running: tasks.running }, { waiting: 0, queued: 0, running: 0 })
    // The node still runs work afterwards, and its counts stay true.
    const d = await m.Counter.create(10)
    assert.equal(await fabric.get(d.incr.remote(5)), 15)
    assert.equal(fabric.embedded!.stats().tasks.waiting, 0)
  })
})
