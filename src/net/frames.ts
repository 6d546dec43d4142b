// Length-prefixed frames (unsigned varint length, then the bytes) over a libp2p stream, with a
// size limit enforced from the prefix alone, before any of the frame is read.
import './polyfill.js'
import { lpStream } from '@libp2p/utils'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Logger, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { MalformedMessageError } from './errors.js'
import { encode } from './messages.js'
import { serializeError } from '../errors/index.js'

/** Bytes the read buffer may hold beyond one frame, so a client flooding junk is cut off early. */
const BUFFER_SLACK_BYTES = 64 * 1024

/**
 * Wrap `stream` in length-prefixed frames of at most `maxDataLength` bytes. A longer frame, or a
 * length prefix with more bytes than such a length needs, fails the read. `maxBufferSize`: what may
 * arrive ahead of the reader (a bulk receiver must allow the muxer's whole window).
 */
export function frameStream (stream: Stream, maxDataLength: number, maxBufferSize = maxDataLength + BUFFER_SLACK_BYTES): LengthPrefixedStream<Stream> {
  const maxPrefixBytes = varintLength(maxDataLength)
  return lpStream(stream, {
    maxDataLength,
    maxLengthLength: maxPrefixBytes,
    maxBufferSize,
    lengthDecoder: boundedVarint(maxPrefixBytes)
  })
}

function varintLength (n: number): number {
  let bytes = 1
  while (n >= 0x80) { n = Math.floor(n / 128); bytes++ }
  return bytes
}

// lpStream keeps reading while the decoder throws RangeError (prefix incomplete), so a stock
// decoder would wait forever on endless continuation bytes: fail as soon as the prefix is too long.
function boundedVarint (maxBytes: number): (data: Uint8ArrayList) => number {
  return (data) => {
    let value = 0
    let scale = 1
    for (let i = 0; i < data.byteLength; i++) {
      const b = data.get(i)
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return value
      scale *= 128
      if (i + 1 >= maxBytes) throw new MalformedMessageError(`frame length prefix longer than ${maxBytes} bytes`)
    }
    throw new RangeError('incomplete length prefix')
  }
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
export async function readRequest (stream: Stream, lp: LengthPrefixedStream<Stream>, idleTimeoutMs: number | undefined, log: Logger): Promise<Uint8ArrayList | undefined> {
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
export async function refuse (stream: Stream, lp: LengthPrefixedStream<Stream>, err: unknown, log: Logger): Promise<void> {
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
