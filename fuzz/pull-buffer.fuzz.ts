// Fuzzes src/net/pull-buffer.ts (where a pulled object's bytes land) against a plain Uint8Array
// model. The input is a program: an object size, a segment size, then writes (position, length).
// Checks: a write inside the object lands exactly there and one outside is refused with a
// RangeError before touching anything; toBytes() and parts() give the model's bytes; allocation is
// exactly the segments written to (a holder that claims a size and sends nothing costs nothing;
// the reserved buffer is only committed as written).
import { PullBuffer } from '../src/net/pull-buffer.js'
import { ByteReader, check, hex, typed } from './support/contract.js'

export function fuzz (data: Uint8Array): void {
  const r = new ByteReader(data)
  const size = r.u16() % 4097
  const segmentBytes = 1 + (r.u8() % 64)
  const buffer = new PullBuffer(size, segmentBytes)
  const model = new Uint8Array(size)
  const touched = new Set<number>()
  check(buffer.allocated === 0, `a new buffer of ${size} bytes allocated ${buffer.allocated}`)
  for (let op = 0; !r.done && op < 64; op++) {
    // Positions around and past both ends: a small signed offset from a place picked in the object.
    const pos = Math.round((r.u8() / 255) * size) + ((r.u8() << 24) >> 24)
    const length = r.u8() % 200
    const chunk = Uint8Array.from({ length }, (_, i) => (op * 31 + i) & 0xff)
    const inside = pos >= 0 && pos + length <= size
    const allocatedBefore: number = buffer.allocated
    const wrote = typed(`write(${length} bytes at ${pos} of ${size})`, inside ? [] : ['RangeError'], () => buffer.write(chunk, pos))
    check(wrote.ok === inside, `a write of ${length} bytes at ${pos} into ${size} bytes was ${wrote.ok ? 'taken' : 'refused'}`)
    if (!inside) {
      check(buffer.allocated === allocatedBefore, 'a refused write allocated memory')
      continue
    }
    model.set(chunk, pos)
    for (let i = pos; i < pos + length; i++) touched.add(Math.floor(i / segmentBytes))
    const expected = [...touched].reduce((n, s) => n + Math.min(segmentBytes, size - s * segmentBytes), 0)
    check(buffer.allocated === expected, `allocated ${buffer.allocated} bytes, but the writes touched segments of ${expected}`)
  }
  const parts = [...buffer.parts()]
  check(parts.every((p) => p.byteLength > 0 && p.byteLength <= segmentBytes), `parts of sizes ${parts.map((p) => p.byteLength).join(',')} for segments of ${segmentBytes}`)
  const joined = Buffer.concat(parts)
  check(joined.equals(model), `parts() are not the bytes written: ${hex(joined)} != ${hex(model)}`)
  const whole = buffer.toBytes()
  check(whole.byteLength === size && Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength).equals(model), `toBytes() is not the bytes written: ${hex(whole)} != ${hex(model)}`)
  check(buffer.allocated === size, `after reading every part, ${buffer.allocated} bytes allocated for an object of ${size}`)
}
