// `/fabric/placement/1` between in-process nodes: requests reach the node's bundle host with the
// session's owner (peer, job, session), refusals come back typed, the end of a session is told to
// both sides, and malformed frames are refused while the node keeps serving.
import assert from 'node:assert/strict'
import path from 'node:path'
import '../../src/net/polyfill.js'
import { lpStream } from '@libp2p/utils'
import * as cborg from 'cborg'
import { createNetNode, decodePlacementRequest, PLACEMENT_PROTOCOL, PlacementSessions, placementService, type BundleSessionOwner, type NetNode, type WireBundle } from '../../src/net/index.js'
import { InfeasibleTaskError } from '../../src/scheduler/index.js'
import { nodeResources, rmDir, tmpDir, waitFor } from './helpers.js'

const G = 'pg0123456789abcdef01234567'

describe('net/placement-protocol', function () {
  this.timeout(60_000)
  let dir: string
  let holder: NetNode
  let owner: NetNode
  const calls: Array<{ op: string, group?: string, bundles?: WireBundle[], commit?: boolean, owner: BundleSessionOwner }> = []

  before(async () => {
    dir = tmpDir()
    holder = await createNetNode({
      dataDir: path.join(dir, 'h'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      resources: () => nodeResources(2),
      services: [placementService({
        prepare: (group, bundles, o, commit) => {
          calls.push({ op: 'prepare', group, bundles, commit, owner: o })
          if (bundles.some(b => b.resources.cpus > 2)) throw new InfeasibleTaskError('this node has not cpus: 3 free')
        },
        commit: (group, o) => { calls.push({ op: 'commit', group, owner: o }) },
        release: (group, o) => { calls.push({ op: 'release', group, owner: o }) },
        ended: (o) => { calls.push({ op: 'ended', owner: o }) }
      })]
    })
    owner = await createNetNode({ dataDir: path.join(dir, 'o'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(0), bootstrap: holder.multiaddrs() })
  })

  after(async () => {
    await owner?.stop({ leave: false })
    await holder?.stop({ leave: false })
    rmDir(dir)
  })

  it('carries prepare, commit and release to the node\'s host, owned by the session\'s peer and job; its end is told to both sides', async () => {
    const lost: string[] = []
    const sessions = new PlacementSessions(owner, 'job-1', peer => lost.push(peer))
    const peer = holder.peerId
    await sessions.prepare(peer, G, [{ index: 0, resources: { cpus: 1, gpus: 0, memoryMb: 0, custom: { ssd: 1 } } }], false)
    await sessions.commit(peer, G)
    await assert.rejects(sessions.prepare(peer, G, [{ index: 1, resources: { cpus: 3, gpus: 0, memoryMb: 0, custom: {} } }], true),
      (e: Error) => e.name === 'InfeasibleTaskError' && /cpus: 3/.test(e.message))
    await sessions.release(peer, G)
    assert.deepEqual(calls.map(c => c.op), ['prepare', 'commit', 'prepare', 'release'])
    assert.deepEqual(calls[0]!.bundles, [{ index: 0, resources: { cpus: 1, gpus: 0, memoryMb: 0, custom: { ssd: 1 } } }])
    assert.equal(calls[0]!.commit, false)
    assert.equal(calls[2]!.commit, true)
    for (const c of calls) {
      assert.equal(c.owner.peer, owner.peerId)
      assert.equal(c.owner.job, 'job-1')
      assert.equal(c.owner.session, calls[0]!.owner.session)
    }
    // The owner stops using it: the node hears that the session ended (and releases what it reserved).
    sessions.close()
    await waitFor(() => calls.at(-1)?.op === 'ended', 'the node hears the session end')
    assert.equal(calls.at(-1)!.owner.session, calls[0]!.owner.session)
    assert.deepEqual(lost, [], 'a session closed on purpose is not a lost one')
  })

  it('tells the owner when a session breaks (the node went)', async () => {
    const lost: string[] = []
    const sessions = new PlacementSessions(owner, 'job-2', peer => lost.push(peer))
    await sessions.prepare(holder.peerId, G, [{ index: 0, resources: { cpus: 1, gpus: 0, memoryMb: 0, custom: {} } }], true)
    const conns = (owner as unknown as { libp2p: { getConnections: () => Array<{ close: () => Promise<void> }> } }).libp2p.getConnections()
    await Promise.all(conns.map(async c => { await c.close() }))
    await waitFor(() => lost.length === 1, 'the owner hears the session broke')
    assert.deepEqual(lost, [holder.peerId])
    sessions.close()
  })

  it('refuses malformed requests, saying what is wrong, and keeps serving', async () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ type: 'prepare', id: 1, group: 'pg-nope', bundles: [] }, /group id/],
      [{ type: 'prepare', id: 1, group: G, bundles: [] }, /bundles must be a list of 1-1024/],
      [{ type: 'prepare', id: 1, group: G, bundles: [{ index: 0, cpus: -1, gpus: 0, memoryMb: 0 }] }, /amounts >= 0/],
      [{ type: 'prepare', id: 1, group: G, bundles: [{ index: 0, cpus: 1, gpus: 0, memoryMb: 0 }, { index: 0, cpus: 1, gpus: 0, memoryMb: 0 }] }, /bundles\[1\]/],
      [{ type: 'prepare', id: 1, group: G, bundles: [{ index: 0, cpus: 1, gpus: 0, memoryMb: 0, resources: { x: 'y' } }] }, /named resources/],
      [{ type: 'commit', id: 1, group: G, extra: 1 }, /must be \{ type, id, group \}/],
      [{ type: 'steal', id: 1, group: G }, /placement request must be/]
    ]
    for (const [msg, why] of bad) assert.throws(() => decodePlacementRequest(cborg.encode(msg)), (e: Error) => e.name === 'MalformedMessageError' && why.test(e.message), JSON.stringify(msg))
    assert.throws(() => decodePlacementRequest(new Uint8Array([0xff, 0x00, 0x13])), (e: Error) => e.name === 'MalformedMessageError')

    // On the wire: garbage gets an error reply and the stream ends; the node still serves the next session.
    const stream = await owner.dialProtocol(holder.peerId, PLACEMENT_PROTOCOL)
    const lp = lpStream(stream)
    await lp.write(cborg.encode({ type: 'prepare', id: 1, group: 'x' }))
    const reply = cborg.decode((await lp.read()).subarray()) as { ok: boolean, error: { name: string } }
    assert.equal(reply.ok, false)
    assert.equal(reply.error.name, 'MalformedMessageError')
    const sessions = new PlacementSessions(owner, 'job-3', () => {})
    await sessions.prepare(holder.peerId, G, [{ index: 0, resources: { cpus: 1, gpus: 0, memoryMb: 0, custom: {} } }], true)
    sessions.close()
  })
})
