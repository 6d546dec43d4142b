import assert from 'node:assert/strict'
import path from 'node:path'
import { LivenessView, NetConfigError, createNetNode } from '../../src/net/index.js'
import type { NodeInfo } from '../../src/net/index.js'
import { LivenessProbe } from '../../src/net/liveness.js'
import { nodeResources, rmDir, tmpDir } from './helpers.js'

function info (peer: string, seq: number): NodeInfo {
  return { peer, seq, ts: 0, addrs: [], ...nodeResources(2) }
}

interface FakeConnection { n: number, reply: boolean, bytes: number | undefined, pings: number, closed: boolean }

interface Ping { peer: string, at: number, signal: AbortSignal, resolve: () => void, reject: (err: Error) => void }

/**
 * A probe and a view on one fake clock; pings are recorded and answered (or not) by the test.
 * `step(ms)` moves the clock in probe ticks (100 ms), running the view's check and the probe's tick.
 */
function harness (init: { probeMs?: number, probeTimeoutMs?: number, autoReply?: boolean } = {}) {
  let now = 1_000_000
  const view = new LivenessView({ suspectAfterMs: 3000, deadAfterMs: 10_000, now: () => now })
  const events: string[] = []
  for (const e of ['join', 'suspect', 'alive', 'dead'] as const) view.on(e, (entry) => { events.push(`${e}:${entry.info.peer}@${now}`) })
  const pings: Ping[] = []
  const connected = new Set<string>()
  const autoReply = new Set<string>()
  // Fake connections per peer for the check of a peer heard again: pings over each answered or
  // not (`reply`), bytes read (`bytes`, undefined: cannot be told), and what was closed.
  const connections = new Map<string, FakeConnection[]>()
  const closed: string[] = []
  const probe = new LivenessProbe({
    view,
    now: () => now,
    connectedPeers: () => connected,
    connections: (peer) => (connections.get(peer) ?? []).filter(c => !c.closed).map(c => ({
      bytesIn: () => c.bytes,
      open: () => !c.closed,
      ping: async () => { c.pings++; if (!c.reply) await new Promise(() => {}) },
      close: (reason) => { c.closed = true; closed.push(`${peer}#${c.n}@${now}: ${reason}`) }
    })),
    ping: async (peer, signal) => await new Promise<void>((resolve, reject) => {
      pings.push({ peer, at: now, signal, resolve, reject })
      if (autoReply.has(peer)) resolve()
    })
  }, { probeMs: init.probeMs ?? 1250, probeTimeoutMs: init.probeTimeoutMs ?? 750, tickMs: 100 })
  // As the net node wires it: a suspected peer heard again has its connection checked.
  view.on('suspect', (entry) => { probe.suspected(entry.info.peer) })
  view.on('alive', (entry) => { probe.heardAgain(entry.info.peer) })
  const seqs = new Map<string, number>()
  const heartbeat = (peer: string): void => {
    const seq = (seqs.get(peer) ?? 0) + 1
    seqs.set(peer, seq)
    view.heard(info(peer, seq))
  }
  /** Advance `ms` in 100 ms ticks; `each` runs before every tick (heartbeats, replies). */
  const step = async (ms: number, each?: (t: number) => void): Promise<void> => {
    for (let t = 0; t < ms; t += 100) {
      now += 100
      each?.(now)
      view.check()
      probe.tick()
      // Let ping replies settle (the probe records them in a promise callback).
      await new Promise(resolve => setImmediate(resolve))
    }
  }
  const connection = (peer: string, o: { reply?: boolean } = {}): FakeConnection => {
    const list = connections.get(peer) ?? []
    connections.set(peer, list)
    const c: FakeConnection = { n: list.length + 1, reply: o.reply ?? false, bytes: 0, pings: 0, closed: false }
    list.push(c)
    return c
  }
  return { view, probe, events, pings, connected, autoReply, connections, connection, closed, heartbeat, step, clock: () => now, jump: (ms: number) => { now += ms } }
}

