// Actor handles that travel on the embedded face: the driver passes the handle object itself (or
// its actorId, alone or inside a value) to tasks and actor methods, guests call it, a guest returns
// a handle that fabric.actorHandle() turns back into one; bad and foreign ids say what is wrong.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule, type ObjectRef } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

type Handles = GuestModule<typeof import('../fixtures/guests/ts-handles/handles.js')>

describe('api: actor handles as arguments and results (embedded)', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let m: Handles

  before(async () => {
    cache = tempDir()
    const componentPath = await fixtureComponent('guests/ts-handles/handles.ts')
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Handles>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('a task called with the handle object itself, its actorId, or handles inside a value reaches the actor; every call arrives in order', async () => {
    const a = await m.Ledger.create()
    const b = await m.Ledger.create()
    assert.equal(await fabric.get(m.write.remote(a, 'object')), 1)
    assert.equal(await fabric.get(m.write.remote(a.actorId, 'id')), 2)
    assert.deepEqual(await fabric.get(m.writeVia.remote({ ledgers: [a, b] }, 'boxed')), [3, 1])
    assert.deepEqual(await fabric.get(m.writeMany.remote(a, 'm', 4)), [4, 5, 6, 7])
    assert.equal(await fabric.get(m.writeRef.remote(a, 'ref')), 8)
    // An actor's method given another actor's handle object calls it.
    assert.equal(await fabric.get(b.addTo.remote(a, 'from b')), 9)
    assert.deepEqual(await fabric.get(a.read.remote()), ['object', 'id', 'boxed', 'm0', 'm1', 'm2', 'm3', 'ref', 'from b'])
    assert.deepEqual(await fabric.get(b.read.remote()), ['boxed'])
  })

  it('a handle a guest returns comes back as { actorId }; fabric.actorHandle() makes it callable; put keeps a handle as its form', async () => {
    const a = await m.Ledger.create()
    const b = await m.Ledger.create()
    const form = await fabric.get(m.pick.remote([a, b], 1))
    assert.deepEqual(form, { actorId: b.actorId })
    const again = await fabric.actorHandle<InstanceType<typeof import('../fixtures/guests/ts-handles/handles.js').Ledger>>(form)
    assert.equal(again.actorId, b.actorId)
    assert.equal(await fabric.get(again.add.remote('via returned handle')), 1)
    assert.deepEqual(await fabric.get(b.read.remote()), ['via returned handle'])
    assert.equal(await fabric.actorHandle(a), a, 'a handle of this fabric is its own handle')
    assert.deepEqual(await fabric.get(fabric.put({ keep: a })), { keep: { actorId: a.actorId } })
    const byId = await fabric.actorHandle(a.actorId)
    assert.equal(await fabric.get((byId as unknown as typeof a).add.remote('by id')), 1)
  })

  it('ids that name no live actor, or are malformed, fail with errors that say why', async () => {
    await assert.rejects(fabric.actorHandle({ actorId: 'nope/a0000000' }), { name: 'ActorNotFoundError', message: /no live actor nope\/a0000000 on this node/ })
    await assert.rejects(fabric.actorHandle({ actorId: 'x/a1@12D3KooWEwuGmQEVq4HJjCtaaRQBc1BZgVSh4fk1ub4XaoWHbq5E' }), { name: 'ActorNotFoundError', message: /this embedded fabric is one node/ })
    await assert.rejects(fabric.actorHandle({ id: 'x' } as never), { name: 'BadActorAddressError', message: /travels as \{ actorId: string \}/ })
    await assert.rejects(fabric.actorHandle('x@not a peer'), /what follows '@' must be a node's PeerId/)
    // From a guest: a forged form is refused as a bad argument; another node's actor is out of reach here.
    await assert.rejects(fabric.get(m.writeRaw.remote('x@not a peer', 'e')), /bad-argument|what follows '@' must be a node's PeerId/)
    await assert.rejects(fabric.get(m.writeRaw.remote('x/a1@12D3KooWEwuGmQEVq4HJjCtaaRQBc1BZgVSh4fk1ub4XaoWHbq5E', 'e')), /this node is not part of a fabric/)
    const gone = await m.Ledger.create()
    await fabric.kill(gone)
    await assert.rejects(fabric.get(m.write.remote(gone, 'late') as ObjectRef<number>), /not alive|was killed/)
    await assert.rejects(fabric.actorHandle(gone.actorId), { name: 'ActorNotFoundError', message: /it died: actor 'Ledger' was killed/ })
  })
})
