// `/fabric/collective/1`: collective groups between nodes. A driver forms a group on the nodes of
// its members (join, answered), and the members' nodes exchange the chunks of their operations
// (one-way, in order, on one stream per pair of nodes). Length-prefixed CBOR frames of at most
// 4 MiB + 1 KiB; a chunk's elements travel in pieces of at most 4 MiB:
//
//   driver -> node: { type: 'join', id, group: { id, name, members: [{ rank, actor, peer }], timeoutMs }, job? }
//                   { type: 'leave', id, group, job? }
//   node -> driver: { type: 'result', id, ok: true } | { type: 'result', id, ok: false, error }
//   node -> node:   { type: 'chunk', group, seq, step, from, to, length, shape?, offset, total, data }
//                   `data` little-endian f32 bytes: elements offset .. offset + data/4 of `total`
//                   { type: 'abort', group, reason }   the group failed on the sender's node
//
// Only members' nodes send chunks of a group (the receiving node checks the sender against the
// member it names); a malformed frame ends the stream.
import './polyfill.js'
import type { Logger, Stream } from '@libp2p/interface'
import { frameStream } from './frames.js'
import { BULK_RECEIVE_BUFFER_BYTES } from './constants.js'
import { MalformedMessageError, PeerUnreachableError } from './errors.js'
import { decodeCborMap, encode, jobField } from './messages.js'
import { deserializeError, serializeError, type SerializedError } from '../errors/index.js'
import type { NetNode, ProtocolService } from './interface.js'

export const COLLECTIVE_PROTOCOL = '/fabric/collective/1'

/** Elements of one piece of a chunk (4 MiB of f32). */
export const PIECE_ELEMENTS = 1024 * 1024

const MAX_FRAME_BYTES = PIECE_ELEMENTS * 4 + 4096

/** Most elements of one chunk (1 GiB of f32), and of the chunks one stream is assembling at once. */
const MAX_CHUNK_ELEMENTS = 256 * 1024 * 1024
const MAX_ASSEMBLING_ELEMENTS = 512 * 1024 * 1024

/** A group as it travels (see runtime/collectives.ts GroupSpec). */
export interface WireGroup {
  id: string
  name: string
  members: Array<{ rank: number, actor: string, peer: string }>
  timeoutMs: number
}

/** A chunk between members (see runtime/collectives.ts ChunkMessage). */
export interface WireChunk {
  group: string
  seq: number
  step: string
  from: number
  to: number
  length: number
  shape?: number[]
  data: Float32Array
}

/** What a node does with the frames (its runtime's collectives). Each throws what it refuses. */
export interface CollectiveHost {
  join: (group: WireGroup, job: string | undefined, from: string) => void
  leave: (group: string, job: string | undefined, from: string) => void
  deliver: (from: string, chunk: WireChunk) => void
  aborted: (from: string, group: string, reason: string) => void
}

const isUint = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max

function decodeGroup (v: unknown): WireGroup {
  const g = v as Record<string, unknown>
  if (typeof v !== 'object' || v === null || !isStr(g.id, 64) || !isStr(g.name, 128) || !Array.isArray(g.members) || g.members.length === 0 || g.members.length > 1024 || !isUint(g.timeoutMs, 86_400_000)) {
    throw new MalformedMessageError('collective join: group must be { id, name, members, timeoutMs } with 1-1024 members')
  }
  const members = g.members.map((m: unknown, i: number) => {
    const o = m as Record<string, unknown>
    if (typeof m !== 'object' || m === null || o.rank !== i || !isStr(o.actor, 256) || !isStr(o.peer, 128)) throw new MalformedMessageError(`collective join: members[${i}] must be { rank: ${i}, actor, peer }`)
    return { rank: i, actor: o.actor, peer: o.peer }
  })
  return { id: g.id, name: g.name, members, timeoutMs: g.timeoutMs }
}

/** The bytes of f32 elements (a copy where the view is not 4-aligned). */
function floats (bytes: Uint8Array): Float32Array {
  return bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : new Float32Array(bytes.slice().buffer)
}

/** The `/fabric/collective/1` service of a node whose collectives `host` runs. */
export function collectiveService (host: CollectiveHost): ProtocolService {
  return {
    protocol: COLLECTIVE_PROTOCOL,
    maxInboundStreams: 256,
    serve: async (stream, from, log) => { await serve(stream, from, host, log) }
  }
}

