// `/fabric/object/1`: pull an object's bytes by CID from a node that holds it. On a long-lived
// stream of length-prefixed frames, the client asks for a range and the server answers with a
// header, then the range's bytes in raw frames of at most OBJECT_CHUNK_BYTES:
//
//   client: CBOR { type: 'get', cid, offset, length, job? }    (length null: to the end; job: the asker's
//           job key: a node serves an object only to the peer it keeps it for, or to a job it holds it for)
//   server: CBOR { type: 'have', cid, size, offset, length }   then `length` bytes in raw frames
//       or: CBOR { type: 'error', error: { name, message, retryable } }   (the stream stays usable)
//
// The puller verifies the whole object against its CID, resumes a broken range from where it
// stopped (on the same or another holder), and splits large objects into ranges pulled from
// several holders at once. A request frame that is too large or invalid ends the stream.
import './polyfill.js'
import { createHash } from 'node:crypto'
import type { Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import type { FrameStream } from './frame-reader.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import { BULK_RECEIVE_BUFFER_BYTES, MAX_OBJECT_HEADER_BYTES, MAX_OBJECT_REQUEST_BYTES, OBJECT_CHUNK_BYTES, OBJECT_IDLE_TIMEOUT_MS, OBJECT_MAX_INBOUND_STREAMS, OBJECT_PROTOCOL, PARALLEL_PULL_MIN_BYTES } from './constants.js'
import { MalformedMessageError, PeerUnreachableError, RemoteError } from './errors.js'

/** Bytes a puller buffers ahead of its reads (see BULK_RECEIVE_BUFFER_BYTES). */
const OBJECT_RECEIVE_BUFFER_BYTES = BULK_RECEIVE_BUFFER_BYTES
import { frameStream, readRequest, refuse } from './frames.js'
import { PullBuffer } from './pull-buffer.js'
import { decodeCborMap, encode, jobField } from './messages.js'
import { serializeError, type SerializedError } from '../errors/index.js'
import { InvalidObjectError, ObjectNotFoundError } from '../objects/errors.js'
import { parseCid, SHA2_256 } from '../objects/cid.js'

/**
 * What a node serves: the bytes of the objects it holds, by CID, to `from` (a PeerId) presenting
 * `job` (a job key, when the request carried one); undefined when it does not hold the object or
 * may not give it to this asker (both answered "not found": no oracle of what a node holds).
 */
export interface ObjectSource {
  get: (cid: string, from: string, job: string | undefined) => Uint8Array | undefined | Promise<Uint8Array | undefined>
  /** Told of each range served, in bytes (metrics). */
  onServed?: (bytes: number) => void
}

interface GetRequest { type: 'get', cid: string, offset: number, length: number | null, job?: string }
interface HaveReply { type: 'have', cid: string, size: number, offset: number, length: number }
interface ErrorReply { type: 'error', error: SerializedError }

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0


/** Validate a request frame. */
export function decodeObjectRequest (bytes: Uint8Array): GetRequest {
  const o = decodeCborMap(bytes, 'object request')
  const keys = Object.keys(o)
  if (o.type !== 'get' || keys.some(k => !['type', 'cid', 'offset', 'length', 'job'].includes(k))) throw new MalformedMessageError("object request must be { type: 'get', cid, offset, length, job? }")
  if (typeof o.cid !== 'string' || o.cid.length > 128) throw new MalformedMessageError('object request: cid must be a CID string')
  if (!isUint(o.offset)) throw new MalformedMessageError('object request: offset must be a non-negative integer')
  if (o.length !== null && o.length !== undefined && !isUint(o.length)) throw new MalformedMessageError('object request: length must be a non-negative integer or null')
  return { type: 'get', cid: o.cid, offset: o.offset, length: (o.length ?? null) as number | null, ...jobField(o, 'object request') }
}

function decodeObjectReply (bytes: Uint8Array): HaveReply | ErrorReply {
  const o = decodeCborMap(bytes, 'object reply')
  if (o.type === 'error') {
    const e = o.error as Record<string, unknown> | undefined
    if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof e.message !== 'string') throw new MalformedMessageError('object error reply without an error')
    return { type: 'error', error: { name: e.name.slice(0, 100), message: e.message.slice(0, 2000), retryable: e.retryable === true } }
  }
  if (o.type !== 'have' || typeof o.cid !== 'string' || !isUint(o.size) || !isUint(o.offset) || !isUint(o.length)) throw new MalformedMessageError('object reply must be { type: \'have\', cid, size, offset, length }')
  return { type: 'have', cid: o.cid, size: o.size, offset: o.offset, length: o.length }
}

