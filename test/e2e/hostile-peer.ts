// A peer that does not use the fabric's client code, for the hostile-peer e2e tests: a bare libp2p
// node (tcp, TLS, yamux, ping) that writes hand-made `/fabric/task/1` frames and pings a node
// without pause to time, from outside, how long the node's event loop stops answering.
import '../../src/net/polyfill.js'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { yamux } from '@libp2p/yamux'
import { ping, type Ping } from '@libp2p/ping'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { decode, encode } from 'cborg'
import { TASK_PROTOCOL } from '../../src/net/index.js'

/** One reply frame of a node, as decoded CBOR. */
export type Frame = Record<string, unknown>

/** A `/fabric/task/1` session written by hand: any frame, framed as the protocol says (varint length, CBOR). */
export interface RawTaskSession {
  /** Write `frame` as CBOR; `raw` bytes are written as the frame's body as they are. */
  send: (frame: Frame | Uint8Array) => Promise<void>
  /** The next frame from the node (rejects after `timeoutMs`). */
  next: (timeoutMs?: number) => Promise<Frame>
  /** Frames until one is the result of `id` (that one last). */
  resultOf: (id: string, timeoutMs?: number) => Promise<Frame[]>
  close: () => Promise<void>
}

/** What a run of {@link HostilePeer.pinging} saw: each ping (`performance.now()` times), and the longest round trip. */
export interface PingTrace {
  pings: Array<{ start: number, end: number }>
  maxMs: number
  /** Pings that failed (each one counts as a stall until the next answer). */
  failures: number
  /** The longest round trip of the pings in flight at some moment of [from, to] (0 when none was). */
  stallIn: (from: number, to: number) => number
}

export interface HostilePeer {
  readonly peerId: string
  /** Open a task session with the node at `addr` (a multiaddr with /p2p/). */
  taskSession: (addr: string) => Promise<RawTaskSession>
  /**
   * Ping the node at `addr` one ping after another (the next `everyMs` after the last one began,
   * or at once when it took longer) until `stop()`; a blocked event loop shows as a long round trip.
   */
  pinging: (addr: string, everyMs?: number) => { stop: () => Promise<PingTrace> }
  stop: () => Promise<void>
}

export async function createHostilePeer (): Promise<HostilePeer> {
  const libp2p: Libp2p<{ ping: Ping }> = await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [tls()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    services: { ping: ping({ maxOutboundStreams: 16 }) }
  })
  return {
    peerId: libp2p.peerId.toString(),

    async taskSession (addr) {
      const stream = await libp2p.dialProtocol(multiaddr(addr), TASK_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      const lp = lpStream(stream, { maxDataLength: 64 * 1024 * 1024 })
      const next = async (timeoutMs = 10_000): Promise<Frame> => decode((await lp.read({ signal: AbortSignal.timeout(timeoutMs) })).subarray()) as Frame
      return {
        async send (frame) { await lp.write(frame instanceof Uint8Array ? frame : encode(frame)) },
        next,
        async resultOf (id, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs
          const seen: Frame[] = []
          for (;;) {
            const f = await next(Math.max(1, deadline - Date.now()))
            seen.push(f)
            if (f.type === 'result' && (f.id === id || f.id === '')) return seen
          }
        },
        async close () { await stream.close().catch(() => { stream.abort(new Error('closing')) }) }
      }
    },

    pinging (addr, everyMs = 5) {
      const target = multiaddr(addr)
      const pings: Array<{ start: number, end: number }> = []
      let failures = 0
      let stopped = false
      const loop = (async () => {
        while (!stopped) {
          const began = performance.now()
          try {
            await libp2p.services.ping.ping(target, { signal: AbortSignal.timeout(10_000) })
          } catch {
            failures++
          }
          pings.push({ start: began, end: performance.now() })
          const rest = everyMs - (performance.now() - began)
          if (rest > 0) await new Promise(resolve => setTimeout(resolve, rest))
        }
      })()
      return {
        async stop () {
          stopped = true
          await loop
          const rtt = (p: { start: number, end: number }): number => p.end - p.start
          return {
            pings,
            maxMs: Math.max(0, ...pings.map(rtt)),
            failures,
            stallIn: (from, to) => Math.max(0, ...pings.filter(p => p.end >= from && p.start <= to).map(rtt))
          }
        }
      }
    },

    async stop () { await libp2p.stop() }
  }
}
