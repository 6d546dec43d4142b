// End to end: durable actors across `fabric join` processes (issue 19). An actor with
// `durable: true` counting to 1,000 keeps its count when its node is SIGKILLed mid-run: it restarts
// on another node from the last snapshot (copied to another node before each call was answered),
// the calls in flight are sent again, and each runs exactly once (the results are 1..1,000).
import assert from 'node:assert/strict'
import type { ConnectedFabric, GuestModule, ObjectRef } from '../../src/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'

type Memo = GuestModule<typeof import('../fixtures/guests/ts/memo.js')>

describe('e2e: durable actors across fabric join processes (/fabric/snapshot/1)', function () {
  this.timeout(240_000)
  const cluster = new Cluster()
  let nodes: Joined[]
  let a: ConnectedFabric
  let m: Memo

  before(async () => {
    const component = await fixtureComponent('guests/ts/memo.ts')
    nodes = await cluster.start(3)
    a = await cluster.connect(3, {}, nodes[0])
    m = await a.load<Memo>(component)
  })

  after(async () => {
    await a?.stop()
    await cluster.stop()
  })

  it('a durable actor counting to 1,000 keeps its count after its node is SIGKILLed mid-run; every call runs once', async () => {
    const victim = nodes[1]!
    const counter = await m.Counter.options({ durable: true, maxRestarts: 2, maxTaskRetries: 5, scheduling: { nodeAffinity: victim.peer, soft: true } }).create(64, 4)
    assert.equal(a.actorInfo(counter).peer, victim.peer)
    const refs: Array<ObjectRef<number>> = []
    for (let i = 0; i < 1000; i++) refs.push(counter.incr.remote() as ObjectRef<number>)
    // Mid-run: some calls answered, the rest queued or running on the node.
    await a.get(refs[399]!)
    victim.proc.kill('SIGKILL')
    const values = await a.get(refs)
    assert.deepEqual(values, Array.from({ length: 1000 }, (_, i) => i + 1))
    assert.equal(await a.get(counter.value.remote()), 1000)
    const moved = a.actorInfo(counter).peer
    assert.notEqual(moved, victim.peer)
    assert.ok(nodes.some(n => n.peer === moved))
    // It goes on from there.
    assert.equal(await a.get(counter.incr.remote()), 1001)
  })
})
