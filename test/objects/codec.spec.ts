import assert from 'node:assert/strict'
import { encode, decode, findRefs, mayHoldRefs, CodecError, MAX_BIGNUM_BYTES } from '../../src/objects/codec.js'
import { ObjectRef, OBJECT_REF_TAG } from '../../src/objects/object-ref.js'
import { fastEncode, fastDecode, FALLBACK } from '../../src/objects/codec-fast.js'
import { encode as cborgEncode, decode as cborgDecode } from 'cborg'
import { DECODE_OPTIONS } from '../../src/net/messages.js'

/** Floats at the edges of half, single and double precision (and ordinary ones). */
const FLOATS = [0.5, 1.5, -2.25, 0.1, 1 / 3, 6.103515625e-5, 6.1e-5, 65504.5, 1e-7, 3.4028234663852886e38, 3.5e38, 1e300, -1e-300, 2 ** 60, -(2 ** 53) - 2, 2 ** 53 + 2, Math.fround(0.1), 1.0009765625, 1.00048828125, 0.000061035156, 2.5e-5]

/** A deterministic generator of random values of the fast path's types. */
function randomValue (next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 8 : 10))
  const ints = [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]
  switch (pick) {
    case 6: return FLOATS[Math.floor(next() * FLOATS.length)]! * (next() < 0.5 ? 1 : -1)
    case 7: return (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20)
    case 8: {
      const o: Record<string, unknown> = {}
      for (let i = Math.floor(next() * 6); i > 0; i--) o[['id', 'name', 'score', 'a b', '0', '12', 'x'.repeat(30)][Math.floor(next() * 7)]!] = randomValue(next, depth + 1)
      return o
    }
    case 0: { const n = ints[Math.floor(next() * ints.length)]!; return next() < 0.5 || n === 0 ? n : -n }
    case 1: return Math.floor((next() - 0.5) * 2 ** 40)
    case 2: return Array.from({ length: Math.floor(next() * 30) }, () => String.fromCharCode(Math.floor(next() * 0x80))).join('')
    case 3: return [true, false, null, undefined][Math.floor(next() * 4)]
    case 4: return new Uint8Array(Math.floor(next() * 300)).map(() => Math.floor(next() * 256))
    case 5: return 'ascii'.repeat(Math.floor(next() * 60))
    default: return Array.from({ length: Math.floor(next() * 30) }, () => randomValue(next, depth + 1))
  }
}

