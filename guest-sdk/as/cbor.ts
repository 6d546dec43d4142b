// CBOR (RFC 8949) for AssemblyScript guests: a typed pull reader over raw linear memory and a writer
// into a growable raw buffer. It speaks the subset the host codec (src/objects/codec.ts, cborg)
// produces for the value types an AssemblyScript task can take or return, including the RFC 8746
// typed-array tags.
//
// AssemblyScript has no exceptions, so the reader never traps on bad input: the first problem is
// recorded in `error`, later reads return zero values, and the caller checks `error` after each
// argument to turn it into a `bad-argument` task error.
//
// Over 500 lines: the reader and the writer are one codec of one wire format (they share its
// constants and half-float helpers, and change together when a type is added).
//
// Both sides work on untracked heap memory (heap.alloc/free) rather than managed objects: the
// canonical ABI hands the guest raw buffers and expects raw buffers back, so reading and writing in
// place avoids a copy per call and keeps the garbage collector out of the hot path.

/** RFC 8746: uint8 array (cborg writes plain byte strings; the tag is accepted on input). */
export const TAG_UINT8_ARRAY: u64 = 64
/** RFC 8746: int32 array, little endian. */
export const TAG_INT32_ARRAY_LE: u64 = 78
/** RFC 8746: float32 array, little endian. */
export const TAG_FLOAT32_ARRAY_LE: u64 = 85
/** RFC 8746: float64 array, little endian. */
export const TAG_FLOAT64_ARRAY_LE: u64 = 86

const MAJOR_UINT: u32 = 0
const MAJOR_NEGINT: u32 = 1
const MAJOR_BYTES: u32 = 2
const MAJOR_TEXT: u32 = 3
const MAJOR_ARRAY: u32 = 4
const MAJOR_MAP: u32 = 5
const MAJOR_TAG: u32 = 6
const MAJOR_SIMPLE: u32 = 7

const SIMPLE_FALSE: u32 = 20
const SIMPLE_TRUE: u32 = 21
const SIMPLE_NULL: u32 = 22
const SIMPLE_UNDEFINED: u32 = 23
const AI_FLOAT16: u32 = 25
const AI_FLOAT32: u32 = 26
const AI_FLOAT64: u32 = 27
const AI_INDEFINITE: u32 = 31

/** 2^64 as an f64: the first float magnitude that no u64 can hold. */
const TWO_POW_64: f64 = 18446744073709551616.0

/** 2^e as an f64, for the small exponents of half floats (built from its bits; Math.pow is large). */
function pow2(e: i32): f64 {
  return reinterpret<f64>(<u64>(e + 1023) << 52)
}

/** Converts an IEEE 754 half-precision value to f64 (RFC 8949, appendix D). */
function halfToF64(half: u32): f64 {
  const exp = <i32>((half >> 10) & 0x1f)
  const mant = <f64>(half & 0x3ff)
  let val: f64
  if (exp == 0) val = mant * pow2(-24)
  else if (exp != 31) val = (mant + 1024) * pow2(exp - 25)
  else val = mant == 0 ? Infinity : NaN
  return (half & 0x8000) != 0 ? -val : val
}

/**
 * Reads CBOR values of expected types from `len` bytes at `ptr`. The memory must stay valid while
 * the reader is in use; strings and arrays it returns are fresh managed copies.
 */
export class CborReader {
  private pos: usize
  private end: usize
  /** The first decoding problem, or null. Once set, every read returns a zero value. */
  error: string | null = null

  // The head of the item being read: major type, additional info and its argument.
  private major: u32 = 0
  private info: u32 = 0
  private arg: u64 = 0

  constructor(ptr: usize, len: usize) {
    this.pos = ptr
    this.end = ptr + len
  }

  /** True when every byte was consumed. */
  atEnd(): bool {
    return this.pos == this.end
  }

  /** Reads a definite-length array head; returns its element count, or -1 on error. */
  readArrayHeader(): i32 {
    if (!this.head()) return -1
    if (this.major != MAJOR_ARRAY) return this.mismatch('an array')
    if (this.arg > <u64>i32.MAX_VALUE) return this.fail('array too long')
    return <i32>this.arg
  }

