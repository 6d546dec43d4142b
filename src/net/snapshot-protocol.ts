// `/fabric/snapshot/1`: copies of durable actors' snapshots on other nodes (see runtime/durable.ts).
// One long-lived stream per pair of nodes (a session), requests answered in order, length-prefixed
// CBOR frames:
//
//   client: { type: 'pages', pages }                      pages: up to MAX_SNAPSHOT_FRAME_BYTES of page bytes; any number of frames, then
//   client: { type: 'hold', key, owner?, manifest, full, pages? } keep snapshot `manifest` (its bytes) of `key` (a small one's pages
//                                                          in it, a larger one's in the frames before): with `full`, it starts a
//                                                          chain (every page it names was sent); else it changes the one held
//   server: { type: 'held' }
//   client: { type: 'drop', key }                         let go of every snapshot of `key`
//   server: { type: 'dropped' }
//   client: { type: 'get', cids }                         the snapshot objects kept here among up to 900 CIDs (a restore's pages)
//   server: { type: 'objects', objects }                  bytes or null per CID, in order (the client checks each against its CID)
//       or: { type: 'error', error }                 a refusal (the session goes on); a malformed frame ends the session
//
// Pages and manifests are named by their hash where they are stored: nothing a client says names
// bytes it did not send. A key is the actor's random durable key (a capability: only the actor's
// owner and nodes give it out). What a peer may have held here is bounded (QuotaExceededError).
import './polyfill.js'
import type { Logger, Stream } from '@libp2p/interface'
import { frameStream, readRequest, refuse } from './frames.js'
import { BULK_RECEIVE_BUFFER_BYTES } from './constants.js'
import { MalformedMessageError } from './errors.js'
import { OrderedSessions } from './ordered-sessions.js'
import { decodeCborMap, encode } from './messages.js'
import { QuotaExceededError, serializeError } from '../errors/index.js'
import { parseCid } from '../objects/cid.js'
import type { NetNode, ProtocolService } from './interface.js'

export const SNAPSHOT_PROTOCOL = '/fabric/snapshot/1'
/** Largest frame either way. */
export const MAX_SNAPSHOT_FRAME_BYTES = 4 * 1024 * 1024
/** How long one frame may take. */
const SNAPSHOT_FRAME_TIMEOUT_MS = 30_000
/** A session idle this long is closed by the node (the client opens another when it needs one). */
const SNAPSHOT_IDLE_TIMEOUT_MS = 5 * 60_000
const SNAPSHOT_MAX_INBOUND_STREAMS = 64
const KEY_RE = /^[0-9a-zA-Z-]{8,64}$/
/** Most page bytes a peer may have in flight to a node, over all its sessions (a durable actor's memory is within its cap, 256 MiB by default). */
export const MAX_HOLD_BYTES = 256 * 1024 * 1024
/** Most page bytes in flight to a node from all peers. */
const MAX_BUFFERED_BYTES = 1024 * 1024 * 1024

/** What the protocol asks of the node keeping copies (runtime/snapshot-keeper.ts). Each throws the refusal it answers with. */
export interface SnapshotKeeperHost {
  hold: (from: string, req: { key: string, owner?: string, manifest: Uint8Array, pages: Uint8Array[], full: boolean }) => Promise<void>
  drop: (from: string, key: string) => void
  /** The bytes of the snapshot objects among `cids` kept here (null for one that is not). */
  get: (from: string, cids: string[]) => Promise<Array<Uint8Array | null>>
}

/** Objects one `get` may ask for: 4 KiB pages fill about 3.6 MiB of a reply frame. */
export const MAX_GET_CIDS = 900

/** `/fabric/snapshot/1` as a node serves it. */
export function snapshotService (host: SnapshotKeeperHost): ProtocolService {
  // Page bytes received and not yet handed to the keeper, per peer and in all: bounded, so
  // that no peer (or all of them together) can make a node buffer without end.
  const budget: Budget = { perPeer: new Map(), total: 0 }
  return {
    protocol: SNAPSHOT_PROTOCOL,
    maxInboundStreams: SNAPSHOT_MAX_INBOUND_STREAMS,
    serve: async (stream, from, log) => { await serve(stream, from, host, log, budget) }
  }
}

interface Budget { perPeer: Map<string, number>, total: number }

async function serve (stream: Stream, from: string, host: SnapshotKeeperHost, log: Logger, budget: Budget): Promise<void> {
  const mine = { bytes: 0 }
  try {
    await serveSession(stream, from, host, log, budget, mine)
  } finally {
    // What this session buffered and never handed over is given back.
    give(budget, from, mine.bytes)
  }
}

