// Issue 13, "must show", end to end against real `fabric join` processes on 127.0.0.1: calls to a
// killed actor leave its node alive and heartbeating (they drove its waiting count to -1, its
// gossip failed validation and peers declared it dead); a 131 KiB CBOR bignum in a task's
// arguments is refused without stalling the node's event loop (it held it for ~4 s); a holder
// that is not a fabric member is never dialled (a peer could make a node probe ports for it).
// The hostile requests come from a bare libp2p peer writing `/fabric/task/1` frames by hand.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { ConnectedFabric, ObjectRef, RemoteActorClass, UntypedModule } from '../../src/index.js'
import { createStatusClient, loadOrCreateIdentity } from '../../src/net/index.js'
import { cidOfBytesSync } from '../../src/objects/cid.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'
import { createHostilePeer, type Frame, type HostilePeer } from './hostile-peer.js'

type Counter = { actorId: string, incr: { remote: (by: number) => ObjectRef<number> } }

/** How long the node must stay alive after the calls to its dead actor (the cluster declares a silent peer dead after 5 s). */
const WATCH_MS = 20_000

/**
 * Allowed on top of the 50 ms budget, as the longest round trip of the pings in flight while the
 * node handles the request. The box has 2 cores shared by this process (driver, pinger), two nodes
 * (gossip every 500 ms, connection monitors) and whatever else runs: a ping can wait out a
 * scheduler timeslice or a GC pause on either side (pings with nothing sent reached 149 ms at a
 * load average of 4.8). The best of 3 trials is judged, and the bug held the loop for 4-5 s.
 */
const PING_SLACK_MS = 100

/** Bignum requests sent; the least stall of them is judged. */
const TRIALS = 3

/** 131 KiB: the size of bignum that held a node's main thread for ~4 s. */
const BIGNUM_BYTES = 131 * 1024

