// Placement groups on both faces of the driver contract: reserved whole or not at all, work placed
// in their bundles, released when removed, and a group that cannot be placed yet waiting with
// nothing held (so two groups that want the same resources never deadlock).
import assert from 'node:assert/strict'
import type { FabricDriver, GuestModule, PlacementGroup } from '../../../src/index.js'
import { fixtureComponent } from '../../helpers/fixtures.js'
import { connectedFace, embeddedFace, type Face } from './faces.js'

type Kitchen = GuestModule<typeof import('../../fixtures/guests/ts/kitchen.js')>

/** Poll until `check` holds. */
async function eventually (check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

for (const face of [embeddedFace(), connectedFace()] as Face[]) {
  describe(`placement groups: ${face.name}`, function () {
    this.timeout(120_000)
    let fabric: FabricDriver
    let m: Kitchen
    /** CPUs of the whole fabric, and one bundle per node holding all of that node's. */
    let total = 0
    let everything: Array<{ cpus: number }>

    before(async function () {
      this.timeout(180_000)
      const kitchen = await fixtureComponent('guests/ts/kitchen.ts')
      fabric = await face.start()
      m = await fabric.load<Kitchen>(kitchen)
      everything = fabric.nodes().map(n => ({ cpus: n.cpus.total }))
      total = everything.reduce((s, b) => s + b.cpus, 0)
    })

    after(async () => { await face.stop() })

    it('places a group, runs tasks and actors in its bundles, and ends them when removed', async () => {
      const pg = fabric.placementGroup({ bundles: [{ cpus: 1 }], strategy: 'STRICT_PACK', name: 'one' })
      assert.match(pg.id, /^pg[0-9a-f]{24}$/)
      await pg.ready({ timeoutMs: 20_000 })
      assert.equal(pg.state, 'created')
      assert.equal(pg.pendingReason, undefined)
      const [node] = pg.bundleNodes()
      assert.ok(fabric.nodes().some(n => n.id === node), `bundle on ${String(node)}, a node of ${JSON.stringify(fabric.nodes().map(n => n.id))}`)
      assert.deepEqual(pg.bundles, [{ cpus: 1, gpus: 0, memoryMb: 0, resources: {} }])

      const inGroup = { placementGroup: { group: pg, bundleIndex: 0 } }
      assert.equal(await fabric.get(m.add.options(inGroup).remote(2, 3)), 5)
      // Any bundle (-1, the default), several at once: they take turns on the bundle's one CPU.
      const sums = await fabric.get([1, 2, 3, 4].map(i => m.add.options({ placementGroup: { group: pg } }).remote(i, i)))
      assert.deepEqual(sums, [2, 4, 6, 8])
      const counter = await m.Counter.options({ cpus: 1, placementGroup: { group: pg, bundleIndex: 0 } }).create(10)
      assert.equal(await fabric.get(counter.incr.remote(1)), 11)

      await fabric.removePlacementGroup(pg)
      assert.equal(pg.state, 'removed')
      // Its actor is ended by its node (the call fails once the node has done so).
      await eventually(async () => !(await fabric.isActorAlive(counter)), 'the group\'s actor is killed')
      await assert.rejects(fabric.get(counter.incr.remote(1)), (e: Error) => e.name === 'ActorDiedError')
      // New work in it is refused at once; removing again is nothing.
      assert.throws(() => m.add.options(inGroup).remote(1, 1), (e: Error) => e.name === 'PlacementGroupRemovedError' && /removed/.test(e.message))
      await assert.rejects(pg.ready(), (e: Error) => e.name === 'PlacementGroupRemovedError')
      await fabric.removePlacementGroup(pg)
    })

    it('refuses bad groups and bad placements, saying what is wrong', async () => {
      assert.throws(() => fabric.placementGroup({ bundles: [] }), /at least one bundle/)
      assert.throws(() => fabric.placementGroup({ bundles: [{ cpus: -1 }] }), /cpus must be a non-negative number/)
      assert.throws(() => fabric.placementGroup({ bundles: [{}] }), /asks for nothing/)
      assert.throws(() => fabric.placementGroup({ bundles: [{ cpus: 1 }], strategy: 'TIGHT' as never }), /strategy must be one of PACK, SPREAD, STRICT_PACK, STRICT_SPREAD/)
      assert.throws(() => fabric.placementGroup({ bundles: [{ cpus: 1, cpu: 2 } as never] }), /unknown resource cpu/)
      assert.throws(() => m.add.options({ placementGroup: { group: { id: 'pgfake' } as unknown as PlacementGroup } }).remote(1, 1), /one this driver made/)
      const pg = fabric.placementGroup({ bundles: [{ cpus: 1 }] })
      try {
        await pg.ready({ timeoutMs: 20_000 })
        assert.throws(() => m.add.options({ placementGroup: { group: pg, bundleIndex: 1 } }).remote(1, 1), /bundleIndex must be -1 \(any bundle\) or 0-0/)
        assert.throws(() => m.add.options({ placementGroup: { group: pg }, scheduling: 'spread' }).remote(1, 1), /leave out scheduling/)
        assert.throws(() => m.add.options({ resources: { [`cpus_group_0_${pg.id}`]: 1 } }).remote(1, 1), /reserved for placement groups/)
        // More than the bundle holds: the ref fails, as for work no node can run.
        await assert.rejects(fabric.get(m.add.options({ cpus: 2, placementGroup: { group: pg, bundleIndex: 0 } }).remote(1, 1)),
          (e: Error) => e.name === 'InfeasibleTaskError' && /more than bundle 0/.test(e.message))
      } finally {
        await fabric.removePlacementGroup(pg)
      }
    })

    it('keeps a group that cannot be placed yet waiting with nothing held, and places it once the first is removed', async () => {
      const first = fabric.placementGroup({ bundles: everything, strategy: 'SPREAD', name: 'first' })
      await first.ready({ timeoutMs: 20_000 })
      const second = fabric.placementGroup({ bundles: everything, strategy: 'SPREAD', name: 'second' })
      await assert.rejects(second.ready({ timeoutMs: 700 }), (e: Error) => e.name === 'GetTimeoutError' && /was not placed within 700 ms/.test(e.message))
      assert.equal(second.state, 'pending')
      assert.ok(second.pendingReason !== undefined && second.pendingReason.length > 0)
      assert.deepEqual(second.bundleNodes(), everything.map(() => undefined))
      // A task placed in the waiting group waits too, then runs once it is placed.
      const waiting = m.add.options({ placementGroup: { group: second, bundleIndex: 0 } }).remote(20, 22)
      const { ready } = await fabric.wait([waiting], { timeoutMs: 300 })
      assert.equal(ready.length, 0)
      await fabric.removePlacementGroup(first)
      await second.ready({ timeoutMs: 20_000 })
      assert.equal(await fabric.get(waiting), 42)
      await fabric.removePlacementGroup(second)
      // Everything is free again.
      await eventually(() => fabric.nodes().reduce((s, n) => s + n.cpus.available, 0) === total, `all ${total} CPUs free again: ${JSON.stringify(fabric.nodes())}`)
    })

    it('fails work waiting for a group that is removed before it is placed', async () => {
      const hog = fabric.placementGroup({ bundles: everything, strategy: 'SPREAD' })
      await hog.ready({ timeoutMs: 20_000 })
      const never = fabric.placementGroup({ bundles: [{ cpus: 1 }] })
      const waiting = m.add.options({ placementGroup: { group: never } }).remote(1, 1)
      await fabric.removePlacementGroup(never)
      await assert.rejects(fabric.get(waiting), (e: Error) => e.name === 'PlacementGroupRemovedError')
      await fabric.removePlacementGroup(hog)
    })

    it('STRICT_SPREAD puts each bundle on its own node, and STRICT_PACK all on one', async () => {
      const nodes = fabric.nodes().length
      const spread = fabric.placementGroup({ bundles: fabric.nodes().map(() => ({ cpus: 0.5 })), strategy: 'STRICT_SPREAD' })
      await spread.ready({ timeoutMs: 20_000 })
      assert.equal(new Set(spread.bundleNodes()).size, nodes)
      await fabric.removePlacementGroup(spread)
      const pack = fabric.placementGroup({ bundles: [{ cpus: 0.25 }, { cpus: 0.25 }, { cpus: 0.25 }], strategy: 'STRICT_PACK' })
      await pack.ready({ timeoutMs: 20_000 })
      assert.equal(new Set(pack.bundleNodes()).size, 1)
      await fabric.removePlacementGroup(pack)
    })
  })
}
