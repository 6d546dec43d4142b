// Fuzzes the object codec (src/objects/codec.ts, codec-fast.ts) with arbitrary bytes. Checks:
// decode returns or throws CodecError; the fast path agrees with cborg wherever it answers (value
// and bytes: CIDs depend on it); every decoded value encodes, and decode(encode(decode(x))) equals
// decode(x) with encode stable from then on; a Buffer input decodes to the same plain values as a
// Uint8Array; findRefs/mapRefs/mayHoldRefs agree (mayHoldRefs never misses a ref).
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import { decode, encode, findRefs, mapRefs, mayHoldRefs } from '../src/objects/codec.js'
import { fastDecode, fastEncode, FALLBACK } from '../src/objects/codec-fast.js'
import { ObjectRef } from '../src/objects/object-ref.js'
import { check, must, plain, same, sameBytes, show, typed } from './support/contract.js'

const CODEC_ERRORS = ['CodecError'] as const

export function fuzz (data: Uint8Array): void {
  const bytes = plain(data)
  const decoded = typed('decode', CODEC_ERRORS, () => decode(bytes))

  // The fast path must answer exactly as cborg would, or not at all.
  const fast = fastDecode(bytes)
  if (fast !== FALLBACK) {
    const slow = typed('cborg decode', [], () => cborDecode(bytes))
    check(slow.ok, `fastDecode accepted bytes cborg refuses (${slow.ok ? '' : slow.error.message}): ${show(fast)}`)
    same(fast, slow.value, 'fastDecode and cborg disagree')
  }

  // A Buffer (what fs and net hand out) decodes to the same plain values, sharing no memory with it.
  const fromBuffer = typed('decode(Buffer)', CODEC_ERRORS, () => decode(Buffer.from(bytes)))
  check(fromBuffer.ok === decoded.ok, `decode of a Buffer ${fromBuffer.ok ? 'accepted' : 'refused'} what decode of a Uint8Array ${decoded.ok ? 'accepted' : 'refused'}`)
  if (!decoded.ok || !fromBuffer.ok) return
  same(fromBuffer.value, decoded.value, 'decode(Buffer) differs from decode(Uint8Array)')

  const value = decoded.value
  const encoded = must('encode(decode(x))', () => encode(value))
  const again = must('decode(encode(decode(x)))', () => decode(encoded))
  same(again, value, 'decode(encode(decode(x))) != decode(x)')
  sameBytes(must('encode(decode(encode(decode(x))))', () => encode(again)), encoded, 'encode is not stable after one roundtrip')

  // The fast encoder must produce cborg's bytes exactly (a value's CID may not depend on the path).
  const fastBytes = fastEncode(value)
  if (fastBytes !== undefined) sameBytes(fastBytes, cborEncode(value, { mapSorter: undefined }), 'fastEncode and cborg encode differ')

  const refs = findRefs(value)
  if (refs.length > 0) {
    check(mayHoldRefs(bytes), `mayHoldRefs missed ${refs.length} ref(s) in the input`)
    check(mayHoldRefs(encoded), `mayHoldRefs missed ${refs.length} ref(s) in encode(decode(x))`)
  }
  same(mapRefs(value, r => r), value, 'mapRefs with the identity changed the value')
  const renamed = mapRefs(value, r => new ObjectRef(`${r.id}~`))
  same(findRefs(renamed).map(r => r.id), refs.map(r => `${r.id}~`), 'mapRefs and findRefs disagree on the refs of a value')
}
