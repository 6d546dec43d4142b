// A node's calls to actors of other nodes (ActorForwarder) over a fake net: calls go out in the
// order made whatever order their arguments are ready in, on one session per actor; only nodes in
// view are dialled; errors name the actor and node; idle and ended sessions are closed and
// reopened; refs inside results are pulled and let go on the answering node.
import assert from 'node:assert/strict'
import { encode } from '../../src/objects/codec.js'
import { serializeError } from '../../src/errors/index.js'
import { decodeActorOpen } from '../../src/net/index.js'
import type { ActorCallResult, ActorOpen, ActorSession, NetNode } from '../../src/net/interface.js'
import { ActorForwarder } from '../../src/runtime/actor-forwarder.js'
import { ActorDiedError } from '../../src/exec/errors.js'
import { ActorNotFoundError } from '../../src/runtime/errors.js'

const SELF = '12D3KooWSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1f'
const PEER = '12D3KooWPeerPeerPeerPeerPeerPeerPeerPeerPeerPeerPeer'
const FAR = '12D3KooWFarFarFarFarFarFarFarFarFarFarFarFarFarFarFar'

class FakeSession implements ActorSession {
  readonly restarts = 0
  readonly invoked: string[] = []
  closed = false
  readonly ended: Promise<Error | undefined>
  end!: (e?: Error) => void
  reply: (method: string) => Promise<ActorCallResult> = async method => ({ value: encode(method) })
  constructor (readonly peer: string, readonly actor: string) {
    this.ended = new Promise(resolve => { this.end = resolve })
  }

  async call (): Promise<Uint8Array> { throw new Error('not used') }
  async invoke (method: string): Promise<ActorCallResult> {
    this.invoked.push(method)
    return await this.reply(method)
  }

  onRestarted (): void {}
  onSnapshot (): void {}
  async kill (): Promise<void> { this.closed = true }
  async close (): Promise<void> {
    this.closed = true
    this.end()
  }
}

class FakeNet {
  readonly peerId = SELF
  readonly opened: Array<{ peer: string, open: ActorOpen }> = []
  readonly sessions: FakeSession[] = []
  readonly released: Array<{ peer: string, cids: string[] }> = []
  refuse?: Error
  readonly view = { get: (peer: string) => [SELF, PEER].includes(peer) ? { info: { peer } } : undefined }
  async openActor (peer: string, open: ActorOpen): Promise<ActorSession> {
    this.opened.push({ peer, open })
    await new Promise(resolve => setImmediate(resolve))
    if (this.refuse !== undefined) throw this.refuse
    const s = new FakeSession(peer, (open as { actor: string }).actor)
    this.sessions.push(s)
    return s
  }

  async pullObject (cid: string, holders: string[]): Promise<Uint8Array> {
    return encode(`bytes of ${cid} from ${holders.join(',')}`)
  }

  async releaseObjects (peer: string, cids: string[]): Promise<number> {
    this.released.push({ peer, cids })
    return cids.length
  }
}

const args = async (): Promise<{ args: Uint8Array, nested: [] }> => ({ args: encode([]), nested: [] })
const later = async <T>(ms: number, v: T): Promise<T> => await new Promise(resolve => setTimeout(() => resolve(v), ms))

