// Splitting a CBOR array into the bytes of its items without decoding them: how a node takes a
// task's arguments from the wire. Only an argument whose bytes may hold a ref is decoded (its refs
// are renamed); the others go to the guest as they came, so the node's main thread never builds
// the values of untrusted arguments it does not need to read. The walk is linear in the bytes,
// bounded in depth, and refuses what the decoder would refuse cheaply: truncated items, reserved
// headers, stray breaks, and bignums over the codec's limit.
import { CodecError, MAX_BIGNUM_BYTES } from './codec.js'

/** Nesting the walk follows at most (arrays, maps, tags inside one another). */
export const MAX_SCAN_DEPTH = 256

const BREAK = 0xff

/**
 * The bytes of each item of the CBOR array `bytes` (views into it), in order.
 *
 * @throws CodecError when `bytes` is not one well-formed CBOR array (naming `what` and the offset)
 */
export function splitCborArray (bytes: Uint8Array, what = 'a CBOR array'): Uint8Array[] {
  const scan = new Scan(bytes, what)
  if (bytes.length === 0 || bytes[0]! >> 5 !== 4) throw new CodecError(`${what} must be a CBOR array`)
  const head = scan.head(0)
  const items: Uint8Array[] = []
  let at = head.next
  if (head.indefinite) {
    while (scan.byte(at) !== BREAK) {
      const end = scan.skip(at, 1)
      items.push(bytes.subarray(at, end))
      at = end
    }
    at++
  } else {
    for (let k = 0; k < head.arg; k++) {
      const end = scan.skip(at, 1)
      items.push(bytes.subarray(at, end))
      at = end
    }
  }
  if (at !== bytes.length) throw new CodecError(`${what}: ${bytes.length - at} bytes after the array`)
  return items
}

interface Head { major: number, arg: number, indefinite: boolean, next: number }

class Scan {
  constructor (private readonly b: Uint8Array, private readonly what: string) {}

  byte (at: number): number {
    if (at >= this.b.length) throw new CodecError(`${this.what}: truncated at byte ${at}`)
    return this.b[at]!
  }

  /** The header at `at`: its major type, argument (a length, count, tag or value) and where what follows it starts. */
  head (at: number): Head {
    const ib = this.byte(at)
    const major = ib >> 5
    const info = ib & 31
    if (info < 24) return { major, arg: info, indefinite: false, next: at + 1 }
    if (info === 31) {
      if (major === 0 || major === 1 || major === 6) throw new CodecError(`${this.what}: invalid indefinite length at byte ${at}`)
      return { major, arg: 0, indefinite: true, next: at + 1 }
    }
    if (info > 27) throw new CodecError(`${this.what}: reserved header 0x${ib.toString(16)} at byte ${at}`)
    const size = 1 << (info - 24)
    if (at + size >= this.b.length) throw new CodecError(`${this.what}: truncated at byte ${at}`)
    let arg = 0
    for (let k = 1; k <= size; k++) arg = arg * 256 + this.b[at + k]!
    if (!Number.isSafeInteger(arg) && major !== 0 && major !== 1 && major !== 7) throw new CodecError(`${this.what}: length at byte ${at} is too large`)
    return { major, arg, indefinite: false, next: at + 1 + size }
  }

  /** Where the item at `at` ends. */
  skip (at: number, depth: number): number {
    if (depth > MAX_SCAN_DEPTH) throw new CodecError(`${this.what}: nested more than ${MAX_SCAN_DEPTH} deep`)
    const h = this.head(at)
    if (h.major === 7 && h.indefinite) throw new CodecError(`${this.what}: unexpected break at byte ${at}`)
    switch (h.major) {
      case 0: case 1: case 7:
        return h.next
      case 2: case 3:
        return this.skipString(at, h).end
      case 4: case 5: {
        const per = h.major === 5 ? 2 : 1
        let i = h.next
        if (h.indefinite) {
          while (this.byte(i) !== BREAK) for (let k = 0; k < per; k++) i = this.skip(i, depth + 1)
          return i + 1
        }
        // Each item takes at least a byte: a count the bytes cannot hold fails when they run out.
        for (let n = 0; n < h.arg * per; n++) i = this.skip(i, depth + 1)
        return i
      }
      default: { // 6: a tag and its item
        if (h.arg === 2 || h.arg === 3) {
          const inner = this.head(h.next)
          if (inner.major !== 2) throw new CodecError(`${this.what}: a bignum (CBOR tag ${h.arg}) must wrap a byte string`)
          const { end, length } = this.skipString(h.next, inner)
          if (length > MAX_BIGNUM_BYTES) throw new CodecError(`a bignum of ${length} bytes is over the ${MAX_BIGNUM_BYTES}-byte limit (pass larger numbers as bytes or strings)`)
          return end
        }
        return this.skip(h.next, depth + 1)
      }
    }
  }

  /** A byte or text string: its end and its length in bytes (indefinite ones are refused, as the codec refuses them). */
  private skipString (at: number, h: Head): { end: number, length: number } {
    if (h.indefinite) throw new CodecError(`${this.what}: an indefinite-length string at byte ${at} (not supported)`)
    if (h.arg > this.b.length - h.next) throw new CodecError(`${this.what}: truncated string at byte ${at}`)
    return { end: h.next + h.arg, length: h.arg }
  }
}
