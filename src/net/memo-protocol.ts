// Sharing memoised results across a fabric (see runtime/memo.ts): gossip of recent entries plus a
// lookup protocol for the rest.
//
// Gossip, topic `fabric/<name>/memo`: each node publishes the names of the calls it added results
// for since its last message, at most every `intervalMs` and at most MAX_GOSSIP_ENTRIES per message
// (a burst beyond that is found by lookup instead). A receiver keeps them as hints (bounded, least
// recently used evicted): the node holding the result is the message's signed sender, asked first.
// Gossip names calls, never results: a result's CID is told only to a node that names its call.
//
//   { type: 'memo', names: [name, ...] }
//
// Lookup, `/fabric/memo/1`: one long-lived stream per pair of nodes (a session), answered in order,
// length-prefixed CBOR frames:
//
//   client: { type: 'lookup', names }           names: up to MAX_LOOKUP_NAMES call names
//   server: { type: 'found', entries: [[name, cid, size, bytes?], ...] }   those held there; a small
//           result's bytes in it (at most INLINE_RESULT_BYTES each, the frame within its limit)
//       or: { type: 'error', error }
//
// Either way the asker then has the result by CID: a small one's bytes came with the answer, a
// larger one is pulled over `/fabric/object/1`; the asker checks the bytes against the CID.
import './polyfill.js'
import type { Logger, Stream } from '@libp2p/interface'
import { frameStream, readRequest, refuse } from './frames.js'
import { MalformedMessageError } from './errors.js'
import { OrderedSessions } from './ordered-sessions.js'
import { decodeCborMap, encode } from './messages.js'
import { parseCid } from '../objects/cid.js'
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
/** A lookup session idle this long is closed by the node. */
const LOOKUP_IDLE_TIMEOUT_MS = 5 * 60_000
/** Lookup streams open at once on a node, from all peers. */
const MEMO_MAX_INBOUND_STREAMS = 64

const NAME_RE = /^[A-Za-z0-9_-]{43}$/

/** A call name and the result a node holds for it. */
/** A lookup's answer: an entry, with a small result's bytes (unverified: the asker checks them against the CID). */
export type FoundMemoEntry = [name: string, cid: string, size: number, bytes?: Uint8Array]

/** Largest result a lookup's answer carries (a larger one is pulled by CID). */
export const INLINE_RESULT_BYTES = 16 * 1024

/** What the protocol asks of the node's memo index. */
export interface MemoHost {
  /** The entries held here among `names`, with small results' bytes up to `inlineBytes` in all (only those are read). */
  held: (names: string[], inlineBytes: number) => Promise<FoundMemoEntry[]>
  /** Node `peer` says it holds results for these calls. */
  heard: (peer: string, names: string[]) => void
  /** Names of the calls added here since the last call, oldest first. */
  recent: () => string[]
}

/** Check a list of entries (gossip or a lookup's answer). */
export function decodeEntries (v: unknown, max: number, what: string, withBytes = false): FoundMemoEntry[] {
  if (!Array.isArray(v) || v.length > max) throw new MalformedMessageError(`${what}: entries must be a list of at most ${max}`)
  return v.map((e, i) => {
    const bytes = withBytes && Array.isArray(e) && e.length === 4 && e[3] instanceof Uint8Array && e[3].length <= INLINE_RESULT_BYTES ? e[3] : undefined
    if (!Array.isArray(e) || e.length !== (bytes === undefined ? 3 : 4) || typeof e[0] !== 'string' || !NAME_RE.test(e[0]) || typeof e[1] !== 'string' || e[1].length > 128 || typeof e[2] !== 'number' || !Number.isSafeInteger(e[2]) || e[2] < 0) {
      throw new MalformedMessageError(`${what}: entry ${i} must be [name (43 base64url chars), cid, size]`)
    }
    parseCid(e[1])
    return bytes === undefined ? [e[0], e[1], e[2]] : [e[0], e[1], e[2], bytes]
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

/** A session: lookups answered in order until the asker closes it or it idles; a malformed one ends it. */
async function serveLookup (stream: Stream, held: MemoHost['held'], log: Logger): Promise<void> {
  const lp = frameStream(stream, MAX_MEMO_FRAME_BYTES)
  for (let frame = await readRequest(stream, lp, LOOKUP_IDLE_TIMEOUT_MS, log); frame !== undefined; frame = await readRequest(stream, lp, LOOKUP_IDLE_TIMEOUT_MS, log)) {
    let names: string[]
    try {
      names = decodeLookup(frame.subarray())
    } catch (err) {
      await refuse(stream, lp, err, log)
      return
    }
    // Bytes ride along while the frame has room for them: the host reads no more than that.
    const entries = await held(names, MAX_MEMO_FRAME_BYTES - 1024 - names.length * 160)
    await lp.write(encode({ type: 'found', entries }), { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) })
  }
}

/**
 * Lookups of other nodes' memo indexes, over one session per node.
 *
 * @example
 * const lookups = new MemoLookups(net)
 * const held = await lookups.lookup(peer, [name])
 */
export class MemoLookups {
  private readonly sessions: OrderedSessions

  constructor (net: Pick<NetNode, 'dialProtocol'>) {
    this.sessions = new OrderedSessions(net, MEMO_PROTOCOL, 'memo lookup', { maxFrameBytes: MAX_MEMO_FRAME_BYTES, timeoutMs: LOOKUP_TIMEOUT_MS })
  }

  /**
   * Which of `names` node `peer` holds.
   * @throws PeerUnreachableError when it cannot be asked (or answers late); RemoteError with its refusal
   */
  async lookup (peer: string, names: string[]): Promise<FoundMemoEntry[]> {
    const reply = await this.sessions.request(peer, [encode({ type: 'lookup', names })])
    if (reply.type !== 'found') throw new MalformedMessageError("memo reply must be { type: 'found', entries } or { type: 'error', error }")
    const wanted = new Set(names)
    return decodeEntries(reply.entries, names.length, 'memo reply', true).filter(e => wanted.has(e[0]))
  }

  close (): void {
    this.sessions.close()
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
        if (o.type !== 'memo' || Object.keys(o).some(k => k !== 'type' && k !== 'names')) throw new MalformedMessageError("memo gossip must be { type: 'memo', names }")
        const names = o.names
        if (!Array.isArray(names) || names.length > MAX_GOSSIP_ENTRIES || !names.every(n => typeof n === 'string' && NAME_RE.test(n))) throw new MalformedMessageError(`memo gossip: names must be up to ${MAX_GOSSIP_ENTRIES} call names`)
        return names as string[]
      },
      deliver: (from: string, names: string[]) => {
        this.counters.received++
        this.counters.entries += names.length
        this.host.heard(from, names)
      }
    })
    this.timer = setInterval(() => { void this.flush() }, this.intervalMs)
    this.timer.unref()
  }

  /** Publish what was added since the last message (a burst past one message's bound: its newest). */
  async flush (): Promise<void> {
    const recent = this.host.recent()
    if (recent.length === 0 || this.topic === undefined) return
    this.counters.published++
    await this.topic.publish(encode({ type: 'memo', names: recent.slice(-MAX_GOSSIP_ENTRIES) }))
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.topic?.close()
    this.topic = undefined
  }
}
