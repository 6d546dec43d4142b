import assert from 'node:assert/strict'
import path from 'node:path'
import '../../src/net/polyfill.js'
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { createLibp2p } from 'libp2p'
import { createNetNode, encode, newSwarmKey, resourcesTopic } from '../../src/net/index.js'
import type { NetNode, NetNodeInit, NodeResources } from '../../src/net/index.js'
import { bytesRead, pingOver, probedConnection } from '../../src/net/connection-check.js'
import { nodeResources, rmDir, tmpDir, waitFor } from './helpers.js'

const LOCAL = ['/ip4/127.0.0.1/tcp/0']

describe('net/net-node (in-process nodes on 127.0.0.1)', function () {
  this.timeout(60_000)
  let dir: string
  let nodes: NetNode[] = []
  let raw: Libp2p[] = []

  beforeEach(() => { dir = tmpDir() })
  afterEach(async () => {
    await Promise.allSettled([...nodes.map(async n => { await n.stop({ leave: false }) }), ...raw.map(async r => { await r.stop() })])
    nodes = []
    raw = []
    rmDir(dir)
  })

  async function node (name: string, init: Partial<NetNodeInit> = {}): Promise<NetNode> {
    const n = await createNetNode({ dataDir: path.join(dir, name), listen: LOCAL, resources: () => nodeResources(2), bootstrapBackoff: { initialMs: 100, maxMs: 500 }, ...init })
    nodes.push(n)
    return n
  }

  it('two nodes see each other\'s resources within a few seconds, and changes propagate', async () => {
    let own: NodeResources = nodeResources(4, { labels: { zone: 'b' }, gpuModel: 'H100' })
    const a = await node('a')
    const b = await node('b', { bootstrap: [a.multiaddrs()[0]!], resources: () => own })
    const ms = await waitFor(() => a.view.get(b.peerId) !== undefined && b.view.get(a.peerId) !== undefined, 'both views', 10_000)
    const seen = a.view.get(b.peerId)!
    assert.equal(seen.state, 'alive')
    assert.equal(seen.info.resources.total.cpus, 4)
    assert.deepEqual(seen.info.labels, { zone: 'b' })
    assert.equal(seen.info.gpuModel, 'H100')
    assert.ok(seen.info.addrs.some(x => x.startsWith('/ip4/127.0.0.1/tcp/')))
    // Its heartbeat interval is announced (the default: two nodes are far from the scaling size).
    assert.equal(seen.info.heartbeatMs, 1000)
    assert.equal(b.status().self.heartbeatMs, 1000)
    assert.ok(ms < 5000, `converged in ${ms} ms`)
    // A change is published without waiting for the runtime to announce it.
    own = nodeResources(4, { queue: 7 })
    await waitFor(() => a.view.get(b.peerId)?.info.queue === 7, 'the queue change', 5000)
    assert.equal(a.stats().malformed, 0)
    assert.ok(a.stats().received > 0 && b.stats().published > 0)
  })

  it('a node whose own info turns invalid skips heartbeats instead of crashing; it is heard again once valid', async () => {
    let own: NodeResources = nodeResources(2)
    const a = await node('a')
    const b = await node('b', { bootstrap: [a.multiaddrs()[0]!], resources: () => own, heartbeatMs: 200 })
    await waitFor(() => a.view.get(b.peerId)?.state === 'alive', 'b in a\'s view', 10_000)
    const published = b.stats().published
    own = nodeResources(-1) // a bug in the runtime's accounting, say
    await new Promise(resolve => setTimeout(resolve, 600))
    assert.equal(b.stats().published, published, 'nothing invalid was published')
    own = nodeResources(3)
    await waitFor(() => a.view.get(b.peerId)?.info.resources.total.cpus === 3, 'b heard again', 5000)
  })

  it('stop() publishes a leave; the peer drops the node without waiting for timeouts; stop is idempotent', async () => {
    const a = await node('a')
    const b = await node('b', { bootstrap: [a.multiaddrs()[0]!] })
    await waitFor(() => a.view.get(b.peerId) !== undefined, 'a sees b')
    const left: string[] = []
    a.view.on('leave', e => { left.push(e.info.peer) })
    await b.stop()
    await b.stop()
    await waitFor(() => left.length === 1, 'the leave', 5000)
    assert.deepEqual(left, [b.peerId])
    assert.equal(a.view.get(b.peerId), undefined)
  })

  it('a node that vanishes without a leave is suspected at once (connection closed), then dead', async () => {
    const a = await node('a', { suspectAfterMs: 1000, deadAfterMs: 2500 })
    const b = await node('b', { bootstrap: [a.multiaddrs()[0]!] })
    await waitFor(() => a.view.get(b.peerId) !== undefined, 'a sees b')
    const events: string[] = []
    a.view.on('suspect', e => { events.push(`suspect:${e.suspectReason ?? ''}`) })
    a.view.on('dead', () => { events.push('dead') })
    await b.stop({ leave: false })
    await waitFor(() => events.length >= 1, 'suspicion', 2000)
    assert.equal(events[0], 'suspect:connection closed')
    await waitFor(() => a.view.get(b.peerId) === undefined, 'death', 6000)
    assert.deepEqual(events, ['suspect:connection closed', 'dead'])
  })

  it('a peer declared dead (silent, its connection still open) has its connections closed', async () => {
    const a = await node('a', { suspectAfterMs: 500, deadAfterMs: 1200, probeMs: 0 })
    const b = await node('b', { bootstrap: [a.multiaddrs()[0]!] })
    await waitFor(() => a.view.get(b.peerId) !== undefined, 'a sees b')
    const lib = (a as unknown as { libp2p: Libp2p }).libp2p
    const events: string[] = []
    a.view.on('dead', () => { events.push('dead') })
    lib.addEventListener('peer:disconnect', e => { if (e.detail.toString() === b.peerId) events.push('disconnect') })
    // b stops gossiping but keeps running: its connection to a stays open and answers pings.
    await (b as unknown as { gossip: { stop: (o: { leave: boolean }) => Promise<void> } }).gossip.stop({ leave: false })
    await waitFor(() => events.includes('disconnect'), 'the connection closed', 6000)
    // The connection is closed from within the view's dead event (whose listeners run after the node's).
    assert.deepEqual([...events].sort(), ['dead', 'disconnect'])
  })

  it('the check of a connection heard again: bytes are read from the TCP socket under libp2p, and a ping goes over that very connection', async () => {
    const a = await node('a')
    const b = await node('b', { bootstrap: [a.multiaddrs()[0]!] })
    await waitFor(() => a.view.get(b.peerId) !== undefined, 'a sees b')
    const lib = (a as unknown as { libp2p: Libp2p }).libp2p
    const [conn] = lib.getConnections(peerIdFromString(b.peerId))
    assert.ok(conn !== undefined)
    // Reaches into libp2p's connection (maConn.socket): a libp2p that moves it turns the check off,
    // and this says so.
    const first = bytesRead(conn)
    assert.ok(typeof first === 'number' && first > 0, `bytes read from b: ${String(first)}`)
    await pingOver(conn, AbortSignal.timeout(5000))
    const after = bytesRead(conn)!
    assert.ok(after >= first + 32, `the reply was read: ${first} -> ${after}`)
    // Through the probe's view of it: closing aborts this connection only, naming why.
    probedConnection(conn, b.peerId).close('tested')
    assert.equal(conn.status, 'aborted')
    assert.ok(!lib.getConnections(peerIdFromString(b.peerId)).includes(conn), 'the connection is gone')
  })

  it('three nodes bootstrapped to the first all connect directly (gossiped peers are dialled)', async () => {
    const a = await node('a')
    const b = await node('b', { bootstrap: [a.multiaddrs()[0]!] })
    const c = await node('c', { bootstrap: [a.multiaddrs()[0]!] })
    await waitFor(() => [a, b, c].every(n => n.view.peers().length === 2), 'full views', 10_000)
    await waitFor(() => (b as unknown as { libp2p: Libp2p }).libp2p.getConnections().some(x => x.remotePeer.toString() === c.peerId), 'b–c connection', 10_000)
  })

  it('bootstrap is retried until the bootstrap node comes up', async () => {
    // Learn a free port and PeerId by starting a node, then restart it later on the same port and data dir.
    const first = await node('a')
    const addr = first.multiaddrs()[0]!
    const port = /\/tcp\/(\d+)\//.exec(addr)![1]
    await first.stop({ leave: false })
    nodes = []
    const retries: number[] = []
    const b = await createNetNode({ dataDir: path.join(dir, 'b'), listen: LOCAL, resources: () => nodeResources(1), bootstrap: [addr], bootstrapBackoff: { initialMs: 100, maxMs: 300 } },
      { onBootstrapRetry: (_addr, _err, attempt) => { retries.push(attempt) } })
    nodes.push(b)
    await waitFor(() => retries.length >= 2, 'a few failed attempts', 5000)
    const a = await node('a', { listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    assert.equal(a.peerId, first.peerId)
    await waitFor(() => a.view.get(b.peerId) !== undefined && b.view.get(a.peerId) !== undefined, 'the join after retries', 10_000)
  })

  it('a private fabric: nodes with the same swarm key join, a node with another key cannot', async () => {
    const key = newSwarmKey()
    const a = await node('a', { swarmKey: key })
    const b = await node('b', { swarmKey: key, bootstrap: [a.multiaddrs()[0]!] })
    const outsider = await node('x', { swarmKey: newSwarmKey(), bootstrap: [a.multiaddrs()[0]!] })
    const open = await node('o', { bootstrap: [a.multiaddrs()[0]!] })
    await waitFor(() => a.view.get(b.peerId) !== undefined, 'a sees b')
    await new Promise(resolve => setTimeout(resolve, 1500))
    assert.equal(a.view.get(outsider.peerId), undefined)
    assert.equal(a.view.get(open.peerId), undefined)
    assert.deepEqual(outsider.view.peers(), [])
    assert.deepEqual(open.view.peers(), [])
  })

  it('malformed, oversized and spoofed gossip is refused and counted; the node keeps working', async () => {
    const a = await node('a')
    const b = await node('b', { bootstrap: [a.multiaddrs()[0]!] })
    await waitFor(() => a.view.get(b.peerId) !== undefined, 'a sees b')
    const client = await createLibp2p({
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [tls()],
      streamMuxers: [yamux()],
      services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, globalSignaturePolicy: 'StrictSign' }) }
    })
    raw.push(client)
    const pubsub = client.services.pubsub as GossipSub
    const topic = resourcesTopic('default')
    pubsub.subscribe(topic)
    await client.dial(multiaddr(a.multiaddrs()[0]!))
    await waitFor(() => pubsub.getSubscribers(topic).some(p => p.toString() === a.peerId), 'a subscribed as seen by the client')

    const base = a.stats()
    await pubsub.publish(topic, new Uint8Array([0xff, 0xfe, 0x00]))
    await pubsub.publish(topic, encode({ type: 'resources', peer: client.peerId.toString(), seq: 'x' }))
    await pubsub.publish(topic, new Uint8Array(100 * 1024).fill(0x61))
    // A well-formed message that claims to come from b.
    const { seq: _s, ts: _t, ...bInfo } = b.self()
    await pubsub.publish(topic, encode({ type: 'resources', ...bInfo, seq: Number.MAX_SAFE_INTEGER, ts: 0, queue: 999 }))
    await pubsub.publish(topic, encode({ type: 'leave', peer: b.peerId }))
    await waitFor(() => a.stats().malformed - base.malformed >= 3 && a.stats().spoofed - base.spoofed >= 2, 'the refusals counted', 5000)
    const after = a.stats()
    assert.equal(after.malformed - base.malformed, 3)
    assert.equal(after.oversized - base.oversized, 1)
    assert.equal(after.spoofed - base.spoofed, 2)
    assert.equal(a.view.get(client.peerId.toString()), undefined)
    assert.notEqual(a.view.get(b.peerId)?.info.queue, 999)
    // Refused messages were not forwarded: b saw none of them.
    assert.equal(b.stats().malformed + b.stats().spoofed, 0)
    // Still gossiping: b's heartbeats keep arriving.
    const received = a.stats().received
    await waitFor(() => a.stats().received > received, 'more heartbeats', 5000)
    assert.equal(a.view.get(b.peerId)?.state, 'alive')
  })

  it('a corrupt identity key stops the node from starting, with the file named', async () => {
    const a = await node('a')
    await a.stop()
    const { writeFileSync } = await import('node:fs')
    const file = path.join(dir, 'a', 'identity.key')
    writeFileSync(file, new Uint8Array([1, 2, 3]))
    await assert.rejects(createNetNode({ dataDir: path.join(dir, 'a'), listen: LOCAL, resources: () => nodeResources(1) }),
      (err: Error) => err.name === 'IdentityKeyError' && err.message.includes(file))
  })

  it('refuses invalid own resources and options at creation', async () => {
    await assert.rejects(node('hb', { heartbeatMs: 120_000 }), /heartbeatMs must be at most 60000, got 120000/)
    await assert.rejects(createNetNode({ dataDir: path.join(dir, 'z'), listen: LOCAL, start: false, resources: () => nodeResources(-1) }),
      (err: Error) => err.name === 'NetConfigError' && /resources\.total\.cpus/.test(err.message))
    await assert.rejects(createNetNode({ dataDir: path.join(dir, 'z'), listen: ['not-an-addr'], resources: () => nodeResources(1) }), { name: 'NetConfigError' })
    await assert.rejects(createNetNode({ dataDir: path.join(dir, 'z'), fabricName: 'a/b', resources: () => nodeResources(1) }), { name: 'NetConfigError' })
  })

  it('a busy listen port is a one-line NetConfigError naming the address, and leaves nothing running', async () => {
    const a = await node('a')
    const busy = a.multiaddrs()[0]!.replace(/\/p2p\/.*$/, '')
    await assert.rejects(createNetNode({ dataDir: path.join(dir, 'b'), listen: [busy], resources: () => nodeResources(1) }),
      (err: Error) => err.name === 'NetConfigError' && err.message.startsWith(`cannot listen on ${busy}: `) && /EADDRINUSE/.test(err.message))
  })
})