/** Serve one inbound object stream until the client closes it, idles, or misbehaves. */
export async function serveObjectStream (stream: Stream, from: string, source: ObjectSource, log: Logger, idleTimeoutMs = OBJECT_IDLE_TIMEOUT_MS): Promise<void> {
  const lp = frameStream(stream, MAX_OBJECT_REQUEST_BYTES)
  for (let frame = await readRequest(stream, lp, idleTimeoutMs, log); frame !== undefined; frame = await readRequest(stream, lp, idleTimeoutMs, log)) {
    let req: GetRequest
    try {
      req = decodeObjectRequest(frame.subarray())
      parseCid(req.cid)
    } catch (err) {
      await refuse(stream, lp, err, log)
      return
    }
    const bytes = await source.get(req.cid, from, req.job)
    const signal = AbortSignal.timeout(idleTimeoutMs)
    if (bytes === undefined) {
      await lp.write(encode({ type: 'error', error: serializeError(new ObjectNotFoundError(`object ${req.cid} is not here for you: this node does not hold it, or holds it for another job`, { cid: req.cid })) }), { signal })
      continue
    }
    if (req.offset > bytes.byteLength || (req.length !== null && req.offset + req.length > bytes.byteLength)) {
      const err = new RemoteError(`range ${req.offset}+${req.length ?? 'rest'} is outside object ${req.cid} of ${bytes.byteLength} bytes`)
      await lp.write(encode({ type: 'error', error: serializeError(err) }), { signal })
      continue
    }
    const length = req.length ?? bytes.byteLength - req.offset
    const header: HaveReply = { type: 'have', cid: req.cid, size: bytes.byteLength, offset: req.offset, length }
    await lp.write(encode(header), { signal })
    for (let at = req.offset, end = req.offset + length; at < end; at += OBJECT_CHUNK_BYTES) {
      await lp.write(bytes.subarray(at, Math.min(end, at + OBJECT_CHUNK_BYTES)), { signal: AbortSignal.timeout(idleTimeoutMs) })
    }
    if (length > 0) source.onServed?.(length)
  }
}

/** Options of {@link pullObject}. */
export interface PullOptions {
  /** Refuse objects larger than this. @default 8 GiB */
  maxBytes?: number
  /** Give up after this long in all. @default 10 minutes */
  timeoutMs?: number
  signal?: AbortSignal
  /** Attempts per range across holders before giving up. @default 3 × holders */
  maxAttempts?: number
  /** Called when a range is taken up again after a holder failed: which holder, why, and the byte it resumes at. */
  onRetry?: (holder: string, err: Error, resumeAt: number) => void
  /** The job key to present (holders serve a job's objects to the peers that present it). */
  job?: string
}

type Target = PeerId | Multiaddr

/** A connection to one holder: a stream on which ranges are requested one after another. */
class HolderStream {
  private lp?: FrameStream
  private stream?: Stream
  /** One request at a time on the stream: a reply's frames must not interleave with another's. */
  private turn: Promise<unknown> = Promise.resolve()
  constructor (private readonly libp2p: Libp2p, readonly target: Target, private readonly maxBytes: number, private readonly job: string | undefined) {}

  private async open (signal: AbortSignal): Promise<FrameStream> {
    if (this.lp !== undefined) return this.lp
    try {
      this.stream = await this.libp2p.dialProtocol(this.target, OBJECT_PROTOCOL, { signal, maxOutboundStreams: OBJECT_MAX_INBOUND_STREAMS })
    } catch (err) {
      throw new PeerUnreachableError(`cannot open ${OBJECT_PROTOCOL} to ${this.target.toString()}: ${(err as Error).message}`, { cause: err })
    }
    // The sender may have a whole yamux window (up to 16 MiB) in flight ahead of this reader.
    this.lp = frameStream(this.stream, Math.max(OBJECT_CHUNK_BYTES, MAX_OBJECT_HEADER_BYTES), OBJECT_RECEIVE_BUFFER_BYTES)
    return this.lp
  }

