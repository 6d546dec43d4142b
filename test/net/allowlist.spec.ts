// A node's PeerId allowlist (issue 13, membership): peers not on it cannot connect, in or out;
// peers on it can; the file's mistakes are named by line.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import '../../src/net/polyfill.js'
import type { Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createNetNode, readAllowlist, type NetNode } from '../../src/net/index.js'
import { nodeResources, rmDir, tmpDir, waitFor } from './helpers.js'

describe('net/allowlist', function () {
  this.timeout(60_000)
  let dir: string
  let listed: Libp2p
  let stranger: Libp2p
  let node: NetNode

  const client = async (): Promise<Libp2p> => await createLibp2p({ addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [tls(), noise()], streamMuxers: [yamux()] })

  before(async () => {
    dir = tmpDir()
    listed = await client()
    stranger = await client()
    const file = path.join(dir, 'allow.txt')
    fs.writeFileSync(file, `# the fabric's members\n\n${listed.peerId.toString()}   # a driver\n`)
    node = await createNetNode({ dataDir: path.join(dir, 'n'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(1), allow: await readAllowlist(file) })
  })

  after(async () => {
    await Promise.all([listed?.stop(), stranger?.stop(), node?.stop({ leave: false })])
    rmDir(dir)
  })

  it('lets a listed peer connect and refuses one that is not listed', async () => {
    const addr = multiaddr(node.multiaddrs()[0]!)
    const conn = await listed.dial(addr, { signal: AbortSignal.timeout(10_000) })
    assert.equal(conn.remotePeer.toString(), node.peerId)
    // The stranger's side may finish its handshake before the node refuses it; either way the
    // connection ends and no fabric protocol answers it.
    const refused = await stranger.dial(addr, { signal: AbortSignal.timeout(10_000) }).then(() => false, () => true)
    if (!refused) await waitFor(() => stranger.getConnections().length === 0, 'the node to drop the stranger', 10_000)
    await assert.rejects(stranger.dialProtocol(addr, '/fabric/status/1', { signal: AbortSignal.timeout(5000) }))
    assert.equal(node.view.peers().some(p => p.info.peer === stranger.peerId.toString()), false)
  })

  it('refuses to dial out to a peer that is not listed', async () => {
    const other = await createNetNode({ dataDir: path.join(dir, 'o'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(1) })
    try {
      await assert.rejects(node.pullObject('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', [other.multiaddrs()[0]!], { timeoutMs: 10_000 }), (err: Error) => err.name === 'PeerUnreachableError')
      assert.equal(other.view.peers().length, 0)
    } finally {
      await other.stop({ leave: false })
    }
  })

  it('names the file and line of what is not a PeerId', async () => {
    const bad = path.join(dir, 'bad.txt')
    fs.writeFileSync(bad, `${listed.peerId.toString()}\nnot-a-peer\n`)
    await assert.rejects(readAllowlist(bad), (err: Error) => err.name === 'NetConfigError' && err.message.includes(`${bad}:2: 'not-a-peer' is not a PeerId`))
    await assert.rejects(readAllowlist(path.join(dir, 'missing.txt')), /cannot read the allowlist/)
  })
})