describe('net/liveness probe', () => {
  it('a healthy peer whose heartbeats arrive on time is never pinged', async () => {
    const h = harness()
    h.connected.add('A')
    h.heartbeat('A')
    let t = 0
    await h.step(30_000, () => { if ((t += 100) % 1000 === 0) h.heartbeat('A') })
    assert.equal(h.pings.length, 0)
    assert.deepEqual(h.events.map(e => e.split('@')[0]), ['join:A'])
  })

  it('a hung peer (no heartbeat, no ping reply) is suspected probeMs + probeTimeoutMs after its last heartbeat, with one ping', async () => {
    const h = harness()
    h.connected.add('A')
    h.heartbeat('A')
    const last = h.clock()
    await h.step(1200)
    assert.equal(h.pings.length, 0)
    await h.step(100)
    assert.equal(h.pings.length, 1, 'pinged once the peer was silent for probeMs')
    // (Times are whole 100 ms ticks: the first tick at or past each threshold.)
    assert.equal(h.pings[0]!.at - last, 1300)
    await h.step(700)
    assert.equal(h.view.get('A')?.state, 'alive')
    await h.step(100)
    const entry = h.view.get('A')
    assert.equal(entry?.state, 'suspected')
    assert.match(entry?.suspectReason ?? '', /no ping reply in 800 ms, no heartbeat for 2100 ms/)
    assert.equal(h.clock() - last, 2100)
    // Suspected peers are not pinged again; the view's timeouts take over (dead after 10 s of silence).
    await h.step(5000)
    assert.equal(h.pings.length, 1)
    assert.equal(h.probe.stats().suspected, 1)
    // Its next heartbeat makes it alive again.
    h.heartbeat('A')
    assert.equal(h.view.get('A')?.state, 'alive')
    assert.deepEqual(h.events.map(e => e.split('@')[0]), ['join:A', 'suspect:A', 'alive:A'])
  })

  it('a peer suspected for 3 s or more, heard again (a cut, healed): its connection that carries nothing, not even the check\'s ping reply, is closed; a fresh one beside it stays', async () => {
    const h = harness()
    h.connected.add('A')
    const stale = h.connection('A')
    h.heartbeat('A')
    await h.step(2100)
    assert.equal(h.view.get('A')?.state, 'suspected')
    await h.step(3000)
    // The peer dialled this node again meanwhile: a second connection, which works.
    const fresh = h.connection('A', { reply: true })
    let t = 0
    const beat = (): void => { if ((t += 100) % 1000 === 0) h.heartbeat('A') }
    h.heartbeat('A')
    const heard = h.clock()
    assert.equal(h.view.get('A')?.state, 'alive')
    assert.equal(stale.pings, 1, 'the check pings over each connection')
    assert.equal(fresh.pings, 1)
    await h.step(1900, beat)
    assert.deepEqual(h.closed, [])
    await h.step(100, beat)
    assert.equal(h.closed.length, 1, h.closed.join('\n'))
    assert.equal(h.closed[0], `A#1@${heard + 2000}: heard again after a suspicion, but its connection carried nothing in 2000 ms, not even a ping reply`)
    assert.equal(h.probe.stats().stale, 1)
    // Closed once; the peer stays alive (its heartbeats go on).
    await h.step(5000, beat)
    assert.equal(h.closed.length, 1)
    assert.equal(h.view.get('A')?.state, 'alive')
  })

  it('a peer heard again keeps a connection that answers the check or reads any byte; a brief suspicion, or no connection, is not checked', async () => {
    const h = harness()
    h.connected.add('A')
    const conn = h.connection('A', { reply: true })
    h.heartbeat('A')
    let t = 0
    const beat = (): void => { if ((t += 100) % 1000 === 0) h.heartbeat('A') }
    const suspectFor = async (ms: number): Promise<void> => {
      h.view.suspect('A', 'test')
      await h.step(ms)
      h.heartbeat('A')
    }
    // Answers the check's ping.
    await suspectFor(3000)
    await h.step(3000, beat)
    assert.equal(conn.pings, 1)
    // Does not answer it, but other bytes come in on it (a host too busy to answer in time).
    conn.reply = false
    await suspectFor(3000)
    await h.step(1000, beat)
    conn.bytes = (conn.bytes ?? 0) + 100
    await h.step(2000, beat)
    assert.equal(conn.pings, 2)
    // Suspected for a moment only (a late heartbeat): not checked at all.
    await suspectFor(1000)
    await h.step(3000, beat)
    assert.equal(conn.pings, 2)
    // A connection whose bytes cannot be told is never closed.
    conn.bytes = undefined
    await suspectFor(3000)
    await h.step(3000, beat)
    assert.equal(conn.pings, 3)
    assert.deepEqual(h.closed, [])
    assert.equal(h.probe.stats().stale, 0)
    // A connection that closed during the check (its peer hung up) is not judged.
    conn.bytes = 0
    await suspectFor(3000)
    conn.closed = true
    await h.step(3000, beat)
    assert.equal(conn.pings, 4)
    assert.deepEqual(h.closed, [])
    assert.equal(h.probe.stats().stale, 0)
    // No connection left: nothing to check.
    h.connections.delete('A')
    await suspectFor(3000)
    await h.step(3000, beat)
    assert.equal(conn.pings, 4)
    assert.deepEqual(h.closed, [])
  })

  it('a peer announcing a long heartbeat interval (a large fabric) is pinged only once that interval is late', async () => {
    const h = harness()
    h.connected.add('A')
    h.view.heard({ ...info('A', 1), heartbeatMs: 4000 })
    await h.step(4200)
    assert.equal(h.pings.length, 0)
    await h.step(100)
    assert.deepEqual(h.pings.map(p => p.peer), ['A'])
  })

  it('a large view is looked at every ceil(peers / 16) ticks; a hung peer in it is still pinged and suspected', async () => {
    const h = harness()
    // 40 peers beating every second (the view's size sets the step: every 3 ticks).
    const others = Array.from({ length: 39 }, (_, i) => `P${i}`)
    for (const p of others) h.heartbeat(p)
    h.connected.add('A')
    h.heartbeat('A')
    const last = h.clock()
    let scans = 0
    const peers = h.view.peers.bind(h.view)
    h.view.peers = () => { scans++; return peers() }
    let t = 0
    await h.step(3000, () => { if ((t += 100) % 1000 === 0) for (const p of others) h.heartbeat(p) })
    assert.equal(scans, 10, '30 ticks, one scan in 3')
    assert.equal(h.pings.length, 1)
    const at = h.pings[0]!.at - last
    assert.ok(at >= 1300 && at <= 1500, `pinged ${at} ms after its last heartbeat`)
    const suspected = h.events.find(e => e.startsWith('suspect:A@'))
    assert.ok(suspected !== undefined, h.events.join(' '))
    const after = Number(suspected.split('@')[1]) - last
    assert.ok(after >= 1300 + 750 && after <= 1500 + 750 + 300, `suspected ${after} ms after its last heartbeat`)
    assert.ok(others.every(p => h.view.get(p)?.state === 'alive'))
  })

  it('a peer whose heartbeats run late but which answers the ping stays alive', async () => {
    const h = harness()
    h.connected.add('A')
    h.autoReply.add('A')
    h.heartbeat('A')
    let t = 0
    // A heartbeat every 3 s only (late gossip); pings are answered at once.
    await h.step(12_000, () => { if ((t += 100) % 3000 === 0) h.heartbeat('A') })
    assert.deepEqual(h.events.map(e => e.split('@')[0]), ['join:A'])
    assert.ok(h.pings.length >= 4, `pings: ${h.pings.length}`)
    // A reply counts as hearing from the peer: the next ping waits another probeMs.
    for (let i = 1; i < h.pings.length; i++) assert.ok(h.pings[i]!.at - h.pings[i - 1]!.at >= 1250)
  })

  it('a heartbeat during an unanswered ping clears it; a ping stuck in flight is not duplicated', async () => {
    const h = harness()
    h.connected.add('A')
    h.heartbeat('A')
    await h.step(1300)
    assert.equal(h.pings.length, 1)
    // The heartbeat arrives while the ping waits (say behind bulk data): no suspicion.
    await h.step(500)
    h.heartbeat('A')
    const last = h.clock()
    await h.step(1000)
    assert.equal(h.view.get('A')?.state, 'alive')
    // Then the peer goes silent: the ping still in flight counts as sent when the silence reached probeMs.
    await h.step(1100)
    assert.equal(h.view.get('A')?.state, 'suspected')
    assert.equal(h.pings.length, 1)
    const suspectedAt = Number(h.events.find(e => e.startsWith('suspect:'))!.split('@')[1])
    assert.equal(suspectedAt - last, 2100)
  })

  it('a ping that fails outright is retried while the timeout runs; an unconnected peer is left to the view', async () => {
    const h = harness()
    h.connected.add('A')
    h.heartbeat('A')
    h.heartbeat('B')
    await h.step(1300)
    assert.equal(h.pings.length, 1)
    h.pings[0]!.reject(new Error('stream reset'))
    await h.step(200)
    assert.equal(h.pings.length, 2)
    h.pings[1]!.resolve()
    await h.step(500)
    assert.equal(h.view.get('A')?.state, 'alive')
    assert.equal(h.probe.stats().failures, 1)
    assert.equal(h.probe.stats().replies, 1)
    await h.step(1000)
    // B has no connection: never pinged, suspected by the view's heartbeat timeout (3 s).
    assert.ok(h.pings.every(p => p.peer === 'A'))
    assert.match(h.view.get('B')?.suspectReason ?? '', /no heartbeat for 3000 ms/)
  })

  it('a stall of this process is not blamed on the peers: that tick is skipped, but never two in a row', async () => {
    const h = harness()
    h.connected.add('A')
    h.heartbeat('A')
    await h.step(1300)
    assert.equal(h.pings.length, 1)
    // The clock jumps 5 s between two ticks (this process was blocked): that tick judges nobody;
    // the reply and heartbeat that arrived meanwhile are read after it.
    h.jump(5000)
    h.probe.tick()
    assert.equal(h.probe.stats().stalls, 1)
    h.pings[0]!.resolve()
    h.heartbeat('A')
    await h.step(300)
    assert.equal(h.view.get('A')?.state, 'alive')
    assert.equal(h.probe.stats().suspected, 0)
    // Silent again, pinged, and then stalled on two ticks in a row: the second one judges (a
    // process that stalls all the time still notices hung peers).
    await h.step(1300)
    assert.equal(h.pings.length, 2)
    h.jump(5000)
    h.probe.tick()
    h.jump(5000)
    h.probe.tick()
    assert.equal(h.probe.stats().stalls, 2)
    assert.equal(h.probe.stats().suspected, 1)
    assert.deepEqual(h.events.map(e => e.split('@')[0]), ['join:A', 'suspect:A'])
  })

  it('refuses nonsensical settings; start/stop are idempotent and abort pings in flight', async () => {
    const view = new LivenessView()
    assert.throws(() => new LivenessProbe({ view, ping: async () => {}, connectedPeers: () => [] }, { probeMs: 0, probeTimeoutMs: 750 }), RangeError)
    assert.throws(() => new LivenessProbe({ view, ping: async () => {}, connectedPeers: () => [] }, { probeMs: 1000, probeTimeoutMs: -1 }), RangeError)
    let now = 0
    const signals: AbortSignal[] = []
    const probe = new LivenessProbe({
      view,
      now: () => now,
      connectedPeers: () => ['A'],
      ping: async (_peer, signal) => { signals.push(signal); await new Promise(() => {}) }
    }, { probeMs: 1000, probeTimeoutMs: 750 })
    view.heard(info('A', 1))
    probe.start()
    probe.start()
    now = Date.now() + 2000
    probe.tick()
    assert.equal(signals.length, 1)
    assert.equal(signals[0]!.aborted, false)
    probe.stop()
    probe.stop()
    assert.equal(signals[0]!.aborted, true)
  })
})

