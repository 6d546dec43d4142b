// End to end: the `fabric join` flags that set a fabric apart, and task options across nodes.
// Fabric 'alpha': n0 (1 CPU, resource special=1, --encrypter noise) and n1 (2 CPUs, TLS, the
// default); m0 is in fabric 'beta' and bootstraps through n0. A stock libp2p listener that n0 and
// n1 also dial shows what each encrypts with. A private fabric (--secret) is a node of its own.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import '../../src/net/polyfill.js'
import type { Connection, Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { Fabric, type ConnectedFabric, type ObjectRef, type UntypedModule } from '../../src/index.js'
import { createStatusClient, newSwarmKey } from '../../src/net/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { holdsFor, waitFor } from '../helpers/wait-for.js'
import { Cluster, type Joined } from './cluster.js'

describe('e2e: --name, --secret, --encrypter and task options across nodes', function () {
  this.timeout(180_000)
  let cluster: Cluster
  let listener: Libp2p
  let n0: Joined
  let n1: Joined
  let m0: Joined
  let fabric: ConnectedFabric
  let m: UntypedModule
  /** Inbound connections of the stock listener, by the dialling node's PeerId. */
  const inbound = new Map<string, Connection>()

  before(async () => {
    cluster = new Cluster()
    // Listens only; accepts TLS first and noise, so what a connection uses is the dialler's choice.
    listener = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [tls(), noise()],
      streamMuxers: [yamux()],
      connectionMonitor: { enabled: false }
    })
    listener.addEventListener('connection:open', (e) => { if (e.detail.direction === 'inbound') inbound.set(e.detail.remotePeer.toString(), e.detail) })
    const spy = listener.getMultiaddrs()[0]!.toString()
    n0 = await cluster.join('n0', undefined, ['--name', 'alpha', '--encrypter', 'noise', '--resources', 'special=1', '--bootstrap', spy])
    ;[n1, m0] = await Promise.all([
      cluster.join('n1', n0.addr, ['--name', 'alpha', '--cpus', '2', '--bootstrap', spy]),
      cluster.join('m0', n0.addr, ['--name', 'beta'])
    ])
    fabric = await cluster.connect(2, { fabricName: 'alpha' })
    m = await fabric.load<UntypedModule>(await fixtureComponent('guests/ts/kitchen.ts'))
  })

  after(async () => {
    await fabric?.stop()
    await listener?.stop()
    await cluster?.stop()
  })

  it('--encrypter noise: that node dials with noise, a default node with TLS, and the two form one fabric', async () => {
    await waitFor(() => inbound.has(n0.peer) && inbound.has(n1.peer), 'n0 and n1 to dial the stock listener', 20_000)
    assert.equal(inbound.get(n0.peer)!.encryption, '/noise')
    assert.equal(inbound.get(n1.peer)!.encryption, '/tls/1.0.0')
    assert.deepEqual(fabric.nodes().map(n => n.id).sort(), [n0.peer, n1.peer].sort())
    // An unknown encrypter is refused before the node starts, saying what to use.
    const bad = await cluster.join('bad', undefined, ['--encrypter', 'rot13']).then(() => 'started', (err: Error) => err.message)
    assert.match(bad, /unknown --encrypter 'rot13': use tls or noise/)
  })

  it('--name: a node of fabric beta connected to a node of alpha is in neither view, and serves its own drivers', async () => {
    await waitFor(() => m0.stdout().includes(`connected ${n0.peer}`), 'm0 to connect to n0', 20_000)
    const status = await createStatusClient()
    try {
      // Over several heartbeats (500 ms each): alpha never sees m0, m0 never sees alpha.
      await holdsFor(async () => {
        const [a, b] = await Promise.all([status.status(n0.addr, { timeoutMs: 5000 }), status.status(m0.addr, { timeoutMs: 5000 })])
        return !a.peers.some(p => p.info.peer === m0.peer) && b.peers.length === 0 && !fabric.nodes().some(n => n.id === m0.peer)
      }, 'the two fabrics apart', 2500, 250)
    } finally {
      await status.stop()
    }
    const beta = await cluster.connect(1, { fabricName: 'beta' }, m0)
    try {
      assert.deepEqual(beta.nodes().map(n => n.id), [m0.peer])
      const mb = await beta.load<UntypedModule>(await fixtureComponent('guests/ts/kitchen.ts'))
      assert.equal(await beta.get(mb.add!.remote(20, 22) as ObjectRef<number>), 42)
    } finally {
      await beta.stop()
    }
  })

  it('--secret: a driver with the swarm key runs tasks; one without it (or with another key) cannot connect, and is told why', async () => {
    const priv = new Cluster()
    try {
      const swarmKey = newSwarmKey()
      const keyFile = path.join(priv.dir, 'swarm.key')
      fs.writeFileSync(keyFile, swarmKey)
      const s0 = await priv.join('s0', undefined, ['--secret', keyFile])
      const keyed = await priv.connect(1, { swarmKey })
      try {
        const mk = await keyed.load<UntypedModule>(await fixtureComponent('guests/ts/kitchen.ts'))
        assert.equal(await keyed.get(mk.add!.remote(1, 2) as ObjectRef<number>), 3)
      } finally {
        await keyed.stop()
      }
      for (const init of [{}, { swarmKey: newSwarmKey() }]) {
        const started = Date.now()
        await assert.rejects(Fabric.connect(s0.addr, { ...init, timeoutMs: 3000 }), (err: Error) => /--secret/.test(err.message), JSON.stringify(Object.keys(init)))
        assert.ok(Date.now() - started < 15_000, `refused after ${Date.now() - started} ms`)
      }
    } finally {
      await priv.stop()
    }
  })

  it('task options across nodes: resources and cpus pick the node, an impossible memoryMb names what is missing, timeoutMs stops a task', async () => {
    // A result over the inline limit stays on the node that made it: locate() says which ran it.
    const big = 'x'.repeat(200_000)
    const ranOn = async (ref: unknown): Promise<string> => {
      assert.equal(await fabric.get(ref as ObjectRef<string>), big)
      const where = await fabric.locate(ref as ObjectRef)
      assert.ok('holders' in where, 'the result was inline')
      return where.holders[0]!
    }
    for (let i = 0; i < 3; i++) assert.equal(await ranOn(m.echo!.options({ resources: { special: 1 } }).remote(big)), n0.peer, 'resources: special=1 is only on n0')
    for (let i = 0; i < 3; i++) assert.equal(await ranOn(m.echo!.options({ cpus: 2 }).remote(big)), n1.peer, 'cpus: 2 fits only n1')
    await assert.rejects(fabric.get(m.add!.options({ memoryMb: 10_000_000 }).remote(1, 2) as ObjectRef),
      (err: Error) => err.name === 'InfeasibleTaskError' && /memoryMb: needs 10000000/.test(err.message))
    await assert.rejects(fabric.get(m.add!.options({ resources: { special: 2 } }).remote(1, 2) as ObjectRef),
      (err: Error) => err.name === 'InfeasibleTaskError' && /special: needs 2, has 1/.test(err.message))
    const started = Date.now()
    await assert.rejects(fabric.get(m.spin!.options({ timeoutMs: 500, scheduling: { nodeAffinity: n1.peer } }).remote() as ObjectRef), (err: Error) => err.name === 'TaskTimeoutError')
    assert.ok(Date.now() - started < 10_000, `the timeout took ${Date.now() - started} ms`)
    assert.equal(await fabric.get(m.add!.options({ scheduling: { nodeAffinity: n1.peer } }).remote(2, 2) as ObjectRef<number>, { timeoutMs: 20_000 }), 4)
  })
})
