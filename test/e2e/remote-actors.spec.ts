// End to end: actors and placement options across separate `fabric join` processes on 127.0.0.1
// over /fabric/actor/1 and /fabric/task/1, driven by Fabric.connect: an actor on a remote node
// keeps its state; a named actor is found by a second driver; node affinity and spread place
// work where asked; a demand no node can hold says what is missing; a driver's actors die with
// it; names are unique across the fabric (a second driver's create, or a simultaneous one, is
// refused; the name is free once its actor is killed); when an actor's node is SIGKILLed the actor
// restarts on another node (maxRestarts), while one without restarts fails with ActorDiedError;
// and restarts in place (a trap) and on another node spend one maxRestarts budget.
import assert from 'node:assert/strict'
import { Fabric, type ConnectedFabric, type ObjectRef, type RemoteActorClass, type UntypedModule } from '../../src/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { createStatusClient } from '../../src/net/index.js'
import { formatStatus } from '../../src/cli/status.js'
import { Cluster, type Joined } from './cluster.js'

type Tally = { actorId: string, add: { remote: (x: number) => ObjectRef<number> }, crash: { remote: () => ObjectRef<number> } }
type Counter = { actorId: string, incr: { remote: (by: number) => ObjectRef<number> }, get2: { remote: () => ObjectRef<{ n: number, history: number[] }> } }

/** The fixture's Counter class, with actor options (UntypedModule's options() is typed as a task's). */
const counterClass = (mod: UntypedModule): RemoteActorClass<[number], unknown> => mod.Counter! as unknown as RemoteActorClass<[number], unknown>

