// A guest's actor call is routed by its handle's address: a bare id or this node's PeerId to the
// node's own actors, another PeerId to the node's calls elsewhere (with the guest's argument bytes
// and every ref among them), and a malformed id or an unreachable node refused with what is wrong.
import assert from 'node:assert/strict'
import { encode } from '../../src/objects/codec.js'
import { ObjectRef } from '../../src/objects/object-ref.js'
import { guestCallActor, type GuestActorCallHost } from '../../src/runtime/guest-actor-calls.js'
import type { ArgSpec } from '../../src/runtime/interface.js'

const SELF = '12D3KooWSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1f'
const PEER = '12D3KooWPeerPeerPeerPeerPeerPeerPeerPeerPeerPeerPeer'

function host (inFabric: boolean): GuestActorCallHost & { local: Array<{ actorId: string, args: ArgSpec[] }>, remote: Array<{ to: unknown, args: Uint8Array, refs: string[], timeoutMs?: number }> } {
  const local: Array<{ actorId: string, args: ArgSpec[] }> = []
  const remote: Array<{ to: unknown, args: Uint8Array, refs: string[], timeoutMs?: number }> = []
  return {
    local,
    remote,
    callActor: (actorId, _method, args) => { local.push({ actorId, args }); return 'here/o1' },
    ...(inFabric ? { elsewhere: { peerId: SELF, callActor: (to, _method, call) => { remote.push({ to, ...call }); return 'here/o2' } } } : {})
  }
}

describe('runtime: guest actor calls routed by address', () => {
  it('a bare id, or this node\'s PeerId, calls the node\'s own actor by its id there', () => {
    const h = host(true)
    assert.equal(guestCallActor(h, 'n/a1', 'add', encode([1]), encode({})), 'here/o1')
    assert.equal(guestCallActor(h, `n/a1@${SELF}`, 'add', encode([2]), encode({})), 'here/o1')
    assert.deepEqual(h.local.map(c => c.actorId), ['n/a1', 'n/a1'])
    assert.equal(h.remote.length, 0)
  })

  it('another node\'s actor goes elsewhere with the guest\'s argument bytes, each ref once, and the timeout', () => {
    const h = host(true)
    const args = encode([new ObjectRef('here/o7'), { inner: new ObjectRef('here/o8'), again: new ObjectRef('here/o7') }, 3])
    assert.equal(guestCallActor(h, `n/a1@${PEER}`, 'add', args, encode({ timeoutMs: 500 })), 'here/o2')
    assert.deepEqual(h.remote, [{ to: { actor: 'n/a1', peer: PEER }, args, refs: ['here/o7', 'here/o8'], timeoutMs: 500 }])
  })

  it('refuses a malformed address as bad-argument, and another node\'s actor on a node outside any fabric as not-found', () => {
    assert.throws(() => guestCallActor(host(true), 'n/a1@/ip4/1.2.3.4/tcp/1', 'add', encode([]), encode({})), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'bad-argument')
      assert.match(err.message, /calling an actor: actor id .* what follows '@' must be a node's PeerId/)
      return true
    })
    assert.throws(() => guestCallActor(host(false), `n/a1@${PEER}`, 'add', encode([]), encode({})), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'not-found')
      assert.match(err.message, new RegExp(`the actor lives on node ${PEER}, and this node is not part of a fabric`))
      return true
    })
  })
})
