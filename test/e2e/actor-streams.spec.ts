// End to end: actor methods that are generators across three `fabric join` processes, beyond the
// conformance suite: a second driver attached to the actor (by name, by id) gets the stream too
// (the node says which methods stream when it attaches), and when the actor's node is SIGKILLed
// mid-stream the actor restarts on another node, the call runs again there, and the driver's
// iteration goes on with only the values it did not have yet.
import assert from 'node:assert/strict'
import type { ConnectedFabric, GuestModule, ObjectRef } from '../../src/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'

type Streams = GuestModule<typeof import('../fixtures/guests/ts-streams/streams.js')>
type Feed = InstanceType<typeof import('../fixtures/guests/ts-streams/streams.js').Feed>

describe('e2e: actor methods that are generators across fabric join processes', function () {
  this.timeout(240_000)
  let cluster: Cluster
  let nodes: Joined[]
  let fabric: ConnectedFabric
  let s: Streams

  before(async () => {
    cluster = new Cluster()
    const componentPath = await fixtureComponent('guests/ts-streams/streams.ts')
    nodes = await cluster.start(3)
    fabric = await cluster.connect()
    s = await fabric.load<Streams>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    await cluster?.stop()
  })

  async function drain<T> (driver: ConnectedFabric, stream: AsyncIterable<ObjectRef<T>>): Promise<T[]> {
    const out: T[] = []
    for await (const r of stream) out.push(await driver.get(r))
    return out
  }

  it('a second driver attached to the actor (by name and by id) streams its generator methods', async () => {
    const feed = await s.Feed.options({ name: 'e2e-feed' }).create()
    const second = await cluster.connect()
    try {
      const byName = await second.getActor<Feed>('e2e-feed', { namespace: fabric.namespace })
      assert.deepEqual(await drain(second, byName.items.remote(2)), [{ i: 1, seen: 1 }, { i: 2, seen: 1 }])
      const byId = await second.actorHandle<Feed>(feed.actorId)
      assert.deepEqual(await drain(second, byId.items.remote(1)), [{ i: 1, seen: 2 }])
      // A plain method of the same handle still answers with one ref.
      assert.deepEqual(await second.get(byId.history.remote()), ['items(2)', 'items(1)'])
    } finally {
      await second.stop()
    }
    await fabric.kill(feed)
  })

  it('its node SIGKILLed mid-stream, the actor restarts elsewhere and the stream goes on without repeating values', async () => {
    const victim = nodes[1]!
    const keeper = nodes.find(n => n !== victim)!
    const feed = await s.Feed.options({ maxRestarts: 1, maxTaskRetries: 1, scheduling: { nodeAffinity: victim.peer, soft: true } }).create()
    const gate = await s.Gate.options({ scheduling: { nodeAffinity: keeper.peer } }).create()
    assert.equal(fabric.actorInfo(feed).peer, victim.peer)
    const it = feed.gated.remote(gate, 1_000_000)[Symbol.asyncIterator]()
    const first = await it.next()
    assert.equal(await fabric.get(first.value as ObjectRef<string>), 'before')
    // The method is polling the gate on the victim: kill the node, then open the gate.
    victim.proc.kill('SIGKILL')
    await victim.exit
    assert.equal(await fabric.get(gate.open.remote()), true)
    // The new instance yields 'before' again (skipped: the driver has it) and then 'after'.
    const rest: string[] = []
    for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push(await fabric.get(r.value))
    assert.deepEqual(rest, ['after'])
    const info = fabric.actorInfo(feed)
    assert.equal(info.restarts, 1)
    assert.ok(info.peer !== undefined && info.peer !== victim.peer, `restarted on ${info.peer}`)
  })
})
