// A node's answer to `/fabric/logs/1` (see net/log-protocol.ts): its own guest log lines (the
// runtime's LogBook) and, unless asked for itself only, every node's in its view: their tails
// merged by time, then their new lines as they come. A follower that reads too slowly is told how
// many lines it missed instead of holding the node's memory.
import type { LogBook, LogLine } from '../runtime/index.js'
import type { LogAnswer, LogFrame, LogRequest, NetNode, WireLogLine } from '../net/index.js'

/** Lines waiting for a slow follower at most; past it they are counted as dropped. */
const MAX_PENDING_LINES = 10_000

/** The `/fabric/logs/1` answer of a node whose lines are in `book`. */
export function nodeLogAnswer (book: LogBook, net: () => NetNode): LogAnswer {
  return async (req, _from, send, signal) => {
    const { lineFrames, LOGS_PROTOCOL, requestLogs } = await import('../net/index.js')
    const peers = req.local === true ? [] : net().view.peers().filter(p => p.info.resources.total.cpus > 0).map(p => p.info.peer)
    const out = new Outbox(send, lineFrames)
    // Follow: new lines are queued from now on, sent once the tail is out.
    const unfollow = req.follow === true ? book.follow(req.filter, line => { out.push(line) }) : undefined
    const peerFollows = new AbortController()
    const stopAll = (): void => { peerFollows.abort(); unfollow?.() }
    signal.addEventListener('abort', stopAll, { once: true })
    try {
      const own = await book.query(req.filter, req.tail)
      // A line both in the tail and queued as new (appended while the tail was read) goes once.
      const ownLast = own.lines.at(-1)?.seq ?? 0
      out.skip = l => l.node === book.node && l.seq <= ownLast
      const tails: WireLogLine[][] = [own.lines]
      let truncated = own.truncated
      const unreachable: string[] = []
      const ask = async (peer: string, tail: number, onTail: (lines: WireLogLine[], truncated: boolean) => void): Promise<void> => {
        const lines: WireLogLine[] = []
        let inTail = true
        await requestLogs(async s => await net().dialProtocol(peer, LOGS_PROTOCOL, { signal: s }), { filter: req.filter, tail, local: true, ...(req.follow === true ? { follow: true } : {}) }, f => {
          if (f.type === 'lines') {
            if (inTail) lines.push(...f.lines.filter(l => l.node === peer)) // a node answers for itself only
            else for (const l of f.lines) if (l.node === peer) out.push(l)
          } else if (f.type === 'dropped') {
            out.drop(f.count)
          } else {
            inTail = false
            onTail(lines, f.truncated)
          }
        }, peerFollows.signal)
      }
      const following: Array<Promise<void>> = []
      await Promise.all(peers.map(async peer => {
        await new Promise<void>(resolve => {
          const run = ask(peer, req.tail, (lines, t) => { tails.push(lines); truncated ||= t; resolve() })
          following.push(run.catch(() => {}))
          run.catch(() => { unreachable.push(peer) }).finally(resolve)
        })
      }))
      const merged = tails.flat().sort((a, b) => a.time - b.time || a.seq - b.seq)
      const tail = merged.length > req.tail ? merged.slice(merged.length - req.tail) : merged
      for (const f of lineFrames(tail)) await send(f)
      const done = { truncated: truncated || merged.length > req.tail, ...(unreachable.length === 0 ? {} : { unreachable }) }
      if (req.follow !== true) {
        await send({ type: 'end', ...done })
        return
      }
      await send({ type: 'caught-up', ...done })
      // Nodes that join while the follower listens are followed too.
      const onJoin = (e: { info: { peer: string, resources: { total: { cpus: number } } } }): void => {
        if (req.local === true || e.info.resources.total.cpus <= 0 || signal.aborted) return
        following.push(ask(e.info.peer, 0, () => {}).catch(() => {}))
      }
      net().view.on('join', onJoin)
      try {
        await out.run(signal)
      } finally {
        net().view.off('join', onJoin)
      }
    } finally {
      signal.removeEventListener('abort', stopAll)
      stopAll()
    }
  }
}

/** The lines of a non-following request, collected (the in-process reader: the dashboard). */
export async function collectLogs (answer: LogAnswer, req: Omit<LogRequest, 'type' | 'follow'>): Promise<{ lines: LogLine[], truncated: boolean, unreachable?: string[] }> {
  const lines: LogLine[] = []
  let end: { truncated: boolean, unreachable?: string[] } = { truncated: false }
  await answer({ type: 'logs', ...req }, '', async f => {
    if (f.type === 'lines') lines.push(...f.lines)
    else if (f.type === 'end') end = f
  }, new AbortController().signal)
  return { lines, ...end }
}

/** Live lines on their way to a follower: batched into frames, bounded while it reads slowly. */
class Outbox {
  private pending: WireLogLine[] = []
  private dropped = 0
  private wake: (() => void) | undefined
  /** Lines not to send (already sent in the tail). */
  skip: (line: WireLogLine) => boolean = () => false

  constructor (private readonly send: (f: LogFrame) => Promise<void>, private readonly frames: (lines: WireLogLine[]) => LogFrame[]) {}

  push (line: WireLogLine): void {
    if (this.pending.length >= MAX_PENDING_LINES) this.dropped++
    else this.pending.push(line)
    this.wake?.()
  }

  drop (count: number): void {
    this.dropped += count
    this.wake?.()
  }

  /** Send what comes until `signal` aborts. */
  async run (signal: AbortSignal): Promise<void> {
    const aborted = new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
    while (!signal.aborted) {
      if (this.pending.length === 0 && this.dropped === 0) {
        await Promise.race([new Promise<void>(resolve => { this.wake = resolve }), aborted])
        this.wake = undefined
        continue
      }
      const lines = this.pending.filter(l => !this.skip(l)).sort((a, b) => a.time - b.time)
      this.pending = []
      if (this.dropped > 0) {
        const count = this.dropped
        this.dropped = 0
        await this.send({ type: 'dropped', count })
      }
      for (const f of this.frames(lines)) await this.send(f)
    }
  }
}
