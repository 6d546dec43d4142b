// End to end: a guest's nested tasks leave its node. A node packs nested work locally until about
// half its CPUs are taken, then places it on other nodes with room (the node is the owner, as a
// driver would be); a nested task the node can never run (a resource only another node has) goes
// to a node that can. Three `fabric join` processes of 1 CPU each on 127.0.0.1.
import assert from 'node:assert/strict'
import type { ConnectedFabric, ObjectRef, UntypedModule } from '../../src/index.js'
import type { NetNode } from '../../src/net/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { waitFor } from '../helpers/wait-for.js'
import { Cluster, type Joined } from './cluster.js'

describe('e2e: guests\' nested tasks spread across nodes', function () {
  this.timeout(180_000)
  let cluster: Cluster
  let nodes: Joined[]
  let fabric: ConnectedFabric
  let m: UntypedModule

  before(async () => {
    cluster = new Cluster()
    const componentPath = await fixtureComponent('guests/ts-nested/nested.ts')
    nodes = await cluster.start(3, i => i === 2 ? ['--resources', 'special=1'] : [])
    fabric = await cluster.connect()
    m = await fabric.load<UntypedModule>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    await cluster?.stop()
  })

  const squares = (n: number): number => Array.from({ length: n }, (_, i) => i * i).reduce((a, b) => a + b, 0)

  it('a busy node sends its guest\'s nested tasks to nodes with room; the results come back', async () => {
    const view = (fabric as unknown as { net: NetNode }).net.view
    // Only n0 is given work: any task seen running on n1 or n2 is a nested task n0 placed there.
    const busyElsewhere = new Set<string>()
    const watch = setInterval(() => {
      for (const p of view.peers()) if (p.info.peer !== nodes[0]!.peer && (p.info.work?.running ?? 0) > 0) busyElsewhere.add(p.info.peer)
    }, 50)
    try {
      const started = Date.now()
      const sum = await fabric.get(m.fanOut!.options({ scheduling: { nodeAffinity: nodes[0]!.peer } }).remote(6, 1_500_000, {}) as ObjectRef<number>)
      assert.equal(sum, squares(6))
      console.log(`      (6 nested tasks in ${Date.now() - started} ms; seen running on ${busyElsewhere.size} other nodes)`)
    } finally {
      clearInterval(watch)
    }
    assert.ok(busyElsewhere.size > 0, 'no nested task ran on another node')
  })

  it('fan-outs one after another: nodes briefly oversubscribed by a resuming guest keep gossiping and serving', async () => {
    // One child runs on the parent's node on the CPU the waiting parent lends; when the parent
    // resumes, the node holds more than it has for a moment. Heartbeats then must not fail.
    for (let i = 0; i < 20; i++) assert.equal(await fabric.get(m.fanOut!.remote(12, 250_000, {}) as ObjectRef<number>), squares(12))
    // Every node still gossips: a fresh heartbeat from each after the last fan-out.
    const view = (fabric as unknown as { net: NetNode }).net.view
    const seqAfter = new Map(nodes.map(n => [n.peer, view.get(n.peer)?.info.seq ?? 0]))
    await waitFor(() => nodes.every(n => (view.get(n.peer)?.info.seq ?? 0) > seqAfter.get(n.peer)!), 'a heartbeat from every node after the fan-outs', 10_000, 50)
    for (const n of nodes) assert.equal(n.proc.exitCode, null, `${n.name} is still running`)
    assert.ok(nodes.every(n => view.get(n.peer)?.state === 'alive'), 'every node is alive in the view')
  })

  it('a nested task its node can never run goes to a node that can', async () => {
    const sum = await fabric.get(m.fanOut!.options({ scheduling: { nodeAffinity: nodes[0]!.peer } }).remote(3, 1000, { resources: { special: 1 } }) as ObjectRef<number>)
    assert.equal(sum, squares(3))
    // Nowhere: the guest's submit fails, naming what is missing.
    await assert.rejects(fabric.get(m.fanOut!.options({ scheduling: { nodeAffinity: nodes[0]!.peer } }).remote(1, 1000, { resources: { rare: 1 } })),
      (err: Error) => /rare/.test(err.message))
  })
})
