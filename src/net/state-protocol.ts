// `/fabric/state/1`: what a node says about its work (the state API behind `fabric list`). One
// request and its reply per stream, length-prefixed CBOR:
//
//   client: { type: 'list', what, filters?, limit?, local? }
//           what: 'nodes' | 'tasks' | 'actors' | 'objects' | 'jobs'; filters: { field: value } (a row is
//           kept when String(row[field]) equals each value); limit: rows at most (1-10,000);
//           local: true to answer for this node only (what an asked node sends its peers)
//   server: { type: 'rows', rows, truncated, unreachable? }   rows: maps of strings, numbers and
//           booleans; truncated: more matched than the limit; unreachable: nodes that did not answer
//       or: { type: 'error', error }
//
// The asked node answers for itself and, unless `local`, asks every node in its view and merges
// their rows (each tagged with its `node`). Frames are validated and size-limited both ways.
import './polyfill.js'
import type { Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { MAX_STATE_REPLY_BYTES, MAX_STATE_REQUEST_BYTES, MAX_STATE_ROWS, STATE_PROTOCOL } from './constants.js'
import { MalformedMessageError, PeerUnreachableError, RemoteError } from './errors.js'
import { frameStream, readRequest, refuse } from './frames.js'
import { decodeCborMap, encode } from './messages.js'
import { deserializeError } from '../errors/index.js'

/** What the state API lists. */
export const STATE_KINDS = ['nodes', 'tasks', 'actors', 'objects', 'jobs'] as const
export type StateKind = typeof STATE_KINDS[number]

/** A row: a flat record of plain values. */
export type StateRow = Record<string, string | number | boolean>

export interface StateRequest {
  type: 'list'
  what: StateKind
  filters?: Record<string, string>
  limit?: number
  local?: boolean
}

export interface StateReply {
  type: 'rows'
  rows: StateRow[]
  truncated: boolean
  /** Nodes that did not answer the asked node's fan-out (PeerIds). */
  unreachable?: string[]
}

const MAX_FILTERS = 16

/** Validate a request frame. */
export function decodeStateRequest (bytes: Uint8Array): StateRequest {
  const o = decodeCborMap(bytes, 'state request')
  if (o.type !== 'list' || Object.keys(o).some(k => !['type', 'what', 'filters', 'limit', 'local'].includes(k))) {
    throw new MalformedMessageError("state request must be { type: 'list', what, filters?, limit?, local? }")
  }
  if (!STATE_KINDS.includes(o.what as StateKind)) throw new MalformedMessageError(`state request: what must be one of ${STATE_KINDS.join(', ')}`)
  let filters: Record<string, string> | undefined
  if (o.filters !== undefined) {
    const f = o.filters as Record<string, unknown>
    if (typeof f !== 'object' || f === null || Array.isArray(f) || f instanceof Uint8Array) throw new MalformedMessageError('state request: filters must be a map of field to value')
    const entries = Object.entries(f)
    if (entries.length > MAX_FILTERS || entries.some(([k, v]) => k.length === 0 || k.length > 64 || typeof v !== 'string' || v.length > 256)) {
      throw new MalformedMessageError(`state request: at most ${MAX_FILTERS} filters, each a field of 1-64 chars and a string value of at most 256`)
    }
    filters = Object.fromEntries(entries) as Record<string, string>
  }
  if (o.limit !== undefined && (typeof o.limit !== 'number' || !Number.isSafeInteger(o.limit) || o.limit < 1 || o.limit > MAX_STATE_ROWS)) {
    throw new MalformedMessageError(`state request: limit must be an integer from 1 to ${MAX_STATE_ROWS}`)
  }
  if (o.local !== undefined && o.local !== true) throw new MalformedMessageError('state request: local must be true when present')
  return { type: 'list', what: o.what as StateKind, ...(filters === undefined ? {} : { filters }), ...(o.limit === undefined ? {} : { limit: o.limit }), ...(o.local === true ? { local: true } : {}) }
}

/** Validate a reply frame. */
export function decodeStateReply (bytes: Uint8Array): StateReply {
  const o = decodeCborMap(bytes, 'state reply')
  if (o.type === 'error') throw new RemoteError(`the node refused the state request: ${deserializeError(o.error as never).message}`)
  if (o.type !== 'rows' || !Array.isArray(o.rows) || o.rows.length > MAX_STATE_ROWS || typeof o.truncated !== 'boolean') {
    throw new MalformedMessageError(`state reply must be { type: 'rows', rows, truncated } with at most ${MAX_STATE_ROWS} rows`)
  }
  for (const r of o.rows) {
    const ok = typeof r === 'object' && r !== null && !Array.isArray(r) && !(r instanceof Uint8Array) &&
      Object.entries(r as Record<string, unknown>).every(([k, v]) => k.length <= 64 && (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 4096)))
    if (!ok) throw new MalformedMessageError('state reply: a row must map fields (at most 64 chars) to numbers, booleans or strings (at most 4096 chars)')
  }
  const unreachable = o.unreachable
  if (unreachable !== undefined && (!Array.isArray(unreachable) || unreachable.length > 4096 || !unreachable.every(p => typeof p === 'string' && p.length <= 128))) {
    throw new MalformedMessageError('state reply: unreachable must be a list of PeerIds')
  }
  return { type: 'rows', rows: o.rows as StateRow[], truncated: o.truncated, ...(unreachable === undefined ? {} : { unreachable: unreachable as string[] }) }
}

