// Splitting a task's argument array without decoding it (issue 13: argument bytes scanned for refs
// without a full decode on the node's main thread): each item's bytes are exactly what the codec
// would encode for it, malformed arrays are refused with CodecError, in linear time.
import assert from 'node:assert/strict'
import { decode, encode, ObjectRef } from '../../src/objects/index.js'
import { splitCborArray } from '../../src/objects/cbor-scan.js'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))

describe('objects/cbor-scan: splitting an argument array', () => {
  it('gives each item as its own bytes, which decode to the item, for every kind of value', () => {
    const values = [1, -7, 2 ** 40, 1.5, 'text', '', new Uint8Array([1, 2, 3]), [1, [2, [3]]], { a: { b: [1, 'x'] } }, null, true, new Float32Array([1, 2]), new Map([[1, 'one']]), 2n ** 70n, new ObjectRef('n/t1.x'), 'é'.repeat(300), new Uint8Array(70_000)]
    const items = splitCborArray(encode(values))
    assert.equal(items.length, values.length)
    items.forEach((item, i) => assert.deepEqual(decode(item), values[i], `item ${i}`))
    assert.deepEqual(splitCborArray(encode([])), [])
  })

  it('reads indefinite arrays and maps as the decoder does; refuses indefinite strings, as it does', () => {
    // [_ 1, {_ "a": [_ ]}]
    const items = splitCborArray(hex('9f 01 bf 61 61 9f ff ff ff'))
    assert.deepEqual(items.map(i => decode(i)), [1, { a: [] }])
    assert.throws(() => splitCborArray(hex('81 5f 41 01 ff')), /indefinite-length string at byte 1/)
    assert.throws(() => decode(hex('5f 41 01 ff')), /indefinite length bytes\/strings are not supported/)
  })

  it('refuses what is not one well-formed array, saying what and where', () => {
    for (const [bytes, re] of [
      ['01', /must be a CBOR array/],
      ['82 01', /truncated at byte 2/],
      ['81 01 02', /1 bytes after the array/],
      ['81 5a ff ff ff ff', /truncated string/],
      ['81 1c', /reserved header/],
      ['81 ff', /unexpected break/],
      ['81 3f', /invalid indefinite length/],
      ['81 c2 01', /bignum \(CBOR tag 2\) must wrap a byte string/]
    ] as const) {
      assert.throws(() => splitCborArray(hex(bytes)), (err: Error) => err.name === 'CodecError' && re.test(err.message), bytes)
    }
  })

  it('refuses a bignum over the limit without building it, and nesting past the depth limit', () => {
    const big = new Uint8Array(3 + 4 + 134_144)
    big.set([0x81, 0xc2, 0x5a, 0x00, 0x02, 0x0c, 0x00]) // [2(h'...' 134,144 bytes)]
    const started = performance.now()
    assert.throws(() => splitCborArray(big), /a bignum of 134144 bytes is over the 1024-byte limit/)
    assert.ok(performance.now() - started < 50)
    const deep = new Uint8Array(1 + 300).fill(0x81)
    assert.throws(() => splitCborArray(new Uint8Array([...deep, 0x01])), /nested more than 256 deep/)
  })

  it('is linear: an array that claims 2^32 items but holds 3 fails at once', () => {
    const started = performance.now()
    assert.throws(() => splitCborArray(hex('9a ff ff ff ff 01 02 03')), /truncated/)
    assert.ok(performance.now() - started < 50)
  })
})