  /** Reads any number (integer or float of any width) as f64. */
  readF64(): f64 {
    if (!this.head()) return 0
    return this.numberFromHead('a number')
  }

  /** Reads any number as f32 (rounded to nearest, like a JS Math.fround). */
  readF32(): f32 {
    return <f32>this.readF64()
  }

  /** Reads an integer in [min, max]; floats with an integral value are accepted. */
  readInteger(min: i64, max: i64, what: string): i64 {
    if (!this.head()) return 0
    if (this.major == MAJOR_UINT) {
      if (this.arg > <u64>max) return this.rangeFail(what)
      return <i64>this.arg
    }
    if (this.major == MAJOR_NEGINT) {
      // The value is -1 - arg; it fits when arg <= -1 - min (computed in u64 to avoid overflow).
      if (min >= 0 || this.arg > <u64>(-1 - min)) return this.rangeFail(what)
      return -1 - <i64>this.arg
    }
    const f = this.numberFromHead(what)
    if (this.error != null) return 0
    if (!isFinite(f) || Math.trunc(f) != f) {
      this.fail('expected ' + what + ', got the non-integral number ' + f.toString())
      return 0
    }
    // Range-check as floats before converting: the conversion saturates instead of failing. `max + 1`
    // is exact for every bound used here (2^31, 2^32, 2^63), unlike `max` itself for i64.
    if (f < <f64>min || f >= <f64>max + 1.0) return this.rangeFail(what)
    return <i64>f
  }

  readI32(): i32 {
    return <i32>this.readInteger(i32.MIN_VALUE, i32.MAX_VALUE, 'an i32')
  }

  readU32(): u32 {
    return <u32>this.readInteger(0, u32.MAX_VALUE, 'a u32')
  }

  readI64(): i64 {
    return this.readInteger(i64.MIN_VALUE, i64.MAX_VALUE, 'an i64')
  }

  /** u64 has its own path: its upper half does not fit the i64 bounds of readInteger. */
  readU64(): u64 {
    if (!this.head()) return 0
    if (this.major == MAJOR_UINT) return this.arg
    if (this.major == MAJOR_NEGINT) return <u64>this.rangeFail('a u64')
    const f = this.numberFromHead('a u64')
    if (this.error != null) return 0
    if (!isFinite(f) || Math.trunc(f) != f || f < 0 || f >= TWO_POW_64) return <u64>this.rangeFail('a u64')
    return <u64>f
  }

  readBool(): bool {
    if (!this.head()) return false
    if (this.major == MAJOR_SIMPLE && this.info == SIMPLE_TRUE) return true
    if (this.major == MAJOR_SIMPLE && this.info == SIMPLE_FALSE) return false
    this.mismatch('a boolean')
    return false
  }

  readString(): string {
    if (!this.head()) return ''
    if (this.major != MAJOR_TEXT) {
      this.mismatch('a text string')
      return ''
    }
    const start = this.take(this.arg)
    if (this.error != null) return ''
    return String.UTF8.decodeUnsafe(start, <usize>this.arg)
  }

  /** Reads a byte string (optionally under tag 64). */
  readUint8Array(): Uint8Array {
    if (!this.head()) return new Uint8Array(0)
    if (this.major == MAJOR_TAG) {
      if (this.arg != TAG_UINT8_ARRAY || !this.head()) return this.typedMismatch<Uint8Array>('a byte string')
    }
    if (this.major != MAJOR_BYTES) return this.typedMismatch<Uint8Array>('a byte string')
    const len = this.arg
    const start = this.take(len)
    if (this.error != null) return new Uint8Array(0)
    const out = new Uint8Array(<i32>len)
    memory.copy(out.dataStart, start, <usize>len)
    return out
  }

  /** Reads a Float64Array: tag 86 over little-endian bytes, or an array of numbers. */
  readFloat64Array(): Float64Array {
    const n = this.typedArrayStart(TAG_FLOAT64_ARRAY_LE, 8, 'a Float64Array (tag 86) or an array of numbers')
    if (n < 0) return new Float64Array(0)
    const out = new Float64Array(n)
    if (this.major == MAJOR_BYTES) memory.copy(out.dataStart, this.take(this.arg), <usize>this.arg)
    else for (let i = 0; i < n && this.error == null; i++) unchecked(out[i] = this.readF64())
    return out
  }

