import assert from 'node:assert/strict'
import { LivenessView } from '../../src/net/index.js'
import type { NodeInfo, PeerEntry } from '../../src/net/index.js'
import { nodeResources } from './helpers.js'

function info (peer: string, seq: number, cpus = 2): NodeInfo {
  return { peer, seq, ts: 0, addrs: [], ...nodeResources(cpus) }
}

/** A view on a fake clock, recording its events as `event:peer`. */
function fakeView (init: { suspectAfterMs?: number, deadAfterMs?: number } = {}): { view: LivenessView, events: string[], advance: (ms: number) => void } {
  let now = 1_000_000
  const view = new LivenessView({ suspectAfterMs: 3000, deadAfterMs: 10000, ...init, now: () => now })
  const events: string[] = []
  for (const e of ['join', 'suspect', 'alive', 'dead', 'leave'] as const) {
    view.on(e, (entry: PeerEntry) => { events.push(`${e}:${entry.info.peer}`) })
  }
  return { view, events, advance: (ms) => { now += ms; view.check() } }
}

describe('net/fabric-view', () => {
  it('a peer heard from joins alive', () => {
    const { view, events } = fakeView()
    assert.equal(view.heard(info('A', 1)), true)
    assert.deepEqual(events, ['join:A'])
    assert.equal(view.get('A')?.state, 'alive')
    assert.deepEqual(view.peers().map(p => p.info.peer), ['A'])
  })

  it('missing heartbeats: suspected after suspectAfterMs, dead and removed after deadAfterMs', () => {
    const { view, events, advance } = fakeView()
    view.heard(info('A', 1))
    advance(2999)
    assert.equal(view.get('A')?.state, 'alive')
    advance(1)
    assert.equal(view.get('A')?.state, 'suspected')
    assert.match(view.get('A')?.suspectReason ?? '', /no heartbeat for 3000 ms/)
    advance(6999)
    assert.equal(view.get('A')?.state, 'suspected')
    advance(1)
    assert.equal(view.get('A'), undefined)
    assert.deepEqual(view.peers(), [])
    assert.deepEqual(events, ['join:A', 'suspect:A', 'dead:A'])
  })

  it('a peer announcing a longer heartbeat interval (a large fabric) gets timeouts scaled to it; a short one keeps the configured ones', () => {
    const { view, events, advance } = fakeView()
    view.heard({ ...info('A', 1), heartbeatMs: 4000 })
    view.heard({ ...info('B', 1), heartbeatMs: 500 })
    advance(3000)
    assert.deepEqual(events, ['join:A', 'join:B', 'suspect:B'])
    advance(8999) // A: 3 intervals are 12 s
    assert.equal(view.get('A')?.state, 'alive')
    advance(1)
    assert.equal(view.get('A')?.state, 'suspected')
    assert.match(view.get('A')?.suspectReason ?? '', /no heartbeat for 12000 ms/)
    assert.equal(view.get('B'), undefined) // dead after the configured 10 s
    advance(7999) // A: 5 intervals are 20 s
    assert.ok(view.get('A'))
    advance(1)
    assert.equal(view.get('A'), undefined)
    assert.deepEqual(events, ['join:A', 'join:B', 'suspect:B', 'dead:B', 'suspect:A', 'dead:A'])
    assert.equal(view.size, 0)
  })

  it('heartbeats keep a peer alive and bring a suspected one back', () => {
    const { view, events, advance } = fakeView()
    view.heard(info('A', 1))
    for (let seq = 2; seq < 20; seq++) { advance(1000); view.heard(info('A', seq)) }
    assert.equal(view.get('A')?.state, 'alive')
    view.suspect('A', 'connection closed')
    assert.equal(view.get('A')?.state, 'suspected')
    assert.equal(view.get('A')?.suspectReason, 'connection closed')
    view.heard(info('A', 20))
    assert.equal(view.get('A')?.state, 'alive')
    assert.equal(view.get('A')?.suspectReason, undefined)
    assert.deepEqual(events, ['join:A', 'suspect:A', 'alive:A'])
  })

  it('a connection close suspects at once; the dead timeout still counts from the last heartbeat', () => {
    const { view, events, advance } = fakeView()
    view.heard(info('A', 1))
    advance(500)
    view.suspect('A', 'connection closed')
    view.suspect('A', 'connection closed')
    assert.deepEqual(events, ['join:A', 'suspect:A'])
    advance(9499)
    assert.ok(view.get('A'))
    advance(1)
    assert.equal(view.get('A'), undefined)
    assert.deepEqual(events, ['join:A', 'suspect:A', 'dead:A'])
  })

  it('ignores stale heartbeats (older seq), and suspicion of unknown peers', () => {
    const { view, events } = fakeView()
    view.heard(info('A', 10, 2))
    assert.equal(view.heard(info('A', 9, 8)), false)
    assert.equal(view.heard(info('A', 10, 8)), false)
    assert.equal(view.get('A')?.info.resources.total.cpus, 2)
    assert.equal(view.heard(info('A', 11, 8)), true)
    assert.equal(view.get('A')?.info.resources.total.cpus, 8)
    view.suspect('nobody', 'connection closed')
    assert.deepEqual(events, ['join:A'])
  })

  it('a leave removes the peer; older heartbeats delivered late do not bring it back, a restart does', () => {
    const { view, events } = fakeView()
    view.heard(info('A', 100))
    view.left('A', 101)
    assert.equal(view.get('A'), undefined)
    assert.equal(view.heard(info('A', 101)), false)
    assert.equal(view.get('A'), undefined)
    // A restarted node's seq starts at its (later) boot time.
    assert.equal(view.heard(info('A', 5000)), true)
    assert.equal(view.get('A')?.state, 'alive')
    assert.deepEqual(events, ['join:A', 'leave:A', 'join:A'])
  })

  it('a dead peer that comes back is a join', () => {
    const { view, events, advance } = fakeView({ suspectAfterMs: 100, deadAfterMs: 200 })
    view.heard(info('A', 1))
    advance(200)
    assert.equal(view.heard(info('A', 1)), false)
    assert.equal(view.heard(info('A', 2)), true)
    assert.deepEqual(events, ['join:A', 'suspect:A', 'dead:A', 'join:A'])
  })

  it('tracks peers independently', () => {
    const { view, advance } = fakeView()
    view.heard(info('A', 1))
    advance(2000)
    view.heard(info('B', 1))
    advance(1500)
    assert.equal(view.get('A')?.state, 'suspected')
    assert.equal(view.get('B')?.state, 'alive')
    advance(7000)
    assert.equal(view.get('A'), undefined)
    assert.equal(view.get('B')?.state, 'suspected')
  })

  it('a throwing listener does not stop other listeners', () => {
    const view = new LivenessView()
    const seen: string[] = []
    view.on('join', () => { throw new Error('boom') })
    view.on('join', (e) => { seen.push(e.info.peer) })
    view.heard(info('A', 1))
    assert.deepEqual(seen, ['A'])
  })

  it('refuses inconsistent timeouts; start/stop are idempotent and leave no timer', () => {
    assert.throws(() => new LivenessView({ suspectAfterMs: 5000, deadAfterMs: 5000 }), RangeError)
    const view = new LivenessView()
    view.start()
    view.start()
    view.stop()
    view.stop()
    assert.equal((view as unknown as { timer: unknown }).timer, undefined)
  })
})
