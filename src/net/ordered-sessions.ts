// The client side of a request/reply protocol over one long-lived stream per peer (a session),
// replies in request order: opening a stream per request cost ~3 ms of setup on loopback (more
// under load), more than a small request itself. A session that breaks, or a reply that does not
// come in time, fails the requests waiting on it; the next request opens a new session.
import './polyfill.js'
import type { Stream } from '@libp2p/interface'
import { frameStream } from './frames.js'
import { MalformedMessageError, PeerUnreachableError, RemoteError } from './errors.js'
import { decodeCborMap } from './messages.js'
import { deserializeError } from '../errors/index.js'
import type { NetNode } from './interface.js'

interface Session {
  lp: ReturnType<typeof frameStream>
  stream: Stream
  /** Requests sent, answered in order. */
  pending: Array<{ resolve: (reply: Record<string, unknown>) => void, reject: (e: Error) => void, timer: NodeJS.Timeout | undefined }>
  writes: Promise<void>
}

/** Options of {@link OrderedSessions}. */
export interface OrderedSessionsInit {
  /** Largest frame either way. */
  maxFrameBytes: number
  /** What may arrive ahead of the reader (a bulk reply: the muxer's window). @default maxFrameBytes + 64 KiB */
  bufferBytes?: number
  /** How long a reply may take; past it the session is taken for broken. */
  timeoutMs: number
}

/**
 * @example
 * const sessions = new OrderedSessions(net, '/fabric/memo/1', 'memo lookup', { maxFrameBytes: 65536, timeoutMs: 2000 })
 * const reply = await sessions.request(peer, [encode({ type: 'lookup', names })])
 */
export class OrderedSessions {
  private readonly sessions = new Map<string, Promise<Session>>()

  constructor (private readonly net: Pick<NetNode, 'dialProtocol'>, private readonly protocol: string, private readonly what: string, private readonly init: OrderedSessionsInit) {}

  /**
   * Send `frames` to `peer` as one request; resolves to its reply (a CBOR map).
   * @throws RemoteError with the peer's refusal (an `error` reply); PeerUnreachableError when the
   *   session cannot be opened, breaks, or the reply is late; MalformedMessageError for a bad reply
   */
  async request (peer: string, frames: Uint8Array[]): Promise<Record<string, unknown>> {
    const session = await this.session(peer)
    const entry: Session['pending'][number] = { resolve: () => {}, reject: () => {}, timer: undefined }
    const answered = new Promise<Record<string, unknown>>((resolve, reject) => {
      entry.resolve = resolve
      entry.reject = reject
    })
    session.pending.push(entry)
    session.writes = session.writes.then(async () => {
      for (const f of frames) await session.lp.write(f, { signal: AbortSignal.timeout(this.init.timeoutMs) })
      // The reply's clock starts once the request is sent (not while it waits behind others).
      if (session.pending.includes(entry)) entry.timer = setTimeout(() => { this.broke(peer, session, new Error(`no reply in ${this.init.timeoutMs} ms`)) }, this.init.timeoutMs)
    }).catch(err => { this.broke(peer, session, err) })
    return await answered
  }

  /** Close every session. */
  close (): void {
    for (const s of this.sessions.values()) void s.then(async x => { await x.stream.close() }).catch(() => {})
    this.sessions.clear()
  }

  private async session (peer: string): Promise<Session> {
    let s = this.sessions.get(peer)
    if (s === undefined) {
      s = (async () => {
        const stream = await this.net.dialProtocol(peer, this.protocol, { signal: AbortSignal.timeout(this.init.timeoutMs) })
        const session: Session = { lp: frameStream(stream, this.init.maxFrameBytes, this.init.bufferBytes), stream, pending: [], writes: Promise.resolve() }
        void this.readLoop(peer, session)
        return session
      })()
      const opening = s
      opening.catch(() => { if (this.sessions.get(peer) === opening) this.sessions.delete(peer) })
      this.sessions.set(peer, opening)
    }
    return await s
  }

  private async readLoop (peer: string, session: Session): Promise<void> {
    try {
      for (;;) {
        const reply = decodeCborMap((await session.lp.read()).subarray(), `${this.what} reply`)
        const next = session.pending.shift()
        if (next === undefined) throw new MalformedMessageError(`a ${this.what} reply to no request`)
        clearTimeout(next.timer)
        if (reply.type === 'error') next.reject(new RemoteError(`node ${peer} refused the ${this.what}: ${deserializeError(reply.error as never).message}`))
        else next.resolve(reply)
      }
    } catch (err) {
      this.broke(peer, session, err)
    }
  }

  private broke (peer: string, session: Session, err: unknown): void {
    const cause = err instanceof MalformedMessageError ? err : new PeerUnreachableError(`the ${this.what} session with ${peer} broke: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    for (const p of session.pending.splice(0)) {
      clearTimeout(p.timer)
      p.reject(cause)
    }
    void this.sessions.get(peer)?.then(s => { if (s === session) this.sessions.delete(peer) }, () => {})
    session.stream.abort(cause)
  }
}
