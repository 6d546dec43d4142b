// The fabric's value codec: CBOR via cborg, with typed arrays, Maps and object refs preserved.
// The same module is bundled into QuickJS guests, so both sides of the boundary agree by construction.
import { encode as cborEncode, decode as cborDecode, Token, Type } from 'cborg'
import type { TagDecoder, OptionalTypeEncoder as TypeEncoder, TagDecodeControl } from 'cborg/interface'
import {
  TAG_MAP, mapEncoder, mapDecoder,
  TAG_INT8_ARRAY, int8ArrayEncoder, int8ArrayDecoder,
  TAG_UINT8_CLAMPED_ARRAY, uint8ClampedArrayEncoder, uint8ClampedArrayDecoder,
  TAG_INT16_ARRAY_LE, int16ArrayEncoder, int16ArrayDecoder,
  TAG_UINT16_ARRAY_LE, uint16ArrayEncoder, uint16ArrayDecoder,
  TAG_INT32_ARRAY_LE, int32ArrayEncoder, int32ArrayDecoder,
  TAG_UINT32_ARRAY_LE, uint32ArrayEncoder, uint32ArrayDecoder,
  TAG_FLOAT32_ARRAY_LE, float32ArrayEncoder, float32ArrayDecoder,
  TAG_FLOAT64_ARRAY_LE, float64ArrayEncoder, float64ArrayDecoder,
  TAG_BIGINT64_ARRAY_LE, bigInt64ArrayEncoder, bigInt64ArrayDecoder,
  TAG_BIGUINT64_ARRAY_LE, bigUint64ArrayEncoder, bigUint64ArrayDecoder,
  TAG_BIGINT_POS, TAG_BIGINT_NEG, bigIntEncoder
} from 'cborg/taglib'
import { ObjectRef, OBJECT_REF_TAG } from './object-ref.js'
import { fastEncode, fastDecode, FALLBACK } from './codec-fast.js'

/**
 * Thrown when a value cannot be encoded (a function, a symbol, a class instance the codec does
 * not know) or bytes cannot be decoded as a fabric value.
 */
export class CodecError extends Error {
  override readonly name = 'CodecError'
}

const refEncoder: TypeEncoder = (obj: unknown) => {
  if (obj instanceof ObjectRef) return [new Token(Type.tag, OBJECT_REF_TAG), new Token(Type.string, obj.id)]
  return null
}

// Anything that is not a plain object, array or one of the registered types is refused instead
// of being flattened into a map that would lose its class on the other side.
const objectEncoder: TypeEncoder = (obj: object) => {
  if (obj instanceof ObjectRef) return refEncoder(obj, 'Object', {}, undefined)
  const proto = Object.getPrototypeOf(obj)
  if (proto === Object.prototype || proto === null) return null
  const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'unknown'
  throw new CodecError(`cannot encode an instance of ${name}: use plain objects, arrays, Maps, typed arrays or ObjectRefs`)
}

const refuse = (what: string): TypeEncoder => () => {
  throw new CodecError(`cannot encode a ${what}: fabric values are data (numbers, strings, arrays, objects, Maps, typed arrays, ObjectRefs)`)
}

// cborg writes -0 as the integer 0; as a half float it comes back -0 (found by fuzzing).
const numberEncoder: TypeEncoder = (n: number) => Object.is(n, -0) ? [new Token(Type.float, -0)] : null

const typeEncoders: Record<string, TypeEncoder> = {
  number: numberEncoder,
  Object: objectEncoder,
  Map: mapEncoder,
  bigint: bigIntEncoder,
  Int8Array: int8ArrayEncoder,
  Uint8ClampedArray: uint8ClampedArrayEncoder,
  Int16Array: int16ArrayEncoder,
  Uint16Array: uint16ArrayEncoder,
  Int32Array: int32ArrayEncoder,
  Uint32Array: uint32ArrayEncoder,
  Float32Array: float32ArrayEncoder,
  Float64Array: float64ArrayEncoder,
  BigInt64Array: bigInt64ArrayEncoder,
  BigUint64Array: bigUint64ArrayEncoder,
  Function: refuse('function'),
  symbol: refuse('symbol')
}