  /** Ask for the object's size (a zero-length range). */
  async size (cid: string, signal: AbortSignal): Promise<number> {
    return await this.exclusive(async () => (await this.request(cid, 0, 0, signal)).size)
  }

  /** Request a range and read it into `into` (at its offset), as one turn on the stream. */
  async fetch (cid: string, offset: number, length: number, into: PullBuffer, signal: AbortSignal, onChunk: (chunk: Uint8Array) => void): Promise<HaveReply> {
    return await this.exclusive(async () => {
      const h = await this.request(cid, offset, length, signal)
      if (h.size !== into.size) throw new MalformedMessageError(`${this.target.toString()} reports ${h.size} bytes for ${cid}, another holder ${into.size}`)
      await this.readInto(into, offset, length, signal, onChunk)
      return h
    })
  }

  /** Run `fn` alone on the stream; a failure ends the stream inside the turn (the next turn redials). */
  private async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const guarded = async (): Promise<T> => {
      try {
        return await fn()
      } catch (err) {
        this.abort(err as Error)
        throw err
      }
    }
    const run = this.turn.then(guarded, guarded)
    this.turn = run.catch(() => {})
    return await run
  }

  private async request (cid: string, offset: number, length: number | null, signal: AbortSignal): Promise<HaveReply> {
    const lp = await this.open(signal)
    await lp.write(encode({ type: 'get', cid, offset, length, ...(this.job === undefined ? {} : { job: this.job }) }), { signal })
    const reply = decodeObjectReply((await lp.read({ signal })).subarray())
    if (reply.type === 'error') {
      if (reply.error.name === 'ObjectNotFoundError') throw new ObjectNotFoundError(`${this.target.toString()} does not hold ${cid}`, { cid })
      throw new RemoteError(`${this.target.toString()} refused ${cid}: ${reply.error.name}: ${reply.error.message}`)
    }
    if (reply.cid !== cid || reply.offset !== offset || (length !== null && reply.length !== length) || reply.offset + reply.length > reply.size) {
      throw new MalformedMessageError(`${this.target.toString()} answered another range or object than asked`)
    }
    if (reply.size > this.maxBytes) throw new RemoteError(`object ${cid} is ${reply.size} bytes, over the limit of ${this.maxBytes}`)
    return reply
  }

  /** Read `length` bytes of a reply into `into` at `at`, calling `onChunk` for each frame. */
  private async readInto (into: PullBuffer, at: number, length: number, signal: AbortSignal, onChunk: (chunk: Uint8Array) => void): Promise<void> {
    const lp = this.lp!
    let pos = at
    const end = at + length
    while (pos < end) {
      const frame = await lp.read({ signal })
      if (pos + frame.byteLength > end) throw new MalformedMessageError(`${this.target.toString()} sent more bytes than the range holds`)
      for (const buf of frame) {
        into.write(buf, pos)
        onChunk(buf)
        pos += buf.byteLength
      }
    }
  }

  close (): void {
    const s = this.stream
    this.stream = undefined
    this.lp = undefined
    if (s !== undefined) s.close().catch(() => { s.abort(new Error('closing')) })
  }

  private abort (err: Error): void {
    this.stream?.abort(err)
    this.stream = undefined
    this.lp = undefined
  }
}

/**
 * Pull object `cid` from `holders` (peers or multiaddrs that hold it): verified against the CID,
 * resumed where a holder fails, and split into ranges pulled in parallel when the object is large
 * and there are several holders.
 *
 * @throws ObjectNotFoundError when no holder has it
 * @throws InvalidObjectError when the bytes do not match the CID (from every holder tried)
 * @throws PeerUnreachableError when no holder can be reached
 */
