// End to end: placement groups across `fabric join` processes. Two drivers racing for the same
// resources never deadlock (one group is placed, the other waits with nothing held); a driver that
// dies (SIGKILL) has its bundles released by the nodes; a node that dies (SIGKILL) has its bundles
// placed again on another node, and the actor in them restarts there.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ConnectedFabric, GuestModule, PlacementGroup } from '../../src/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { waitFor } from '../helpers/wait-for.js'
import { Cluster, type Joined } from './cluster.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

const freeCpus = (f: ConnectedFabric): number => f.nodes().reduce((s, n) => s + n.cpus.available, 0)

describe('e2e: placement groups across fabric join processes (/fabric/placement/1)', function () {
  this.timeout(180_000)
  let cluster: Cluster
  let nodes: Joined[]
  let a: ConnectedFabric
  let b: ConnectedFabric
  let m: Kitchen

  before(async () => {
    cluster = new Cluster()
    const component = await fixtureComponent('guests/ts/kitchen.ts')
    nodes = await cluster.start(3)
    ;[a, b] = await Promise.all([cluster.connect(), cluster.connect()])
    m = await a.load<Kitchen>(component)
  })

  after(async () => {
    await a?.stop()
    await b?.stop()
    await cluster?.stop()
  })

  it('two drivers racing for every CPU: one group is placed whole, the other waits with nothing held, then is placed', async () => {
    const all = (f: ConnectedFabric): Array<{ cpus: number }> => f.nodes().map(n => ({ cpus: n.cpus.total }))
    for (let round = 0; round < 4; round++) {
      const groups: PlacementGroup[] = [a.placementGroup({ bundles: all(a), strategy: 'STRICT_SPREAD' }), b.placementGroup({ bundles: all(b), strategy: 'STRICT_SPREAD' })]
      const winner = await Promise.race(groups.map(async (g, i) => { await g.ready(); return i }))
      const loser = 1 - winner
      await new Promise(resolve => setTimeout(resolve, 300))
      assert.equal(groups[winner]!.state, 'created')
      assert.equal(groups[loser]!.state, 'pending', `round ${round}: the other group waits`)
      assert.deepEqual(groups[loser]!.bundleNodes(), [undefined, undefined, undefined], `round ${round}: it holds nothing`)
      await (winner === 0 ? a : b).removePlacementGroup(groups[winner]!)
      await groups[loser]!.ready({ timeoutMs: 20_000 })
      assert.equal(new Set(groups[loser]!.bundleNodes()).size, 3)
      await (loser === 0 ? a : b).removePlacementGroup(groups[loser]!)
    }
    await waitFor(() => freeCpus(a) === 3, 'every CPU free again', 10_000)
  })

  it('a driver SIGKILLed while it holds a group: the nodes release its bundles', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/e2e/placement-driver.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FABRIC_ADDRESS: nodes[0]!.addr } })
    const exited = new Promise(resolve => proc.once('exit', resolve))
    try {
      let out = ''
      proc.stdout!.on('data', (d: Buffer) => { out += d.toString() })
      await waitFor(() => /ready pg[0-9a-f]{24}/.test(out), 'the other driver\'s group is placed', 60_000)
      const mine = a.placementGroup({ bundles: [{ cpus: 1 }] })
      await assert.rejects(mine.ready({ timeoutMs: 1000 }), (e: Error) => e.name === 'GetTimeoutError')
      proc.kill('SIGKILL')
      await mine.ready({ timeoutMs: 30_000 })
      assert.equal(await a.get(m.add.options({ placementGroup: { group: mine } }).remote(1, 2)), 3)
      await a.removePlacementGroup(mine)
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL')
      await exited
    }
  })

  it('a node holding a bundle is SIGKILLed: the bundle is placed on another node and its actor restarts there', async () => {
    const pg = a.placementGroup({ bundles: [{ cpus: 0.5 }], name: 'survivor' })
    await pg.ready({ timeoutMs: 20_000 })
    const first = pg.bundleNodes()[0]!
    const counter = await m.Counter.options({ cpus: 0.25, maxRestarts: 1, placementGroup: { group: pg, bundleIndex: 0 } }).create(0)
    assert.equal(await a.get(counter.incr.remote(5)), 5)
    const victim = nodes.find(n => n.peer === first)!
    victim.proc.kill('SIGKILL')
    await waitFor(() => pg.state === 'rescheduling' || pg.bundleNodes()[0] !== first, 'the group notices its node died', 30_000)
    await pg.ready({ timeoutMs: 30_000 })
    const second = pg.bundleNodes()[0]!
    assert.notEqual(second, first)
    assert.ok(nodes.some(n => n.peer === second && n !== victim))
    // The actor restarted in the bundle's new place, with fresh state.
    assert.equal(await a.get(counter.incr.remote(1)), 1)
    assert.equal(a.actorInfo(counter).peer, second)
    // New tasks go there too (out of what the actor leaves of the bundle).
    assert.equal(await a.get(m.add.options({ cpus: 0.25, placementGroup: { group: pg, bundleIndex: 0 } }).remote(40, 2)), 42)
    await a.removePlacementGroup(pg)
  })
})
