// A fast path for the values most calls carry (integers, floats, ASCII strings, booleans, null,
// byte strings, and arrays and plain objects of them: rows of records), producing exactly the
// bytes cborg produces with the codec's options (map keys in insertion order; a float in the
// shortest of half, single or double precision that holds it exactly): cborg's general machinery
// costs ~10 µs per value when interpreted by QuickJS, a row of a data block several times that.
// Anything else returns `undefined` and the caller falls back to cborg, so the encoding (and every
// CID) stays the same either way.

const MAX_DEPTH = 16

class Writer {
  pos = 0
  constructor (public buf: Uint8Array) {}

  reserve (n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    // A large byte string gets exactly the room it needs (plus slack for what may follow): fresh
    // memory is expensive to touch, doubling past it would touch twice as much.
    if (n > 1 << 20) size = this.pos + n + 4096
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  head (major: number, n: number): void {
    this.reserve(9)
    const b = this.buf
    const m = major << 5
    if (n < 24) {
      b[this.pos++] = m | n
    } else if (n < 0x100) {
      b[this.pos++] = m | 24
      b[this.pos++] = n
    } else if (n < 0x10000) {
      b[this.pos++] = m | 25
      b[this.pos++] = n >>> 8
      b[this.pos++] = n & 0xff
    } else if (n < 0x100000000) {
      b[this.pos++] = m | 26
      b[this.pos++] = n >>> 24
      b[this.pos++] = (n >>> 16) & 0xff
      b[this.pos++] = (n >>> 8) & 0xff
      b[this.pos++] = n & 0xff
    } else {
      const hi = Math.floor(n / 0x100000000)
      const lo = n >>> 0
      b[this.pos++] = m | 27
      b[this.pos++] = hi >>> 24
      b[this.pos++] = (hi >>> 16) & 0xff
      b[this.pos++] = (hi >>> 8) & 0xff
      b[this.pos++] = hi & 0xff
      b[this.pos++] = lo >>> 24
      b[this.pos++] = (lo >>> 16) & 0xff
      b[this.pos++] = (lo >>> 8) & 0xff
      b[this.pos++] = lo & 0xff
    }
  }

  bytes (data: Uint8Array): void {
    this.reserve(data.length)
    this.buf.set(data, this.pos)
    this.pos += data.length
  }
}

function put (w: Writer, v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'number':
      if (Number.isSafeInteger(v)) {
        if (Object.is(v, -0)) return false
        if (v >= 0) w.head(0, v)
        else w.head(1, -1 - v)
        return true
      }
      return putFloat(w, v)
    case 'string': {
      // ASCII only: UTF-8 edge cases (lone surrogates) stay cborg's business.
      const n = v.length
      w.head(3, n)
      w.reserve(n)
      const b = w.buf
      let p = w.pos
      for (let i = 0; i < n; i++) {
        const c = v.charCodeAt(i)
        if (c > 0x7f) return false
        b[p++] = c
      }
      w.pos = p
      return true
    }
    case 'boolean':
      w.reserve(1)
      w.buf[w.pos++] = v ? 0xf5 : 0xf4
      return true
    case 'undefined':
      w.reserve(1)
      w.buf[w.pos++] = 0xf7
      return true
    case 'object':
      if (v === null) {
        w.reserve(1)
        w.buf[w.pos++] = 0xf6
        return true
      }
      if (v instanceof Uint8Array && v.constructor === Uint8Array) {
        w.head(2, v.length)
        w.bytes(v)
        return true
      }
      if (Array.isArray(v) && depth < MAX_DEPTH) {
        w.head(4, v.length)
        for (let i = 0; i < v.length; i++) if (!put(w, v[i], depth + 1)) return false
        return true
      }
      if (depth < MAX_DEPTH) {
        // A plain object: a map of its own keys in insertion order (as the codec has cborg write
        // them). Symbol keys, and a '__proto__' key, are cborg's business.
        const proto = Object.getPrototypeOf(v)
        if (proto !== Object.prototype && proto !== null) return false
        const keys = Object.keys(v)
        if (Object.getOwnPropertySymbols(v).length > 0) return false
        w.head(5, keys.length)
        for (const k of keys) {
          if (k === '__proto__' || !put(w, k, depth + 1) || !put(w, (v as Record<string, unknown>)[k], depth + 1)) return false
        }
        return true
      }
      return false
    default:
      return false
  }
}

const scratch = new DataView(new ArrayBuffer(8))

/**
 * A float as cborg writes it: half precision when the value is a normal half exactly, else single
 * when it is a single exactly, else double. NaN, the infinities and values below the smallest
 * normal half (where cborg's half conversion has its own rounding) are left to cborg.
 */