function give (budget: Budget, from: string, bytes: number): void {
  if (bytes === 0) return
  const left = (budget.perPeer.get(from) ?? 0) - bytes
  if (left > 0) budget.perPeer.set(from, left)
  else budget.perPeer.delete(from)
  budget.total -= bytes
}

async function serveSession (stream: Stream, from: string, host: SnapshotKeeperHost, log: Logger, budget: Budget, mine: { bytes: number }): Promise<void> {
  // Pages come in frames back to back: the reader buffers the muxer's whole window (a smaller
  // buffer overflows while a frame is handled, and the stream is reset).
  const lp = frameStream(stream, MAX_SNAPSHOT_FRAME_BYTES, BULK_RECEIVE_BUFFER_BYTES)
  let pages: Uint8Array[] = []
  const answer = async (frame: Record<string, unknown>): Promise<void> => { await lp.write(encode(frame), { signal: AbortSignal.timeout(SNAPSHOT_FRAME_TIMEOUT_MS) }) }
  for (;;) {
    const frame = await readRequest(stream, lp, SNAPSHOT_IDLE_TIMEOUT_MS, log)
    if (frame === undefined) return
    let request: { type: 'drop', key: string } | { type: 'hold', key: string, owner?: string, manifest: Uint8Array, full: boolean } | { type: 'get', cids: string[] } | undefined
    try {
      const o = decodeCborMap(frame.subarray(), 'snapshot request')
      if (o.type === 'get') {
        if (Object.keys(o).length !== 2 || !Array.isArray(o.cids) || o.cids.length > MAX_GET_CIDS || !o.cids.every(c => typeof c === 'string' && c.length <= 128)) throw new MalformedMessageError(`snapshot get must be { type: 'get', cids } (up to ${MAX_GET_CIDS} CIDs)`)
        for (const c of o.cids as string[]) parseCid(c)
        request = { type: 'get', cids: o.cids as string[] }
      } else {
      if (o.type === 'pages') {
        if (Object.keys(o).length !== 2 || !Array.isArray(o.pages) || !o.pages.every(p => p instanceof Uint8Array)) throw new MalformedMessageError("snapshot pages must be { type: 'pages', pages: [bytes] }")
        charge(budget, from, mine, (o.pages as Uint8Array[]).reduce((s, p) => s + p.byteLength, 0))
        pages.push(...o.pages as Uint8Array[])
        continue
      }
      if (typeof o.key !== 'string' || !KEY_RE.test(o.key)) throw new MalformedMessageError('snapshot request: key must be 8-64 letters, digits or \'-\'')
      if (o.type === 'drop' && Object.keys(o).length === 2) request = { type: 'drop', key: o.key }
      else if (o.type === 'hold' && Object.keys(o).every(k => ['type', 'key', 'owner', 'manifest', 'full', 'pages'].includes(k)) && o.manifest instanceof Uint8Array && typeof o.full === 'boolean' && (o.owner === undefined || (typeof o.owner === 'string' && o.owner.length <= 256))) {
        // A small snapshot's pages come in the hold itself (one frame).
        if (o.pages !== undefined) {
          if (!Array.isArray(o.pages) || !o.pages.every(p => p instanceof Uint8Array)) throw new MalformedMessageError('snapshot hold: pages must be a list of bytes')
          charge(budget, from, mine, (o.pages as Uint8Array[]).reduce((s, p) => s + p.byteLength, 0))
          pages.push(...o.pages as Uint8Array[])
        }
        request = { type: 'hold', key: o.key, ...(o.owner === undefined ? {} : { owner: o.owner as string }), manifest: o.manifest, full: o.full }
      } else {
        throw new MalformedMessageError("snapshot request must be { type: 'pages', pages }, { type: 'hold', key, owner?, manifest, full }, { type: 'drop', key } or { type: 'get', cids }")
      }
      }
    } catch (err) {
      // A malformed frame ends the session; a refusal of a well-formed request (below) does not.
      await refuse(stream, lp, err, log)
      return
    }
    const taken = pages
    pages = []
    try {
      if (request.type === 'get') {
        await answer({ type: 'objects', objects: await host.get(from, request.cids) })
      } else if (request.type === 'drop') {
        host.drop(from, request.key)
        await answer({ type: 'dropped' })
      } else {
        await host.hold(from, { ...request, pages: taken })
        await answer({ type: 'held' })
      }
    } catch (err) {
      await answer({ type: 'error', error: serializeError(err) })
    } finally {
      give(budget, from, mine.bytes)
      mine.bytes = 0
    }
  }
}