describe('e2e: actors across fabric join processes (/fabric/actor/1)', function () {
  this.timeout(180_000)
  let cluster: Cluster
  let nodes: Joined[]
  let fabric: ConnectedFabric
  let m: UntypedModule
  let componentPath: string
  let sandboxPath: string

  before(async () => {
    cluster = new Cluster()
    ;[componentPath, sandboxPath] = await Promise.all([fixtureComponent('guests/ts/kitchen.ts'), fixtureComponent('guests/as-sandbox/sandbox.ts', 'as')])
    nodes = await cluster.start()
    fabric = await cluster.connect()
    m = await fabric.load<UntypedModule>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    await cluster?.stop()
  })

  it('an actor on a remote node keeps its state across calls, run in the order made', async () => {
    const c = await m.Counter!.create(10) as unknown as Counter
    const peer = fabric.actorInfo(c).peer
    assert.ok(nodes.some(n => n.peer === peer), `the actor lives on a fabric node (${String(peer)})`)
    const refs = [1, 2, 3, 4, 5].map(by => c.incr.remote(by))
    assert.deepEqual(await fabric.get(refs), [11, 13, 16, 20, 25])
    // A ref from one call as the argument of the next.
    assert.equal(await fabric.get(c.incr.remote(refs[0] as unknown as number)), 36)
    assert.deepEqual(await fabric.get(c.get2.remote()), { n: 36, history: [11, 13, 16, 20, 25, 36] })
    assert.equal((c as unknown as Record<string, unknown>).nope, undefined, 'a handle has the class\'s methods only')
    await fabric.kill(c)
    await assert.rejects(fabric.get(c.incr.remote(1)), (err: Error) => err.name === 'ActorDiedError')
  })

  it('a named actor is found by a second driver in its namespace (only there); nodeAffinity places it; an unknown class says so', async () => {
    const target = nodes[2]!
    const acc = await counterClass(m).options({ name: 'acc', scheduling: { nodeAffinity: target.peer } }).create(0) as unknown as Counter
    assert.equal(fabric.actorInfo(acc).peer, target.peer)
    await fabric.get(acc.incr.remote(7))
    const other = await cluster.connect()
    try {
      // Each job has a namespace of its own: the name is not found from another's.
      await assert.rejects(other.getActor('acc'), (err: Error) => err.name === 'ActorNotFoundError' && err.message.includes(other.namespace))
      const same = await other.getActor<Counter>('acc', { namespace: fabric.namespace }) as unknown as Counter
      assert.equal(await other.get(same.incr.remote(1)), 8)
      await assert.rejects(other.getActor('nobody', { namespace: fabric.namespace }), (err: Error) => err.name === 'ActorNotFoundError')
    } finally {
      await other.stop()
    }
    assert.equal(await fabric.get(acc.incr.remote(1)), 9)
    assert.equal(m.Nope, undefined, 'the module has the component\'s exports only (from the manifest a node reported)')
    await fabric.kill(acc)
  })

  it('fabric status shows the actors, running tasks and objects of each node', async () => {
    const target = nodes[0]!
    const c = await counterClass(m).options({ scheduling: { nodeAffinity: target.peer } }).create(0) as unknown as Counter
    const spinning = m.sumSquares!.options({ scheduling: { nodeAffinity: target.peer } }).remote(30_000_000) as ObjectRef
    const status = await createStatusClient()
    try {
      const deadline = Date.now() + 15_000
      let work
      do {
        await new Promise(resolve => setTimeout(resolve, 200))
        work = (await status.status(target.addr, { timeoutMs: 5000 })).self.work
      } while ((work === undefined || work.actors < 1 || work.running < 1) && Date.now() < deadline)
      assert.ok(work !== undefined && work.actors >= 1 && work.running >= 1, `work: ${JSON.stringify(work)}`)
      assert.match(formatStatus(await status.status(target.addr, { timeoutMs: 5000 })), /RUNNING +QUEUE +ACTORS +OBJECTS/)
    } finally {
      await status.stop()
    }
    await fabric.get(spinning)
    await fabric.kill(c)
  })

  it('tasks honour nodeAffinity and spread; a demand no node can hold names what is missing', async () => {
    // Results over the inline limit stay on the node that made them: locate() says where each ran.
    const big = 'y'.repeat(200_000)
    const pinned = Array.from({ length: 6 }, () => m.echo!.options({ scheduling: { nodeAffinity: nodes[1]!.peer } }).remote(big) as ObjectRef<string>)
    assert.deepEqual(await fabric.get(pinned), pinned.map(() => big))
    const ranOn = await Promise.all(pinned.map(async r => { const at = await fabric.locate(r); return 'holders' in at ? at.holders[0] : 'inline' }))
    assert.deepEqual(ranOn, pinned.map(() => nodes[1]!.peer))
    assert.throws(() => m.add!.options({ scheduling: 'nearby' as 'spread' }).remote(1, 2), /option scheduling must be/)
    await assert.rejects(fabric.get(m.add!.options({ gpus: 1 }).remote(1, 2) as ObjectRef), (err: Error) => err.name === 'InfeasibleTaskError' && /gpus: needs 1, has 0/.test(err.message))
    await assert.rejects(fabric.get(m.add!.options({ scheduling: { nodeAffinity: '12D3KooWNotANodeInThisFabricAtAll1111111111111' } }).remote(1, 2) as ObjectRef), (err: Error) => err.name === 'InfeasibleTaskError' && /not in this caller's view/.test(err.message))
    await assert.rejects(counterClass(m).options({ resources: { tpu: 1 } }).create(0), (err: Error) => err.name === 'InfeasibleTaskError' && /tpu: needs 1, has 0/.test(err.message))
    const spread = await Promise.all(Array.from({ length: 3 }, async () => await counterClass(m).options({ scheduling: 'spread' }).create(0) as unknown as Counter))
    assert.equal(new Set(spread.map(c => fabric.actorInfo(c).peer)).size, 3, 'three spread actors on three nodes')
    for (const c of spread) await fabric.kill(c)
  })

  it("a driver's actors die with it", async () => {
    const owner = await Fabric.connect(nodes[0]!.addr)
    const mod = await owner.load<UntypedModule>(componentPath)
    const c = await counterClass(mod).options({ name: 'ephemeral' }).create(1) as unknown as Counter
    assert.equal(await owner.get(c.incr.remote(1)), 2)
    assert.equal(await fabric.get((await fabric.getActor<Counter>('ephemeral', { namespace: owner.namespace }) as unknown as Counter).incr.remote(1)), 3)
    const namespace = owner.namespace
    await owner.stop()
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        await fabric.getActor('ephemeral', { namespace })
      } catch (err) {
        assert.equal((err as Error).name, 'ActorNotFoundError')
        break
      }
      if (Date.now() > deadline) assert.fail('the actor outlived its driver by 10 s')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  })

  it('a name is unique in its namespace across the fabric: a second driver there is refused on another node; free again once killed', async () => {
    const first = await counterClass(m).options({ name: 'solo', scheduling: { nodeAffinity: nodes[0]!.peer } }).create(1) as unknown as Counter
    const other = await cluster.connect(undefined, { namespace: fabric.namespace })
    try {
      const om = await other.load<UntypedModule>(componentPath)
      await assert.rejects(counterClass(om).options({ name: 'solo', scheduling: { nodeAffinity: nodes[2]!.peer } }).create(0), (err: Error) => {
        assert.ok(err instanceof TypeError, `${err.name}: ${err.message}`)
        assert.match(err.message, /an actor named 'solo' already exists/)
        assert.ok(err.message.includes(nodes[0]!.peer), 'the error names the node that has it')
        return true
      })
      // The same driver is refused too (before it asks any node).
      await assert.rejects(counterClass(m).options({ name: 'solo' }).create(0), /already exists/)
      assert.equal(await other.get((await other.getActor<Counter>('solo') as unknown as Counter).incr.remote(1)), 2, 'the first one lives on')
      await fabric.kill(first)
      const second = await counterClass(om).options({ name: 'solo', scheduling: { nodeAffinity: nodes[2]!.peer } }).create(10) as unknown as Counter
      assert.equal(other.actorInfo(second).peer, nodes[2]!.peer)
      assert.equal(await fabric.get((await fabric.getActor<Counter>('solo') as unknown as Counter).incr.remote(1)), 11)
      await other.kill(second)
    } finally {
      await other.stop()
    }
  })

  it('two drivers creating one name at once on two nodes: exactly one keeps it', async () => {
    const other = await cluster.connect(undefined, { namespace: fabric.namespace })
    try {
      const om = await other.load<UntypedModule>(componentPath)
      for (let round = 0; round < 3; round++) {
        const name = `race-${round}`
        const settled = await Promise.allSettled([
          counterClass(m).options({ name, scheduling: { nodeAffinity: nodes[0]!.peer } }).create(100),
          counterClass(om).options({ name, scheduling: { nodeAffinity: nodes[2]!.peer } }).create(200)
        ])
        const kept = settled.flatMap((s, i) => s.status === 'fulfilled' ? [{ driver: i === 0 ? fabric : other, handle: s.value as unknown as Counter }] : [])
        const refused = settled.flatMap(s => s.status === 'rejected' ? [s.reason as Error] : [])
        assert.equal(kept.length, 1, `round ${round}: ${refused.map(e => e.message).join('; ')}`)
        assert.ok(refused.length === 1 && refused[0] instanceof TypeError && /already exists/.test(refused[0].message), refused[0]?.message)
        const start = kept[0]!.driver === fabric ? 100 : 200
        assert.equal(await fabric.get((await fabric.getActor<Counter>(name) as unknown as Counter).incr.remote(1)), start + 1)
        assert.equal(await other.get((await other.getActor<Counter>(name) as unknown as Counter).incr.remote(1)), start + 2)
        await kept[0]!.driver.kill(kept[0]!.handle)
      }
    } finally {
      await other.stop()
    }
  })

  it('its node SIGKILLed, an actor restarts on another node (maxRestarts); one without restarts dies', async () => {
    const victim = nodes[1]!
    const pin = { nodeAffinity: victim.peer, soft: true }
    const phoenix = await counterClass(m).options({ maxRestarts: 1, maxTaskRetries: 1, scheduling: pin }).create(100) as unknown as Counter
    const mortal = await counterClass(m).options({ scheduling: { nodeAffinity: victim.peer } }).create(0) as unknown as Counter
    assert.equal(fabric.actorInfo(phoenix).peer, victim.peer)
    assert.equal(fabric.actorInfo(mortal).peer, victim.peer)
    assert.equal(await fabric.get(phoenix.incr.remote(1)), 101)
    victim.proc.kill('SIGKILL')
    // A fresh instance elsewhere: the state starts over from the constructor's arguments.
    const after = await fabric.get(phoenix.incr.remote(1))
    assert.equal(after, 101)
    const info = fabric.actorInfo(phoenix)
    assert.equal(info.restarts, 1)
    assert.ok(info.peer !== undefined && info.peer !== victim.peer && nodes.some(n => n.peer === info.peer))
    await assert.rejects(fabric.get(mortal.incr.remote(1)), (err: Error) => err.name === 'ActorDiedError' && /no restarts left/.test(err.message))
  })

  it('restarts in place (a trap) and on another node (its node died) spend one maxRestarts budget', async () => {
    const extra = await cluster.join('n3', nodes[0]!.addr)
    const deadline = Date.now() + 30_000
    while (!fabric.nodes().some(n => n.peer === extra.peer && n.state === 'alive')) {
      if (Date.now() > deadline) assert.fail('the driver did not see n3 join')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const s = await fabric.load<UntypedModule>(sandboxPath)
    const tallyClass = s.Tally! as unknown as RemoteActorClass<[], unknown>
    const t = await tallyClass.options({ maxRestarts: 2, scheduling: { nodeAffinity: extra.peer, soft: true } }).create() as unknown as Tally
    assert.equal(fabric.actorInfo(t).peer, extra.peer)
    assert.equal(await fabric.get(t.add.remote(5)), 5)
    // 1: the node restarts it in place, and says so before the crashed call's result.
    await assert.rejects(fabric.get(t.crash.remote()), { name: 'GuestTrapError' })
    assert.deepEqual(fabric.actorInfo(t), { peer: extra.peer, restarts: 1 })
    assert.equal(await fabric.get(t.add.remote(1)), 1, 'a fresh instance in place')
    // 2: its node dies; the driver creates it on another node with the one restart left.
    extra.proc.kill('SIGKILL')
    const moved = Date.now() + 30_000
    while (fabric.actorInfo(t).peer === undefined || fabric.actorInfo(t).peer === extra.peer) {
      if (Date.now() > moved) assert.fail(`the actor was not restarted elsewhere: ${JSON.stringify(fabric.actorInfo(t))}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    assert.equal(fabric.actorInfo(t).restarts, 2)
    assert.equal(await fabric.get(t.add.remote(2)), 2, 'a fresh instance on another node')
    // The budget is spent: the new node does not restart it after a trap.
    await assert.rejects(fabric.get(t.crash.remote()), { name: 'GuestTrapError' })
    await assert.rejects(fabric.get(t.add.remote(1)), { name: 'ActorDiedError' })
    assert.equal(fabric.actorInfo(t).restarts, 2)
  })
})
