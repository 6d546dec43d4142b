// The executor of peers' tasks pulls objects only from fabric members: holders a request names are
// dialled when they are PeerIds in this node's view (not dead) or the peer asking, never a
// multiaddr or a stranger. (Issue 13: a peer could name any address as a holder, and the node
// dialled it and sent back the error text: a port scanner for whoever asked.)
import assert from 'node:assert/strict'
import type { FabricView } from '../../src/net/index.js'
import type { LocalNode } from '../../src/runtime/index.js'
import { RemoteTaskExecutor } from '../../src/runtime/index.js'
import { ObjectGrants } from '../../src/runtime/object-grants.js'
import { encode, ObjectRef } from '../../src/objects/index.js'
import { resolveNodeLimits } from '../../src/runtime/node-limits.js'

const MEMBER = '12D3KooWEwuGmQEVq4HJjCtaaRQBc1BZgVSh4fk1ub4XaoWHbq5E'
const GONE = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const ASKER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const STRANGER = '12D3KooWLRPJAA5o6Z6eMwdZ1RU4MN3wa7qFpLdq8MEWhJMdWUJz'
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

describe('runtime/remote-executor: who a pull may dial', () => {
  const dialled: string[][] = []
  const view = { get: (peer: string) => peer === MEMBER ? { state: 'alive' } : peer === GONE ? { state: 'dead' } : undefined } as unknown as FabricView
  const node = { objectBytes: async () => undefined, putBytes: () => 'x/o1', grant: () => {}, mayServe: () => false } as unknown as LocalNode
  const executor = new RemoteTaskExecutor(node, async (_cid, holders) => { dialled.push(holders); return new Uint8Array([1]) }, () => view)

  beforeEach(() => { dialled.length = 0 })

  it('refuses, without dialling, holders that are multiaddrs, strangers or dead members', async () => {
    for (const holders of [['/ip4/10.1.2.3/tcp/22'], [STRANGER], [GONE], ['/dns4/example.com/tcp/443', STRANGER]]) {
      await assert.rejects(executor.objectFor("task 'f'", CID, holders, ASKER), (err: Error) => err.name === 'ObjectLostError' && /is a member of this node's fabric.*refused without dialling/.test(err.message))
    }
    assert.deepEqual(dialled, [])
  })

  it('dials members in its view and the peer that asked, and only them', async () => {
    await executor.objectFor("task 'f'", CID, ['/ip4/10.1.2.3/tcp/22', STRANGER, MEMBER], ASKER)
    await executor.objectFor("task 'f'", CID, [ASKER], ASKER)
    assert.deepEqual(dialled, [[MEMBER], [ASKER]])
  })
})

describe('runtime/remote-executor: whom it serves an object (ownership is authority)', () => {
  // Issue 13: a second driver pulled another driver's 200 KB result by its CID. A node now serves
  // an object to the peer it keeps it for, or to a peer presenting the key of a job it holds it for.
  const BYTES = new Uint8Array([1, 2, 3])
  const grants = new ObjectGrants(() => true)
  const node = {
    objectBytes: async () => BYTES,
    putBytes: () => 'x/o1',
    hold: () => {},
    release: () => {},
    grant: (cid: string, job: string | undefined) => grants.grant(cid, job),
    mayServe: (cid: string, job: string | undefined) => grants.allows(cid, job)
  } as unknown as LocalNode
  const executor = new RemoteTaskExecutor(node, async () => BYTES, () => undefined)

  it('serves nobody an object it holds for no one; a stranger gets "not found" with or without a made-up key', async () => {
    assert.equal(await executor.objectBytes(CID, STRANGER, undefined), undefined)
    assert.equal(await executor.objectBytes(CID, STRANGER, 'made-up-job-key'), undefined)
  })

  it('serves a pulled copy to the job that pulled it (its key), not to another job or a keyless peer', async () => {
    await executor.objectFor("task 'f'", CID, [ASKER], ASKER, { owner: ASKER, copies: [] }, 'job-a-key')
    assert.deepEqual(await executor.objectBytes(CID, MEMBER, 'job-a-key'), BYTES, 'a node job A sent work to')
    assert.deepEqual(await executor.objectBytes(CID, ASKER, undefined), BYTES, 'the owner itself')
    assert.equal(await executor.objectBytes(CID, STRANGER, 'job-b-key'), undefined)
    assert.equal(await executor.objectBytes(CID, MEMBER, undefined), undefined)
  })

  it('a job that names a CID held here for another job gets no copy from here: it must pull from holders that serve it', async () => {
    const asked: string[][] = []
    const other = new RemoteTaskExecutor(node, async (_cid, holders) => { asked.push(holders); throw new Error('not found') }, () => ({ get: () => ({ state: 'alive' }) }) as unknown as FabricView)
    const cid = 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'
    grants.grant(cid, 'job-a-key')
    await assert.rejects(other.objectFor("task 'g'", cid, [MEMBER], STRANGER, undefined, 'job-b-key'), (err: Error) => err.name === 'ObjectLostError')
    assert.deepEqual(asked, [[MEMBER]], 'pulled from the holder named (which checks its own grants), not served from here')
  })
})

describe('runtime/object-grants', () => {
  it('grants per CID and job, sweeps grants of objects gone as the table grows', () => {
    const held = new Set<string>()
    const g = new ObjectGrants(cid => held.has(cid))
    g.grant('c1', undefined)
    assert.equal(g.size, 0, 'no job, no grant')
    held.add('c1')
    g.grant('c1', 'a')
    g.grant('c1', 'b')
    assert.ok(g.allows('c1', 'a') && g.allows('c1', 'b') && !g.allows('c1', 'c') && !g.allows('c1', undefined) && !g.allows('c2', 'a'))
    for (let i = 0; i < 1100; i++) g.grant(`gone-${i}`, 'a')
    assert.ok(g.size < 1100, `objects no longer held are swept (${g.size} left)`)
    assert.ok(g.allows('c1', 'a'), 'a held object keeps its grants')
    g.drop('c1')
    assert.ok(!g.allows('c1', 'a'))
  })
})

describe("runtime/remote-executor: peers' components are bounded", () => {
  it('keeps at most maxComponents, dropping the least recently used one not in use; a dropped one loads again', async () => {
    const forgotten: string[] = []
    const pulls: string[] = []
    const node = {
      load: async (bytes: Uint8Array) => ({ component: { cid: `c${bytes[0]!}` }, manifest: { tasks: [], actors: [] } }),
      grant: () => {},
      forgetComponent: (cid: string) => forgotten.push(cid)
    } as unknown as LocalNode
    const executor = new RemoteTaskExecutor(node, async (cid) => { pulls.push(cid); return new Uint8Array([Number(cid.slice(1))]) }, () => undefined, resolveNodeLimits({ maxComponents: 2 }))
    await executor.load('c1', ASKER)
    await executor.load('c2', ASKER)
    executor.pin('c1')
    await executor.load('c3', ASKER)
    assert.deepEqual(forgotten, ['c2'], 'c1 is in use (pinned), so the least recently used other one goes')
    executor.unpin('c1')
    await executor.load('c3', ASKER) // used again: c1 is now the oldest
    await executor.load('c2', ASKER)
    assert.deepEqual(forgotten, ['c2', 'c1'])
    assert.deepEqual(pulls, ['c1', 'c2', 'c3', 'c2'], 'a dropped component is pulled again when asked for')
    assert.equal(executor.componentBytes('c1'), undefined)
  })
})

describe('runtime/remote-executor: keeps are counted, a release drops the ones its owner knew of', () => {
  // A driver released the result of one run of a task while a second run, making the same bytes,
  // was finishing: the node dropped the second run's keep with the first, and the driver's ref then
  // named a holder that no longer kept it for it (ObjectLostError in a re-run record sort).
  const released: string[] = []
  const node = {
    objectBytes: async () => new Uint8Array([7]),
    location: async () => ({ cid: CID, size: 200_000 }),
    holdsRefs: () => false,
    hold: () => {},
    release: (id: string) => { released.push(id) },
    grant: () => {},
    mayServe: () => false
  } as unknown as LocalNode
  const executor = new RemoteTaskExecutor(node, async () => { throw new Error('no pull expected') }, () => undefined)

  it('two results with the same bytes are two keeps; releasing one leaves the other served', async () => {
    await executor.resultRefs(encode([new ObjectRef('r1')]), ASKER, 'task f')
    await executor.resultRefs(encode([new ObjectRef('r2')]), ASKER, 'task f')
    assert.equal(executor.release([CID], ASKER, [1]), 0, 'still kept once')
    assert.deepEqual(released, ['r1'])
    assert.deepEqual(await executor.objectBytes(CID, ASKER, undefined), new Uint8Array([7]), 'the owner is still served')
    assert.equal(executor.release([CID], ASKER), 1)
    assert.deepEqual(released, ['r1', 'r2'])
    assert.equal(await executor.objectBytes(CID, ASKER, undefined), undefined)
    assert.equal(executor.ownedCount(), 0)
  })

  it('an owner that leaves drops every keep', async () => {
    released.length = 0
    await executor.resultRefs(encode([new ObjectRef('r3'), new ObjectRef('r4')]), ASKER, 'task f')
    assert.equal(executor.ownerGone(ASKER), 1)
    assert.deepEqual(released, ['r3', 'r4'])
  })
})
