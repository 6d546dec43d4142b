// `/fabric/snapshot/1` between in-process nodes: a hold reaches the keeper with its pages (sent in
// several frames when large) and the sender; a drop reaches it; refusals come back typed; malformed
// frames are refused while the node keeps serving.
import assert from 'node:assert/strict'
import path from 'node:path'
import '../../src/net/polyfill.js'
import { lpStream } from '@libp2p/utils'
import * as cborg from 'cborg'
import { createNetNode, MAX_SNAPSHOT_FRAME_BYTES, SNAPSHOT_PROTOCOL, SnapshotSessions, snapshotService, type NetNode } from '../../src/net/index.js'
import { QuotaExceededError } from '../../src/errors/index.js'
import { nodeResources, rmDir, tmpDir, waitFor } from './helpers.js'

const KEPT = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'

describe('net/snapshot-protocol', function () {
  this.timeout(60_000)
  let dir: string
  let replica: NetNode
  let home: NetNode
  let sessions: SnapshotSessions
  const calls: Array<{ op: string, from: string, key: string, pages?: number, bytes?: number, full?: boolean, owner?: string }> = []

  before(async () => {
    dir = tmpDir()
    replica = await createNetNode({
      dataDir: path.join(dir, 'r'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      resources: () => nodeResources(1),
      services: [snapshotService({
        hold: async (from, req) => {
          if (req.key === 'over-quota') throw new QuotaExceededError('quota \'snapshots\' reached', { quota: 'snapshots', limit: 1 })
          calls.push({ op: 'hold', from, key: req.key, pages: req.pages.length, bytes: req.pages.reduce((s, p) => s + p.length, 0), full: req.full, ...(req.owner === undefined ? {} : { owner: req.owner }) })
        },
        drop: (from, key) => { calls.push({ op: 'drop', from, key }) },
        get: async (_from, cids) => cids.map(c => c === KEPT ? Uint8Array.of(7) : null)
      })]
    })
    home = await createNetNode({ dataDir: path.join(dir, 'h'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(1), bootstrap: replica.multiaddrs() })
    await waitFor(() => home.view.get(replica.peerId)?.state === 'alive', 'the nodes see each other', 20_000)
    sessions = new SnapshotSessions(home)
  })

  after(async () => {
    sessions?.close()
    await home?.stop({ leave: false })
    await replica?.stop({ leave: false })
    rmDir(dir)
  })

  it('a hold arrives with every page, in several frames when large, and the sender; a drop arrives; a refusal leaves the session open', async () => {
    const pages = Array.from({ length: Math.ceil(1.5 * MAX_SNAPSHOT_FRAME_BYTES / 4096) }, (_, i) => new Uint8Array(4096).fill(i & 0xff))
    await sessions.hold(replica.peerId, { key: 'actor-key-1', owner: 'owner-1', manifest: Uint8Array.of(1, 2), pages, full: true })
    await sessions.drop(replica.peerId, 'actor-key-1')
    assert.deepEqual(calls, [
      { op: 'hold', from: home.peerId, key: 'actor-key-1', pages: pages.length, bytes: pages.length * 4096, full: true, owner: 'owner-1' },
      { op: 'drop', from: home.peerId, key: 'actor-key-1' }
    ])
    await assert.rejects(sessions.hold(replica.peerId, { key: 'over-quota', manifest: Uint8Array.of(1), pages: [], full: true }), (e: Error) => e.name === 'RemoteError' && /quota 'snapshots'/.test(e.message))
    // The same session answers the next request, in order with others sent at once.
    await Promise.all([sessions.drop(replica.peerId, 'actor-key-8'), sessions.hold(replica.peerId, { key: 'actor-key-9', manifest: Uint8Array.of(3), pages: [new Uint8Array(4096)], full: false })])
    assert.deepEqual(calls.slice(-2).map(c => c.key), ['actor-key-8', 'actor-key-9'])
    // Objects kept there, many per request: bytes or null, in order.
    assert.deepEqual(await sessions.get(replica.peerId, [KEPT, 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku']), [Uint8Array.of(7), null])
  })

  it('refuses malformed frames, saying what is wrong, and keeps serving', async () => {
    for (const [bad, why] of [
      [{ type: 'hold', key: 'short', manifest: Uint8Array.of(1), full: true }, /key must be 8-64/],
      [{ type: 'hold', key: 'actor-key-2', manifest: 'x', full: true }, /snapshot request must be/],
      [{ type: 'pages', pages: ['x'] }, /snapshot pages must be/],
      [{ type: 'steal', key: 'actor-key-2' }, /snapshot request must be/],
      [{ type: 'get', cids: Array(901).fill('x') }, /snapshot get must be/]
    ] as Array<[Record<string, unknown>, RegExp]>) {
      const stream = await home.dialProtocol(replica.peerId, SNAPSHOT_PROTOCOL)
      const lp = lpStream(stream)
      await lp.write(cborg.encode(bad))
      const reply = cborg.decode((await lp.read()).subarray()) as { type: string, error: { name: string, message: string } }
      assert.equal(reply.type, 'error', JSON.stringify(bad))
      assert.equal(reply.error.name, 'MalformedMessageError')
      assert.match(reply.error.message, why)
      await stream.close().catch(() => {})
    }
    await sessions.drop(replica.peerId, 'actor-key-3')
    assert.equal(calls.at(-1)?.key, 'actor-key-3')
  })
})
