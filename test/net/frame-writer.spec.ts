// FrameWriter against a recording stream: the frames of one turn go out in one send, in order;
// large frames alone; backpressure holds later frames; a failed send is reported once.
import assert from 'node:assert/strict'
import type { Stream } from '@libp2p/interface'
import { FrameWriter } from '../../src/net/frames.js'

/** A stream that records what it was sent; `full` makes send ask for a drain. */
function fakeStream (): { stream: Stream, sends: Uint8Array[], full: boolean, drain: () => void, fail: (e: Error) => void, throwOnSend?: Error } {
  let drained: { resolve: () => void, reject: (e: Error) => void } | undefined
  const s = {
    sends: [] as Uint8Array[],
    full: false,
    throwOnSend: undefined as Error | undefined,
    drain: () => { s.full = false; const d = drained; drained = undefined; d?.resolve() },
    fail: (e: Error) => { const d = drained; drained = undefined; d?.reject(e) },
    stream: {
      send: (data: Uint8Array) => {
        if (s.throwOnSend !== undefined) throw s.throwOnSend
        s.sends.push(data.slice())
        return !s.full
      },
      onDrain: async () => { await new Promise<void>((resolve, reject) => { drained = { resolve, reject } }) }
    } as unknown as Stream
  }
  return s
}

/** Split length-prefixed bytes into frames. */
function frames (chunks: Uint8Array[]): number[][] {
  const all = Buffer.concat(chunks)
  const out: number[][] = []
  for (let at = 0; at < all.length;) {
    let len = 0
    let scale = 1
    for (;;) {
      const b = all[at++]!
      len += (b & 0x7f) * scale
      scale *= 128
      if ((b & 0x80) === 0) break
    }
    out.push([...all.subarray(at, at + len)])
    at += len
  }
  return out
}

const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

describe('net/frames FrameWriter', () => {
  it('writes the frames of one turn in one send, in order, each length-prefixed', async () => {
    const f = fakeStream()
    const w = new FrameWriter(f.stream)
    for (let i = 0; i < 100; i++) w.write(new Uint8Array([i, i + 1]))
    w.write(new Uint8Array(200).fill(7))
    assert.equal(f.sends.length, 0)
    await w.flushed()
    assert.equal(f.sends.length, 1)
    const got = frames(f.sends)
    assert.equal(got.length, 101)
    assert.deepEqual(got[5], [5, 6])
    assert.equal(got[100]!.length, 200)
  })

  it('sends a large frame without copying it into a batch, and caps a batch near 1 MiB', async () => {
    const f = fakeStream()
    const w = new FrameWriter(f.stream)
    const big = new Uint8Array(300_000).fill(1)
    w.write(big)
    await w.flushed()
    assert.equal(f.sends.length, 2)
    assert.equal(f.sends[1]!.byteLength, 300_000)
    f.sends.length = 0
    for (let i = 0; i < 10; i++) w.write(new Uint8Array(200_000).fill(i))
    await w.flushed()
    assert.ok(f.sends.length > 1)
    for (const s of f.sends) assert.ok(s.byteLength <= 1024 * 1024 + 16)
    assert.deepEqual(frames(f.sends).map(x => x[0]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('holds later frames while the stream needs draining, then sends them in order', async () => {
    const f = fakeStream()
    const w = new FrameWriter(f.stream)
    f.full = true
    w.write(new Uint8Array([1]))
    await turn()
    assert.equal(f.sends.length, 1)
    w.write(new Uint8Array([2]))
    w.write(new Uint8Array([3]))
    let flushed = false
    void w.flushed().then(() => { flushed = true })
    await turn()
    await turn()
    assert.equal(f.sends.length, 1)
    assert.equal(flushed, false)
    f.drain()
    await w.flushed()
    assert.equal(flushed, true)
    assert.deepEqual(frames(f.sends), [[1], [2], [3]])
  })

  it('reports a failed send once and drops later frames', async () => {
    const f = fakeStream()
    const errors: Error[] = []
    const w = new FrameWriter(f.stream, e => errors.push(e))
    f.throwOnSend = new Error('stream reset')
    w.write(new Uint8Array([1]))
    await w.flushed()
    w.write(new Uint8Array([2]))
    await turn()
    await w.flushed()
    assert.deepEqual(errors.map(e => e.message), ['stream reset'])
  })

  it('reports a stream that closes while it waits for a drain', async () => {
    const f = fakeStream()
    const errors: Error[] = []
    const w = new FrameWriter(f.stream, e => errors.push(e))
    f.full = true
    w.write(new Uint8Array([1]))
    await turn()
    w.write(new Uint8Array([2]))
    const done = w.flushed()
    f.fail(new Error('closed'))
    await done
    assert.deepEqual(errors.map(e => e.message), ['closed'])
  })
})