/** Rows that pass `filters`, at most `limit` of them, and whether more did. */
export function filterRows (rows: StateRow[], filters: Record<string, string> | undefined, limit = MAX_STATE_ROWS): { rows: StateRow[], truncated: boolean } {
  const entries = Object.entries(filters ?? {})
  const kept = entries.length === 0 ? rows : rows.filter(r => entries.every(([k, v]) => r[k] !== undefined && String(r[k]) === v))
  return { rows: kept.slice(0, limit), truncated: kept.length > limit }
}

/** Serve one inbound state stream: one request, its reply, then the stream ends. */
export async function serveStateStream (stream: Stream, from: string, answer: (req: StateRequest, from: string) => Promise<StateReply>, log: Logger): Promise<void> {
  const lp = frameStream(stream, MAX_STATE_REQUEST_BYTES)
  const frame = await readRequest(stream, lp, 10_000, log)
  if (frame === undefined) return
  let reply: StateReply
  try {
    reply = await answer(decodeStateRequest(frame.subarray()), from)
  } catch (err) {
    await refuse(stream, lp, err, log)
    return
  }
  let bytes = encode(reply)
  // Too many rows for one frame: fewer, said so.
  while (bytes.byteLength > MAX_STATE_REPLY_BYTES - 1024 && reply.rows.length > 0) {
    reply = { ...reply, rows: reply.rows.slice(0, Math.floor(reply.rows.length / 2)), truncated: true }
    bytes = encode(reply)
  }
  await lp.write(bytes, { signal: AbortSignal.timeout(10_000) }).catch(err => { log('state reply write failed - %e', err) })
  await stream.close().catch(() => { stream.abort(new Error('closing')) })
}

/**
 * Ask the node at `target` for state rows.
 *
 * @throws PeerUnreachableError when it cannot be reached or does not answer within `timeoutMs`;
 *   MalformedMessageError for a reply that fails validation; RemoteError when it refused
 */
export async function requestState (libp2p: Libp2p, target: PeerId | Multiaddr, req: StateRequest, options: { timeoutMs?: number } = {}): Promise<StateReply> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000)
  let stream: Stream
  try {
    stream = await libp2p.dialProtocol(target, STATE_PROTOCOL, { signal })
  } catch (err) {
    throw new PeerUnreachableError(`cannot open ${STATE_PROTOCOL} to ${target.toString()}: ${(err as Error).message}`, { cause: err })
  }
  try {
    const lp = frameStream(stream, MAX_STATE_REPLY_BYTES)
    await lp.write(encode(req), { signal })
    let frame
    try {
      frame = await lp.read({ signal })
    } catch (err) {
      throw new PeerUnreachableError(`no state reply from ${target.toString()}: ${(err as Error).message}`, { cause: err })
    }
    const reply = decodeStateReply(frame.subarray())
    await stream.close().catch(() => {})
    return reply
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

