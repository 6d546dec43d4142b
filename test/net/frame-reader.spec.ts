// The frame reader against a stream held in memory: frames however the bytes are cut, several in
// one message, the limits (from the prefix alone), EOF between and within frames, a reset and an
// aborted wait, a flood past the buffer limit; and its frames read by libp2p's own lpStream.
import assert from 'node:assert/strict'
import { Uint8ArrayList } from 'uint8arraylist'
import { StreamCloseEvent, StreamMessageEvent, type Stream } from '@libp2p/interface'
import { FrameReader, varintBytes } from '../../src/net/frame-reader.js'

/** What the reader uses of a libp2p stream: its events, remoteWriteStatus and send. */
class FakeStream extends EventTarget {
  remoteWriteStatus = 'writable'
  readBufferLength = 0
  sent: Uint8Array[] = []
  aborted: Error | undefined
  push (bytes: Uint8Array | Uint8ArrayList): void { this.dispatchEvent(new StreamMessageEvent(bytes)) }
  endRemote (): void { this.remoteWriteStatus = 'closed'; this.dispatchEvent(new Event('remoteCloseWrite')) }
  reset (err: Error): void { this.remoteWriteStatus = 'closed'; this.dispatchEvent(new StreamCloseEvent(false, err)) }
  send (data: Uint8Array | Uint8ArrayList): boolean { this.sent.push(data.subarray()); return true }
  async onDrain (): Promise<void> {}
  abort (err: Error): void { this.aborted = err }
}

function framed (...frames: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(frames.flatMap(f => [varintBytes(f.byteLength), f])))
}

/** A plain Uint8Array copy (a frame may be a view of a Buffer). */
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b)

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

function reader (max = 1000, buffer = max + 100): { s: FakeStream, r: FrameReader } {
  const s = new FakeStream()
  return { s, r: new FrameReader(s as unknown as Stream, max, buffer) }
}

describe('net/frame-reader', () => {
  it('reads frames however the bytes are cut: a byte at a time, all at once, several per message', async () => {
    const frames = [bytes(0, 0), bytes(1, 1), bytes(127, 2), bytes(128, 3), bytes(300, 4)]
    const wire = framed(...frames)
    for (const cut of [1, 2, 3, 7, 129, wire.length]) {
      const { s, r } = reader()
      const got: Uint8Array[] = []
      const reading = (async () => { for (let i = 0; i < frames.length; i++) got.push(plain((await r.read()).subarray())) })()
      for (let at = 0; at < wire.length; at += cut) {
        s.push(wire.subarray(at, at + cut))
        await new Promise(resolve => setImmediate(resolve))
      }
      await reading
      assert.deepEqual(got, frames, `cut every ${cut} bytes`)
    }
    // Frames already there are read without waiting for more.
    const { s, r } = reader()
    s.push(new Uint8ArrayList(framed(bytes(5, 9)), framed(bytes(6, 8))))
    assert.deepEqual(plain((await r.read()).subarray()), bytes(5, 9))
    assert.deepEqual(plain((await r.read()).subarray()), bytes(6, 8))
  })

  it('refuses a frame over the limit from its prefix alone, and a prefix longer than the limit needs', async () => {
    const { s, r } = reader(1000)
    s.push(varintBytes(1001))
    await assert.rejects(r.read(), (err: Error) => err.name === 'InvalidDataLengthError' && /1001 > 1000/.test(err.message))
    const b = reader(100)
    b.s.push(new Uint8Array([0x80, 0x80]))
    await assert.rejects(b.r.read(), (err: Error) => err.name === 'MalformedMessageError' && /longer than 1 bytes/.test(err.message))
  })

  it('EOF between frames and within one is UnexpectedEOFError, after the whole frames still buffered', async () => {
    const { s, r } = reader()
    s.push(framed(bytes(3, 1)))
    s.push(framed(bytes(10, 2)).subarray(0, 6))
    const waiting = r.read()
    s.endRemote()
    assert.deepEqual(plain((await waiting).subarray()), bytes(3, 1))
    await assert.rejects(r.read(), (err: Error) => err.name === 'UnexpectedEOFError')
    const b = reader()
    const pending = b.r.read()
    b.s.endRemote()
    await assert.rejects(pending, (err: Error) => err.name === 'UnexpectedEOFError')
  })

  it('a reset fails the waiting read with its error; an aborted signal fails it with its reason, and the stream reads on', async () => {
    const { s, r } = reader()
    const waiting = r.read()
    s.reset(new Error('reset by peer'))
    await assert.rejects(waiting, /reset by peer/)
    const b = reader()
    await assert.rejects(b.r.read({ signal: AbortSignal.timeout(20) }), (err: Error) => err.name === 'TimeoutError')
    b.s.push(framed(bytes(4, 7)))
    assert.deepEqual(plain((await b.r.read()).subarray()), bytes(4, 7))
  })

  it('more than the buffer limit arriving unread fails reads and aborts the stream', async () => {
    const { s, r } = reader(1000, 1100)
    s.push(framed(bytes(900, 1)))
    s.push(framed(bytes(900, 2)))
    await assert.rejects(r.read(), (err: Error) => err.name === 'StreamBufferError')
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(s.aborted?.name, 'StreamBufferError')
  })

  it('writes length-prefixed frames', async () => {
    const { s, r } = reader()
    await r.write(bytes(200, 5))
    assert.deepEqual(plain(s.sent[0]!), framed(bytes(200, 5)))
  })
})
