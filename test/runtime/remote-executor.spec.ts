// The executor of peers' tasks pulls objects only from fabric members: holders a request names are
// dialled when they are PeerIds in this node's view (not dead) or the peer asking, never a
// multiaddr or a stranger. (Issue 13: a peer could name any address as a holder, and the node
// dialled it and sent back the error text: a port scanner for whoever asked.)
import assert from 'node:assert/strict'
import type { FabricView } from '../../src/net/index.js'
import type { LocalNode } from '../../src/runtime/index.js'
import { RemoteTaskExecutor } from '../../src/runtime/index.js'

const MEMBER = '12D3KooWEwuGmQEVq4HJjCtaaRQBc1BZgVSh4fk1ub4XaoWHbq5E'
const GONE = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const ASKER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const STRANGER = '12D3KooWLRPJAA5o6Z6eMwdZ1RU4MN3wa7qFpLdq8MEWhJMdWUJz'
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

describe('runtime/remote-executor: who a pull may dial', () => {
  const dialled: string[][] = []
  const view = { get: (peer: string) => peer === MEMBER ? { state: 'alive' } : peer === GONE ? { state: 'dead' } : undefined } as unknown as FabricView
  const node = { objectBytes: async () => undefined, putBytes: () => 'x/o1' } as unknown as LocalNode
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
