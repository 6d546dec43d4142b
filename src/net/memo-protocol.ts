// Sharing memoised results across a fabric (see runtime/memo.ts): gossip of recent entries plus a
// lookup protocol for the rest.
//
// Gossip, topic `fabric/<name>/memo`: each node publishes the entries it added since its last
// message, at most every `intervalMs` and at most MAX_GOSSIP_ENTRIES per message (a burst beyond
// that is found by lookup instead). A receiver keeps them as hints (bounded, least recently used
// evicted): the node holding the result is the message's signed sender.
//
//   { type: 'memo', entries: [[name, cid, size], ...] }
//
// Lookup, `/fabric/memo/1`: one request per stream, length-prefixed CBOR frames:
//
//   client: { type: 'lookup', names }           names: up to MAX_LOOKUP_NAMES call names
//   server: { type: 'found', entries: [[name, cid, size], ...] }   those held there
//       or: { type: 'error', error }
//
// Either way the asker then pulls the result by CID over `/fabric/object/1`, which verifies the
// bytes against it: an entry names bytes, it never carries them.
import './polyfill.js'
import type { Logger, Stream } from '@libp2p/interface'
import { frameStream, readRequest, refuse } from './frames.js'
import { MalformedMessageError, PeerUnreachableError, RemoteError } from './errors.js'
import { decodeCborMap, encode } from './messages.js'
import { parseCid } from '../objects/cid.js'
import { deserializeError } from '../errors/index.js'
import type { NetNode, ProtocolService, TopicHandle } from './interface.js'

export const MEMO_PROTOCOL = '/fabric/memo/1'
/** The gossip topic's name (NetNode.topic). */
export const MEMO_TOPIC = 'memo'

/** Names one lookup may ask for. */
export const MAX_LOOKUP_NAMES = 64
/** Entries one gossip message carries. */
export const MAX_GOSSIP_ENTRIES = 512
/** Largest frame of the lookup protocol either way. */
const MAX_MEMO_FRAME_BYTES = 64 * 1024
/** How long a node waits for a lookup's answer. */
export const LOOKUP_TIMEOUT_MS = 2000
/** Lookup streams open at once on a node, from all peers. */
const MEMO_MAX_INBOUND_STREAMS = 64

const NAME_RE = /^[A-Za-z0-9_-]{43}$/

/** A call name and the result a node holds for it. */
export type WireMemoEntry = [name: string, cid: string, size: number]

/** What the protocol asks of the node's memo index. */
export interface MemoHost {
  /** The entries held here among `names`. */
  held: (names: string[]) => WireMemoEntry[]
  /** Node `peer` says it holds these. */
  heard: (peer: string, entries: WireMemoEntry[]) => void
  /** Entries added here since the last call, oldest first. */
  recent: () => WireMemoEntry[]
}

/** Check a list of entries (gossip or a lookup's answer). */
export function decodeEntries (v: unknown, max: number, what: string): WireMemoEntry[] {
  if (!Array.isArray(v) || v.length > max) throw new MalformedMessageError(`${what}: entries must be a list of at most ${max}`)
  return v.map((e, i) => {
    if (!Array.isArray(e) || e.length !== 3 || typeof e[0] !== 'string' || !NAME_RE.test(e[0]) || typeof e[1] !== 'string' || e[1].length > 128 || typeof e[2] !== 'number' || !Number.isSafeInteger(e[2]) || e[2] < 0) {
      throw new MalformedMessageError(`${what}: entry ${i} must be [name (43 base64url chars), cid, size]`)
    }
    parseCid(e[1])
    return [e[0], e[1], e[2]]
  })
}

function decodeLookup (bytes: Uint8Array): string[] {
  const o = decodeCborMap(bytes, 'memo lookup')
  if (o.type !== 'lookup' || Object.keys(o).some(k => k !== 'type' && k !== 'names')) throw new MalformedMessageError("memo request must be { type: 'lookup', names }")
  const names = o.names
  if (!Array.isArray(names) || names.length === 0 || names.length > MAX_LOOKUP_NAMES || !names.every(n => typeof n === 'string' && NAME_RE.test(n))) {
    throw new MalformedMessageError(`memo lookup: names must be 1-${MAX_LOOKUP_NAMES} call names (43 base64url chars each)`)
  }
  return names as string[]
}