/** CBOR `[ bignum ]`: an array of one, tag 2 wrapping a byte string of `n` bytes (all 0xff). */
function bignumArgs (n: number): Uint8Array {
  const head = Uint8Array.of(0x81, 0xc2, 0x5a, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
  const out = new Uint8Array(head.length + n).fill(0xff)
  out.set(head)
  return out
}

/** A port on 127.0.0.1 with nothing listening (it was free a moment ago). */
async function closedPort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as net.AddressInfo
  await new Promise(resolve => s.close(resolve))
  return port
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('e2e: hostile peers and misuse leave a node alive (issue 13)', function () {
  this.timeout(90_000)
  let cluster: Cluster
  let nodes: Joined[]
  let fabric: ConnectedFabric
  let m: UntypedModule
  let cid: string
  let status: Awaited<ReturnType<typeof createStatusClient>>
  let hostile: HostilePeer

  before(async () => {
    cluster = new Cluster()
    const [componentPath] = await Promise.all([fixtureComponent('guests/ts/kitchen.ts'), cluster.start(2)])
    nodes = cluster.joined
    fabric = await cluster.connect()
    m = await fabric.load<UntypedModule>(componentPath!)
    cid = cidOfBytesSync(fs.readFileSync(componentPath!))
    // Each node loads the component now (from the driver), so the hostile peer's requests, which
    // name it, find it there and time only what they are about.
    for (const n of nodes) assert.equal(await fabric.get(m.add!.options({ scheduling: { nodeAffinity: n.peer } }).remote(1, 2) as ObjectRef), 3)
    status = await createStatusClient()
    hostile = await createHostilePeer()
  })

  after(async () => {
    await hostile?.stop()
    await status?.stop()
    await fabric?.stop()
    await cluster?.stop()
  })

  it('calls to a killed actor fail with ActorDiedError; its node keeps heartbeating 20 s later and runs new work', async () => {
    const [target, observer] = [nodes[0]!, nodes[1]!]
    const cls = m.Counter! as unknown as RemoteActorClass<[number], unknown>
    const owned = await cls.options({ name: 'doomed', scheduling: { nodeAffinity: target.peer } }).create(1) as unknown as Counter
    assert.equal(await fabric.get(owned.incr.remote(1)), 2)
    // A second driver attached by name: its calls go to the node whatever the owner's handle knows.
    const other = await cluster.connect()
    try {
      const attached = await other.getActor<Counter>('doomed', { namespace: fabric.namespace }) as unknown as Counter
      assert.equal(await other.get(attached.incr.remote(1)), 3)
      await fabric.kill(owned)
      await assert.rejects(fabric.get(owned.incr.remote(1)), (err: Error) => err.name === 'ActorDiedError')
      // The kill reaches the node on the owner's connection: the attached calls fail once it has.
      const diedBy = Date.now() + 5000
      for (;;) {
        try {
          await other.get(attached.incr.remote(1))
        } catch (err) {
          assert.equal((err as Error).name, 'ActorDiedError', (err as Error).message)
          break
        }
        if (Date.now() > diedBy) assert.fail('the attached handle still reached the actor 5 s after the kill')
        await sleep(50)
      }
      const callDead = async (): Promise<void> => {
        await assert.rejects(other.get(attached.incr.remote(1)), (err: Error) => err.name === 'ActorDiedError')
      }
      for (let i = 0; i < 5; i++) await callDead()

      const seen = async (): Promise<{ seq: number, lastHeardMsAgo: number, state: string }> => {
        const reply = await status.status(observer.addr, { timeoutMs: 5000 })
        const entry = reply.peers.find(p => p.info.peer === target.peer)
        assert.ok(entry !== undefined, `${observer.name} no longer has ${target.name} in its view: ${JSON.stringify(reply.peers.map(p => p.info.peer))}`)
        return { seq: entry.info.seq, lastHeardMsAgo: entry.lastHeardMsAgo, state: entry.state }
      }
      const first = await seen()
      const began = Date.now()
      let polls = 0
      let maxHeardAgo = 0
      // Keep calling the dead actor while the observer watches the node's heartbeats.
      while (Date.now() - began < WATCH_MS) {
        await callDead()
        const now = await seen()
        maxHeardAgo = Math.max(maxHeardAgo, now.lastHeardMsAgo)
        polls++
        await sleep(1000)
      }
      const last = await seen()
      console.log(`    ${target.name} as ${observer.name} saw it over ${Date.now() - began} ms: seq +${last.seq - first.seq}, ${last.state}, lastHeardMsAgo at most ${maxHeardAgo} ms over ${polls} polls`)
      assert.equal(last.state, 'alive')
      assert.ok(last.lastHeardMsAgo < 2000, `last heard ${last.lastHeardMsAgo} ms ago`)
      // Heartbeats every 500 ms: ~40 in 20 s; half of them is plenty on a loaded box.
      assert.ok(last.seq - first.seq >= 20, `seq advanced by ${last.seq - first.seq} in ${WATCH_MS} ms`)
      // The node's own count of waiting work is true again (it was -1 per dead call).
      const self = (await status.status(target.addr, { timeoutMs: 5000 })).self
      assert.equal(self.queue, 0)
      assert.ok(fabric.nodes().some(n => n.peer === target.peer && n.state === 'alive'), 'the driver sees the node alive')
      // It still runs new work: a task and a new actor.
      assert.equal(await fabric.get(m.add!.options({ scheduling: { nodeAffinity: target.peer } }).remote(2, 3) as ObjectRef), 5)
      const fresh = await cls.options({ scheduling: { nodeAffinity: target.peer } }).create(10) as unknown as Counter
      assert.equal(await fabric.get(fresh.incr.remote(5)), 15)
      await fabric.kill(fresh)
    } finally {
      await other.stop()
    }
  })

  it('a 131 KiB CBOR bignum in a raw task request is refused naming the limit, without stalling the node over 50 ms', async () => {
    const target = nodes[1]!
    const session = await hostile.taskSession(target.addr)
    try {
      // The noise floor first: the same pings with nothing sent.
      const quiet = hostile.pinging(target.addr)
      await sleep(1000)
      const baseline = await quiet.stop()
      const pings = hostile.pinging(target.addr)
      await sleep(200)
      // Best of TRIALS: the decode's stall comes back every time, a scheduler hiccup does not.
      const trials: Array<{ sentAt: number, doneAt: number, result?: Frame }> = []
      for (let i = 0; i < TRIALS; i++) {
        const id = `bignum-${i}`
        const sentAt = performance.now()
        await session.send({ type: 'run', id, component: cid, name: 'add', args: bignumArgs(BIGNUM_BYTES), spilled: 2 })
        const result = (await session.resultOf(id, 10_000).catch(() => undefined))?.at(-1)
        trials.push({ sentAt, doneAt: performance.now(), ...(result === undefined ? {} : { result }) })
        await sleep(100)
        // A stall of a second is the bug whatever the noise: no need to wait for more of them.
        if (performance.now() - sentAt > 1000) break
      }
      await sleep(200)
      const trace = await pings.stop()
      const stalls = trials.map(t => trace.stallIn(t.sentAt, t.doneAt))
      console.log(`    answered in ${trials.map(t => (t.doneAt - t.sentAt).toFixed(1)).join(', ')} ms; longest ping round trip while it was handled ${stalls.map(s => s.toFixed(1)).join(', ')} ms; ${trace.maxMs.toFixed(1)} ms over all ${trace.pings.length} pings (${baseline.maxMs.toFixed(1)} ms over ${baseline.pings.length} with nothing sent)`)
      for (const [i, { result }] of trials.entries()) {
        assert.ok(result !== undefined, `no answer to bignum request ${i + 1} in 10 s; the node stopped answering pings for ${stalls[i]!.toFixed(0)} ms`)
        const error = result.error as { name: string, message: string }
        assert.equal(result.ok, false)
        assert.ok(result.id !== '', `the session was refused: ${error.name}: ${error.message}`)
        assert.equal(error.name, 'CodecError', error.message)
        assert.match(error.message, new RegExp(`bignum of ${BIGNUM_BYTES} bytes is over the 1024-byte limit`))
      }
      assert.equal(trace.failures, 0)
      assert.ok(Math.min(...stalls) < 50 + PING_SLACK_MS, `the node stopped answering pings for ${Math.min(...stalls).toFixed(1)} ms while it handled the bignum`)
      // The session and the node keep serving.
      await session.send({ type: 'run', id: 'after', component: cid, name: 'add', args: new Uint8Array([0x82, 0x01, 0x02]), spilled: 2 })
      const after = (await session.resultOf('after')).at(-1)!
      assert.equal(after.ok, true, JSON.stringify(after.error))
      assert.equal(await fabric.get(m.add!.options({ scheduling: { nodeAffinity: target.peer } }).remote(4, 5) as ObjectRef), 9)
    } finally {
      await session.close()
    }
  })

  it('a holder that is not a fabric member is never dialled: a multiaddr or a stranger PeerId fails the task without a dial error', async () => {
    const target = nodes[1]!
    const seenBy: string[] = []
    const server = net.createServer(socket => { seenBy.push(`${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`); socket.destroy() })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const session = await hostile.taskSession(target.addr)
    try {
      const { port } = server.address() as net.AddressInfo
      const stranger = peerIdFromPrivateKey(await loadOrCreateIdentity(path.join(cluster.dir, 'stranger'))).toString()
      const refused = await closedPort()
      const object = crypto.randomBytes(64)
      const cases: Record<string, string[]> = {
        multiaddrs: [`/ip4/127.0.0.1/tcp/${port}`, `/ip4/127.0.0.1/tcp/${port}/p2p/${stranger}`, `/ip4/127.0.0.1/tcp/${refused}`],
        stranger: [stranger]
      }
      for (const [id, holders] of Object.entries(cases)) {
        await session.send({ type: 'run', id, component: cid, name: 'echo', args: new Uint8Array([0x81, 0xf6]), spilled: 2, refs: [{ index: 0, cid: cidOfBytesSync(object), size: object.byteLength, holders }] })
      }
      const results = new Map<string, Frame>()
      while (results.size < Object.keys(cases).length) {
        const f = await session.next()
        if (f.type === 'result') results.set(f.id as string, f)
      }
      // Give a late dial time to show.
      await sleep(500)
      assert.deepEqual(seenBy, [], 'the node connected to the holder address it was given')
      for (const [id, holders] of Object.entries(cases)) {
        const r = results.get(id)!
        assert.equal(r.ok, false, id)
        const error = r.error as { name: string, message: string }
        assert.equal(error.name, 'ObjectLostError', `${id}: ${error.name}: ${error.message}`)
        assert.match(error.message, /is a member of this node's fabric or the peer that asked; refused without dialling any/)
        assert.ok(error.message.includes(holders[0]!), `${id}: the error names the holders`)
        assert.doesNotMatch(error.message, /ECONNREFUSED|ECONNRESET|timed? ?out|unreachable|handshake|NoValidAddresses/i, id)
      }
      // The node keeps running tasks, on this session too.
      await session.send({ type: 'run', id: 'after', component: cid, name: 'add', args: new Uint8Array([0x82, 0x01, 0x02]), spilled: 2 })
      const after = (await session.resultOf('after')).at(-1)!
      assert.equal(after.ok, true, JSON.stringify(after.error))
      assert.equal(await fabric.get(m.add!.options({ scheduling: { nodeAffinity: target.peer } }).remote(6, 7) as ObjectRef), 13)
    } finally {
      await session.close()
      await new Promise(resolve => server.close(resolve))
    }
  })
})