export async function pullObject (libp2p: Libp2p, holders: Target[], cid: string, options: PullOptions = {}): Promise<Uint8Array> {
  const parsed = parseCid(cid)
  if (parsed.multihash.code !== SHA2_256) throw new MalformedMessageError(`cannot verify ${cid}: only sha2-256 CIDs are supported`)
  if (holders.length === 0) throw new ObjectNotFoundError(`no holder of ${cid} is known`, { cid })
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 600_000)
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
  const maxBytes = options.maxBytes ?? 8 * 1024 ** 3
  const streams = holders.map(h => new HolderStream(libp2p, h, maxBytes, options.job))
  const maxAttempts = options.maxAttempts ?? 3 * holders.length
  const errors: Error[] = []
  try {
    // The size, from the first holder that answers.
    let size: number | undefined
    let first = 0
    for (; first < streams.length && size === undefined; first++) {
      try {
        size = await streams[first]!.size(cid, signal)
      } catch (err) {
        errors.push(err as Error)
        if (signal.aborted) break
      }
    }
    if (size === undefined) throw summarize(cid, errors)
    const live = streams.slice(first - 1)
    // Allocated as bytes arrive: the size is the holder's claim until the bytes match the CID.
    const into = new PullBuffer(size)

    if (size < PARALLEL_PULL_MIN_BYTES || live.length === 1) {
      // One range, hashed as it arrives; a broken stream resumes at the byte it stopped at.
      const hash = createHash('sha256')
      let done = 0
      let attempt = 0
      while (done < size || attempt === 0) {
        const s = live[attempt % live.length]!
        attempt++
        try {
          await s.fetch(cid, done, size - done, into, signal, (chunk) => { hash.update(chunk); done += chunk.byteLength })
        } catch (err) {
          errors.push(err as Error)
          if (signal.aborted || attempt >= maxAttempts) throw summarize(cid, errors)
          options.onRetry?.(s.target.toString(), err as Error, done)
        }
      }
      if (Buffer.compare(hash.digest(), parsed.multihash.digest) !== 0) throw new InvalidObjectError(`the bytes ${live.map(s => s.target.toString()).join(', ')} sent for ${cid} do not match it`)
      return into.toBytes()
    }

    // Large object, several holders: ranges pulled in parallel, each resumed or moved on failure.
    const parts = Math.min(live.length, 8)
    const rangeBytes = Math.ceil(size / parts)
    let attempts = 0
    const pullRange = async (index: number, start: number, end: number): Promise<void> => {
      let pos = start
      let k = index
      while (pos < end) {
        const s = live[k % live.length]!
        try {
          await s.fetch(cid, pos, end - pos, into, signal, (chunk) => { pos += chunk.byteLength })
        } catch (err) {
          errors.push(err as Error)
          if (signal.aborted || ++attempts >= maxAttempts) throw summarize(cid, errors)
          options.onRetry?.(s.target.toString(), err as Error, pos)
          k++
        }
      }
    }
    await Promise.all(Array.from({ length: parts }, async (_, i) => await pullRange(i, i * rangeBytes, Math.min(size!, (i + 1) * rangeBytes))))
    const hash = createHash('sha256')
    for (const part of into.parts()) hash.update(part)
    if (Buffer.compare(hash.digest(), parsed.multihash.digest) !== 0) throw new InvalidObjectError(`the bytes pulled for ${cid} from ${live.map(s => s.target.toString()).join(', ')} do not match it`)
    return into.toBytes()
  } finally {
    for (const s of streams) s.close()
  }
}

/** The most telling of the holders' failures. */
function summarize (cid: string, errors: Error[]): Error {
  if (errors.length > 0 && errors.every(e => e instanceof ObjectNotFoundError)) return new ObjectNotFoundError(`no holder has ${cid} (asked ${errors.length})`, { cid })
  const last = errors[errors.length - 1]
  if (last instanceof PeerUnreachableError && errors.every(e => e instanceof PeerUnreachableError)) return last
  const msg = errors.map(e => `${e.name}: ${e.message}`).slice(-4).join('; ')
  return new RemoteError(`cannot pull ${cid}: ${msg}`, { cause: last })
}