function putFloat (w: Writer, v: number): boolean {
  if (!Number.isFinite(v)) return false
  const single = Math.fround(v)
  w.reserve(9)
  const b = w.buf
  if (single === v) {
    scratch.setFloat32(0, v)
    const bits = scratch.getUint32(0)
    const exponent = ((bits >>> 23) & 0xff) - 127
    if (exponent < -14 && v !== 0) return false
    if (exponent <= 15 && (bits & 0x1fff) === 0) {
      const half = ((bits >>> 16) & 0x8000) | ((exponent + 15) << 10) | ((bits >>> 13) & 0x3ff)
      b[w.pos++] = 0xf9
      b[w.pos++] = half >>> 8
      b[w.pos++] = half & 0xff
      return true
    }
    b[w.pos++] = 0xfa
    b[w.pos++] = bits >>> 24
    b[w.pos++] = (bits >>> 16) & 0xff
    b[w.pos++] = (bits >>> 8) & 0xff
    b[w.pos++] = bits & 0xff
    return true
  }
  scratch.setFloat64(0, v)
  b[w.pos++] = 0xfb
  for (let i = 0; i < 8; i++) b[w.pos++] = scratch.getUint8(i)
  return true
}

/** fastEncode's buffer while what it writes fits (a larger value grows into buffers of its own). */
const SCRATCH = new Uint8Array(4096)
let scratchBusy = false

/** The CBOR of `value` if it is made only of fast-path types, else `undefined`. */
export function fastEncode (value: unknown): Uint8Array | undefined {
  // Written into one scratch buffer (a frame or a small value: the usual case), then copied out;
  // a getter that encodes while this runs gets a buffer of its own.
  const shared = !scratchBusy
  const w = new Writer(shared ? SCRATCH : new Uint8Array(256))
  let ok: boolean
  scratchBusy = true
  try {
    ok = put(w, value, 0)
  } finally {
    if (shared) scratchBusy = false
  }
  if (!ok) return undefined
  // A buffer of its own that is (nearly) full is returned as a view: no second copy of large values.
  return w.buf !== SCRATCH && w.pos > (1 << 20) && w.buf.length - w.pos <= 4096 ? w.buf.subarray(0, w.pos) : w.buf.slice(0, w.pos)
}


const FALLBACK = Symbol('fallback')

class Reader {
  pos = 0
  /** A Node Buffer: text is read by its native latin1 decoder, without a view per string. */
  readonly nodeBuffer: boolean
  /**
   * @param strict as cborg's strict wire options (net/messages.ts): integers and lengths in their
   *   shortest form, no undefined, NaN or infinities; what breaks them is cborg's to refuse
   */
  constructor (readonly buf: Uint8Array, readonly strict: boolean) {
    this.nodeBuffer = typeof Buffer === 'function' && Buffer.isBuffer(buf)
  }

  /** The argument of a head; FALLBACK beyond 2^53 (cborg gives bigints there) and for indefinite lengths. */
  arg (info: number): number | typeof FALLBACK {
    const b = this.buf
    if (info < 24) return info
    let n: number
    if (info === 24) {
      if (this.pos >= b.length) return FALLBACK
      n = b[this.pos++]!
      return this.strict && n < 24 ? FALLBACK : n
    }
    if (info === 25) {
      if (this.pos + 2 > b.length) return FALLBACK
      n = (b[this.pos]! << 8) | b[this.pos + 1]!
      this.pos += 2
      return this.strict && n < 0x100 ? FALLBACK : n
    }
    if (info === 26) {
      if (this.pos + 4 > b.length) return FALLBACK
      n = ((b[this.pos]! << 24) >>> 0) + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!)
      this.pos += 4
      return this.strict && n < 0x10000 ? FALLBACK : n
    }
    if (info === 27) {
      if (this.pos + 8 > b.length) return FALLBACK
      const hi = ((b[this.pos]! << 24) >>> 0) + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!)
      const lo = ((b[this.pos + 4]! << 24) >>> 0) + ((b[this.pos + 5]! << 16) | (b[this.pos + 6]! << 8) | b[this.pos + 7]!)
      if (hi >= 0x200000) return FALLBACK
      this.pos += 8
      return this.strict && hi === 0 ? FALLBACK : hi * 0x100000000 + lo
    }
    return FALLBACK
  }
}

