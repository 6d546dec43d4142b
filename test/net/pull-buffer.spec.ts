// A pull's landing buffer: a claimed size costs nothing until bytes come (the reservation is only
// committed as written; segments where it cannot be reserved), writes across segment edges, and the
// whole object back in order, without a copy.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PullBuffer } from '../../src/net/pull-buffer.js'

describe('net/pull-buffer', () => {
  it('allocates nothing for a claimed size, then one segment per place written', () => {
    const b = new PullBuffer(2 * 1024 ** 3, 1024)
    assert.equal(b.allocated, 0)
    b.write(new Uint8Array(10), 0)
    assert.equal(b.allocated, 1024)
    b.write(new Uint8Array(10), 5 * 1024 ** 2)
    assert.equal(b.allocated, 2048)
  })

  it('gives back exactly what was written, across segment edges and out of order', () => {
    const data = randomBytes(10_000)
    const b = new PullBuffer(data.byteLength, 333)
    // Two ranges written at once, as a parallel pull does, in uneven chunks.
    for (const [start, end] of [[5000, 10_000], [0, 5000]] as const) {
      for (let at = start; at < end; at += 777) b.write(data.subarray(at, Math.min(end, at + 777)), at)
    }
    assert.ok(Buffer.from(b.toBytes()).equals(data))
    assert.ok(Buffer.concat([...b.parts()]).equals(data))
    assert.equal(b.allocated, data.byteLength)
  })

  it('the reserved buffer is the object (no copy); past what can be reserved, segments as bytes arrive', () => {
    const data = randomBytes(5000)
    const b = new PullBuffer(data.byteLength, 1024)
    b.write(data, 0)
    const out = b.toBytes()
    assert.ok(Buffer.from(out).equals(data))
    assert.equal(b.toBytes(), out, 'the same buffer each time')
    const rss0 = process.memoryUsage().rss
    const claimed = new PullBuffer(1024 ** 3)
    claimed.write(new Uint8Array(10).fill(1), 0)
    assert.equal(claimed.allocated, 4 * 1024 * 1024)
    assert.ok(process.memoryUsage().rss - rss0 < 256 * 1024 * 1024, 'a claimed GiB is not resident')
    // 4 GiB + 10 bytes: more than a typed array may hold here, so segments.
    const huge = new PullBuffer(2 ** 32 + 10, 1 << 20)
    huge.write(Uint8Array.of(1, 2, 3), 2 ** 32 + 5)
    assert.equal(huge.allocated, 10)
  })

  it('a one-segment object comes back without a copy; an empty one is empty; writes past the end are refused', () => {
    const b = new PullBuffer(100, 1024)
    b.write(Uint8Array.of(1, 2, 3), 97)
    assert.equal(b.toBytes().byteLength, 100)
    assert.equal(new PullBuffer(0).toBytes().byteLength, 0)
    assert.throws(() => b.write(new Uint8Array(4), 97), RangeError)
  })
})
