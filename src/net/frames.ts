// Length-prefixed frames (unsigned varint length, then the bytes) over a libp2p stream, with a
// size limit enforced from the prefix alone, before any of the frame is read (frame-reader.ts),
// served requests and refusals, and frames written together (FrameWriter).
import './polyfill.js'
import type { Logger, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { MalformedMessageError } from './errors.js'
import { FrameReader, varintBytes, type FrameStream } from './frame-reader.js'
import { encode } from './messages.js'
import { serializeError } from '../errors/index.js'

/** Bytes the read buffer may hold beyond one frame, so a client flooding junk is cut off early. */
const BUFFER_SLACK_BYTES = 64 * 1024

/**
 * Wrap `stream` in length-prefixed frames of at most `maxDataLength` bytes. A longer frame, or a
 * length prefix with more bytes than such a length needs, fails the read. `maxBufferSize`: what may
 * arrive ahead of the reader (a bulk receiver must allow the muxer's whole window).
 */
export function frameStream (stream: Stream, maxDataLength: number, maxBufferSize = maxDataLength + BUFFER_SLACK_BYTES): FrameStream {
  return new FrameReader(stream, maxDataLength, maxBufferSize)
}

/** How long the server waits to hand a refusal to a misbehaving client before resetting the stream. */
const ERROR_FRAME_TIMEOUT_MS = 1000

/** How long a refused client has to close its side before the stream is reset. */
const REFUSE_LINGER_MS = 250

/**
 * The next request frame of a server's stream, or undefined when the conversation is over: the
 * client closed its side (the stream is closed), went idle for `idleTimeoutMs` (reset; undefined:
 * a stream may idle as long as it lives), or sent a frame that is too large or has a bad prefix
 * (refused with an error frame).
 */
export async function readRequest (stream: Stream, lp: FrameStream, idleTimeoutMs: number | undefined, log: Logger): Promise<Uint8ArrayList | undefined> {
  try {
    return await lp.read(idleTimeoutMs === undefined ? {} : { signal: AbortSignal.timeout(idleTimeoutMs) })
  } catch (err) {
    const name = (err as Error).name
    if (name === 'UnexpectedEOFError') {
      await stream.close().catch(() => { stream.abort(err as Error) })
    } else if (name === 'TimeoutError' || name === 'AbortError') {
      log('closing an idle stream')
      stream.abort(new Error('idle timeout'))
    } else if (stream.status !== 'open') {
      // The stream was reset or its connection closed: nobody is left to refuse.
    } else {
      // Oversized frame, bad length prefix, buffer overflow, or the stream died.
      await refuse(stream, lp, new MalformedMessageError(`bad frame: ${(err as Error).message}`), log)
    }
    return undefined
  }
}

/**
 * Send an error frame `{ type: 'error', error }` (best effort, bounded in time) and end the stream:
 * its framing can no longer be trusted. A client that does not close its side within a moment gets
 * a reset, so refused streams never pile up against the per-connection stream limit.
 */
export async function refuse (stream: Stream, lp: FrameStream, err: unknown, log: Logger): Promise<void> {
  log('refusing a stream - %e', err)
  if (stream.status === 'open' && stream.writeStatus === 'writable') {
    try {
      await lp.write(encode({ type: 'error', error: serializeError(err) }), { signal: AbortSignal.timeout(ERROR_FRAME_TIMEOUT_MS) })
      // close() returns once the frame is handed to the muxer, ahead of any reset below.
      await stream.close({ signal: AbortSignal.timeout(ERROR_FRAME_TIMEOUT_MS) })
      await closed(stream, REFUSE_LINGER_MS)
    } catch {
      // fall through to the reset
    }
  }
  if (stream.status !== 'closed') stream.abort(err instanceof Error ? err : new Error(String(err)))
}

async function closed (stream: Stream, ms: number): Promise<void> {
  if (stream.status === 'closed') return
  await new Promise<void>(resolve => {
    const done = (): void => { clearTimeout(t); stream.removeEventListener('close', done); resolve() }
    const t = setTimeout(done, ms)
    stream.addEventListener('close', done)
  })
}

/** Bytes a {@link FrameWriter} hands to its stream in one send at most. */
const COALESCE_MAX_BYTES = 1024 * 1024

/**
 * Length-prefixed frames to one stream, written together: the frames queued while the event loop
 * is busy go out in one send when it turns (setImmediate), as one muxer frame, one encrypted record
 * and one socket write instead of one of each per frame. Under load (a driver submitting a thousand
 * tasks in a loop, a node answering a batch) that is most of the per-frame cost; a lone frame waits
 * only for the end of the current turn. Frames keep their order; the peer reads them one by one as
 * before (the bytes on the wire are the same as separate writes).
 *
 * `write` never blocks: while the stream needs draining the frames wait here, in order. A failed
 * send (the stream closed or was reset) is reported once to `onError`; later frames are dropped.
 */
export class FrameWriter {
  private queue: Uint8Array[] = []
  private scheduled = false
  private draining = false
  private failed = false
  private waiters: Array<() => void> = []

  constructor (private readonly stream: Stream, private readonly onError: (err: Error) => void = () => {}) {}

  /** Queue one frame (its length prefix is added here). */
  write (frame: Uint8Array): void {
    if (this.failed) return
    this.queue.push(varintBytes(frame.byteLength), frame)
    if (!this.scheduled && !this.draining) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  /**
   * Resolves once every frame queued so far was handed to the stream and the stream does not
   * need draining (as an awaited write would), or the writer failed.
   */
  async flushed (): Promise<void> {
    if ((this.queue.length === 0 && !this.draining) || this.failed) return
    await new Promise<void>(resolve => { this.waiters.push(resolve) })
  }

  private readonly flush = (): void => {
    this.scheduled = false
    if (this.failed || this.draining) return
    try {
      while (this.queue.length > 0) {
        // At most COALESCE_MAX_BYTES per send (a frame larger than that goes alone).
        let n = 0
        let bytes = 0
        while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.byteLength + this.queue[n + 1]!.byteLength <= COALESCE_MAX_BYTES)) {
          bytes += this.queue[n]!.byteLength + this.queue[n + 1]!.byteLength
          n += 2
        }
        const part = this.queue.splice(0, n)
        let ok: boolean
        if (n === 2 && part[1]!.byteLength >= 65536) {
          // A large frame alone is not copied: its prefix goes first (send queues its bytes even
          // when it asks for a drain).
          const prefixOk = this.stream.send(part[0]!)
          ok = this.stream.send(part[1]!) && prefixOk
        } else {
          ok = this.stream.send(concat(part, bytes))
        }
        if (!ok) {
          this.draining = true
          this.stream.onDrain().then(() => { this.draining = false; this.flush() }, err => { this.fail(err) })
          return
        }
      }
    } catch (err) {
      this.fail(err)
      return
    }
    this.wake()
  }

  private fail (err: unknown): void {
    if (this.failed) return
    this.failed = true
    this.queue = []
    this.wake()
    this.onError(err instanceof Error ? err : new Error(String(err)))
  }

  private wake (): void {
    const w = this.waiters
    this.waiters = []
    for (const resolve of w) resolve()
  }
}

function concat (parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.byteLength }
  return out
}