describe('runtime: ActorForwarder (guests\' calls to actors of other nodes)', () => {
  let net: FakeNet
  let forwarder: ActorForwarder
  beforeEach(() => {
    net = new FakeNet()
    forwarder = new ActorForwarder(net as unknown as NetNode, { idleMs: 20 })
  })
  afterEach(async () => { await forwarder.stop() })

  it('sends calls in the order made on one attached session, even when an earlier call\'s arguments are ready later', async () => {
    const to = { actor: 'n/a1', peer: PEER }
    const first = forwarder.call(to, { method: 'first', prepare: async () => await later(30, { args: encode([1]), nested: [] }) })
    const second = forwarder.call(to, { method: 'second', prepare: args })
    const third = forwarder.call(to, { method: 'third', prepare: args })
    await Promise.all([first, second, third])
    assert.equal(net.opened.length, 1)
    assert.deepEqual(net.opened[0], { peer: PEER, open: { type: 'attach-id', actor: 'n/a1' } })
    assert.deepEqual(net.sessions[0]!.invoked, ['first', 'second', 'third'])
    assert.equal(forwarder.sessions, 1)
  })

  it('a call whose arguments fail does not hold back or break the calls after it', async () => {
    const to = { actor: 'n/a1', peer: PEER }
    const bad = forwarder.call(to, { method: 'bad', prepare: async () => { throw new Error('its argument failed') } })
    const good = forwarder.call(to, { method: 'good', prepare: args })
    await assert.rejects(bad, /its argument failed/)
    assert.ok((await good).value.length > 0)
    assert.deepEqual(net.sessions[0]!.invoked, ['good'])
  })

  it('never dials a node outside its view (or itself): ActorNotFoundError naming the actor and node', async () => {
    await assert.rejects(forwarder.call({ actor: 'n/a1', peer: FAR }, { method: 'm', prepare: args }), (err: Error) => {
      assert.equal(err.name, 'ActorNotFoundError')
      assert.match(err.message, new RegExp(`actor n/a1 on node ${FAR}: that node is not in this node's view`))
      return true
    })
    await assert.rejects(forwarder.call({ actor: 'n/a1', peer: SELF }, { method: 'm', prepare: args }), { name: 'ActorNotFoundError' })
    assert.equal(net.opened.length, 0)
  })

  it('a refused attach fails the calls with the node\'s error, named for the actor; the next call tries again', async () => {
    net.refuse = new ActorNotFoundError('no live actor n/a9 on this node')
    await assert.rejects(forwarder.call({ actor: 'n/a9', peer: PEER }, { method: 'm', prepare: args }), (err: Error) => {
      assert.equal(err.name, 'ActorNotFoundError')
      assert.equal(err.message, `actor n/a9 on node ${PEER}: no live actor n/a9 on this node`)
      return true
    })
    net.refuse = undefined
    await forwarder.call({ actor: 'n/a9', peer: PEER }, { method: 'm', prepare: args })
    assert.equal(net.opened.length, 2)
  })

  it('the call\'s own error comes back as it is; a session that ends or idles is closed and opened again', async () => {
    const to = { actor: 'n/a1', peer: PEER }
    await forwarder.call(to, { method: 'm', prepare: args })
    const s = net.sessions[0]!
    s.reply = async () => { throw new ActorDiedError('actor n/a1 is not alive') }
    await assert.rejects(forwarder.call(to, { method: 'm', prepare: args }), { name: 'ActorDiedError', message: 'actor n/a1 is not alive' })
    s.end(new Error('stream reset'))
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(forwarder.sessions, 0, 'an ended session is dropped')
    await forwarder.call(to, { method: 'm', prepare: args })
    assert.equal(net.sessions.length, 2)
    const start = Date.now()
    while (forwarder.sessions > 0 && Date.now() - start < 2000) await later(5, undefined)
    assert.equal(forwarder.sessions, 0, 'an idle session is closed')
    assert.equal(net.sessions[1]!.closed, true)
  })

  it('refs inside a result: values kept, errors rebuilt, objects pulled from the answering node and let go there', async () => {
    const to = { actor: 'n/a1', peer: PEER }
    await forwarder.call(to, { method: 'warm', prepare: args })
    net.sessions[0]!.reply = async () => ({
      value: encode('r'),
      nested: [{ id: 'p/o1', value: encode(1) }, { id: 'p/o2', cid: 'bafyc', size: 10 }, { id: 'p/o3', error: serializeError(new ActorDiedError('gone')) }]
    })
    const out = await forwarder.call(to, { method: 'refs', prepare: args })
    assert.deepEqual(out.nested[0], { id: 'p/o1', value: encode(1) })
    assert.deepEqual(out.nested[1], { id: 'p/o2', value: encode(`bytes of bafyc from ${PEER}`) })
    const failed = out.nested[2] as { id: string, error: Error }
    assert.equal(failed.error.name, 'ActorDiedError')
    await later(1, undefined)
    assert.deepEqual(net.released, [{ peer: PEER, cids: ['bafyc'] }])
  })

  it('stop closes every session; later calls fail with FabricStoppedError', async () => {
    await forwarder.call({ actor: 'n/a1', peer: PEER }, { method: 'm', prepare: args })
    await forwarder.stop()
    assert.equal(net.sessions[0]!.closed, true)
    await assert.rejects(forwarder.call({ actor: 'n/a1', peer: PEER }, { method: 'm', prepare: args }), { name: 'FabricStoppedError' })
  })

  it('the wire\'s attach-id frame is validated like the others', () => {
    assert.deepEqual(decodeActorOpen(encode({ type: 'attach-id', actor: 'n/a1' })), { type: 'attach-id', actor: 'n/a1' })
    assert.throws(() => decodeActorOpen(encode({ type: 'attach-id', actor: '' })), /actor must be an actor id of 1-256 chars/)
    assert.throws(() => decodeActorOpen(encode({ type: 'attach-id', actor: 'n/a1', name: 'x' })), /must be \{ type: 'attach-id', actor, job\? \}/)
  })
})
