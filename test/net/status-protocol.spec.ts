import assert from 'node:assert/strict'
import path from 'node:path'
import '../../src/net/polyfill.js'
import type { Libp2p, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import * as cborg from 'cborg'
import { createLibp2p } from 'libp2p'
import { MAX_STATUS_REQUEST_BYTES, STATUS_PROTOCOL, createNetNode, createStatusClient, decodeStatusReply, encode, newSwarmKey } from '../../src/net/index.js'
import type { NetNode } from '../../src/net/index.js'
import { nodeResources, rmDir, tmpDir, waitFor } from './helpers.js'

function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return new Uint8Array(out)
}

/** What a client observed after sending something: the reply's type (and error name), or the stream ending. */
async function outcome (lp: ReturnType<typeof lpStream>): Promise<string> {
  let frame
  try {
    frame = await lp.read({ signal: AbortSignal.timeout(5000) })
  } catch (err) {
    return `ended:${(err as Error).name}`
  }
  const reply = decodeStatusReply(frame.subarray())
  return reply.type === 'error' ? `error:${reply.error.name}` : 'status'
}

/**
 * After an error frame the node ends the stream: the next read fails or hits EOF (well before the
 * timeout). The client then closes its side, as a well-behaved client does (the node resets
 * refused streams whose client does not, a moment later).
 */
async function endsAfter (stream: Stream, lp: ReturnType<typeof lpStream>): Promise<void> {
  await assert.rejects(lp.read({ signal: AbortSignal.timeout(5000) }), (err: Error) => err.name !== 'TimeoutError' && err.name !== 'AbortError')
  await stream.close().catch(() => {})
}

describe('net/status-protocol', function () {
  this.timeout(60_000)
  let dir: string
  let a: NetNode
  let b: NetNode
  let client: Libp2p

  before(async () => {
    dir = tmpDir()
    a = await createNetNode({ dataDir: path.join(dir, 'a'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(2, { labels: { role: 'a' } }) })
    b = await createNetNode({ dataDir: path.join(dir, 'b'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [a.multiaddrs()[0]!], resources: () => nodeResources(3) })
    await waitFor(() => a.view.get(b.peerId) !== undefined, 'a sees b')
    // A stock libp2p client: nothing of the fabric's code on this side of the wire.
    client = await createLibp2p({ addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [tls(), noise()], streamMuxers: [yamux()] })
  })

  after(async () => {
    await Promise.allSettled([client?.stop(), a?.stop({ leave: false }), b?.stop({ leave: false })])
    rmDir(dir)
  })

  async function open (): Promise<{ stream: Stream, lp: ReturnType<typeof lpStream> }> {
    const stream = await client.dialProtocol(multiaddr(a.multiaddrs()[0]!), STATUS_PROTOCOL)
    return { stream, lp: lpStream(stream, { maxDataLength: 8 * 1024 * 1024 }) }
  }

  it('answers a request with the node\'s info and its view; several requests on one stream', async () => {
    const { stream, lp } = await open()
    for (let i = 0; i < 3; i++) {
      await lp.write(cborg.encode({ type: 'status' }))
      const reply = decodeStatusReply((await lp.read()).subarray())
      assert.equal(reply.type, 'status')
      if (reply.type !== 'status') return
      assert.equal(reply.fabric, 'default')
      assert.equal(reply.self.peer, a.peerId)
      assert.deepEqual(reply.self.labels, { role: 'a' })
      assert.deepEqual(reply.peers.map(p => [p.info.peer, p.state, p.info.resources.total.cpus]), [[b.peerId, 'alive', 3]])
    }
    await stream.close()
  })

  it('a frame that is not CBOR gets an error frame, then the stream ends', async () => {
    const { stream, lp } = await open()
    await lp.write(new Uint8Array([0xff, 0xff, 0x13, 0x37]))
    assert.equal(await outcome(lp), 'error:MalformedMessageError')
    await endsAfter(stream, lp)
  })

  it('a CBOR frame of the wrong shape gets an error frame', async () => {
    for (const bad of [{ type: 'statuz' }, { type: 'status', extra: 1 }, [1, 2], 'status', 42]) {
      const { stream, lp } = await open()
      await lp.write(cborg.encode(bad))
      assert.equal(await outcome(lp), 'error:MalformedMessageError', JSON.stringify(bad))
      await endsAfter(stream, lp)
    }
  })

  it('an oversized frame (by its length prefix, by its bytes, or by a never-ending prefix) is refused without reading it', async () => {
    {
      // Announce 10 MiB and send the first few KiB of it.
      const { stream } = await open()
      stream.send(varint(10 * 1024 * 1024))
      stream.send(new Uint8Array(8 * 1024))
      const lp = lpStream(stream)
      assert.equal(await outcome(lp), 'error:MalformedMessageError')
      await endsAfter(stream, lp)
    }
    {
      const { stream, lp } = await open()
      await lp.write(encode({ type: 'status', pad: 'x'.repeat(MAX_STATUS_REQUEST_BYTES) }))
      assert.equal(await outcome(lp), 'error:MalformedMessageError')
      await endsAfter(stream, lp)
    }
    {
      // A length prefix that never ends (varint continuation bits).
      const { stream } = await open()
      stream.send(new Uint8Array(32).fill(0xff))
      const lp = lpStream(stream)
      assert.equal(await outcome(lp), 'error:MalformedMessageError')
      await endsAfter(stream, lp)
    }
    {
      // Junk far past any frame: the read buffer's bound resets the stream rather than buffering it.
      const { stream } = await open()
      const lp = lpStream(stream)
      stream.send(varint(3000))
      for (let i = 0; i < 8 && stream.writeStatus === 'writable'; i++) stream.send(new Uint8Array(64 * 1024))
      assert.match(await outcome(lp), /^(error:MalformedMessageError|ended:(?!Timeout|Abort))/)
    }
  })

  it('refused streams a client leaves open are reset soon, so they do not use up the stream limit', async () => {
    for (let i = 0; i < 8; i++) {
      const { lp } = await open()
      await lp.write(cborg.encode({ type: 'nope' }))
      assert.equal(await outcome(lp), 'error:MalformedMessageError')
    }
    await waitFor(() => (a as unknown as { libp2p: Libp2p }).libp2p.getConnections()
      .every(c => c.streams.every(s => s.protocol !== STATUS_PROTOCOL)), 'the refused streams to go', 5000)
  })

  it('keeps serving valid requests after all that, through the fabric\'s own client too', async () => {
    const { stream, lp } = await open()
    await lp.write(encode({ type: 'status' }))
    assert.equal(await outcome(lp), 'status')
    await stream.close()
    const fabricClient = await createStatusClient()
    try {
      const reply = await fabricClient.status(a.multiaddrs()[0]!)
      assert.equal(reply.self.peer, a.peerId)
      assert.equal(reply.peers.length, 1)
    } finally {
      await fabricClient.stop()
      await fabricClient.stop()
    }
  })

  it('the status client reports unreachable nodes and wrong secrets as PeerUnreachableError', async () => {
    const c = await createStatusClient({ swarmKey: newSwarmKey() })
    try {
      await assert.rejects(c.status(a.multiaddrs()[0]!, { timeoutMs: 2000 }), (err: Error) => err.name === 'PeerUnreachableError' && err.message.includes('cannot reach'))
      await assert.rejects(c.status('/ip4/127.0.0.1/tcp/1', { timeoutMs: 5000 }), (err: Error) => err.name === 'PeerUnreachableError' && /refused/.test(err.message))
      await assert.rejects(c.status('garbage'), { name: 'NetConfigError' })
    } finally {
      await c.stop()
    }
  })
})
