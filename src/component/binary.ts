// Just enough of the WebAssembly binary format to tell what a file is and to walk its sections:
// the 8-byte preamble, unsigned LEB128 and section framing (shared by core modules and components).

/** `\0asm`: the first four bytes of every WebAssembly binary. */
export const WASM_MAGIC = Uint8Array.of(0x00, 0x61, 0x73, 0x6d)
/** Encoding version of the component binaries this fabric reads (layer 1). */
export const COMPONENT_VERSION = 0x0d
/** Encoding version of core modules (layer 0). */
export const CORE_MODULE_VERSION = 0x01

/** Thrown by the readers below when the bytes end before a value or a section does. */
export class BinaryEndError extends Error {
  override name = 'BinaryEndError'
}

/** What the preamble says the bytes are. */
export type Preamble =
  | { kind: 'component', version: number }
  | { kind: 'core-module', version: number }
  | { kind: 'unknown-layer', version: number, layer: number }

/**
 * Read the 8-byte preamble: magic, a 16-bit version and a 16-bit layer (0 = core module,
 * 1 = component), both little-endian. Returns undefined when the magic is absent.
 * @throws {BinaryEndError} when fewer than 8 bytes start with a prefix of the magic.
 */
export function readPreamble (bytes: Uint8Array): Preamble | undefined {
  const n = Math.min(bytes.length, 4)
  for (let i = 0; i < n; i++) if (bytes[i] !== WASM_MAGIC[i]) return undefined
  if (bytes.length < 8) throw new BinaryEndError(`only ${bytes.length} bytes, a WebAssembly preamble has 8`)
  const version = bytes[4] | (bytes[5] << 8)
  const layer = bytes[6] | (bytes[7] << 8)
  if (layer === 0) return { kind: 'core-module', version }
  if (layer === 1) return { kind: 'component', version }
  return { kind: 'unknown-layer', version, layer }
}

/** Reads unsigned LEB128 integers from `bytes`, advancing `offset`. */
export class Reader {
  constructor (readonly bytes: Uint8Array, public offset = 0) {}

  /** An unsigned LEB128 integer of at most 32 bits (every size and count in wasm is one). */
  u32 (): number {
    let result = 0
    let shift = 0
    for (;;) {
      if (this.offset >= this.bytes.length) throw new BinaryEndError(`unexpected end of data at offset 0x${this.offset.toString(16)}`)
      const byte = this.bytes[this.offset++]
      // Multiplication instead of `<<`: a shift of 28 would overflow into the sign bit.
      result += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) break
      shift += 7
      if (shift > 28) throw new RangeError(`LEB128 integer longer than 5 bytes at offset 0x${(this.offset - 1).toString(16)}`)
    }
    if (result > 0xffffffff) throw new RangeError(`LEB128 integer over 32 bits at offset 0x${this.offset.toString(16)}`)
    return result
  }

  byte (): number {
    if (this.offset >= this.bytes.length) throw new BinaryEndError(`unexpected end of data at offset 0x${this.offset.toString(16)}`)
    return this.bytes[this.offset++]
  }

  /** The next byte, not consumed. */
  peek (): number {
    if (this.offset >= this.bytes.length) throw new BinaryEndError(`unexpected end of data at offset 0x${this.offset.toString(16)}`)
    return this.bytes[this.offset]
  }

  /** `n` bytes (a view, not a copy). */
  take (n: number): Uint8Array {
    if (n > this.bytes.length - this.offset) throw new BinaryEndError(`${n} bytes wanted at offset 0x${this.offset.toString(16)}, ${this.bytes.length - this.offset} remain`)
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  /**
   * A name: a LEB128 length and that many bytes of UTF-8. Names longer than `max` bytes are
   * refused before they are decoded (a length field may claim anything).
   * @throws {RangeError} when longer than `max` or not valid UTF-8.
   */
  name (max = 1024): string {
    const at = this.offset
    const n = this.u32()
    if (n > max) throw new RangeError(`a name of ${n} bytes at offset 0x${at.toString(16)}, over the limit of ${max}`)
    try {
      return utf8.decode(this.take(n))
    } catch (err) {
      if (err instanceof BinaryEndError) throw err
      throw new RangeError(`a name at offset 0x${at.toString(16)} is not valid UTF-8`)
    }
  }

  /** Skip a signed LEB128 integer of at most `bits` bits (s33 type indices, s64 constants). */
  skipSigned (bits = 33): void {
    const maxBytes = Math.ceil(bits / 7)
    for (let i = 0; i < maxBytes; i++) {
      if ((this.byte() & 0x80) === 0) return
    }
    throw new RangeError(`LEB128 integer longer than ${maxBytes} bytes at offset 0x${(this.offset - 1).toString(16)}`)
  }

  get done (): boolean {
    return this.offset >= this.bytes.length
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Minimal unsigned LEB128 encoding of `value` (0 ≤ value < 2^32). */
export function encodeU32 (value: number): Uint8Array {
  const out: number[] = []
  let v = value
  do {
    let byte = v & 0x7f
    v = Math.floor(v / 128)
    if (v !== 0) byte |= 0x80
    out.push(byte)
  } while (v !== 0)
  return Uint8Array.from(out)
}

/** One section of a module or component: its id and where its payload lies. */
export interface Section {
  id: number
  /** Offset of the id byte. */
  start: number
  /** Offset of the payload (after the size). */
  payloadStart: number
  /** Offset just past the payload. */
  end: number
}

/**
 * The top-level sections after the preamble. Nested modules and components are not entered: their
 * sections lie inside their parent's payload.
 * @throws {BinaryEndError} when a section runs past the end of `bytes`.
 */
export function readSections (bytes: Uint8Array): Section[] {
  const sections: Section[] = []
  const r = new Reader(bytes, 8)
  while (r.offset < bytes.length) {
    const start = r.offset
    const id = r.byte()
    const size = r.u32()
    const payloadStart = r.offset
    const end = payloadStart + size
    if (end > bytes.length) {
      throw new BinaryEndError(
        `section ${id} at offset 0x${start.toString(16)} declares ${size} bytes but only ${bytes.length - payloadStart} remain`
      )
    }
    sections.push({ id, start, payloadStart, end })
    r.offset = end
  }
  return sections
}