/**
 * Count `bytes` of pages buffered for `from`.
 * @throws QuotaExceededError past MAX_HOLD_BYTES for the peer or MAX_BUFFERED_BYTES in all (the session ends)
 */
function charge (budget: Budget, from: string, mine: { bytes: number }, bytes: number): void {
  const peer = budget.perPeer.get(from) ?? 0
  if (peer + bytes > MAX_HOLD_BYTES || budget.total + bytes > MAX_BUFFERED_BYTES) {
    throw new QuotaExceededError(`quota 'snapshots' reached: ${peer > 0 ? `${peer} bytes of snapshot pages from this peer are in flight here` : 'snapshot pages in flight here'} (at most ${MAX_HOLD_BYTES} per peer, ${MAX_BUFFERED_BYTES} in all)`, { quota: 'snapshots', limit: MAX_HOLD_BYTES })
  }
  budget.perPeer.set(from, peer + bytes)
  budget.total += bytes
  mine.bytes += bytes
}

/**
 * The client side: one long-lived stream per replica (a stream per request cost ~3 ms of setup
 * on loopback, more than the copy itself), requests answered in order.
 *
 * @example
 * const sessions = new SnapshotSessions(net)
 * await sessions.hold(peer, { key, manifest, pages, full: true })
 */
export class SnapshotSessions {
  private readonly sessions: OrderedSessions

  constructor (net: Pick<NetNode, 'dialProtocol'>) {
    this.sessions = new OrderedSessions(net, SNAPSHOT_PROTOCOL, 'snapshot copy', { maxFrameBytes: MAX_SNAPSHOT_FRAME_BYTES, bufferBytes: BULK_RECEIVE_BUFFER_BYTES, timeoutMs: SNAPSHOT_FRAME_TIMEOUT_MS })
  }

  /**
   * Have node `peer` keep a snapshot (a small one in one frame; a larger one's pages in frames of
   * at most MAX_SNAPSHOT_FRAME_BYTES first).
   * @throws PeerUnreachableError when it cannot be reached; RemoteError with its refusal
   */
  async hold (peer: string, req: { key: string, owner?: string, manifest: Uint8Array, pages: Uint8Array[], full: boolean }): Promise<void> {
    const head = { type: 'hold', key: req.key, ...(req.owner === undefined ? {} : { owner: req.owner }), manifest: req.manifest, full: req.full }
    const frames: Uint8Array[] = []
    // A small snapshot goes in one frame (each frame is another write through the muxer).
    if (req.pages.reduce((s, p) => s + p.byteLength + 16, req.manifest.byteLength + 256) <= MAX_SNAPSHOT_FRAME_BYTES) {
      frames.push(encode({ ...head, pages: req.pages }))
    } else {
      for (let i = 0; i < req.pages.length;) {
        const frame: Uint8Array[] = []
        let bytes = 0
        // A page is 4 KiB: a frame holds many, with room for its CBOR heads.
        while (i < req.pages.length && bytes + req.pages[i]!.byteLength + 16 <= MAX_SNAPSHOT_FRAME_BYTES - 64) {
          bytes += req.pages[i]!.byteLength + 16
          frame.push(req.pages[i++]!)
        }
        if (frame.length === 0) throw new RangeError(`a snapshot page of ${req.pages[i]!.byteLength} bytes is over the frame limit`)
        frames.push(encode({ type: 'pages', pages: frame }))
      }
      frames.push(encode(head))
    }
    expect(await this.sessions.request(peer, frames), 'held')
  }

  /**
   * The snapshot objects among `cids` that node `peer` keeps (up to MAX_GET_CIDS), null for the
   * others. Not verified here: the caller checks each against its CID.
   */
  async get (peer: string, cids: string[]): Promise<Array<Uint8Array | null>> {
    const o = expect(await this.sessions.request(peer, [encode({ type: 'get', cids })]), 'objects').objects
    if (!Array.isArray(o) || o.length !== cids.length || !o.every(x => x === null || x instanceof Uint8Array)) throw new MalformedMessageError('snapshot objects must be one bytes or null per CID asked')
    return o as Array<Uint8Array | null>
  }

  /** Tell node `peer` to let go of the snapshots of `key`. */
  async drop (peer: string, key: string): Promise<void> {
    expect(await this.sessions.request(peer, [encode({ type: 'drop', key })]), 'dropped')
  }

  /** Close every session. */
  close (): void {
    this.sessions.close()
  }
}

function expect (reply: Record<string, unknown>, type: string): Record<string, unknown> {
  if (reply.type !== type) throw new MalformedMessageError(`snapshot reply must be { type: '${type}' } or { type: 'error', error }`)
  return reply
}
