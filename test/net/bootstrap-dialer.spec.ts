// The bootstrap dialer's retry timing, against a fake libp2p whose dials stall (dropped SYNs: a
// partition) or are refused at once (nothing listening), then connect.
import assert from 'node:assert/strict'
import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { BootstrapDialer } from '../../src/net/bootstrap-dialer.js'
import { waitFor } from '../helpers/wait-for.js'

const noLog = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false })

/** A libp2p with `dial` only: the first `fail` attempts stall until their signal aborts (or are refused), then connect. */
function fakeLibp2p (fail: number, how: 'stall' | 'refuse') {
  const starts: number[] = []
  let connected = false
  const peer = { toString: () => '12D3KooWFake' } as unknown as PeerId
  const libp2p = {
    getConnections: () => connected ? [{}] : [],
    dial: async (_addr: unknown, options: { signal: AbortSignal }) => {
      starts.push(Date.now())
      if (starts.length > fail) {
        connected = true
        return { remotePeer: peer }
      }
      if (how === 'refuse') throw new Error('ECONNREFUSED')
      await new Promise<void>((resolve) => { options.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
      throw new Error('dial timed out')
    }
  } as unknown as Libp2p
  return { libp2p, starts, connected: () => connected }
}

/** Run a dialer against a fake libp2p whose first 3 dials fail `how`; the ms between attempt starts. */
async function attemptGaps (how: 'stall' | 'refuse', timing: { initialMs: number, maxMs: number, dialTimeoutMs: number }): Promise<number[]> {
  const f = fakeLibp2p(3, how)
  const d = new BootstrapDialer(f.libp2p, { addrs: [multiaddr('/ip4/127.0.0.1/tcp/1')], ...timing }, noLog as never)
  d.start()
  try {
    await waitFor(f.connected, 'connected on the fourth attempt', 5000, 5)
    return f.starts.slice(1).map((t, i) => t - f.starts[i]!)
  } finally {
    await d.stop()
  }
}

describe('net/bootstrap dialer', function () {
  this.timeout(10_000)

  it('a dial that stalled until its timeout is tried again without the backoff on top (a healed cut is redialled within ~the timeout)', async () => {
    const gaps = await attemptGaps('stall', { initialMs: 300, maxMs: 300, dialTimeoutMs: 400 })
    // Each stalled attempt took its 400 ms; the 225-375 ms backoff is spent within it, not after
    // (before: 400 + 225..375 ms between attempts; 200 ms of slack for a loaded machine).
    assert.equal(gaps.length, 3)
    for (const g of gaps) assert.ok(g >= 380 && g < 600, `attempts ${gaps.join(', ')} ms apart`)
  })

  it('a dial refused at once still backs off (jittered, doubling to maxMs)', async () => {
    const gaps = await attemptGaps('refuse', { initialMs: 100, maxMs: 400, dialTimeoutMs: 1000 })
    // 100, 200, 400 ms, each x 0.75-1.25.
    assert.equal(gaps.length, 3)
    ;[100, 200, 400].forEach((d, i) => { assert.ok(gaps[i]! >= d * 0.75 - 5 && gaps[i]! < d * 1.25 + 250, `attempts ${gaps.join(', ')} ms apart`) })
  })
})
