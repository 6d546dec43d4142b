// `/fabric/logs/1`: guests' log lines (the logs API behind `fabric logs` and the lines a driver
// prints). One request per stream, then frames from the node, length-prefixed CBOR:
//
//   client: { type: 'logs', filter, tail, follow?, local? }
//           filter: { job?, task?, actor?, of? } (of: a job, task or actor id); tail: the last
//           lines to send first (0-10,000); follow: then every new line until the client closes;
//           local: this node's lines only (what an asked node sends its peers)
//   server: { type: 'lines', lines }                   lines: LogLine (see below), oldest first
//           { type: 'caught-up', truncated, unreachable? }   the tail is sent (follow goes on)
//           { type: 'end', truncated, unreachable? }    the tail is sent and the stream ends
//           { type: 'dropped', count }                 a follower that read too slowly missed lines
//       or: { type: 'error', error }
//
// Unless `local`, the asked node answers for every node in its view (their tails merged by time,
// then their new lines as they come). Frames are validated and size-limited both ways.
import './polyfill.js'
import type { Logger, Stream } from '@libp2p/interface'
import { LOGS_MAX_INBOUND_STREAMS, LOGS_PROTOCOL, MAX_LOGS_FRAME_BYTES, MAX_LOGS_REQUEST_BYTES, MAX_LOGS_TAIL } from './constants.js'
import { MalformedMessageError, PeerUnreachableError, RemoteError } from './errors.js'
import { frameStream, readRequest, refuse } from './frames.js'
import { decodeCborMap, encode } from './messages.js'
import { deserializeError } from '../errors/index.js'
import type { ProtocolService } from './interface.js'

/** A guest's log line, as nodes keep and send it. */
export interface WireLogLine {
  /** The node's sequence number of the line (increasing; restarts at 1 with the node). */
  seq: number
  /** Wall-clock ms since the epoch. */
  time: number
  level: string
  /** The PeerId of the node that ran the guest ('' on an embedded fabric). */
  node: string
  /** The public id of the job the work is part of; absent for work of no job. */
  job?: string
  /** The task (or actor call) id, as `fabric list tasks` shows it. */
  task?: string
  /** The actor id, for an actor's calls. */
  actor?: string
  /** The function, or `Class.method` of an actor call. */
  name: string
  message: string
}

/** Which lines: each field given must match; `of` matches a line whose job, task or actor is that id. */
export interface LogFilterWire {
  job?: string
  task?: string
  actor?: string
  of?: string
}

export interface LogRequest {
  type: 'logs'
  filter: LogFilterWire
  tail: number
  follow?: true
  local?: true
}

export type LogFrame =
  | { type: 'lines', lines: WireLogLine[] }
  | { type: 'caught-up' | 'end', truncated: boolean, unreachable?: string[] }
  | { type: 'dropped', count: number }

/**
 * Answers a logs request: sends the tail, then (follow) new lines until `signal` aborts (the client
 * closed the stream); resolves when it has sent all it will.
 */
export type LogAnswer = (req: LogRequest, from: string, send: (frame: LogFrame) => Promise<void>, signal: AbortSignal) => Promise<void>

const FILTER_KEYS = ['job', 'task', 'actor', 'of']
const LINE_KEYS = new Set(['seq', 'time', 'level', 'node', 'job', 'task', 'actor', 'name', 'message'])

/** Validate a request frame. */
export function decodeLogRequest (bytes: Uint8Array): LogRequest {
  const o = decodeCborMap(bytes, 'logs request')
  if (o.type !== 'logs' || Object.keys(o).some(k => !['type', 'filter', 'tail', 'follow', 'local'].includes(k))) {
    throw new MalformedMessageError("logs request must be { type: 'logs', filter, tail, follow?, local? }")
  }
  const f = o.filter as Record<string, unknown>
  if (typeof f !== 'object' || f === null || Array.isArray(f) || f instanceof Uint8Array ||
    Object.entries(f).some(([k, v]) => !FILTER_KEYS.includes(k) || typeof v !== 'string' || v.length === 0 || v.length > 256)) {
    throw new MalformedMessageError(`logs request: filter must map some of ${FILTER_KEYS.join(', ')} to ids of 1-256 chars`)
  }
  if (typeof o.tail !== 'number' || !Number.isSafeInteger(o.tail) || o.tail < 0 || o.tail > MAX_LOGS_TAIL) throw new MalformedMessageError(`logs request: tail must be an integer from 0 to ${MAX_LOGS_TAIL}`)
  if (o.follow !== undefined && o.follow !== true) throw new MalformedMessageError('logs request: follow must be true when present')
  if (o.local !== undefined && o.local !== true) throw new MalformedMessageError('logs request: local must be true when present')
  return { type: 'logs', filter: f as LogFilterWire, tail: o.tail, ...(o.follow === true ? { follow: true } : {}), ...(o.local === true ? { local: true } : {}) }
}

/** Validate a frame of the server. */
export function decodeLogFrame (bytes: Uint8Array): LogFrame {
  const o = decodeCborMap(bytes, 'logs frame')
  switch (o.type) {
    case 'error':
      throw new RemoteError(`the node refused the logs request: ${deserializeError(o.error as never).message}`)
    case 'lines': {
      if (!Array.isArray(o.lines) || o.lines.length > MAX_LOGS_TAIL) throw new MalformedMessageError(`logs frame: lines must be a list of at most ${MAX_LOGS_TAIL}`)
      for (const l of o.lines) checkLine(l)
      return { type: 'lines', lines: o.lines as WireLogLine[] }
    }
    case 'caught-up':
    case 'end': {
      const u = o.unreachable
      if (typeof o.truncated !== 'boolean' || (u !== undefined && (!Array.isArray(u) || u.length > 4096 || !u.every(p => typeof p === 'string' && p.length <= 128)))) {
        throw new MalformedMessageError(`logs frame: ${o.type} must be { truncated, unreachable? }`)
      }
      return { type: o.type, truncated: o.truncated, ...(u === undefined ? {} : { unreachable: u as string[] }) }
    }
    case 'dropped':
      if (typeof o.count !== 'number' || !Number.isSafeInteger(o.count) || o.count < 0) throw new MalformedMessageError('logs frame: dropped must carry a count')
      return { type: 'dropped', count: o.count }
    default:
      throw new MalformedMessageError(`logs frame: unknown type ${JSON.stringify(o.type)}`)
  }
}