/** `/fabric/memo/1` as a node serves it: `held` answers which names it holds. */
export function memoService (held: MemoHost['held']): ProtocolService {
  return {
    protocol: MEMO_PROTOCOL,
    maxInboundStreams: MEMO_MAX_INBOUND_STREAMS,
    serve: async (stream, _from, log) => { await serveLookup(stream, held, log) }
  }
}

async function serveLookup (stream: Stream, held: MemoHost['held'], log: Logger): Promise<void> {
  const lp = frameStream(stream, MAX_MEMO_FRAME_BYTES)
  const frame = await readRequest(stream, lp, LOOKUP_TIMEOUT_MS, log)
  if (frame === undefined) return
  let names: string[]
  try {
    names = decodeLookup(frame.subarray())
  } catch (err) {
    await refuse(stream, lp, err, log)
    return
  }
  await lp.write(encode({ type: 'found', entries: held(names) }), { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) })
  await stream.close().catch(() => { stream.abort(new Error('closing')) })
}

/**
 * Ask node `peer` which of `names` it holds.
 * @throws PeerUnreachableError when it cannot be asked; RemoteError with its refusal
 */
export async function lookupMemo (net: Pick<NetNode, 'dialProtocol'>, peer: string, names: string[], signal = AbortSignal.timeout(LOOKUP_TIMEOUT_MS)): Promise<WireMemoEntry[]> {
  const stream = await net.dialProtocol(peer, MEMO_PROTOCOL, { signal })
  try {
    const lp = frameStream(stream, MAX_MEMO_FRAME_BYTES)
    await lp.write(encode({ type: 'lookup', names }), { signal })
    let reply: Record<string, unknown>
    try {
      reply = decodeCborMap((await lp.read({ signal })).subarray(), 'memo reply')
    } catch (err) {
      if (err instanceof MalformedMessageError) throw err
      throw new PeerUnreachableError(`memo lookup on ${peer} failed: ${(err as Error).message}`, { cause: err })
    }
    if (reply.type === 'error') throw new RemoteError(`memo lookup refused by ${peer}: ${deserializeError(reply.error as never).message}`)
    if (reply.type !== 'found') throw new MalformedMessageError("memo reply must be { type: 'found', entries } or { type: 'error', error }")
    const wanted = new Set(names)
    return decodeEntries(reply.entries, names.length, 'memo reply').filter(e => wanted.has(e[0]))
  } finally {
    await stream.close().catch(() => { stream.abort(new Error('closing')) })
  }
}

/** Publishes this node's new entries and hands peers' to the host. */
export class MemoGossip {
  private topic: TopicHandle | undefined
  private timer: NodeJS.Timeout | undefined
  /** Messages published and received, and entries heard. */
  readonly counters = { published: 0, received: 0, entries: 0 }

  constructor (private readonly net: Pick<NetNode, 'topic'>, private readonly host: MemoHost, private readonly intervalMs = 250) {}

  start (): void {
    if (this.topic !== undefined) return
    this.topic = this.net.topic(MEMO_TOPIC, {
      validate: (data) => {
        const o = decodeCborMap(data, 'memo gossip')
        if (o.type !== 'memo' || Object.keys(o).some(k => k !== 'type' && k !== 'entries')) throw new MalformedMessageError("memo gossip must be { type: 'memo', entries }")
        return decodeEntries(o.entries, MAX_GOSSIP_ENTRIES, 'memo gossip')
      },
      deliver: (from: string, entries: WireMemoEntry[]) => {
        this.counters.received++
        this.counters.entries += entries.length
        this.host.heard(from, entries)
      }
    })
    this.timer = setInterval(() => { void this.flush() }, this.intervalMs)
    this.timer.unref()
  }

  /** Publish what was added since the last message (a burst past one message's bound: its newest). */
  async flush (): Promise<void> {
    const recent = this.host.recent()
    if (recent.length === 0 || this.topic === undefined) return
    const entries = recent.slice(-MAX_GOSSIP_ENTRIES)
    this.counters.published++
    await this.topic.publish(encode({ type: 'memo', entries }))
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.topic?.close()
    this.topic = undefined
  }
}