describe('objects/codec', () => {
  it('round-trips numbers, strings, arrays, maps, nested objects, bytes, typed arrays and refs', () => {
    const value = {
      int: 42,
      negative: -7,
      float: 1.5,
      big: 2n ** 70n,
      text: 'héllo ✓',
      list: [1, 'two', [3, [4]], null, true],
      nested: { a: { b: { c: [1, 2, 3] } } },
      map: new Map<unknown, unknown>([[1, 'one'], ['k', { v: 2 }], [true, [1]]]),
      bytes: new Uint8Array([0, 1, 255]),
      f32: new Float32Array([1.5, -2.25, 3e-8]),
      f64: new Float64Array([Math.PI, -0, Number.MAX_VALUE]),
      i32: new Int32Array([-1, 2 ** 31 - 1, -(2 ** 31)]),
      ref: new ObjectRef('bafkreiexample'),
      missing: undefined
    }
    const out = decode(encode(value)) as typeof value
    assert.deepEqual(out, value)
    assert.ok(out.f32 instanceof Float32Array)
    assert.ok(out.f64 instanceof Float64Array)
    assert.ok(out.i32 instanceof Int32Array)
    assert.ok(out.map instanceof Map)
    assert.ok(out.ref instanceof ObjectRef)
  })

  it('keeps typed-array views that do not start at offset 0', () => {
    const backing = new Float64Array([1, 2, 3, 4])
    const view = backing.subarray(1, 3)
    assert.deepEqual(decode(encode(view)), new Float64Array([2, 3]))
  })

  it('refuses values that are not data, saying what to use instead', () => {
    assert.throws(() => encode({ f: () => 1 }), (e: Error) => e.name === 'CodecError' && /function/.test(e.message))
    assert.throws(() => encode(new Date()), CodecError)
    class Point { x = 1 }
    assert.throws(() => encode(new Point()), /instance of Point/)
    assert.throws(() => encode(Symbol('s')), /symbol/)
  })

  it('rejects malformed bytes and bad ref tags with a CodecError', () => {
    assert.throws(() => decode(new Uint8Array([0xff, 0x01])), CodecError)
    assert.throws(() => decode(new Uint8Array([0x82, 0x01])), CodecError) // array of 2 with 1 item
    // tag 40121 wrapping a number instead of a text id
    const hi = (OBJECT_REF_TAG >> 8) & 0xff
    const lo = OBJECT_REF_TAG & 0xff
    assert.throws(() => decode(new Uint8Array([0xd9, hi, lo, 0x01])), /object ref/)
  })

  it('fast path writes exactly the bytes cborg writes, and reads them back the same', () => {
    let seed = 12345
    const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
    for (let i = 0; i < 2000; i++) {
      const v = randomValue(next)
      const fast = fastEncode(v)
      assert.ok(fast !== undefined, 'fast path refused a fast-path value')
      assert.ok(Buffer.from(fast).equals(cborgEncode(v, { mapSorter: undefined })), `bytes differ for sample ${i}: ${JSON.stringify(v)}`)
      assert.ok(Buffer.from(fast).equals(encode(v)))
      assert.deepEqual(fastDecode(fast), cborgDecode(fast, { useUndefined: true } as Parameters<typeof cborgDecode>[1]))
    }
  })

  it('strict fast path (wire frames): equal to cborg with the strict wire options wherever it answers, FALLBACK wherever they refuse', () => {
    let seed = 777
    const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
    const strictly = (bytes: Uint8Array): { value: unknown } | undefined => {
      try {
        return { value: cborgDecode(bytes, DECODE_OPTIONS) }
      } catch {
        return undefined
      }
    }
    let answered = 0
    let refused = 0
    const check = (bytes: Uint8Array, what: string): void => {
      const fast = fastDecode(bytes, true)
      const cborg = strictly(bytes)
      if (cborg === undefined) {
        assert.equal(fast, FALLBACK, `${what}: cborg refuses ${Buffer.from(bytes).toString('hex').slice(0, 80)}, the fast path read it`)
        refused++
      } else if (fast !== FALLBACK) {
        assert.deepEqual(fast, cborg.value, what)
        answered++
      }
    }
    // Non-minimal heads (an argument in more bytes than it needs), undefined, NaN and the infinities.
    for (const hex of ['1817', '190017', '1a00000017', '1b0000000000000017', '3817', '5800', '7801' + '61', '9800', 'b800', 'f7', 'f97e00', 'f97c00', 'fa7f800000', 'fb7ff0000000000000', 'a1617818', 'a1617819ffff']) {
      check(Buffer.from(hex, 'hex'), hex)
    }
    for (let i = 0; i < 3000; i++) {
      const v = randomValue(next)
      const bytes = cborgEncode(v, { mapSorter: undefined })
      check(bytes, `sample ${i}`)
      // The same bytes with one byte changed, and cut short.
      const flipped = bytes.slice()
      if (flipped.length > 0) flipped[Math.floor(next() * flipped.length)] = Math.floor(next() * 256)
      check(flipped, `sample ${i} with a byte changed`)
      check(bytes.subarray(0, Math.floor(next() * bytes.length)), `sample ${i} cut short`)
    }
    assert.ok(answered > 2000 && refused > 500, `answered ${answered}, refused ${refused}: the samples must exercise both`)
  })

  it('fast path: values past its scratch buffer, and a getter that encodes while it writes', () => {
    for (const n of [4000, 4096, 10_000, 2 * 2 ** 20]) {
      const v = { id: n, data: new Uint8Array(n).fill(7), tail: 'x' }
      assert.deepEqual(cborgDecode(fastEncode(v)!), v, `${n} bytes`)
    }
    let inner: Uint8Array | undefined
    const v = { get x () { inner = fastEncode({ a: 1, b: 'inner' }); return 'y'.repeat(10) }, z: 2 }
    const outer = fastEncode(v)!
    assert.deepEqual(cborgDecode(outer), { x: 'yyyyyyyyyy', z: 2 })
    assert.deepEqual(cborgDecode(inner!), { a: 1, b: 'inner' })
    // Results are copies: the next encode does not change them.
    fastEncode({ z: 'zzzzzzzzzzzzzzzzzzzz' })
    assert.deepEqual(cborgDecode(outer), { x: 'yyyyyyyyyy', z: 2 })
  })

  it('fast path hands everything else to cborg', () => {
    for (const v of [2n ** 70n, new Map(), new Float32Array(1), new ObjectRef('x'), [1, { a: new Map() }], JSON.parse('{"__proto__": 2}'), { é: 1 }]) {
      assert.equal(fastEncode(v), undefined)
      assert.equal(fastDecode(encode(v)), FALLBACK)
    }
    // NaN, the infinities and floats below the smallest normal half are written by cborg (which
    // reads back the same numbers), an object of another prototype is cborg's to refuse.
    for (const v of [NaN, Infinity, -Infinity, 2 ** -20, -(2 ** -24)]) {
      assert.equal(fastEncode(v), undefined)
      assert.ok(Object.is(decode(encode(v)), v))
    }
    assert.equal(fastEncode(Object.create({ inherited: 1 })), undefined)
    assert.equal(fastEncode(-0), undefined)
    // A map whose keys repeat, or are not text, is decoded by cborg.
    assert.equal(fastDecode(new Uint8Array([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02])), FALLBACK)
    assert.equal(fastDecode(new Uint8Array([0xa1, 0x01, 0x02])), FALLBACK)
    assert.equal(fastDecode(new Uint8Array([0x82, 0x01])), FALLBACK) // truncated
    assert.equal(fastDecode(new Uint8Array([0x01, 0x01])), FALLBACK) // trailing bytes
    assert.equal(fastEncode('héllo'), undefined) // non-ASCII text goes to cborg
    assert.equal(fastDecode(encode('héllo')), FALLBACK)
  })

  it('finds refs nested anywhere in a value', () => {
    const a = new ObjectRef('a')
    const b = new ObjectRef('b')
    const c = new ObjectRef('c')
    const refs = findRefs({ x: [a, { y: b }], m: new Map([['k', c]]), t: new Float32Array(2) })
    assert.deepEqual(refs.map(r => r.id), ['a', 'b', 'c'])
  })
})