function take (r: Reader, depth: number): unknown {
  if (r.pos >= r.buf.length) return FALLBACK
  const first = r.buf[r.pos++]!
  const major = first >> 5
  const info = first & 31
  switch (major) {
    case 0: return r.arg(info)
    case 1: {
      const n = r.arg(info)
      // -2^53 and below are bigints to cborg (found by fuzzing: 3b 00 1f ff ff ff ff ff ff).
      return n === FALLBACK || n > Number.MAX_SAFE_INTEGER - 1 ? FALLBACK : -1 - n
    }
    case 2:
    case 3: {
      const n = r.arg(info)
      if (n === FALLBACK || r.pos + n > r.buf.length) return FALLBACK
      const b = r.buf
      const start = r.pos
      r.pos += n
      // A copy into a plain Uint8Array: a Buffer's slice() is a view, so a value decoded from a
      // Buffer (a file, a socket) would alias it and be a Buffer, unlike cborg's answer. Short
      // ones byte by byte (a view of a Buffer costs more than the copy).
      if (major === 2) {
        if (n > 64) return new Uint8Array(b.subarray(start, start + n))
        const out = new Uint8Array(n)
        for (let i = 0; i < n; i++) out[i] = b[start + i]!
        return out
      }
      for (let i = start; i < start + n; i++) if (b[i]! > 0x7f) return FALLBACK
      if (r.nodeBuffer) return (b as Buffer).toString('latin1', start, start + n)
      const data = b.subarray(start, start + n)
      // One native call per string (a character at a time is a concatenation each in QuickJS);
      // long strings in pieces, under the engines' argument limits.
      if (n <= 4096) return String.fromCharCode.apply(null, data as unknown as number[])
      let text = ''
      for (let at = 0; at < n; at += 4096) text += String.fromCharCode.apply(null, data.subarray(at, Math.min(n, at + 4096)) as unknown as number[])
      return text
    }
    case 4: {
      const n = r.arg(info)
      if (n === FALLBACK || depth >= MAX_DEPTH || n > r.buf.length - r.pos) return FALLBACK
      const out = new Array<unknown>(n)
      for (let i = 0; i < n; i++) {
        const v = take(r, depth + 1)
        if (v === FALLBACK) return FALLBACK
        out[i] = v
      }
      return out
    }
    case 5: {
      const n = r.arg(info)
      if (n === FALLBACK || depth >= MAX_DEPTH || n > r.buf.length - r.pos) return FALLBACK
      const out: Record<string, unknown> = {}
      for (let i = 0; i < n; i++) {
        // Keys are ASCII text; another key type, a repeated key or '__proto__' is cborg's business.
        if (r.pos >= r.buf.length || r.buf[r.pos]! >> 5 !== 3) return FALLBACK
        const k = take(r, depth + 1)
        if (typeof k !== 'string' || k === '__proto__' || Object.prototype.hasOwnProperty.call(out, k)) return FALLBACK
        const v = take(r, depth + 1)
        if (v === FALLBACK) return FALLBACK
        out[k] = v
      }
      return out
    }
    case 7:
      if (info === 20) return false
      if (info === 21) return true
      if (info === 22) return null
      if (info === 23) return r.strict ? FALLBACK : undefined
      if (info === 25) {
        if (r.pos + 2 > r.buf.length) return FALLBACK
        const half = (r.buf[r.pos]! << 8) | r.buf[r.pos + 1]!
        r.pos += 2
        const exp = (half >> 10) & 0x1f
        const mant = half & 0x3ff
        if (exp === 31) return FALLBACK // NaN and the infinities: cborg's
        const value = exp === 0 ? mant * 2 ** -24 : (mant + 1024) * 2 ** (exp - 25)
        return (half & 0x8000) !== 0 ? -value : value
      }
      if (info === 26 || info === 27) {
        const size = info === 26 ? 4 : 8
        if (r.pos + size > r.buf.length) return FALLBACK
        for (let i = 0; i < size; i++) scratch.setUint8(i, r.buf[r.pos + i]!)
        r.pos += size
        const value = size === 4 ? scratch.getFloat32(0) : scratch.getFloat64(0)
        return r.strict && !Number.isFinite(value) ? FALLBACK : value
      }
      return FALLBACK
    default:
      return FALLBACK
  }
}

/**
 * The decoded value if `bytes` hold only fast-path types (and nothing after them), else FALLBACK.
 * `strict`: FALLBACK, too, for whatever cborg's strict wire options refuse (net/messages.ts): where
 * this returns a value, cborg with those options returns an equal one.
 */
export function fastDecode (bytes: Uint8Array, strict = false): unknown {
  const r = new Reader(bytes, strict)
  const v = take(r, 0)
  return r.pos === bytes.length ? v : FALLBACK
}

export { FALLBACK }
