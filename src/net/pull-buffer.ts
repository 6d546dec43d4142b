// Where a pull's bytes land. A peer's `have` header is untrusted until the bytes match the CID, so
// a holder that claims a size it never sends must cost what it sent, not the size it claimed.
//
// One buffer of the claimed size is reserved, not filled: the operating system commits its pages
// as bytes are written into them (an ArrayBuffer's memory is calloc'ed, and large callocs are fresh
// zero pages), so resident memory follows the bytes that came, and the finished object is that
// buffer itself: no second copy of a 1 GiB object to join its parts. `allocated` counts the
// segments written to, the bytes a caller should consider spent. Where the reservation is refused
// (a claimed size the allocator will not reserve), segments are allocated one at a time as bytes
// arrive, and joined once at the end.

/** Bytes per segment (the unit of `allocated`, and of the fallback's allocations). */
export const PULL_SEGMENT_BYTES = 4 * 1024 * 1024

export class PullBuffer {
  /** The reserved buffer, or undefined where it could not be reserved (segments below). */
  private readonly whole: Uint8Array | undefined
  private readonly segments: Array<Uint8Array | undefined>
  private readonly touched: Uint8Array
  private allocatedBytes = 0

  /** @param size the object's size as the holders claim it */
  constructor (readonly size: number, private readonly segmentBytes = PULL_SEGMENT_BYTES) {
    const count = Math.ceil(size / segmentBytes)
    this.touched = new Uint8Array(count)
    let whole: Uint8Array | undefined
    try {
      whole = new Uint8Array(size)
    } catch {
      whole = undefined
    }
    this.whole = whole
    this.segments = whole === undefined ? new Array<Uint8Array | undefined>(count) : []
  }

  /** Bytes spent so far: the segments written to (at most those written plus one per place being written). */
  get allocated (): number {
    return this.allocatedBytes
  }

  /** Copy `chunk` in at byte `pos` (it must fit within the size). */
  write (chunk: Uint8Array, pos: number): void {
    if (pos < 0 || pos + chunk.byteLength > this.size) throw new RangeError(`bytes ${pos}..${pos + chunk.byteLength} are outside an object of ${this.size} bytes`)
    if (chunk.byteLength === 0) return
    const first = Math.floor(pos / this.segmentBytes)
    const last = Math.floor((pos + chunk.byteLength - 1) / this.segmentBytes)
    for (let i = first; i <= last; i++) this.touch(i)
    if (this.whole !== undefined) {
      this.whole.set(chunk, pos)
      return
    }
    let done = 0
    while (done < chunk.byteLength) {
      const at = pos + done
      const index = Math.floor(at / this.segmentBytes)
      const offset = at - index * this.segmentBytes
      const segment = this.segment(index)
      const n = Math.min(chunk.byteLength - done, segment.byteLength - offset)
      segment.set(chunk.subarray(done, done + n), offset)
      done += n
    }
  }

  /** The object's bytes in order, a segment at a time (for hashing without a copy). */
  * parts (): Iterable<Uint8Array> {
    for (let i = 0; i < this.touched.length; i++) {
      this.touch(i)
      if (this.whole !== undefined) yield this.whole.subarray(i * this.segmentBytes, Math.min(this.size, (i + 1) * this.segmentBytes))
      else yield this.segment(i)
    }
  }

  /** The whole object as one buffer: the reserved buffer itself, or one copy of the segments. */
  toBytes (): Uint8Array {
    if (this.whole !== undefined) return this.whole
    if (this.segments.length === 1) return this.segment(0)
    const out = new Uint8Array(this.size)
    let at = 0
    for (const p of this.parts()) {
      out.set(p, at)
      at += p.byteLength
    }
    return out
  }

  private touch (index: number): void {
    if (this.touched[index] === 1) return
    this.touched[index] = 1
    this.allocatedBytes += Math.min(this.segmentBytes, this.size - index * this.segmentBytes)
  }

  private segment (index: number): Uint8Array {
    let s = this.segments[index]
    if (s === undefined) {
      s = new Uint8Array(Math.min(this.segmentBytes, this.size - index * this.segmentBytes))
      this.segments[index] = s
    }
    return s
  }
}
