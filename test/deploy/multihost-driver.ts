// The driver of test/e2e/multihost.spec.ts, run in its own network namespace (`ip netns exec`):
// connects to the fabric through one node's bridge address with the swarm key, runs tasks pinned
// to every node and spread over them, and prints one line, `result <json>`, for the test to check.
// Input from the environment: MH_ADDRESS, MH_SWARM_KEY (file), MH_LISTEN, MH_COMPONENT, MH_NODES.
import fs from 'node:fs'
import { Fabric, type ObjectRef, type UntypedModule } from '../../src/index.js'

const env = (name: string): string => {
  const v = process.env[name]
  if (v === undefined || v === '') throw new Error(`multihost driver: ${name} is not set`)
  return v
}
const started = Date.now()
const nodesWanted = Number(env('MH_NODES'))
const fabric = await Fabric.connect(env('MH_ADDRESS'), { swarmKey: fs.readFileSync(env('MH_SWARM_KEY')), listen: [env('MH_LISTEN')], timeoutMs: 20_000 })
try {
  const deadline = Date.now() + 20_000
  while (fabric.nodes().filter(n => n.state === 'alive').length < nodesWanted) {
    if (Date.now() > deadline) throw new Error(`the driver sees ${JSON.stringify(fabric.nodes())}, not ${nodesWanted} nodes alive`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  const connectedMs = Date.now() - started
  const m = await fabric.load<UntypedModule>(env('MH_COMPONENT'))
  const ids = fabric.nodes().map(n => n.id)
  // Pinned to each node (hard affinity): small results come back inline...
  const sums = await fabric.get(ids.map((id, i) => m.add!.options({ scheduling: { nodeAffinity: id } }).remote(i, 1000) as ObjectRef<number>), { timeoutMs: 30_000 })
  // ...large ones stay on the node that made them, so locate() says where each ran. The argument is
  // large too: the node pulls it from the driver, across the bridge.
  const big = 'multihost'.repeat(25_000)
  const bigRefs = ids.map(id => m.echo!.options({ scheduling: { nodeAffinity: id } }).remote(big) as ObjectRef<string>)
  const ready = await fabric.wait(bigRefs, { numReturns: bigRefs.length, timeoutMs: 30_000 })
  if (ready.pending.length > 0) throw new Error(`${ready.pending.length} pinned tasks not done in 30 s`)
  const ranOn = await Promise.all(bigRefs.map(async r => { const at = await fabric.locate(r); return 'holders' in at ? at.holders : ['inline'] }))
  const echoed = (await fabric.get(bigRefs)).map(s => s === big)
  // Spread: placed by the fabric, not by the driver.
  const spreadRefs = Array.from({ length: 12 }, (_, i) => m.sumSquares!.options({ scheduling: 'spread' }).remote(100 + i) as ObjectRef<number>)
  const spread = await fabric.get(spreadRefs, { timeoutMs: 30_000 })
  console.log(`result ${JSON.stringify({ ids, sums, ranOn, echoed, spread, connectedMs, totalMs: Date.now() - started })}`)
} finally {
  await fabric.stop()
}
