// End to end: objects held by nodes. A large task result stays on the node that made it (the
// driver knows its CID and holders); a task given that ref runs where the object is (locality)
// or pulls it by CID; a large put is served by the driver; when the only node holding an object
// is SIGKILLed the object is rebuilt from lineage (recursively, through a chain), and an object
// whose lineage cannot run again fails with ObjectLostError naming the CID and why.
import assert from 'node:assert/strict'
import { ObjectRef, type ConnectedFabric, type UntypedModule } from '../../src/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'

/** A deterministic pseudo-random byte string. */
function bytes (n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

describe('e2e: objects held by nodes, locality and lineage', function () {
  this.timeout(180_000)
  let cluster: Cluster
  let nodes: Joined[]
  let fabric: ConnectedFabric
  let m: UntypedModule

  const holders = async (ref: ObjectRef): Promise<string[]> => {
    const where = await fabric.locate(ref)
    if ('inline' in where) assert.fail('expected a node-held object')
    return where.holders
  }

  before(async () => {
    cluster = new Cluster()
    const componentPath = await fixtureComponent('guests/ts/kitchen.ts')
    nodes = await cluster.start()
    fabric = await cluster.connect()
    m = await fabric.load<UntypedModule>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    await cluster?.stop()
  })

  it('a large result stays on its node; a task given its ref runs there; a large put is served by the driver', async () => {
    const data = bytes(2 * 1024 * 1024, 1)
    const small = m.add!.remote(1, 2) as ObjectRef
    assert.deepEqual(await fabric.locate(small), { inline: true })
    const big = m.echo!.options({ scheduling: { nodeAffinity: nodes[2]!.peer } }).remote(data) as ObjectRef<Uint8Array>
    assert.deepEqual(await holders(big), [nodes[2]!.peer])
    assert.deepEqual(await fabric.get(big), data)
    // Default placement goes where the argument's bytes are.
    const again = m.echo!.remote(big) as ObjectRef<Uint8Array>
    assert.deepEqual(await holders(again), [nodes[2]!.peer])
    assert.deepEqual(await fabric.get(again), data)
    // Elsewhere, the node pulls it from the holder.
    const moved = m.echo!.options({ scheduling: { nodeAffinity: nodes[1]!.peer } }).remote(big) as ObjectRef<Uint8Array>
    assert.deepEqual(await holders(moved), [nodes[1]!.peer])
    assert.deepEqual(await fabric.get(moved), data)
    // The node that pulled the argument keeps it: a second holder.
    assert.deepEqual((await holders(big)).sort(), [nodes[1]!.peer, nodes[2]!.peer].sort())
    const put = fabric.put(bytes(1024 * 1024, 2))
    assert.deepEqual(await holders(put), [(fabric as unknown as { net: { peerId: string } }).net.peerId])
    const echoed = m.echo!.remote(put) as ObjectRef<Uint8Array>
    assert.deepEqual(await fabric.get(echoed), bytes(1024 * 1024, 2))
    fabric.free([big, again, moved, put, echoed])
    await assert.rejects(fabric.get(big), (err: Error) => err.name === 'ObjectReleasedError' && /freed/.test(err.message))
  })

  it('refs nested inside argument values reach the task as refs it can get (small and node-held)', async () => {
    const nested = await fabric.load<UntypedModule>(await fixtureComponent('guests/ts-nested/nested.ts'))
    const small = m.add!.remote(40, 2) as ObjectRef<number>
    assert.equal(await fabric.get(nested.open!.remote({ inner: small }) as ObjectRef), 42)
    const big = m.echo!.options({ scheduling: { nodeAffinity: nodes[0]!.peer } }).remote(bytes(300 * 1024, 5)) as ObjectRef<Uint8Array>
    const opened = nested.open!.options({ scheduling: { nodeAffinity: nodes[2]!.peer } }).remote({ inner: big }) as ObjectRef<Uint8Array>
    assert.deepEqual(await fabric.get(opened), bytes(300 * 1024, 5))
    const put = fabric.put({ hello: 'world' })
    assert.deepEqual(await fabric.get(nested.open!.remote({ inner: put }) as ObjectRef), { hello: 'world' })
  })

  it('refs inside results and put values cross nodes: tasks returning refs, puts holding refs, two levels deep', async () => {
    const nested = await fabric.load<UntypedModule>(await fixtureComponent('guests/ts-nested/nested.ts'))
    // A task that returns a ref (the guest put the value): the driver gets a ref of its own.
    const small = await fabric.get(nested.keep!.remote({ a: 1 }) as ObjectRef<ObjectRef>)
    assert.ok(small instanceof ObjectRef)
    assert.deepEqual(await fabric.get(small), { a: 1 })
    // A large one stays on its node, kept there for this driver, and moves on to another task by CID.
    const big = await fabric.get(nested.keep!.options({ scheduling: { nodeAffinity: nodes[1]!.peer } }).remote(bytes(300 * 1024, 7)) as ObjectRef<ObjectRef<Uint8Array>>)
    assert.deepEqual(await holders(big), [nodes[1]!.peer])
    assert.deepEqual(await fabric.get(big), bytes(300 * 1024, 7))
    const opened = nested.open!.options({ scheduling: { nodeAffinity: nodes[2]!.peer } }).remote({ inner: big }) as ObjectRef<Uint8Array>
    assert.deepEqual(await fabric.get(opened), bytes(300 * 1024, 7))
    // A put holding a ref, passed whole; and inside another put, two levels deep, there and back.
    const box = fabric.put({ inner: m.add!.remote(1, 2) })
    assert.equal(await fabric.get(nested.open!.remote(await fabric.get(box))), 3)
    const outer = fabric.put({ inner: box })
    const back = await fabric.get(nested.open!.remote({ inner: outer }) as ObjectRef<{ inner: ObjectRef<{ inner: ObjectRef<number> }> }>)
    assert.ok(back.inner instanceof ObjectRef)
    const level1 = await fabric.get(back.inner)
    assert.equal(await fabric.get(level1.inner), 3)
    fabric.free([big, opened])
    // A large result holding refs comes back whole, with what they stand for.
    const holder = fabric.put({ big: bytes(200 * 1024, 4), inner: m.add!.remote(2, 3) })
    const large = await fabric.get(nested.open!.remote({ inner: holder }) as ObjectRef<{ big: Uint8Array, inner: ObjectRef<number> }>)
    assert.deepEqual(large.big, bytes(200 * 1024, 4))
    assert.equal(await fabric.get(large.inner), 5)
    // A generator's items holding refs, too.
    const got: unknown[] = []
    for await (const item of nested.boxes!.remote(3) as unknown as AsyncIterable<ObjectRef<ObjectRef<{ box: number }>>>) got.push(await fabric.get(await fabric.get(item)))
    assert.deepEqual(got, [{ box: 0 }, { box: 1 }, { box: 2 }])
    // A ref to a task that failed: the result is fine, reading the ref gives the task's error.
    const lent = await fabric.get(nested.lendFailure!.remote() as ObjectRef<{ inner: ObjectRef<number> }>)
    await assert.rejects(fabric.get(lent.inner), (err: Error) => /flaky failure 1/.test(err.message))
  })

  it('refs cross to and from actors: in constructor and method arguments, inside results, and as results', async () => {
    const nested = await fabric.load<UntypedModule>(await fixtureComponent('guests/ts-nested/nested.ts'))
    type Shelf = Record<'add' | 'read' | 'lend' | 'stash', { remote: (...args: unknown[]) => ObjectRef<unknown> }>
    const big = m.echo!.options({ scheduling: { nodeAffinity: nodes[0]!.peer } }).remote(bytes(300 * 1024, 9)) as ObjectRef<Uint8Array>
    const shelfClass = nested.Shelf as unknown as { options: (o: unknown) => { create: (...args: unknown[]) => Promise<unknown> } }
    const shelf = await shelfClass.options({ scheduling: { nodeAffinity: nodes[2]!.peer } }).create({ inner: fabric.put('first') }) as Shelf
    assert.equal(await fabric.get(shelf.add.remote({ inner: big })), 2)
    assert.equal(await fabric.get(shelf.add.remote({ inner: m.add!.remote(20, 22) })), 3)
    assert.equal(await fabric.get(shelf.read.remote(0)), 'first')
    assert.deepEqual(await fabric.get(shelf.read.remote(1)), bytes(300 * 1024, 9))
    assert.equal(await fabric.get(shelf.read.remote(2)), 42)
    // Refs handed back by the actor: inside a value, and as the result itself.
    const lent = await fabric.get(shelf.lend.remote(1)) as { inner: ObjectRef<Uint8Array> }
    assert.ok(lent.inner instanceof ObjectRef)
    assert.deepEqual(await fabric.get(lent.inner), bytes(300 * 1024, 9))
    const stashed = await fabric.get(shelf.stash.remote({ big: bytes(200 * 1024, 3) })) as ObjectRef<{ big: Uint8Array }>
    assert.deepEqual(await holders(stashed), [nodes[2]!.peer])
    assert.deepEqual(await fabric.get(stashed), { big: bytes(200 * 1024, 3) })
    // And on to a task on another node.
    assert.deepEqual(await fabric.get(nested.open!.options({ scheduling: { nodeAffinity: nodes[1]!.peer } }).remote({ inner: stashed })), { big: bytes(200 * 1024, 3) })
    await fabric.kill(shelf as never)
  })

  it('its only holder SIGKILLed, a chain of objects is rebuilt from lineage; one that cannot be rebuilt is ObjectLostError', async () => {
    const victim = nodes[1]!
    const pin = { nodeAffinity: victim.peer, soft: true }
    const first = m.echo!.options({ scheduling: pin }).remote(bytes(512 * 1024, 3)) as ObjectRef<Uint8Array>
    const second = m.echo!.options({ scheduling: pin }).remote(first) as ObjectRef<Uint8Array>
    const pinned = m.echo!.options({ scheduling: { nodeAffinity: victim.peer }, maxRetries: 0 }).remote(bytes(256 * 1024, 4)) as ObjectRef<Uint8Array>
    assert.deepEqual(await holders(second), [victim.peer])
    assert.deepEqual(await holders(first), [victim.peer])
    assert.deepEqual(await holders(pinned), [victim.peer])
    const cid = (await fabric.locate(pinned) as { cid: string }).cid
    victim.proc.kill('SIGKILL')
    await victim.exit
    // The driver only learns the holder is gone when it asks; give the view a moment either way.
    assert.deepEqual(await fabric.get(second), bytes(512 * 1024, 3))
    const rebuilt = await holders(second)
    assert.ok(rebuilt.length > 0 && !rebuilt.includes(victim.peer), `rebuilt on a survivor: ${rebuilt.join(', ')}`)
    assert.ok(!(await holders(first)).includes(victim.peer), 'the argument was rebuilt too')
    await assert.rejects(fabric.get(pinned), (err: Error) => err.name === 'ObjectLostError' && err.message.includes(cid) && /running the task again failed/.test(err.message))
  })
})
