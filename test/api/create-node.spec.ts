// createNode: fabric nodes as a library, in this process. Two nodes join each other, a driver
// connects and runs tasks on both (labels place them), and stop leaves nothing running.
import assert from 'node:assert/strict'
import { Fabric, createNode, type ConnectedFabric, type FabricNode } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

describe('api/createNode (nodes in-process)', function () {
  this.timeout(120_000)
  const dirs: Array<ReturnType<typeof tempDir>> = []
  const nodes: FabricNode[] = []
  let fabric: ConnectedFabric | undefined

  after(async () => {
    await fabric?.stop()
    for (const n of nodes) await n.stop()
    for (const d of dirs) d.remove()
  })

  const start = async (labels: Record<string, string>, bootstrap: string[] = []): Promise<FabricNode> => {
    const d = tempDir()
    dirs.push(d)
    const node = await createNode({ dataDir: d.dir, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, resources: { cpus: 1 }, labels, heartbeatMs: 200 })
    nodes.push(node)
    return node
  }

  it('builds a node that joins, gossips its labels and runs a driver\'s tasks where the labels say', async () => {
    const wasm = await fixtureComponent('guests/ts/kitchen.ts')
    const a = await start({ zone: 'a' })
    const b = await start({ zone: 'b' }, a.multiaddrs())
    assert.equal(a.fabricName, 'default')
    fabric = await Fabric.connect(a.multiaddrs()[0])
    const deadline = Date.now() + 20_000
    while (fabric.nodes().length < 2 || a.view.peers().length < 1) {
      if (Date.now() > deadline) throw new Error(`nodes did not see each other: ${JSON.stringify(fabric.nodes())}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    assert.deepEqual(a.view.get(b.peerId)?.info.labels, { zone: 'b' })
    const m = await fabric.load(wasm)
    assert.equal(await fabric.get(m.add!.remote(2, 3)), 5)
    // Tasks needing a zone run only on the node labelled with it; stats show what each ran.
    for (const [node, zone] of [[a, 'a'], [b, 'b']] as const) {
      const other = node === a ? b : a
      const before = { mine: node.stats().tasks.finished, other: other.stats().tasks.finished }
      const refs = Array.from({ length: 5 }, (_, i) => m.add!.options({ labelSelector: { zone } }).remote(i, 1))
      assert.deepEqual(await fabric.get(refs), [1, 2, 3, 4, 5])
      assert.equal(node.stats().tasks.finished - before.mine, 5, `zone ${zone}: its node ran ${node.stats().tasks.finished - before.mine} of 5`)
      assert.equal(other.stats().tasks.finished, before.other, `zone ${zone}: the other node ran some`)
    }
    await assert.rejects(fabric.get(m.add!.options({ labelSelector: { zone: 'c' } }).remote(1, 1)), (e: Error) => e.name === 'InfeasibleTaskError' && /zone=c/.test(e.message))
  })

  it('stops idempotently: its peers see it leave and its workers are gone', async () => {
    const [a, b] = nodes
    await fabric!.stop()
    fabric = undefined
    await b!.stop()
    await b!.stop()
    const deadline = Date.now() + 10_000
    while (a!.view.get(b!.peerId) !== undefined) {
      if (Date.now() > deadline) throw new Error('the stopped node is still in its peer\'s view')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  })
})