async function serve (stream: Stream, from: string, host: CollectiveHost, log: Logger): Promise<void> {
  // Chunks stream in while the node sums the last ones: the whole yamux window may arrive unread.
  const lp = frameStream(stream, MAX_FRAME_BYTES, BULK_RECEIVE_BUFFER_BYTES)
  /** Chunks arriving in pieces, by key. */
  const assembling = new Map<string, { chunk: WireChunk, got: number }>()
  let assemblingElements = 0
  for (;;) {
    let o: Record<string, unknown>
    try {
      o = decodeCborMap((await lp.read()).subarray(), 'collective frame')
    } catch (err) {
      if (stream.status !== 'open' || (err as Error).name === 'UnexpectedEOFError') return
      log('refusing a collective stream - %e', err)
      stream.abort(err as Error)
      return
    }
    try {
      if (o.type === 'join' || o.type === 'leave') {
        let reply: Record<string, unknown>
        try {
          if (!isUint(o.id, 2 ** 32)) throw new MalformedMessageError('collective request: id must be an integer')
          const job = jobField(o, 'collective request').job
          if (o.type === 'join') host.join(decodeGroup(o.group), job, from)
          else if (isStr(o.group, 64)) host.leave(o.group, job, from)
          else throw new MalformedMessageError('collective leave: group must be a group id')
          reply = { type: 'result', id: o.id, ok: true }
        } catch (err) {
          reply = { type: 'result', id: isUint(o.id, 2 ** 32) ? o.id : -1, ok: false, error: serializeError(err) }
        }
        await lp.write(encode(reply))
        continue
      }
      if (o.type === 'abort') {
        if (!isStr(o.group, 64) || typeof o.reason !== 'string') throw new MalformedMessageError('collective abort must be { type, group, reason }')
        host.aborted(from, o.group, o.reason.slice(0, 1000))
        continue
      }
      if (o.type !== 'chunk') throw new MalformedMessageError(`unknown collective frame type ${String(o.type)}`)
      if (!isStr(o.group, 64) || !isUint(o.seq) || !isStr(o.step, 16) || !isUint(o.from, 1023) || !isUint(o.to, 1023) || !isUint(o.length, MAX_CHUNK_ELEMENTS) ||
        !isUint(o.offset, MAX_CHUNK_ELEMENTS) || !isUint(o.total, MAX_CHUNK_ELEMENTS) || !(o.data instanceof Uint8Array) || o.data.byteLength % 4 !== 0 ||
        o.offset + o.data.byteLength / 4 > o.total || (o.shape !== undefined && (!Array.isArray(o.shape) || o.shape.length > 32 || !o.shape.every(d => isUint(d, 2 ** 31))))) {
        throw new MalformedMessageError('collective chunk must be { type, group, seq, step, from, to, length, shape?, offset, total, data } with data of whole f32 elements inside total')
      }
      const key = `${o.group}|${o.seq}|${o.step}|${o.from}|${o.to}`
      let a = assembling.get(key)
      if (a === undefined) {
        if (assemblingElements + o.total > MAX_ASSEMBLING_ELEMENTS) throw new MalformedMessageError(`more than ${MAX_ASSEMBLING_ELEMENTS} elements of chunks in pieces on one collective stream`)
        assemblingElements += o.total
        a = { chunk: { group: o.group, seq: o.seq, step: o.step, from: o.from, to: o.to, length: o.length, ...(o.shape === undefined ? {} : { shape: o.shape as number[] }), data: new Float32Array(o.total) }, got: 0 }
        assembling.set(key, a)
      }
      a.chunk.data.set(floats(o.data), o.offset)
      a.got += o.data.byteLength / 4
      if (a.got < o.total) continue
      assembling.delete(key)
      assemblingElements -= o.total
      try {
        host.deliver(from, a.chunk)
      } catch (err) {
        log('collective chunk refused - %e', err)
      }
    } catch (err) {
      log('refusing a collective stream - %e', err)
      stream.abort(err as Error)
      return
    }
  }
}

/** One stream to one node: frames written in order; replies to requests matched by id. */
class Session {
  private writes: Promise<void> = Promise.resolve()
  private nextId = 0
  private readonly pending = new Map<number, { resolve: () => void, reject: (e: Error) => void }>()
  private failure?: Error

  constructor (readonly peer: string, private readonly stream: Stream, private readonly lp: ReturnType<typeof frameStream>) {
    void this.readLoop()
  }

  get alive (): boolean {
    return this.failure === undefined
  }

