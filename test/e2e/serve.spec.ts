// The serve library across `fabric join` processes (issue 16): replicas spread over the nodes
// answer real HTTP through a connected driver's ingress; a replica's node SIGKILLed under load
// costs at most 1% of the requests (GETs on a dead replica are tried again elsewhere) and the
// replica is replaced on a live node.
import assert from 'node:assert/strict'
import type { ConnectedFabric, GuestModule } from '../../src/index.js'
import { serve, type ServeHandle } from '../../src/libs/serve/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'

type Apps = GuestModule<typeof import('../fixtures/guests/ts/serve-apps.js')>

describe('e2e: serve on a 3-process fabric', function () {
  this.timeout(240_000)
  const cluster = new Cluster()
  let nodes: Joined[]
  let driver: ConnectedFabric
  let m: Apps
  let handle: ServeHandle | undefined

  before(async () => {
    const component = await fixtureComponent('guests/ts/serve-apps.ts')
    nodes = await cluster.start(3)
    driver = await cluster.connect(3, { log: false, metricsPort: 0 })
    m = await driver.load<Apps>(component)
  })

  after(async () => {
    await handle?.shutdown()
    await driver?.stop()
    await cluster.stop()
  })

  it('replicas on several nodes answer; one\'s node SIGKILLed under load fails at most 1% of requests and is replaced', async () => {
    handle = await serve.run(driver, serve.deployment(m.Echo, { numReplicas: 3, maxOngoingRequests: 8 }).bind('e2e'), { port: 0 })
    const placed = (): string[] => handle!.status().deployments[0]!.replicas.map(r => r.actorId.split('@')[1] ?? '')
    const peers = new Set(placed())
    assert.equal(peers.size, 3, `3 replicas spread over the 3 nodes: ${[...peers].join(', ')}`)
    // The victim: a node with a replica, not the one the driver is connected through.
    const victim = nodes.find(n => n !== nodes[0] && peers.has(n.peer))!
    assert.ok(victim !== undefined, 'a replica on a node other than the first')
    const codes: number[] = []
    let going = true
    const client = async (): Promise<void> => {
      while (going) {
        const res = await fetch(`${handle!.url}/work?n=20000`).catch(() => undefined)
        codes.push(res?.status ?? 0)
        await res?.arrayBuffer().catch(() => {})
      }
    }
    const clients = Array.from({ length: 6 }, client)
    while (codes.length < 150) await new Promise(resolve => setTimeout(resolve, 20))
    victim.proc.kill('SIGKILL')
    const killedAt = codes.length
    await victim.exit
    // Keep the load on until a replacement runs on a live node, and a while after.
    const end = Date.now() + 60_000
    while (Date.now() < end) {
      const now = placed()
      if (now.length === 3 && !now.includes(victim.peer) && codes.length > killedAt + 300) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    going = false
    await Promise.all(clients)
    const failed = codes.filter(c => c !== 200)
    console.log(`      (${codes.length} requests, ${codes.length - killedAt} after the kill; ${failed.length} failed)`)
    assert.ok(failed.length <= codes.length / 100, `${failed.length} of ${codes.length} requests failed: ${[...new Set(failed)].join(', ')}`)
    const after = placed()
    assert.equal(after.length, 3)
    assert.ok(!after.includes(victim.peer), 'no replica on the dead node')
    // The connected driver's metrics endpoint (connect.metricsPort) has serve's.
    const text = await (await fetch(driver.metricsUrl!)).text()
    const deployment = handle.status().deployments[0]!.name
    const served = new RegExp(`^fabric_serve_requests_total\\{app="[^"]+",deployment="${deployment}",code="200"\\} (\\d+)$`, 'm').exec(text)
    assert.ok(served !== null && Number(served[1]) >= codes.length - failed.length, text)
    assert.match(text, new RegExp(`^fabric_serve_replicas\\{app="[^"]+",deployment="${deployment}"\\} 3$`, 'm'))
    assert.ok(handle.status().deployments[0]!.requests.total >= codes.length - 6)
  })
})
