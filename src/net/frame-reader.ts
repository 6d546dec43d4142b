// Length-prefixed frames (unsigned varint length, then the bytes) read from a libp2p stream
// (issue 18). libp2p's lpStream reads the length prefix a byte at a time, each byte an awaited
// read with its own promise, options object and list: ~4 KB of garbage and four turns of the
// microtask queue per frame, on every task request a node reads and every result a driver reads.
// Here the bytes that arrive are kept in one list and every complete frame in it is handed out at
// once; a read waits only when no whole frame is there. Same limits and errors as lpStream (the
// protocols tell EOF, timeouts and bad frames apart by the errors' names).
import { InvalidDataLengthError, UnexpectedEOFError } from '@libp2p/utils'
import { StreamBufferError, type Stream, type StreamCloseEvent, type StreamMessageEvent } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { MalformedMessageError } from './errors.js'

/** What the protocols use of a framed stream: read a frame, write one. */
export interface FrameStream {
  /**
   * The next frame. Throws UnexpectedEOFError once the peer closed its side (between frames or
   * within one), InvalidDataLengthError for a frame over the limit (known from its prefix),
   * MalformedMessageError for a prefix longer than the limit needs, StreamBufferError when more
   * than the buffer limit arrived unread (the stream is aborted), the stream's error when it is
   * reset while this waits, and the signal's reason when it aborts.
   */
  read: (options?: { signal?: AbortSignal }) => Promise<Uint8ArrayList>
  /** Write one frame (its prefix added); waits while the stream needs draining. */
  write: (data: Uint8Array | Uint8ArrayList, options?: { signal?: AbortSignal }) => Promise<void>
}

interface Waiter { resolve: () => void, reject: (err: Error) => void }

/** Frames of at most `maxDataLength` bytes from `stream`; at most `maxBufferSize` bytes may arrive ahead of the reader. */
export class FrameReader implements FrameStream {
  private readonly buffer = new Uint8ArrayList()
  private readonly maxPrefixBytes: number
  /** Set once too much arrived unread: every read fails with it. */
  private overflow: Error | undefined
  private waiters: Waiter[] = []

  constructor (private readonly stream: Stream, private readonly maxDataLength: number, private readonly maxBufferSize: number) {
    this.maxPrefixBytes = varintLength(maxDataLength)
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('close', this.onClose)
    stream.addEventListener('remoteCloseWrite', this.onEnd)
  }

  read (options?: { signal?: AbortSignal }): Promise<Uint8ArrayList> {
    try {
      const frame = this.next()
      if (frame !== undefined) return Promise.resolve(frame)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.readSlow(options?.signal)
  }

  async write (data: Uint8Array | Uint8ArrayList, options?: { signal?: AbortSignal }): Promise<void> {
    if (!this.stream.send(new Uint8ArrayList(varintBytes(data.byteLength), data))) await this.stream.onDrain(options)
  }

  private async readSlow (signal: AbortSignal | undefined): Promise<Uint8ArrayList> {
    for (;;) {
      if (this.ended()) throw new UnexpectedEOFError(`Unexpected EOF - the stream closed with ${this.buffer.byteLength} bytes of a frame read`)
      await this.arrival(signal)
      const frame = this.next()
      if (frame !== undefined) return frame
    }
  }

  /** A whole frame from the buffer, or undefined while it is not all there. */
  private next (): Uint8ArrayList | undefined {
    if (this.overflow !== undefined) throw this.overflow
    const buf = this.buffer
    let length = 0
    let scale = 1
    let prefix = 0
    for (;;) {
      if (prefix >= buf.byteLength) return undefined
      const b = buf.get(prefix++)
      length += (b & 0x7f) * scale
      if ((b & 0x80) === 0) break
      scale *= 128
      if (prefix >= this.maxPrefixBytes) throw new MalformedMessageError(`frame length prefix longer than ${this.maxPrefixBytes} bytes`)
    }
    if (length > this.maxDataLength) throw new InvalidDataLengthError(`Message length too long - ${length} > ${this.maxDataLength}`)
    if (buf.byteLength < prefix + length) return undefined
    const frame = buf.sublist(prefix, prefix + length)
    buf.consume(prefix + length)
    return frame
  }

  /** The peer will send nothing more and nothing is left to read (as lpStream's isEOF). */
  private ended (): boolean {
    return this.stream.remoteWriteStatus !== 'writable' && this.stream.readBufferLength === 0
  }

  /** Resolves when bytes arrive or the stream ends; rejects when it is reset or `signal` aborts. */
  private async arrival (signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted()
    let onAbort: (() => void) | undefined
    try {
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { resolve, reject }
        this.waiters.push(waiter)
        if (signal !== undefined) {
          // An abandoned wait leaves no waiter behind (a reader may time out again and again).
          onAbort = () => {
            this.waiters = this.waiters.filter(w => w !== waiter)
            reject(signal.reason ?? new DOMException('aborted', 'AbortError'))
          }
          signal.addEventListener('abort', onAbort, { once: true })
        }
      })
    } finally {
      if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort)
    }
  }

  private wake (err?: Error): void {
    const waiters = this.waiters
    if (waiters.length === 0) return
    this.waiters = []
    for (const w of waiters) {
      if (err === undefined) w.resolve()
      else w.reject(err)
    }
  }

  private readonly onMessage = (evt: Event): void => {
    // The stream is being aborted after an overflow: the rest is dropped.
    if (this.overflow !== undefined) return
    this.buffer.append((evt as StreamMessageEvent).data)
    if (this.buffer.byteLength > this.maxBufferSize) {
      const size = this.buffer.byteLength
      this.buffer.consume(size)
      this.overflow = new StreamBufferError(`Read buffer overflow - ${size} > ${this.maxBufferSize}`)
      this.wake(this.overflow)
      // Let the current dispatch finish first.
      const err = this.overflow
      queueMicrotask(() => { this.stream.abort(err) })
      return
    }
    this.wake()
  }

  private readonly onClose = (evt: Event): void => {
    this.wake((evt as StreamCloseEvent).error)
  }

  private readonly onEnd = (): void => {
    this.wake()
  }
}

/** Bytes of `n` as an unsigned varint. */
function varintLength (n: number): number {
  let bytes = 1
  while (n >= 0x80) { n = Math.floor(n / 128); bytes++ }
  return bytes
}

/** `n` as an unsigned varint. */
export function varintBytes (n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n))
  for (let i = 0; i < out.length; i++) {
    out[i] = (n % 128) | (i < out.length - 1 ? 0x80 : 0)
    n = Math.floor(n / 128)
  }
  return out
}