describe('net/net-node liveness options', () => {
  it('refuses a negative --probe-ms or a zero probe timeout; probeMs 0 turns the probe off', async () => {
    const dir = tmpDir()
    try {
      const base = { dataDir: path.join(dir, 'n'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(1), start: false }
      await assert.rejects(createNetNode({ ...base, probeMs: -1 }), (err: Error) => err instanceof NetConfigError && /probeMs/.test(err.message))
      await assert.rejects(createNetNode({ ...base, probeTimeoutMs: 0 }), (err: Error) => err instanceof NetConfigError && /probeTimeoutMs/.test(err.message))
      const off = await createNetNode({ ...base, probeMs: 0 })
      assert.equal((off as unknown as { probe?: unknown }).probe, undefined)
      const on = await createNetNode({ ...base, heartbeatMs: 500 })
      const probe = (on as unknown as { probe?: { probeMs: number, probeTimeoutMs: number } }).probe
      assert.deepEqual([probe?.probeMs, probe?.probeTimeoutMs], [750, 750], 'default: heartbeat + 250, and 750')
    } finally {
      rmDir(dir)
    }
  })
})

describe('net/fabric-view stall guard', () => {
  it('a timer tick long after the previous one (this process stalled) judges nobody', async () => {
    let now = 1_000_000
    const view = new LivenessView({ suspectAfterMs: 3000, deadAfterMs: 10_000, checkIntervalMs: 10, now: () => now })
    view.heard(info('A', 1))
    view.start()
    await new Promise(resolve => setTimeout(resolve, 30))
    // 12 s pass "inside" one synchronous step; A's heartbeat was waiting in the socket and is read
    // right after the timers (here: the first setImmediate after the skipped tick).
    now += 12_000
    while (view.stalledChecks === 0) await new Promise(resolve => setImmediate(resolve))
    assert.equal(view.get('A')?.state, 'alive')
    view.heard(info('A', 2))
    await new Promise(resolve => setTimeout(resolve, 30))
    assert.equal(view.get('A')?.state, 'alive')
    // A real silence is still judged.
    now += 3000
    await new Promise(resolve => setTimeout(resolve, 5))
    now += 400
    await new Promise(resolve => setTimeout(resolve, 30))
    view.stop()
    assert.equal(view.get('A')?.state, 'suspected')
  })
})
