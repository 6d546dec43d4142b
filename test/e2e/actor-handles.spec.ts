// End to end: actor handles that travel across three `fabric join` processes. The driver creates
// an actor on one node and passes its handle (the object, its actorId, or inside a value) to tasks
// and actors placed on the other nodes (labelSelector); their guests call it, each caller's calls
// arriving in the order made, and the driver reads back the actor's state showing every call. A
// guest returns a handle that the driver (and a second driver) turn back into a callable one; a
// killed actor, an actor no node has and a node not in the fabric give clear errors.
import assert from 'node:assert/strict'
import type { ConnectedFabric, GuestModule } from '../../src/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'

type Handles = GuestModule<typeof import('../fixtures/guests/ts-handles/handles.js')>
type Ledger = InstanceType<typeof import('../fixtures/guests/ts-handles/handles.js').Ledger>

const on = (i: number): { labelSelector: Record<string, string> } => ({ labelSelector: { slot: `n${i}` } })

describe('e2e: actor handles as arguments and results across fabric join processes', function () {
  this.timeout(240_000)
  let cluster: Cluster
  let nodes: Joined[]
  let fabric: ConnectedFabric
  let m: Handles
  let componentPath: string

  before(async () => {
    cluster = new Cluster()
    componentPath = await fixtureComponent('guests/ts-handles/handles.ts')
    // Named n0, n1, n2 (labelled slot=n0 ...); sorted by name, as they become ready in any order.
    nodes = [...await cluster.start(3, i => ['--labels', `slot=n${i}`])].sort((a, b) => a.name < b.name ? -1 : 1)
    fabric = await cluster.connect()
    m = await fabric.load<Handles>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    await cluster?.stop()
  })

  it('tasks and an actor on other nodes call the driver\'s actor through the handle it passed; every call arrives, each caller\'s in order', async () => {
    const ledger = await m.Ledger.options(on(0)).create()
    assert.equal(fabric.actorInfo(ledger).peer, nodes[0]!.peer)
    assert.equal(ledger.actorId.split('@')[1], nodes[0]!.peer, 'the actorId names the actor\'s node')
    // The handle object itself, its actorId, and handles inside a value; from nodes 1 and 2.
    assert.equal(await fabric.get(m.write.options(on(1)).remote(ledger, 'n1 object')), 1)
    assert.equal(await fabric.get(m.write.options(on(2)).remote(ledger.actorId, 'n2 id')), 2)
    assert.deepEqual(await fabric.get(m.writeVia.options(on(2)).remote({ ledgers: [ledger] }, 'n2 boxed')), [3])
    // A ref made on node 1 travels with its value to the actor on node 0.
    assert.equal(await fabric.get(m.writeRef.options(on(1)).remote(ledger, 'n1 ref')), 4)
    // A large ref argument goes by CID (pulled from node 2); a ref inside the result comes back to node 1.
    assert.equal(await fabric.get(m.writeBig.options(on(2)).remote(ledger, 300_000)), 5)
    assert.equal(await fabric.get(m.keepAndRead.options(on(1)).remote(ledger, 'kept')), 'kept')
    // On the actor's own node the call stays there.
    assert.equal(await fabric.get(m.write.options(on(0)).remote(ledger, 'n0 local')), 7)
    // An actor on node 1 given the handle by a method call.
    const other = await m.Ledger.options(on(1)).create()
    assert.equal(fabric.actorInfo(other).peer, nodes[1]!.peer)
    assert.equal(await fabric.get(other.addTo.remote(ledger, 'actor on n1')), 8)
    // Two callers at once, each queueing 8 calls before reading any: each one's calls keep their order.
    const [a, b] = await fabric.get([m.writeMany.options(on(1)).remote(ledger, 'a', 8), m.writeMany.options(on(2)).remote(ledger, 'b', 8)])
    for (const counts of [a, b]) for (let i = 1; i < counts.length; i++) assert.ok(counts[i]! > counts[i - 1]!, `in order: ${counts.join(',')}`)
    const entries = await fabric.get(ledger.read.remote())
    assert.deepEqual(entries.slice(0, 8), ['n1 object', 'n2 id', 'n2 boxed', 'n1 ref', 'bytes 300000', 'kept', 'n0 local', 'actor on n1'])
    for (const p of ['a', 'b']) assert.deepEqual(entries.filter(e => e.startsWith(p) && /^[ab]\d$/.test(e)), Array.from({ length: 8 }, (_, i) => `${p}${i}`))
    assert.equal(entries.length, 24, 'every call arrived once')
    await fabric.kill(other)
    await fabric.kill(ledger)
  })

  it('a handle a guest returns is callable by the driver (its own handle) and by a second driver (attached)', async () => {
    const [x, y] = await Promise.all([m.Ledger.options(on(0)).create(), m.Ledger.options(on(2)).create()])
    const form = await fabric.get(m.pick.options(on(1)).remote([x, y], 1))
    assert.deepEqual(form, { actorId: y.actorId })
    assert.equal(await fabric.actorHandle(form), y, 'this driver\'s own actor: its own handle')
    const second = await cluster.connect()
    try {
      const attached = await second.actorHandle<Ledger>(form)
      assert.equal(attached.actorId, y.actorId)
      assert.equal(await second.get(attached.add.remote('from the second driver')), 1)
      // The second driver passes its attached handle on to a task on another node.
      const m2 = await second.load<Handles>(componentPath)
      assert.equal(await second.get(m2.write.options(on(0)).remote(attached, 'passed on by the second driver')), 2)
    } finally {
      await second.stop()
    }
    // The second driver did not own it: the actor lives on after it left.
    assert.deepEqual(await fabric.get(y.read.remote()), ['from the second driver', 'passed on by the second driver'])
    await fabric.kill(x)
    await fabric.kill(y)
  })

  it('a killed actor, an id no node has, a node outside the fabric and a malformed id each fail with an error saying so', async () => {
    const gone = await m.Ledger.options(on(0)).create()
    const id = gone.actorId
    await fabric.kill(gone)
    await assert.rejects(fabric.get(m.write.options(on(1)).remote(id, 'late')), /no live actor .* on this node \(it died: actor 'Ledger' was killed\)|is not alive/)
    // The killed actor's handle object still travels (as its last address), and fails the same way.
    await assert.rejects(fabric.get(m.write.options(on(2)).remote(gone, 'late')), /no live actor .* on this node \(it died: actor 'Ledger' was killed\)|is not alive/)
    const local = id.split('@')[0]!
    await assert.rejects(fabric.get(m.writeRaw.options(on(1)).remote(`${local}x@${nodes[2]!.peer}`, 'e')), /no live actor .*x on this node/)
    await assert.rejects(fabric.get(m.writeRaw.options(on(1)).remote(`${local}@12D3KooWEwuGmQEVq4HJjCtaaRQBc1BZgVSh4fk1ub4XaoWHbq5E`, 'e')), /that node is not in this node's view of the fabric/)
    await assert.rejects(fabric.get(m.writeRaw.options(on(1)).remote(`${local}@/ip4/127.0.0.1/tcp/1`, 'e')), /what follows '@' must be a node's PeerId/)
    await assert.rejects(fabric.actorHandle(id), { name: 'ActorNotFoundError' })
    await assert.rejects(fabric.actorHandle(local), /names no node/)
  })
})
