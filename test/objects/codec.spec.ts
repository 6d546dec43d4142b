import assert from 'node:assert/strict'
import { encode, decode, findRefs, CodecError } from '../../src/objects/codec.js'
import { ObjectRef, OBJECT_REF_TAG } from '../../src/objects/object-ref.js'

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

  it('finds refs nested anywhere in a value', () => {
    const a = new ObjectRef('a')
    const b = new ObjectRef('b')
    const c = new ObjectRef('c')
    const refs = findRefs({ x: [a, { y: b }], m: new Map([['k', c]]), t: new Float32Array(2) })
    assert.deepEqual(refs.map(r => r.id), ['a', 'b', 'c'])
  })
})
