// `/fabric/snapshot/1`: copies of durable actors' snapshots on other nodes (see runtime/durable.ts).
// One request per stream, length-prefixed CBOR frames:
//
//   client: { type: 'pages', pages }                      pages: up to MAX_SNAPSHOT_FRAME_BYTES of page bytes; any number of frames, then
//   client: { type: 'hold', key, owner?, manifest, full } keep snapshot `manifest` (its bytes) of `key`: with `full`, it starts a
//                                                          chain (every page it names was sent); else it changes the one held
//   server: { type: 'held' }
//   client: { type: 'drop', key }                         let go of every snapshot of `key`
//   server: { type: 'dropped' }
//       or: { type: 'error', error }
//
// Pages and manifests are named by their hash where they are stored: nothing a client says names
// bytes it did not send. A key is the actor's random durable key (a capability: only the actor's
// owner and nodes give it out). What a peer may have held here is bounded (QuotaExceededError).
import './polyfill.js'
import type { Logger, Stream } from '@libp2p/interface'
import { frameStream, readRequest, refuse } from './frames.js'
import { BULK_RECEIVE_BUFFER_BYTES } from './constants.js'
import { MalformedMessageError, PeerUnreachableError, RemoteError } from './errors.js'
import { decodeCborMap, encode } from './messages.js'
import { deserializeError } from '../errors/index.js'
import type { NetNode, ProtocolService } from './interface.js'

export const SNAPSHOT_PROTOCOL = '/fabric/snapshot/1'
/** Largest frame either way. */
export const MAX_SNAPSHOT_FRAME_BYTES = 4 * 1024 * 1024
/** How long one frame may take. */
const SNAPSHOT_FRAME_TIMEOUT_MS = 30_000
const SNAPSHOT_MAX_INBOUND_STREAMS = 64
const KEY_RE = /^[0-9a-zA-Z-]{8,64}$/
/** Most page bytes one request may send (a durable actor's memory is within its cap, 256 MiB by default). */
export const MAX_HOLD_BYTES = 512 * 1024 * 1024

/** What the protocol asks of the node keeping copies (runtime/snapshot-keeper.ts). Each throws the refusal it answers with. */
export interface SnapshotKeeperHost {
  hold: (from: string, req: { key: string, owner?: string, manifest: Uint8Array, pages: Uint8Array[], full: boolean }) => Promise<void>
  drop: (from: string, key: string) => void
}

/** `/fabric/snapshot/1` as a node serves it. */
export function snapshotService (host: SnapshotKeeperHost): ProtocolService {
  return {
    protocol: SNAPSHOT_PROTOCOL,
    maxInboundStreams: SNAPSHOT_MAX_INBOUND_STREAMS,
    serve: async (stream, from, log) => { await serve(stream, from, host, log) }
  }
}

async function serve (stream: Stream, from: string, host: SnapshotKeeperHost, log: Logger): Promise<void> {
  // Pages come in frames back to back: the reader buffers the muxer's whole window (a smaller
  // buffer overflows while a frame is handled, and the stream is reset).
  const lp = frameStream(stream, MAX_SNAPSHOT_FRAME_BYTES, BULK_RECEIVE_BUFFER_BYTES)
  const pages: Uint8Array[] = []
  let bytes = 0
  for (;;) {
    const frame = await readRequest(stream, lp, SNAPSHOT_FRAME_TIMEOUT_MS, log)
    if (frame === undefined) return
    try {
      const o = decodeCborMap(frame.subarray(), 'snapshot request')
      if (o.type === 'pages') {
        if (Object.keys(o).length !== 2 || !Array.isArray(o.pages) || !o.pages.every(p => p instanceof Uint8Array)) throw new MalformedMessageError("snapshot pages must be { type: 'pages', pages: [bytes] }")
        for (const p of o.pages as Uint8Array[]) bytes += p.byteLength
        if (bytes > MAX_HOLD_BYTES) throw new MalformedMessageError(`snapshot pages: more than ${MAX_HOLD_BYTES} bytes in one request`)
        pages.push(...o.pages as Uint8Array[])
        continue
      }
      if (typeof o.key !== 'string' || !KEY_RE.test(o.key)) throw new MalformedMessageError('snapshot request: key must be 8-64 letters, digits or \'-\'')
      if (o.type === 'drop' && Object.keys(o).length === 2) {
        host.drop(from, o.key)
        await lp.write(encode({ type: 'dropped' }), { signal: AbortSignal.timeout(SNAPSHOT_FRAME_TIMEOUT_MS) })
      } else if (o.type === 'hold' && Object.keys(o).every(k => ['type', 'key', 'owner', 'manifest', 'full'].includes(k)) && o.manifest instanceof Uint8Array && typeof o.full === 'boolean' && (o.owner === undefined || (typeof o.owner === 'string' && o.owner.length <= 256))) {
        await host.hold(from, { key: o.key, ...(o.owner === undefined ? {} : { owner: o.owner as string }), manifest: o.manifest, pages, full: o.full })
        await lp.write(encode({ type: 'held' }), { signal: AbortSignal.timeout(SNAPSHOT_FRAME_TIMEOUT_MS) })
      } else {
        throw new MalformedMessageError("snapshot request must be { type: 'pages', pages }, { type: 'hold', key, owner?, manifest, full } or { type: 'drop', key }")
      }
    } catch (err) {
      await refuse(stream, lp, err, log)
      return
    }
    await stream.close().catch(() => { stream.abort(new Error('closing')) })
    return
  }
}

