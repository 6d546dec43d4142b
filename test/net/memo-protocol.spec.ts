// `/fabric/memo/1` and the memo gossip topic between in-process nodes: a lookup answers the names
// the node holds (and only those asked), gossip delivers a node's new entries to its peers with the
// signed sender, and malformed lookups and gossip are refused while the node keeps serving.
import assert from 'node:assert/strict'
import path from 'node:path'
import '../../src/net/polyfill.js'
import { lpStream } from '@libp2p/utils'
import * as cborg from 'cborg'
import { createNetNode, MEMO_PROTOCOL, MemoGossip, MemoLookups, memoService, type NetNode, type FoundMemoEntry } from '../../src/net/index.js'
import { decodeEntries } from '../../src/net/memo-protocol.js'
import { cidOfBytesSync } from '../../src/objects/index.js'
import { nodeResources, rmDir, tmpDir, waitFor } from './helpers.js'

const name = (i: number): string => `${'a'.repeat(40)}${String(i).padStart(3, '0')}`
const CID = cidOfBytesSync(Uint8Array.of(1, 2, 3))

describe('net/memo-protocol', function () {
  this.timeout(60_000)
  let dir: string
  let holder: NetNode
  let asker: NetNode
  let lookups: MemoLookups
  const held = new Map<string, FoundMemoEntry>([[name(1), [name(1), CID, 3]], [name(5), [name(5), CID, 3, Uint8Array.of(1, 2, 3)]]])

  before(async () => {
    dir = tmpDir()
    holder = await createNetNode({
      dataDir: path.join(dir, 'h'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      resources: () => nodeResources(1),
      services: [memoService(async names => names.flatMap(n => held.has(n) ? [held.get(n)!] : []))]
    })
    asker = await createNetNode({ dataDir: path.join(dir, 'a'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(1), bootstrap: holder.multiaddrs() })
    await waitFor(() => asker.view.get(holder.peerId)?.state === 'alive', 'the nodes see each other', 20_000)
    lookups = new MemoLookups(asker)
  })

  after(async () => {
    lookups?.close()
    await asker?.stop({ leave: false })
    await holder?.stop({ leave: false })
    rmDir(dir)
  })

  it('a lookup answers the names held there, and only those asked; lookups sent at once share a session', async () => {
    assert.deepEqual(await lookups.lookup(holder.peerId, [name(1), name(2)]), [[name(1), CID, 3]])
    assert.deepEqual(await lookups.lookup(holder.peerId, [name(2)]), [])
    const many = await Promise.all([1, 2, 1].map(async i => await lookups.lookup(holder.peerId, [name(i)])))
    assert.deepEqual(many, [[[name(1), CID, 3]], [], [[name(1), CID, 3]]])
  })

  it('gossip brings the names of a node\'s new entries (not their CIDs) to its peers, with the signed sender', async () => {
    const heard: Array<[string, string[]]> = []
    let recent: string[] = []
    const sender = new MemoGossip(holder, { held: async () => [], heard: () => {}, recent: () => recent.splice(0) }, 60_000)
    const receiver = new MemoGossip(asker, { held: async () => [], heard: (peer, entries) => { heard.push([peer, entries]) }, recent: () => [] }, 60_000)
    sender.start()
    receiver.start()
    try {
      // Gossipsub needs the subscriptions to meet: keep publishing until one message arrives.
      await waitFor(async () => {
        recent = [name(7)]
        await sender.flush()
        return heard.length > 0
      }, 'a gossiped entry', 20_000, 300)
      assert.equal(heard[0]![0], holder.peerId)
      assert.deepEqual(heard[0]![1], [name(7)])
    } finally {
      sender.stop()
      receiver.stop()
    }
  })

  it('a small result\'s bytes come with the answer', async () => {
    assert.deepEqual(await lookups.lookup(holder.peerId, [name(5)]), [[name(5), CID, 3, Uint8Array.of(1, 2, 3)]])
  })

  it('refuses malformed lookups and entries, saying what is wrong, and keeps serving', async () => {
    assert.throws(() => decodeEntries([[name(1), CID]], 10, 'x'), /entry 0 must be \[name/)
    assert.throws(() => decodeEntries([['short', CID, 3]], 10, 'x'), /entry 0/)
    assert.throws(() => decodeEntries([[name(1), 'not-a-cid', 3]], 10, 'x'), (e: Error) => e.name === 'InvalidCidError')
    assert.throws(() => decodeEntries([[name(1), CID, -1]], 10, 'x'), /entry 0/)
    assert.throws(() => decodeEntries(new Array(11).fill([name(1), CID, 3]), 10, 'x'), /at most 10/)
    for (const bad of [{ type: 'lookup', names: [] }, { type: 'lookup', names: ['x'] }, { type: 'steal', names: [name(1)] }, { type: 'lookup', names: [name(1)], extra: 1 }]) {
      const stream = await asker.dialProtocol(holder.peerId, MEMO_PROTOCOL)
      const lp = lpStream(stream)
      await lp.write(cborg.encode(bad))
      const reply = cborg.decode((await lp.read()).subarray()) as { type: string, error: { name: string, message: string } }
      assert.equal(reply.type, 'error', JSON.stringify(bad))
      assert.equal(reply.error.name, 'MalformedMessageError')
      await stream.close().catch(() => {})
    }
    // Still serving.
    assert.deepEqual(await lookups.lookup(holder.peerId, [name(1)]), [[name(1), CID, 3]])
  })
})
