// One libp2p connection as the liveness probe's check sees it (liveness.ts, `ProbedConnection`):
// a ping over that very connection (libp2p's ping service opens its stream on whichever connection
// to the peer it picks, and after a healed cut a fresh one may be open beside the stale one), the
// bytes read from the TCP socket under it, and an abort.
import type { Connection } from '@libp2p/interface'
import { byteStream } from '@libp2p/utils'
import { PeerUnreachableError } from './errors.js'
import type { ProbedConnection } from './liveness.js'

/** libp2p's ping protocol (@libp2p/ping): the peer echoes 32 bytes. Every fabric node serves it. */
const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_LENGTH = 32

export function probedConnection (conn: Connection, peer: string): ProbedConnection {
  return {
    bytesIn: () => bytesRead(conn),
    open: () => conn.status === 'open',
    ping: async (signal) => { await pingOver(conn, signal) },
    // Aborted, not closed: a graceful close waits on a peer that may never answer.
    close: (reason) => { conn.abort(new PeerUnreachableError(`peer ${peer} was ${reason}`)) }
  }
}

/**
 * Bytes read so far from the TCP socket under `conn`: libp2p counts none per connection, so this
 * reads the connection's `maConn` (private in libp2p's types) and the tcp transport's `socket`.
 * Undefined where they are not there (another transport, a libp2p that moved them): the check then
 * closes nothing (test/net/net-node.spec.ts says when that happens).
 */
export function bytesRead (conn: Connection): number | undefined {
  const read = (conn as unknown as { maConn?: { socket?: { bytesRead?: unknown } } }).maConn?.socket?.bytesRead
  return typeof read === 'number' ? read : undefined
}

/** Ping the peer over `conn` itself: 32 random bytes out, the same 32 back. */
export async function pingOver (conn: Connection, signal: AbortSignal): Promise<void> {
  const stream = await conn.newStream(PING_PROTOCOL, { signal })
  try {
    const bytes = byteStream(stream)
    const data = crypto.getRandomValues(new Uint8Array(PING_LENGTH))
    await bytes.write(data, { signal })
    const back = (await bytes.read({ bytes: PING_LENGTH, signal })).subarray()
    if (!back.every((b, i) => b === data[i])) throw new PeerUnreachableError(`ping over a connection to ${conn.remotePeer.toString()} came back with other bytes`)
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}
