// The yamux window-update patch (src/net/yamux-window.ts): an established stream sends a window
// update only once half its receive window is used; new streams and big reads are as before.
import assert from 'node:assert/strict'
import { StreamState, YamuxStream } from '@libp2p/yamux/stream'
import '../../src/net/yamux-window.js'

interface Fake { state: StreamState, recvWindow: number, recvWindowCapacity: number, maxStreamWindowSize: number, epochStart: number, frames: Array<{ length: number, flag: number }>, getRTT: () => number, getSendFlags: () => number, sendFrame: (f: { length: number, flag: number }) => void }

function fake (state: StreamState, used: number): Fake {
  const f: Fake = {
    state,
    recvWindow: 256 * 1024,
    recvWindowCapacity: 256 * 1024 - used,
    maxStreamWindowSize: 16 * 1024 * 1024,
    epochStart: Date.now(),
    frames: [],
    getRTT: () => -1,
    getSendFlags: () => (YamuxStream.prototype as unknown as { getSendFlags: () => number }).getSendFlags.call(f),
    sendFrame: (frame) => { f.frames.push({ length: frame.length, flag: frame.flag }) }
  }
  return f
}

const update = (f: Fake): void => { (YamuxStream.prototype as unknown as { sendWindowUpdate: () => void }).sendWindowUpdate.call(f) }

describe('net/yamux-window', () => {
  it('an established stream that used less than half its window sends no update', () => {
    for (const used of [1, 200, 128 * 1024 - 1]) {
      const f = fake(StreamState.Established, used)
      update(f)
      assert.deepEqual(f.frames, [], `${used} bytes used`)
      assert.equal(f.recvWindowCapacity, 256 * 1024 - used)
    }
  })

  it('half a window used or more: one update for all of it', () => {
    const f = fake(StreamState.Established, 128 * 1024)
    update(f)
    assert.deepEqual(f.frames.map(x => x.length), [128 * 1024])
    assert.equal(f.recvWindowCapacity, 256 * 1024)
  })

  it('a new stream still sends its SYN (and an accepted one its ACK) at once', () => {
    const opening = fake(StreamState.Init, 0)
    update(opening)
    assert.equal(opening.frames.length, 1)
    assert.equal(opening.state, StreamState.SYNSent)
    const accepted = fake(StreamState.SYNReceived, 10)
    update(accepted)
    assert.equal(accepted.frames.length, 1)
    assert.equal(accepted.state, StreamState.Established)
  })
})
