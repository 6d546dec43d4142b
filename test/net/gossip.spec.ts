import assert from 'node:assert/strict'
import { heartbeatInterval } from '../../src/net/gossip.js'
import { GOSSIP_FULL_RATE_NODES, GOSSIP_LARGE_FABRIC_NODES, MAX_HEARTBEAT_MS } from '../../src/net/constants.js'

describe('net/gossip heartbeat interval', () => {
  it('stays at the configured interval up to GOSSIP_FULL_RATE_NODES nodes, then grows with the fabric', () => {
    assert.equal(GOSSIP_FULL_RATE_NODES, 8)
    for (const n of [1, 2, 4, 8]) assert.equal(heartbeatInterval(1000, n), 1000)
    assert.equal(heartbeatInterval(1000, 16), 2000)
    assert.equal(heartbeatInterval(1000, 32), 4000)
    assert.equal(heartbeatInterval(1000, 64), 8000)
    // Past GOSSIP_LARGE_FABRIC_NODES (64) twice as fast, from where it was: (N - 32) / 4 intervals.
    assert.equal(GOSSIP_LARGE_FABRIC_NODES, 64)
    assert.equal(heartbeatInterval(1000, 65), 8250)
    assert.equal(heartbeatInterval(1000, 100), 17_000)
    assert.equal(heartbeatInterval(1000, 250), 54_500)
    // A short configured interval scales the same way (a test fabric of 100 ms beats stays fast while small).
    assert.equal(heartbeatInterval(100, 4), 100)
    assert.equal(heartbeatInterval(100, 64), 800)
  })

  it('so the heartbeats each node hears per second stop growing with the fabric', () => {
    const heardPerSecond = (n: number): number => (n - 1) * 1000 / heartbeatInterval(1000, n)
    assert.equal(heardPerSecond(8), 7)
    for (const n of [16, 32, 64, 250, 480]) assert.ok(heardPerSecond(n) <= GOSSIP_FULL_RATE_NODES, `${n} nodes: ${heardPerSecond(n)}/s`)
    // And fall towards half that in a large fabric (4.6 a second at 250, then the 60 s cap).
    for (const [n, most] of [[100, 5.9], [250, 4.6], [240, 4.6]] as const) assert.ok(heardPerSecond(n) <= most, `${n} nodes: ${heardPerSecond(n)}/s`)
  })

  it('is bounded by MAX_HEARTBEAT_MS, unless configured longer', () => {
    assert.equal(heartbeatInterval(1000, 100_000), MAX_HEARTBEAT_MS)
    assert.equal(heartbeatInterval(MAX_HEARTBEAT_MS, 3), MAX_HEARTBEAT_MS)
  })
})
