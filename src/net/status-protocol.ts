// `/fabric/status/1`: a request/response protocol on a long-lived stream of length-prefixed CBOR
// frames. Request `{ type: 'status' }` → the node's own info and its view of the fabric. A frame
// that is too large or invalid gets an error frame (when one can still be sent) and the stream ends.
import './polyfill.js'
import type { Libp2p, Logger, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { MAX_STATUS_REPLY_BYTES, MAX_STATUS_REQUEST_BYTES, STATUS_IDLE_TIMEOUT_MS, STATUS_PROTOCOL } from './constants.js'
import { MalformedMessageError, PeerUnreachableError, RemoteError } from './errors.js'
import { frameStream, readRequest, refuse } from './frames.js'
import { decodeStatusReply, decodeStatusRequest, encode } from './messages.js'
import type { StatusReply } from './interface.js'

/**
 * Serve one inbound status stream: answer each request until the client closes, goes idle for
 * `idleTimeoutMs`, or sends a frame that is too large or invalid.
 */
export async function serveStatusStream (stream: Stream, reply: () => StatusReply, log: Logger, idleTimeoutMs = STATUS_IDLE_TIMEOUT_MS): Promise<void> {
  const lp = frameStream(stream, MAX_STATUS_REQUEST_BYTES)
  for (let frame = await readRequest(stream, lp, idleTimeoutMs, log); frame !== undefined; frame = await readRequest(stream, lp, idleTimeoutMs, log)) {
    try {
      decodeStatusRequest(frame.subarray())
    } catch (err) {
      await refuse(stream, lp, err, log)
      return
    }
    await lp.write(encode(reply()), { signal: AbortSignal.timeout(idleTimeoutMs) })
  }
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