  /** Queue frames to write in order; resolves once written. */
  async write (frames: Array<Record<string, unknown>>): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    const done = this.writes.then(async () => {
      if (this.failure !== undefined) throw this.failure
      for (const f of frames) await this.lp.write(encode(f))
    })
    this.writes = done.catch(err => { this.fail(this.failure ?? broke(this.peer, err)) })
    try {
      await done
    } catch (err) {
      // A transport failure (libp2p may reject with a bare Event) is the session's end.
      throw this.failure ?? broke(this.peer, err)
    }
  }

  async request (frame: Record<string, unknown>): Promise<void> {
    const id = this.nextId++
    const answered = new Promise<void>((resolve, reject) => { this.pending.set(id, { resolve, reject }) })
    await this.write([{ ...frame, id }])
    await answered
  }

  close (): void {
    this.fail(new PeerUnreachableError(`the collective session with ${this.peer} was closed`))
    this.stream.abort(new Error('closing'))
  }

  private async readLoop (): Promise<void> {
    try {
      for (;;) {
        const o = decodeCborMap((await this.lp.read()).subarray(), 'collective reply')
        if (o.type !== 'result' || typeof o.id !== 'number') throw new MalformedMessageError('collective reply must be { type: \'result\', id, ok, error? }')
        const p = this.pending.get(o.id)
        if (p === undefined) continue
        this.pending.delete(o.id)
        if (o.ok === true) p.resolve()
        else p.reject(typeof o.error === 'object' && o.error !== null ? deserializeError(o.error as SerializedError) : new MalformedMessageError('collective reply without ok or an error'))
      }
    } catch (err) {
      this.fail(err instanceof Error && err.name === 'MalformedMessageError' ? err : broke(this.peer, err))
    }
  }

  private fail (err: Error): void {
    if (this.failure !== undefined) return
    this.failure = err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }
}

function broke (peer: string, err: unknown): PeerUnreachableError {
  return new PeerUnreachableError(`the collective session with ${peer} broke: ${err instanceof Error ? err.message : String((err as { type?: unknown })?.type ?? err)}`, { cause: err })
}

/** A node's (or driver's) sessions to other nodes over `/fabric/collective/1`, one per node. */
export class CollectiveSessions {
  private readonly sessions = new Map<string, Promise<Session>>()

  constructor (private readonly net: Pick<NetNode, 'dialProtocol'>) {}

  /** Form a group on `peer` (its members there must be `job`'s actors). */
  async join (peer: string, group: WireGroup, job: string | undefined): Promise<void> {
    await (await this.session(peer)).request({ type: 'join', group, ...(job === undefined ? {} : { job }) })
  }

  async leave (peer: string, group: string, job: string | undefined): Promise<void> {
    await (await this.session(peer)).request({ type: 'leave', group, ...(job === undefined ? {} : { job }) })
  }

  /** Send a chunk to a member on `peer`, in pieces. Resolves once written. */
  async send (peer: string, chunk: WireChunk): Promise<void> {
    const { data, ...head } = chunk
    const frames: Array<Record<string, unknown>> = []
    for (let offset = 0; offset < data.length || (offset === 0 && data.length === 0); offset += PIECE_ELEMENTS) {
      const piece = data.subarray(offset, Math.min(data.length, offset + PIECE_ELEMENTS))
      frames.push({ type: 'chunk', ...head, offset, total: data.length, data: new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength) })
      if (data.length === 0) break
    }
    await (await this.session(peer)).write(frames)
  }

  async abort (peer: string, group: string, reason: string): Promise<void> {
    await (await this.session(peer)).write([{ type: 'abort', group, reason: reason.slice(0, 1000) }])
  }

  close (): void {
    for (const p of this.sessions.values()) void p.then(s => { s.close() }, () => {})
    this.sessions.clear()
  }

  private async session (peer: string): Promise<Session> {
    const existing = this.sessions.get(peer)
    if (existing !== undefined) {
      const s = await existing.catch(() => undefined)
      if (s?.alive === true) return s
      if (this.sessions.get(peer) === existing) this.sessions.delete(peer)
    }
    let opening = this.sessions.get(peer)
    if (opening === undefined) {
      opening = (async () => {
        const stream = await this.net.dialProtocol(peer, COLLECTIVE_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
        return new Session(peer, stream, frameStream(stream, MAX_FRAME_BYTES))
      })()
      this.sessions.set(peer, opening)
      const mine = opening
      opening.catch(() => { if (this.sessions.get(peer) === mine) this.sessions.delete(peer) })
    }
    return await opening
  }
}