const tags: TagDecoder[] = []
tags[TAG_MAP] = mapDecoder
tags[TAG_INT8_ARRAY] = int8ArrayDecoder
tags[TAG_UINT8_CLAMPED_ARRAY] = uint8ClampedArrayDecoder
tags[TAG_INT16_ARRAY_LE] = int16ArrayDecoder
tags[TAG_UINT16_ARRAY_LE] = uint16ArrayDecoder
tags[TAG_INT32_ARRAY_LE] = int32ArrayDecoder
tags[TAG_UINT32_ARRAY_LE] = uint32ArrayDecoder
tags[TAG_FLOAT32_ARRAY_LE] = float32ArrayDecoder
tags[TAG_FLOAT64_ARRAY_LE] = float64ArrayDecoder
tags[TAG_BIGINT64_ARRAY_LE] = bigInt64ArrayDecoder
tags[TAG_BIGUINT64_ARRAY_LE] = bigUint64ArrayDecoder
tags[TAG_BIGINT_POS] = (decodeInner: TagDecodeControl) => bignum(decodeInner(), false)
tags[TAG_BIGINT_NEG] = (decodeInner: TagDecodeControl) => bignum(decodeInner(), true)
tags[OBJECT_REF_TAG] = (decodeInner: TagDecodeControl) => {
  const inner: unknown = decodeInner()
  if (typeof inner !== 'string' || inner.length === 0) throw new CodecError('object ref tag must wrap a non-empty string id')
  return new ObjectRef(inner)
}

/** Bignums (CBOR tags 2 and 3) longer than this many bytes (8,192 bits) are refused. */
export const MAX_BIGNUM_BYTES = 1024

/**
 * A bignum's value in linear time: cborg's decoder shifts a BigInt once per byte (quadratic: a
 * 131 KiB bignum in a task's arguments held a node's main thread for 4 s). Read as one hex
 * string instead, and only up to {@link MAX_BIGNUM_BYTES}: bytes from the wire are untrusted.
 */
function bignum (payload: unknown, negative: boolean): bigint | number {
  if (!(payload instanceof Uint8Array)) throw new CodecError(`a bignum (CBOR tag ${negative ? 3 : 2}) must wrap a byte string`)
  if (payload.byteLength > MAX_BIGNUM_BYTES) throw new CodecError(`a bignum of ${payload.byteLength} bytes is over the ${MAX_BIGNUM_BYTES}-byte limit (pass larger numbers as bytes or strings)`)
  let hex = '0x0'
  for (let i = 0; i < payload.byteLength; i++) hex += HEX[payload[i]!]
  const n = negative ? -1n - BigInt(hex) : BigInt(hex)
  // A bignum that a plain CBOR integer could hold decodes as that integer would (a number within
  // the safe range), so a value's decoding does not depend on how its encoder spelled it and
  // decode(encode(v)) keeps v's type.
  return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** Each byte as two hex digits (guests run this codec too: no Buffer). */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * Encode a fabric value to CBOR bytes.
 *
 * @throws {CodecError} for values that are not data (functions, symbols, class instances)
 * @example
 * const bytes = encode({ xs: new Float32Array([1, 2]), m: new Map([[1, 'a']]) })
 */
export function encode (value: unknown): Uint8Array {
  const fast = fastEncode(value)
  if (fast !== undefined) return fast
  try {
    return cborEncode(value, { typeEncoders, mapSorter: undefined })
  } catch (err) {
    if (err instanceof CodecError) throw err
    throw new CodecError(`cannot encode value: ${(err as Error).message}`)
  }
}

/**
 * Decode CBOR bytes produced by {@link encode} (or any CBOR using the same tags).
 *
 * @throws {CodecError} for malformed bytes or unknown tags
 */
export function decode (bytes: Uint8Array): unknown {
  const fast = fastDecode(bytes)
  if (fast !== FALLBACK) return fast
  let value: unknown
  try {
    value = cborDecode(bytes, { tags, useUndefined: true } as Parameters<typeof cborDecode>[1])
  } catch (err) {
    if (err instanceof CodecError) throw err
    throw new CodecError(`cannot decode CBOR: ${(err as Error).message}`)
  }
  // cborg 6 takes a break byte (0xff) where a map's value belongs for a value: its internal BREAK
  // symbol (found by fuzzing: `a1 61 61 ff` decoded to { a: Symbol(BREAK) }). Only bytes holding
  // 0xff can do that, so only those are walked.
  if (bytes.includes(0xff) && holdsSymbol(value)) throw new CodecError('cannot decode CBOR: a break (0xff) where a map value belongs')
  return value
}

/** Whether a decoded value holds a symbol anywhere (arrays, plain objects and Maps are walked). */
function holdsSymbol (value: unknown): boolean {
  const stack = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'symbol') return true
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof ObjectRef) continue
    if (v instanceof Map) for (const [k, x] of v) stack.push(k, x)
    else if (Array.isArray(v)) for (const x of v) stack.push(x)
    else for (const x of Object.values(v)) stack.push(x)
  }
  return false
}