describe('objects/codec: bignums from untrusted bytes', () => {
  /** CBOR tag `tag` (2 or 3) around a byte string of `payload`. */
  function bignumBytes (tag: 2 | 3, payload: Uint8Array): Uint8Array {
    const n = payload.byteLength
    const head = n < 24 ? [0x40 | n] : n < 0x100 ? [0x58, n] : n < 0x10000 ? [0x59, n >> 8, n & 0xff] : [0x5a, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
    return Uint8Array.from([0xc0 | tag, ...head, ...payload])
  }

  it('round-trips bigints beyond 64 bits, both signs, and reads an empty bignum as 0', () => {
    for (const v of [2n ** 64n + 1n, -(2n ** 100n), 2n ** 8000n - 1n, -(2n ** 70n) - 12345n]) assert.equal(decode(encode(v)), v)
    // A bignum small enough for a safe integer decodes as the number a plain CBOR integer would
    // (fuzzing: -1n re-encoded as the integer -1 and came back a number, so the roundtrip broke).
    assert.equal(decode(bignumBytes(2, new Uint8Array(0))), 0)
    assert.equal(decode(bignumBytes(3, new Uint8Array(0))), -1)
    assert.equal(decode(bignumBytes(2, Uint8Array.of(1, 0, 0))), 65536)
    assert.equal(decode(bignumBytes(2, Uint8Array.of(0x20, 0, 0, 0, 0, 0, 0))), 2n ** 53n)
  })

  it('decodes a bignum at the 1024-byte limit in linear time, and refuses a 131 KiB one at once', () => {
    const max = new Uint8Array(MAX_BIGNUM_BYTES).fill(0xff)
    let t = performance.now()
    assert.equal(decode(bignumBytes(2, max)), 2n ** BigInt(8 * MAX_BIGNUM_BYTES) - 1n)
    assert.ok(performance.now() - t < 50, `1 KiB bignum took ${(performance.now() - t).toFixed(1)} ms`)
    // Issue 13: a 131 KiB bignum in a task's arguments held a node's main thread for 4 s.
    const huge = bignumBytes(2, new Uint8Array(131 * 1024).fill(0xab))
    t = performance.now()
    assert.throws(() => decode(huge), (err: Error) => err instanceof CodecError && /bignum of 134144 bytes is over the 1024-byte limit/.test(err.message))
    assert.ok(performance.now() - t < 50, `refusing took ${(performance.now() - t).toFixed(1)} ms`)
    assert.throws(() => decode(Uint8Array.from([0xc3, 0x01])), /must wrap a byte string/)
  })
})

describe('objects/codec: mayHoldRefs', () => {
  const head = Uint8Array.of(0xd9, (OBJECT_REF_TAG >> 8) & 0xff, OBJECT_REF_TAG & 0xff)
  /** Bytes full of the tag's head: what random binary payloads have by chance. */
  const decoy = (n: number): Uint8Array => { const b = new Uint8Array(n); for (let i = 0; i + 3 <= n; i += 5) b.set(head, i); return b }

  it('is exact for values holding refs or none, with the tag head inside byte strings and floats', () => {
    let s = 7
    const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 }
    const ref = new ObjectRef('n/t1.x')
    for (let i = 0; i < 300; i++) {
      const v = randomValue(next)
      const payload = decoy(Math.floor(next() * 2000))
      const without = [v, payload, { p: payload, f: new Float64Array([1.5e-300]) }]
      assert.equal(mayHoldRefs(encode(without)), false, `no ref in value ${i}`)
      const withRef = next() < 0.5 ? [payload, { deep: [[v, ref]] }] : new Map<unknown, unknown>([[payload, v], ['r', { x: ref }]])
      assert.equal(mayHoldRefs(encode(withRef)), true, `a ref in value ${i}`)
    }
    assert.equal(mayHoldRefs(encode(decoy(8 * 2 ** 20))), false)
    assert.equal(mayHoldRefs(encode(ref)), true)
  })

  it('an 8 MiB byte string full of the tag head is read as one item (no scan of its bytes)', () => {
    const bytes = encode([decoy(8 * 2 ** 20), 1, 'x'])
    const t = performance.now()
    for (let i = 0; i < 100; i++) mayHoldRefs(bytes)
    assert.ok(performance.now() - t < 50, `100 walks took ${(performance.now() - t).toFixed(1)} ms`)
  })

  it('says true (decode and see) for bytes it cannot read: truncated, reserved heads', () => {
    assert.equal(mayHoldRefs(Uint8Array.of(0x5a, 0, 0, 1, 0, ...head)), true) // a byte string longer than the bytes
    assert.equal(mayHoldRefs(Uint8Array.of(0x1c, ...head)), true) // reserved additional information 28
    assert.equal(mayHoldRefs(Uint8Array.of(0x01, 0x02)), false) // no tag head at all: certainly none
  })
})
