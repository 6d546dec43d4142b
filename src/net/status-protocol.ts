// `/fabric/status/1`: a request/response protocol on a long-lived stream of length-prefixed CBOR
// frames. Request `{ type: 'status' }` → the node's own info and its view of the fabric. A frame
// that is too large or invalid gets an error frame (when one can still be sent) and the stream ends.
import './polyfill.js'
import type { Libp2p, Logger, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import { MAX_STATUS_REPLY_BYTES, MAX_STATUS_REQUEST_BYTES, STATUS_IDLE_TIMEOUT_MS, STATUS_PROTOCOL } from './constants.js'
import { MalformedMessageError, PeerUnreachableError, RemoteError } from './errors.js'
import { frameStream } from './frames.js'
import { decodeStatusReply, decodeStatusRequest, encode } from './messages.js'
import type { ErrorReply } from './messages.js'
import type { StatusReply } from './interface.js'
import { serializeError } from '../errors/index.js'

/** How long the server waits to hand a refusal to a misbehaving client before resetting the stream. */
const ERROR_FRAME_TIMEOUT_MS = 1000

/** How long a refused client has to close its side before the stream is reset. */
const REFUSE_LINGER_MS = 250

/**
 * Serve one inbound status stream: answer each request until the client closes, goes idle for
 * `idleTimeoutMs`, or sends a frame that is too large or invalid.
 */
export async function serveStatusStream (stream: Stream, reply: () => StatusReply, log: Logger, idleTimeoutMs = STATUS_IDLE_TIMEOUT_MS): Promise<void> {
  const lp = frameStream(stream, MAX_STATUS_REQUEST_BYTES)
  while (true) {
    let frame
    try {
      frame = await lp.read({ signal: AbortSignal.timeout(idleTimeoutMs) })
    } catch (err) {
      const name = (err as Error).name
      if (name === 'UnexpectedEOFError') {
        // The client closed its side: the conversation is over.
        await stream.close().catch(() => { stream.abort(err as Error) })
        return
      }
      if (name === 'TimeoutError' || name === 'AbortError') {
        log('closing an idle status stream')
        stream.abort(new Error('idle timeout'))
        return
      }
      // Oversized frame, bad length prefix, buffer overflow, or the stream died.
      await refuse(stream, lp, new MalformedMessageError(`bad frame: ${(err as Error).message}`), log)
      return
    }
    try {
      decodeStatusRequest(frame.subarray())
    } catch (err) {
      await refuse(stream, lp, err, log)
      return
    }
    await lp.write(encode(reply()), { signal: AbortSignal.timeout(idleTimeoutMs) })
  }
}

/**
 * Send an error frame (best effort, bounded in time) and end the stream: its framing can no longer
 * be trusted. A client that does not close its side within a moment gets a reset, so refused
 * streams never pile up against the per-connection stream limit.
 */
async function refuse (stream: Stream, lp: LengthPrefixedStream<Stream>, err: unknown, log: Logger): Promise<void> {
  log('refusing a status stream - %e', err)
  if (stream.status === 'open' && stream.writeStatus === 'writable') {
    const frame: ErrorReply = { type: 'error', error: serializeError(err) }
    try {
      await lp.write(encode(frame), { signal: AbortSignal.timeout(ERROR_FRAME_TIMEOUT_MS) })
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

/** Options of {@link requestStatus}. */
export interface RequestStatusOptions {
  /** @default 10000 */
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Ask the node at `addr` for its status over `/fabric/status/1`.
 *
 * @throws PeerUnreachableError when the node cannot be dialled (down, wrong secret, not a fabric node)
 * @throws MalformedMessageError when the reply fails validation
 * @throws RemoteError when the node answered with an error frame
 * @example
 * ```ts
 * const reply = await requestStatus(client, multiaddr('/ip4/127.0.0.1/tcp/7400/p2p/12D3...'))
 * for (const p of reply.peers) console.log(p.info.peer, p.state)
 * ```
 */
export async function requestStatus (libp2p: Libp2p, addr: Multiaddr, options: RequestStatusOptions = {}): Promise<StatusReply> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000)
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
  let stream: Stream
  try {
    stream = await libp2p.dialProtocol(addr, STATUS_PROTOCOL, { signal })
  } catch (err) {
    throw new PeerUnreachableError(`cannot reach ${addr.toString()}: ${describeDialError(err)}`, { cause: err })
  }
  try {
    const lp = frameStream(stream, MAX_STATUS_REPLY_BYTES)
    await lp.write(encode({ type: 'status' }), { signal })
    let frame
    try {
      frame = await lp.read({ signal })
    } catch (err) {
      if (['InvalidDataLengthError', 'InvalidDataLengthLengthError', 'MalformedMessageError'].includes((err as Error).name)) throw new MalformedMessageError(`status reply too large: ${(err as Error).message}`, { cause: err })
      if (signal.aborted) throw new PeerUnreachableError(`no status reply from ${addr.toString()} in time`, { cause: err })
      throw new PeerUnreachableError(`status stream to ${addr.toString()} failed: ${(err as Error).message}`, { cause: err })
    }
    const reply = decodeStatusReply(frame.subarray())
    if (reply.type === 'error') throw new RemoteError(`${addr.toString()} refused the status request: ${reply.error.name}: ${reply.error.message}`)
    await stream.close({ signal }).catch(() => {})
    return reply
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

// Dial failures arrive as aggregate errors from the dial queue; surface the useful part in one line.
function describeDialError (err: unknown): string {
  const e = err as Error & { errors?: unknown[] }
  const inner = Array.isArray(e.errors) && e.errors.length > 0 ? e.errors[e.errors.length - 1] as Error : undefined
  const msg = inner?.message ?? e.message ?? String(err)
  if (/ECONNREFUSED/.test(msg)) return 'connection refused (is a node running there?)'
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /abort|timed? ?out/i.test(msg)) return 'timed out (unreachable, or a private fabric with a different --secret)'
  if (/protocol selection failed|could not negotiate|UnsupportedProtocol/i.test(msg)) return `the peer does not speak ${STATUS_PROTOCOL} (not a fabric node?)`
  return `${msg} (a private fabric needs the same --secret)`
}
