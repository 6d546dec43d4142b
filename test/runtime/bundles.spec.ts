// A node's placement-group bundles: two-phase reservation (prepare sets resources aside, commit
// makes the bundle's names usable), a prepare whose commit never comes expires by itself, only the
// owner may use or release its bundles, and releasing a bundle gives everything back and ends the
// work in it.
import assert from 'node:assert/strict'
import { LocalNode, resolveActorOptions, resolveTaskOptions } from '../../src/runtime/index.js'
import { groupDemand, resources } from '../../src/scheduler/index.js'
import { decode, encode } from '../../src/objects/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

const G = 'pg000000000000000000000001'
const H = 'pg000000000000000000000002'
const alice = { peer: 'alice', job: 'job-a', session: 1 }
const bob = { peer: 'bob', job: 'job-b', session: 7 }

describe('runtime/bundles: a node\'s placement-group bundles', function () {
  this.timeout(60_000)
  let cache: ReturnType<typeof tempDir>
  let node: LocalNode

  beforeEach(async () => {
    cache = tempDir()
    node = new LocalNode({ workers: 2, resources: { cpus: 4, gpus: 0, memoryMb: 1000 }, cacheDir: cache.dir, log: () => {} })
    await node.start()
  })

  afterEach(async () => {
    await node.stop()
    cache.remove()
  })

  const free = (): number => node.availableNow().cpus

  it('sets prepared bundles aside, offers their names once committed, and gives all back on release', () => {
    node.prepareBundles(G, [{ index: 0, resources: resources({ cpus: 1 }) }, { index: 1, resources: resources({ cpus: 2, memoryMb: 100 }) }], alice)
    assert.equal(free(), 1)
    assert.equal(node.availableNow().custom[`cpus_group_0_${G}`], undefined, 'not usable before the commit')
    node.commitBundles(G, alice)
    const r = node.availableNow()
    assert.equal(r.custom[`cpus_group_0_${G}`], 1)
    assert.equal(r.custom[`cpus_group_1_${G}`], 2)
    assert.equal(r.custom[`cpus_group_${G}`], 3)
    assert.equal(r.custom[`memoryMb_group_1_${G}`], 100)
    assert.deepEqual(node.bundleRows().map(b => [b.group, b.index, b.state]), [[G, 0, 'committed'], [G, 1, 'committed']])
    assert.equal(node.releaseBundles(G, alice), true)
    assert.equal(free(), 4)
    assert.equal(node.availableNow().memoryMb, 1000)
    assert.deepEqual(Object.keys(node.availableNow().custom), [])
    assert.deepEqual(Object.keys(node.total.custom), [])
    assert.equal(node.releaseBundles(G, alice), false)
  })

  it('refuses a prepare it has no room for, whole: nothing is set aside', () => {
    node.prepareBundles(G, [{ index: 0, resources: resources({ cpus: 3 }) }], alice)
    assert.throws(() => { node.prepareBundles(H, [{ index: 0, resources: resources({ cpus: 1 }) }, { index: 1, resources: resources({ cpus: 1 }) }], alice) },
      (e: Error) => e.name === 'InfeasibleTaskError' && /has not cpus: 2 free/.test(e.message))
    assert.equal(free(), 1)
    assert.throws(() => { node.prepareBundles(G, [{ index: 0, resources: resources({ cpus: 1 }) }], alice) }, /already on this node/)
  })

  it('releases a prepare whose commit does not come within its lease', async () => {
    node.prepareBundles(G, [{ index: 0, resources: resources({ cpus: 2 }) }], alice, 100)
    assert.equal(free(), 2)
    await new Promise(resolve => setTimeout(resolve, 250))
    assert.equal(free(), 4)
    assert.throws(() => { node.commitBundles(G, alice) }, /no prepared bundle on this node \(its lease/)
  })

  it('lets only the owner use, commit or release its bundles', () => {
    node.prepareBundles(G, [{ index: 0, resources: resources({ cpus: 1 }) }], alice)
    assert.throws(() => { node.commitBundles(G, bob) }, (e: Error) => e.name === 'PermissionDeniedError')
    node.commitBundles(G, alice)
    assert.throws(() => { node.releaseBundles(G, bob) }, (e: Error) => e.name === 'PermissionDeniedError')
    assert.throws(() => { node.prepareBundles(G, [{ index: 1, resources: resources({ cpus: 1 }) }], bob) }, (e: Error) => e.name === 'PermissionDeniedError')
    const demand = groupDemand(G, 0, resources({ cpus: 1 }))
    node.checkBundles(demand, alice, 'task t')
    // The same peer and job on another session is the same owner.
    node.checkBundles(demand, { ...alice, session: 99 }, 'task t')
    assert.throws(() => { node.checkBundles(demand, bob, 'task t') }, (e: Error) => e.name === 'PermissionDeniedError' && /another job's/.test(e.message))
    assert.throws(() => { node.checkBundles(groupDemand(H, 0, resources({ cpus: 1 })), alice, 'task t') }, (e: Error) => e.name === 'InfeasibleTaskError' && /holds no bundle on this node/.test(e.message))
    assert.throws(() => { node.checkBundles(groupDemand(G, 3, resources({ cpus: 1 })), alice, 'task t') }, /do not offer/)
  })

  it('releases what a session reserved when the session ends, and not what a newer one did', () => {
    node.prepareBundles(G, [{ index: 0, resources: resources({ cpus: 1 }) }], alice)
    node.commitBundles(G, alice)
    node.prepareBundles(H, [{ index: 0, resources: resources({ cpus: 1 }) }], { ...alice, session: 2 })
    node.commitBundles(H, alice)
    assert.equal(node.releaseSessionBundles('alice', 1), 1)
    assert.deepEqual(node.bundleRows().map(b => b.group), [H])
    assert.equal(free(), 3)
  })

  it('runs work in a bundle out of its resources, and ends it when the bundle is released', async () => {
    const { component } = await node.load(await fixtureComponent('guests/ts/kitchen.ts'))
    node.prepareBundles(G, [{ index: 0, resources: resources({ cpus: 1, memoryMb: 100 }) }], alice)
    node.commitBundles(G, alice)
    const inBundle = { ...resolveTaskOptions({}, 't'), resources: groupDemand(G, 0, resources({ cpus: 1 })) }
    const args = [{ kind: 'value' as const, bytes: encode(2), refs: [] }, { kind: 'value' as const, bytes: encode(3), refs: [] }]
    assert.equal(decode(await node.get(node.submit({ component, name: 'add', args, options: inBundle, streaming: false }))), 5)
    // The bundle's CPU is back once the task is done; the node's own were never taken.
    assert.equal(node.availableNow().custom[`cpus_group_0_${G}`], 1)
    assert.equal(free(), 3)
    // A long task and an actor in the bundle end when it is released; the second task waits for the bundle's one CPU.
    const spin = node.submit({ component, name: 'spin', args: [], options: inBundle, streaming: false })
    const queued = node.submit({ component, name: 'add', args, options: inBundle, streaming: false })
    const actor = await node.createActor(component, 'Counter', [], { ...resolveActorOptions({}, 'Counter'), resources: groupDemand(G, -1, resources({ memoryMb: 50 })) })
    await new Promise(resolve => setTimeout(resolve, 200))
    node.releaseBundles(G, alice)
    await assert.rejects(node.get(spin), (e: Error) => e.name === 'TaskCancelledError')
    await assert.rejects(node.get(queued), (e: Error) => e.name === 'TaskCancelledError' && /placement group .* was removed/.test(e.message))
    assert.equal(node.isActorAlive(actor), false)
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.equal(free(), 4)
    assert.deepEqual(Object.keys(node.availableNow().custom), [])
  })
})