/**
 * Have node `peer` keep a snapshot (its pages sent in frames of at most MAX_SNAPSHOT_FRAME_BYTES first).
 * @throws PeerUnreachableError when it cannot be reached; RemoteError with its refusal
 */
export async function holdSnapshot (net: Pick<NetNode, 'dialProtocol'>, peer: string, req: { key: string, owner?: string, manifest: Uint8Array, pages: Uint8Array[], full: boolean }): Promise<void> {
  const signal = AbortSignal.timeout(SNAPSHOT_FRAME_TIMEOUT_MS)
  await exchange(net, peer, signal, async lp => {
    for (let i = 0; i < req.pages.length;) {
      const frame: Uint8Array[] = []
      let bytes = 0
      // A page is 4 KiB: a frame holds many, with room for its CBOR heads.
      while (i < req.pages.length && bytes + req.pages[i]!.byteLength + 16 <= MAX_SNAPSHOT_FRAME_BYTES - 64) {
        bytes += req.pages[i]!.byteLength + 16
        frame.push(req.pages[i++]!)
      }
      if (frame.length === 0) throw new RangeError(`a snapshot page of ${req.pages[i]!.byteLength} bytes is over the frame limit`)
      await lp.write(encode({ type: 'pages', pages: frame }), { signal })
    }
    await lp.write(encode({ type: 'hold', key: req.key, ...(req.owner === undefined ? {} : { owner: req.owner }), manifest: req.manifest, full: req.full }), { signal })
  }, 'held')
}

/** Tell node `peer` to let go of the snapshots of `key`. */
export async function dropSnapshots (net: Pick<NetNode, 'dialProtocol'>, peer: string, key: string): Promise<void> {
  const signal = AbortSignal.timeout(5000)
  await exchange(net, peer, signal, async lp => { await lp.write(encode({ type: 'drop', key }), { signal }) }, 'dropped')
}

async function exchange (net: Pick<NetNode, 'dialProtocol'>, peer: string, signal: AbortSignal, send: (lp: ReturnType<typeof frameStream>) => Promise<void>, expect: string): Promise<void> {
  const stream = await net.dialProtocol(peer, SNAPSHOT_PROTOCOL, { signal })
  try {
    const lp = frameStream(stream, MAX_SNAPSHOT_FRAME_BYTES)
    let reply: Record<string, unknown>
    try {
      await send(lp)
      reply = decodeCborMap((await lp.read({ signal })).subarray(), 'snapshot reply')
    } catch (err) {
      if (err instanceof MalformedMessageError || err instanceof RangeError) throw err
      throw new PeerUnreachableError(`snapshot copy to ${peer} failed: ${(err as Error).message}`, { cause: err })
    }
    if (reply.type === 'error') throw new RemoteError(`node ${peer} refused the snapshot: ${deserializeError(reply.error as never).message}`)
    if (reply.type !== expect) throw new MalformedMessageError(`snapshot reply must be { type: '${expect}' } or { type: 'error', error }`)
  } finally {
    await stream.close().catch(() => { stream.abort(new Error('closing')) })
  }
}