/** Every ObjectRef inside a value (arrays, objects and Maps are walked), in order of appearance. */
export function findRefs (value: unknown, out: ObjectRef[] = []): ObjectRef[] {
  if (value instanceof ObjectRef) out.push(value)
  else if (Array.isArray(value)) for (const v of value) findRefs(v, out)
  else if (value instanceof Map) for (const [k, v] of value) { findRefs(k, out); findRefs(v, out) }
  else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const v of Object.values(value)) findRefs(v, out)
  }
  return out
}

/** A copy of `value` with every ref replaced by `fn(ref)` (arrays, maps and plain objects walked; typed arrays kept). */
export function mapRefs (value: unknown, fn: (ref: ObjectRef) => ObjectRef): unknown {
  if (value instanceof ObjectRef) return fn(value)
  if (Array.isArray(value)) return value.map(v => mapRefs(v, fn))
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [mapRefs(k, fn), mapRefs(v, fn)]))
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapRefs(v, fn)]))
  }
  return value
}

/** The CBOR head of an object-ref tag. */
const REF_TAG_HEAD = [0xd9, (OBJECT_REF_TAG >> 8) & 0xff, OBJECT_REF_TAG & 0xff] as const

/**
 * Whether CBOR `bytes` may hold an object ref. Bytes without the tag's head (0xd9 0x9c 0xb9)
 * certainly do not; where the head occurs (binary payloads have it by chance every ~16 MiB, a
 * byte 0xd9 every 256 bytes), the item heads are walked in order, skipping string and byte-string
 * contents, so an 8 MiB byte string costs one head, not a scan of its bytes.
 */
export function mayHoldRefs (bytes: Uint8Array): boolean {
  if (bytes.indexOf(REF_TAG_HEAD[0]) < 0) return false
  return walkForRefTag(bytes)
}

/** Whether an item head in `bytes` is the object-ref tag (true, too, for bytes it cannot read: the caller decodes then). */
function walkForRefTag (bytes: Uint8Array): boolean {
  const n = bytes.length
  let i = 0
  while (i < n) {
    const head = bytes[i]!
    const major = head >> 5
    const ai = head & 0x1f
    let arg = 0
    let at = i + 1
    if (ai < 24) arg = ai
    else if (ai === 24) { if (at + 1 > n) return true; arg = bytes[at]!; at += 1 }
    else if (ai === 25) { if (at + 2 > n) return true; arg = (bytes[at]! << 8) | bytes[at + 1]!; at += 2 }
    else if (ai === 26) { if (at + 4 > n) return true; arg = ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!; at += 4 }
    else if (ai === 27) {
      if (at + 8 > n) return true
      arg = (((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!) * 2 ** 32 +
        ((bytes[at + 4]! << 24) >>> 0) + (bytes[at + 5]! << 16) + (bytes[at + 6]! << 8) + bytes[at + 7]!
      at += 8
    } else if (ai === 31 && (major === 2 || major === 3 || major === 4 || major === 5 || major === 7)) {
      arg = 0 // indefinite length (chunks or items follow, each with its own head), or a break
    } else {
      return true // reserved: not well-formed CBOR
    }
    if (major === 6 && arg === OBJECT_REF_TAG) return true
    // Strings' contents are skipped; every other item is its head alone (a container's items follow it).
    if ((major === 2 || major === 3) && ai !== 31) {
      if (at + arg > n) return true
      at += arg
    }
    i = at
  }
  return false
}