function checkLine (l: unknown): void {
  const o = l as Record<string, unknown>
  const ok = typeof o === 'object' && o !== null && !Array.isArray(o) && !(o instanceof Uint8Array) &&
    Object.keys(o).every(k => LINE_KEYS.has(k)) &&
    typeof o.seq === 'number' && typeof o.time === 'number' &&
    typeof o.level === 'string' && o.level.length <= 16 &&
    typeof o.node === 'string' && o.node.length <= 128 &&
    typeof o.name === 'string' && o.name.length <= 1024 &&
    typeof o.message === 'string' && o.message.length <= 17 * 1024 &&
    ['job', 'task', 'actor'].every(k => o[k] === undefined || (typeof o[k] === 'string' && (o[k] as string).length <= 256))
  if (!ok) throw new MalformedMessageError('logs frame: a line must be { seq, time, level, node, name, message, job?, task?, actor? } within their size limits')
}

/** Lines into frames that fit the frame limit. */
export function lineFrames (lines: WireLogLine[]): LogFrame[] {
  const frames: LogFrame[] = []
  let batch: WireLogLine[] = []
  let bytes = 0
  for (const l of lines) {
    const size = l.message.length * 3 + l.name.length + 512
    if (batch.length > 0 && (bytes + size > MAX_LOGS_FRAME_BYTES - 4096 || batch.length >= 1000)) {
      frames.push({ type: 'lines', lines: batch })
      batch = []
      bytes = 0
    }
    batch.push(l)
    bytes += size
  }
  if (batch.length > 0) frames.push({ type: 'lines', lines: batch })
  return frames
}

/** The node side of `/fabric/logs/1`, as a service of the net node (NetNodeInit.services). */
export function logService (answer: LogAnswer): ProtocolService {
  return {
    protocol: LOGS_PROTOCOL,
    maxInboundStreams: LOGS_MAX_INBOUND_STREAMS,
    serve: async (stream, from, log) => { await serveLogStream(stream, from, answer, log) }
  }
}

async function serveLogStream (stream: Stream, from: string, answer: LogAnswer, log: Logger): Promise<void> {
  const lp = frameStream(stream, MAX_LOGS_REQUEST_BYTES)
  const frame = await readRequest(stream, lp, 10_000, log)
  if (frame === undefined) return
  let req: LogRequest
  try {
    req = decodeLogRequest(frame.subarray())
  } catch (err) {
    await refuse(stream, lp, err, log)
    return
  }
  // The client ends a follow by closing its side (or the stream dies): stop answering then.
  const gone = new AbortController()
  stream.addEventListener('close', () => { gone.abort() })
  if (req.follow === true) void readRequest(stream, lp, undefined, log).finally(() => { gone.abort() })
  const send = async (f: LogFrame): Promise<void> => {
    if (gone.signal.aborted) return
    await lp.write(encode(f), { signal: AbortSignal.any([gone.signal, AbortSignal.timeout(30_000)]) })
  }
  try {
    await answer(req, from, send, gone.signal)
  } catch (err) {
    if (gone.signal.aborted) return
    await refuse(stream, lp, err, log)
    return
  }
  await stream.close().catch(() => { stream.abort(new Error('closing')) })
}

/**
 * Ask for log lines over a stream `open` gives (to a node's `/fabric/logs/1`); every frame goes to
 * `onFrame`. Resolves after `end`, or for `follow` when `signal` aborts (the stream is closed) or
 * the node goes.
 *
 * @throws PeerUnreachableError when the node cannot be reached or the stream breaks before the
 *   tail is in; MalformedMessageError for a frame that fails validation; RemoteError when refused
 */
export async function requestLogs (open: (signal: AbortSignal) => Promise<Stream>, req: Omit<LogRequest, 'type'>, onFrame: (frame: LogFrame) => void, signal?: AbortSignal): Promise<void> {
  const dialSignal = AbortSignal.any([AbortSignal.timeout(10_000), ...(signal === undefined ? [] : [signal])])
  const stream = await open(dialSignal)
  const onAbort = (): void => { void stream.close().catch(() => { stream.abort(new Error('closed')) }) }
  signal?.addEventListener('abort', onAbort, { once: true })
  let caughtUp = false
  try {
    const lp = frameStream(stream, MAX_LOGS_FRAME_BYTES)
    await lp.write(encode({ type: 'logs', ...req }), { signal: dialSignal })
    while (true) {
      let frame
      try {
        frame = await lp.read(req.follow === true && caughtUp ? (signal === undefined ? {} : { signal }) : { signal: AbortSignal.any([AbortSignal.timeout(60_000), ...(signal === undefined ? [] : [signal])]) })
      } catch (err) {
        if (signal?.aborted === true) return
        if (caughtUp && req.follow === true) return // the node went: the follow is over
        throw new PeerUnreachableError(`logs stream broke: ${(err as Error).message}`, { cause: err })
      }
      const f = decodeLogFrame(frame.subarray())
      onFrame(f)
      if (f.type === 'caught-up') caughtUp = true
      if (f.type === 'end') {
        await stream.close().catch(() => {})
        return
      }
    }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}