  /** Reads a Float32Array: tag 85 over little-endian bytes, or an array of numbers. */
  readFloat32Array(): Float32Array {
    const n = this.typedArrayStart(TAG_FLOAT32_ARRAY_LE, 4, 'a Float32Array (tag 85) or an array of numbers')
    if (n < 0) return new Float32Array(0)
    const out = new Float32Array(n)
    if (this.major == MAJOR_BYTES) memory.copy(out.dataStart, this.take(this.arg), <usize>this.arg)
    else for (let i = 0; i < n && this.error == null; i++) unchecked(out[i] = this.readF32())
    return out
  }

  /** Reads an Int32Array: tag 78 over little-endian bytes, or an array of integers. */
  readInt32Array(): Int32Array {
    const n = this.typedArrayStart(TAG_INT32_ARRAY_LE, 4, 'an Int32Array (tag 78) or an array of integers')
    if (n < 0) return new Int32Array(0)
    const out = new Int32Array(n)
    if (this.major == MAJOR_BYTES) memory.copy(out.dataStart, this.take(this.arg), <usize>this.arg)
    else for (let i = 0; i < n && this.error == null; i++) unchecked(out[i] = this.readI32())
    return out
  }

  /** Reads an array of numbers (a Float64Array tag is accepted too). */
  readF64Array(): Array<f64> {
    const typed = this.readFloat64Array()
    const out = new Array<f64>(typed.length)
    memory.copy(out.dataStart, typed.dataStart, <usize>typed.byteLength)
    return out
  }

  /** Reads an array of integers (an Int32Array tag is accepted too). */
  readI32Array(): Array<i32> {
    const typed = this.readInt32Array()
    const out = new Array<i32>(typed.length)
    memory.copy(out.dataStart, typed.dataStart, <usize>typed.byteLength)
    return out
  }

  readStringArray(): Array<string> {
    const n = this.readArrayHeader()
    if (n < 0) return new Array<string>(0)
    const out = new Array<string>(n)
    for (let i = 0; i < n && this.error == null; i++) unchecked(out[i] = this.readString())
    return out
  }

  /**
   * Shared start of the typed-array readers. Leaves the head of a byte string (major 2) or of an
   * array (major 4) current and returns the element count, or -1 on error.
   */
  private typedArrayStart(tag: u64, elementSize: u64, what: string): i32 {
    if (!this.head()) return -1
    if (this.major == MAJOR_ARRAY) {
      if (this.arg > <u64>i32.MAX_VALUE) return this.fail('array too long')
      return <i32>this.arg
    }
    if (this.major != MAJOR_TAG || this.arg != tag) return this.mismatch(what)
    if (!this.head()) return -1
    if (this.major != MAJOR_BYTES) return this.mismatch('a byte string inside the typed-array tag')
    if (this.arg % elementSize != 0) return this.fail('typed array byte length is not a multiple of ' + elementSize.toString())
    if (this.arg > <u64>(this.end - this.pos)) return this.fail('truncated CBOR input')
    if (this.arg / elementSize > <u64>i32.MAX_VALUE) return this.fail('typed array too long')
    return <i32>(this.arg / elementSize)
  }

  /** Converts the current head (already read) to a number, or records a mismatch. */
  private numberFromHead(what: string): f64 {
    if (this.major == MAJOR_UINT) return <f64>this.arg
    if (this.major == MAJOR_NEGINT) return -1.0 - <f64>this.arg
    if (this.major == MAJOR_SIMPLE) {
      if (this.info == AI_FLOAT16) return halfToF64(<u32>this.arg)
      if (this.info == AI_FLOAT32) return <f64>reinterpret<f32>(<u32>this.arg)
      if (this.info == AI_FLOAT64) return reinterpret<f64>(this.arg)
    }
    this.mismatch(what)
    return 0
  }

