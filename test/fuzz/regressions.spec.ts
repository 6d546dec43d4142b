// Inputs the fuzz targets (fuzz/) found, each a test named for what broke. The raw inputs are also
// kept under fuzz/regressions/<target>/ and replayed through their target by fuzz.spec.ts.
import assert from 'node:assert/strict'
import { decode, encode, CodecError } from '../../src/objects/codec.js'
import { fastDecode, FALLBACK } from '../../src/objects/codec-fast.js'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))

describe('fuzz regressions: objects/codec', () => {
  it('a byte string decoded from a Buffer is a plain Uint8Array copy, not a view of the Buffer', () => {
    const input = Buffer.from('4141', 'hex') // bytes(1) 'A'
    const out = decode(input) as Uint8Array
    assert.equal(out.constructor, Uint8Array)
    assert.deepEqual(out, Uint8Array.of(0x41))
    input[1] = 0x42
    assert.deepEqual(out, Uint8Array.of(0x41), 'the decoded bytes changed with the input buffer')
  })

  it('a bignum small enough for a safe integer decodes as a number, so decode(encode(decode(x))) keeps its type', () => {
    const x = hex('c340') // tag 3 (negative bignum) around an empty byte string: -1
    assert.equal(decode(x), -1)
    assert.equal(decode(encode(decode(x))), decode(x))
    assert.equal(decode(hex('c2 49 01 00 00 00 00 00 00 00 00')), 2n ** 64n)
  })

  it("refuses a break byte where a map's value belongs instead of returning cborg's BREAK symbol", () => {
    for (const x of ['a1 61 61 ff', '9f 26 9f ff 0c 00 bf 63 6f 6e 73 34 72 75 63 74 6f 72 2e 70 72 6f 74 6f 74 79 70 65 9f ff 9f ff ff 26 ff']) {
      assert.throws(() => decode(hex(x)), (err: Error) => err instanceof CodecError && /break/.test(err.message), x)
    }
    // A 0xff inside a byte string or a float is data, not a break.
    assert.deepEqual(decode(hex('a1 61 61 41 ff')), { a: Uint8Array.of(0xff) })
    assert.deepEqual(decode(hex('a1 61 61 fb 7f ef ff ff ff ff ff ff')), { a: Number.MAX_VALUE })
  })

  it('keeps -0 through encode and decode (cborg wrote it as the integer 0)', () => {
    const x = hex('f9 80 00') // half float -0
    assert.ok(Object.is(decode(x), -0))
    assert.ok(Object.is(decode(encode(decode(x))), -0))
    assert.ok(Object.is((decode(encode({ v: -0 })) as { v: number }).v, -0))
    assert.deepEqual([...encode(0)], [0x00])
  })
})

describe('fuzz regressions: objects/codec fast path', () => {
  it('leaves -2^53 (a negative integer beyond the safe range) to cborg, which decodes it as a bigint', () => {
    const x = hex('3b 00 1f ff ff ff ff ff ff') // negative integer, argument 2^53 - 1
    assert.equal(fastDecode(x), FALLBACK)
    assert.equal(decode(x), -(2n ** 53n))
    assert.deepEqual(decode(encode(decode(x))), decode(x))
    assert.equal(decode(hex('3b 00 1f ff ff ff ff ff fe')), Number.MIN_SAFE_INTEGER)
  })
})

describe('fuzz regressions: errors from peers', () => {
  it("a peer's error is taken only for fields of the right type: retryable true or false, causes rebuilt the same way", async () => {
    const { decodeActorReply } = await import('../../src/net/actor-protocol.js')
    const { deserializeError } = await import('../../src/errors/index.js')
    // { type: 'result', id: 1, ok: false, error: { name: 'E', message: 'm', retryable: 'yes' } }
    const reply = decodeActorReply(hex('a462696401626f6bf4647479706566726573756c74656572726f72a3646e616d656145676d657373616765616d69726574727961626c6563796573'))
    assert.ok(reply.type === 'result' && !reply.ok)
    assert.equal(reply.error.name, 'E')
    assert.equal((reply.error as Error & { retryable: unknown }).retryable, false)
    const odd = deserializeError({ name: 'Outer', message: 'm', retryable: true, cause: { message: 7, retryable: 'x', cause: { name: 42 } } } as never)
    assert.equal(odd.retryable, true)
    const cause = odd.cause as Error & { retryable: unknown, cause?: Error }
    assert.equal(cause.name, 'Error')
    assert.equal(cause.message, '7')
    assert.equal(cause.retryable, false)
    assert.equal(cause.cause?.name, 'Error')
  })
})
