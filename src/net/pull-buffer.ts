// Where a pull's bytes land: allocated a segment at a time as they arrive, so a holder that claims
// a size it never sends costs what it sent plus one segment per range being read, not the size it
// claimed (a peer's `have` header is untrusted until the bytes match the CID).

/** Bytes per segment. */
export const PULL_SEGMENT_BYTES = 4 * 1024 * 1024

export class PullBuffer {
  private readonly segments: Array<Uint8Array | undefined>
  private allocatedBytes = 0

  /** @param size the object's size as the holders claim it */
  constructor (readonly size: number, private readonly segmentBytes = PULL_SEGMENT_BYTES) {
    this.segments = new Array<Uint8Array | undefined>(Math.ceil(size / segmentBytes))
  }

  /** Bytes allocated so far (at most those written plus one segment per place being written). */
  get allocated (): number {
    return this.allocatedBytes
  }

  /** Copy `chunk` in at byte `pos` (it must fit within the size). */
  write (chunk: Uint8Array, pos: number): void {
    if (pos < 0 || pos + chunk.byteLength > this.size) throw new RangeError(`bytes ${pos}..${pos + chunk.byteLength} are outside an object of ${this.size} bytes`)
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
    for (let i = 0; i < this.segments.length; i++) yield this.segment(i)
  }

  /** The whole object as one buffer: a segment itself, or one copy of them all. */
  toBytes (): Uint8Array {
    if (this.segments.length === 1) return this.segment(0)
    const out = new Uint8Array(this.size)
    let at = 0
    for (const p of this.parts()) {
      out.set(p, at)
      at += p.byteLength
    }
    return out
  }

  private segment (index: number): Uint8Array {
    let s = this.segments[index]
    if (s === undefined) {
      s = new Uint8Array(Math.min(this.segmentBytes, this.size - index * this.segmentBytes))
      this.segments[index] = s
      this.allocatedBytes += s.byteLength
    }
    return s
  }
}