  /** Decodes the next item's head into major/info/arg; false (with `error` set) on failure. */
  private head(): bool {
    if (this.error != null) return false
    if (this.pos >= this.end) {
      this.fail('truncated CBOR input')
      return false
    }
    const initial = <u32>load<u8>(this.pos++)
    this.major = initial >> 5
    this.info = initial & 0x1f
    const info = this.info
    if (info < 24) {
      this.arg = <u64>info
    } else if (info <= 27) {
      const size = <usize>1 << (info - 24)
      const at = this.take(size)
      if (this.error != null) return false
      // CBOR is big endian.
      if (size == 1) this.arg = <u64>load<u8>(at)
      else if (size == 2) this.arg = <u64>bswap<u16>(load<u16>(at))
      else if (size == 4) this.arg = <u64>bswap<u32>(load<u32>(at))
      else this.arg = bswap<u64>(load<u64>(at))
    } else if (info == AI_INDEFINITE && this.major != MAJOR_UINT && this.major != MAJOR_NEGINT && this.major != MAJOR_TAG) {
      this.fail('indefinite-length CBOR items are not supported')
      return false
    } else {
      this.fail('malformed CBOR (reserved additional information ' + info.toString() + ')')
      return false
    }
    return true
  }

  /** Claims `n` bytes at the read position; returns their address. */
  private take(n: u64): usize {
    if (n > <u64>(this.end - this.pos)) {
      this.fail('truncated CBOR input')
      return 0
    }
    const at = this.pos
    this.pos += <usize>n
    return at
  }

  private fail(message: string): i32 {
    if (this.error == null) this.error = message
    return -1
  }

  private mismatch(what: string): i32 {
    return this.fail('expected ' + what + ', got ' + this.describeHead())
  }

  private typedMismatch<T>(what: string): T {
    this.mismatch(what)
    return instantiate<T>(0)
  }

  private rangeFail(what: string): i64 {
    this.fail('expected ' + what + ', got ' + this.describeHead() + ' (out of range)')
    return 0
  }

  /** Names the current head for error messages ("text string", "integer 7", "float 1.5"). */
  private describeHead(): string {
    switch (this.major) {
      case MAJOR_UINT: return 'the integer ' + this.arg.toString()
      case MAJOR_NEGINT: return 'the integer -' + (this.arg == u64.MAX_VALUE ? '18446744073709551616' : (this.arg + 1).toString())
      case MAJOR_BYTES: return 'a byte string'
      case MAJOR_TEXT: return 'a text string'
      case MAJOR_ARRAY: return 'an array'
      case MAJOR_MAP: return 'a map'
      case MAJOR_TAG: return 'tag ' + this.arg.toString()
      default: break
    }
    if (this.info == SIMPLE_FALSE || this.info == SIMPLE_TRUE) return 'a boolean'
    if (this.info == SIMPLE_NULL) return 'null'
    if (this.info == SIMPLE_UNDEFINED) return 'undefined'
    if (this.info >= AI_FLOAT16 && this.info <= AI_FLOAT64) return 'the number ' + this.numberFromHead('').toString()
    return 'simple value ' + this.info.toString()
  }
}

/**
 * Writes CBOR into an untracked heap buffer. Whoever calls `finish` owns the buffer and frees it
 * with heap.free (the canonical-ABI post-return does, for task results).
 */
export class CborWriter {
  private ptr: usize
  private len: usize = 0
  private cap: usize

  constructor(capacity: usize = 64) {
    this.cap = capacity
    this.ptr = heap.alloc(capacity)
  }

  /** Hands over the buffer: returns its address; `length` tells its size. */
  finish(): usize {
    const ptr = this.ptr
    this.ptr = 0
    return ptr
  }

  get length(): usize {
    return this.len
  }

  /** Frees the buffer without handing it over (when an error result replaces the value). */
  discard(): void {
    if (this.ptr != 0) heap.free(this.ptr)
    this.ptr = 0
  }

  writeUndefined(): void {
    this.byte(0xf7)
  }

  writeNull(): void {
    this.byte(0xf6)
  }

  writeBool(v: bool): void {
    this.byte(v ? 0xf5 : 0xf4)
  }

  /** Writes an integer in its smallest form. */
  writeI64(v: i64): void {
    if (v >= 0) this.head(MAJOR_UINT, <u64>v)
    else this.head(MAJOR_NEGINT, <u64>(-1 - v))
  }

  writeU64(v: u64): void {
    this.head(MAJOR_UINT, v)
  }

  writeI32(v: i32): void {
    this.writeI64(<i64>v)
  }

  writeU32(v: u32): void {
    this.head(MAJOR_UINT, <u64>v)
  }

  writeF64(v: f64): void {
    this.reserve(9)
    store<u8>(this.ptr + this.len, 0xfb)
    store<u64>(this.ptr + this.len + 1, bswap<u64>(reinterpret<u64>(v)))
    this.len += 9
  }

  /** An f32 is written as float32: the host reads back exactly the same number. */
  writeF32(v: f32): void {
    this.reserve(5)
    store<u8>(this.ptr + this.len, 0xfa)
    store<u32>(this.ptr + this.len + 1, bswap<u32>(reinterpret<u32>(v)))
    this.len += 5
  }

  writeString(s: string): void {
    const n = <usize>String.UTF8.byteLength(s)
    this.head(MAJOR_TEXT, <u64>n)
    this.reserve(n)
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.ptr + this.len)
    this.len += n
  }

  writeUint8Array(a: Uint8Array): void {
    this.raw(MAJOR_BYTES, a.dataStart, <usize>a.byteLength)
  }

  writeFloat64Array(a: Float64Array): void {
    this.head(MAJOR_TAG, TAG_FLOAT64_ARRAY_LE)
    this.raw(MAJOR_BYTES, a.dataStart, <usize>a.byteLength)
  }

  writeFloat32Array(a: Float32Array): void {
    this.head(MAJOR_TAG, TAG_FLOAT32_ARRAY_LE)
    this.raw(MAJOR_BYTES, a.dataStart, <usize>a.byteLength)
  }

  writeInt32Array(a: Int32Array): void {
    this.head(MAJOR_TAG, TAG_INT32_ARRAY_LE)
    this.raw(MAJOR_BYTES, a.dataStart, <usize>a.byteLength)
  }

  writeArrayHeader(n: i32): void {
    this.head(MAJOR_ARRAY, <u64>n)
  }

  /** Writes a plain CBOR array of float64s (the host sees a JS number[]). */
  writeF64Array(a: Array<f64>): void {
    this.writeArrayHeader(a.length)
    for (let i = 0; i < a.length; i++) this.writeF64(unchecked(a[i]))
  }

  writeI32Array(a: Array<i32>): void {
    this.writeArrayHeader(a.length)
    for (let i = 0; i < a.length; i++) this.writeI32(unchecked(a[i]))
  }

  writeStringArray(a: Array<string>): void {
    this.writeArrayHeader(a.length)
    for (let i = 0; i < a.length; i++) this.writeString(unchecked(a[i]))
  }

  /** A head with its argument in the smallest form (RFC 8949 preferred serialization). */
  private head(major: u32, arg: u64): void {
    const m = <u8>(major << 5)
    if (arg < 24) {
      this.byte(m | <u8>arg)
    } else if (arg <= 0xff) {
      this.reserve(2)
      store<u8>(this.ptr + this.len, m | 24)
      store<u8>(this.ptr + this.len + 1, <u8>arg)
      this.len += 2
    } else if (arg <= 0xffff) {
      this.reserve(3)
      store<u8>(this.ptr + this.len, m | 25)
      store<u16>(this.ptr + this.len + 1, bswap<u16>(<u16>arg))
      this.len += 3
    } else if (arg <= 0xffffffff) {
      this.reserve(5)
      store<u8>(this.ptr + this.len, m | 26)
      store<u32>(this.ptr + this.len + 1, bswap<u32>(<u32>arg))
      this.len += 5
    } else {
      this.reserve(9)
      store<u8>(this.ptr + this.len, m | 27)
      store<u64>(this.ptr + this.len + 1, bswap<u64>(arg))
      this.len += 9
    }
  }

  private raw(major: u32, src: usize, n: usize): void {
    this.head(major, <u64>n)
    this.reserve(n)
    memory.copy(this.ptr + this.len, src, n)
    this.len += n
  }

  private byte(b: u8): void {
    this.reserve(1)
    store<u8>(this.ptr + this.len, b)
    this.len += 1
  }

  private reserve(n: usize): void {
    const need = this.len + n
    if (need <= this.cap) return
    let cap = this.cap << 1
    if (cap < need) cap = need
    this.ptr = heap.realloc(this.ptr, cap)
    this.cap = cap
  }
}
