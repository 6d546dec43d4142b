// The liveness probe: notices a hung peer (SIGSTOP, a wedged event loop) in ~1-2 s without closing
// its connection. A crashed peer is noticed at once (its connection closes) and a silent one by the
// view's heartbeat timeouts (3 s / 10 s), but a hung peer keeps its TCP connection open, and
// libp2p's connection monitor only aborts a connection after 30-60 s without a ping reply
// (CONNECTION_PING_TIMEOUT_MS: shorter timeouts killed healthy connections whose pings waited
// behind bulk object data or a saturated host); the node closes it when the view declares it dead.
//
// Why pings on demand, and not a shorter heartbeat timeout or a ping every interval:
// - Heartbeats are free evidence of life (every peer publishes one each --heartbeat-ms), so a peer
//   heard from within `probeMs` is not pinged at all: with `probeMs` above the heartbeat interval a
//   healthy fabric sends almost no probe pings. A ping costs a stream open and close, ~1.3 ms of CPU
//   on each side on a loaded 2-core box; pinging 15 peers every second would cost ~4% of a core per
//   node on top of the connection monitor's own pings.
// - A peer whose heartbeat is late is asked directly; only if that ping also goes unanswered for
//   `probeTimeoutMs` is it suspected. A heartbeat delayed in the gossipsub mesh (or behind a busy
//   sender's queue) is then not taken for a hang when the peer still answers, which a bare 2 s
//   heartbeat timeout would do.
// - Suspected is not dead: placement only prefers alive nodes, the connection stays open, and the
//   peer's next heartbeat makes it alive again. Death still takes the view's `deadAfterMs`.
// - A peer heard again after a suspicion of CONNECTION_CHECK_SUSPECTED_MS or longer (`suspected`,
//   `heardAgain`) has each of its connections checked: pinged over that connection, and closed
//   when within CONNECTION_CHECK_TIMEOUT_MS neither the reply nor any other byte came in on it.
//   After a cut the peer may have closed its end, or TCP's retransmission has backed off for
//   seconds, and the sessions on the old connection would wait for the next retransmit (while a
//   fresh connection the peer dialled meanwhile works). On a saturated host pings take seconds but
//   bytes keep arriving, so a slow connection is not taken for a dead one.
import type { Logger } from '@libp2p/interface'
import type { PeerEntry } from './interface.js'
import { CONNECTION_CHECK_SUSPECTED_MS, CONNECTION_CHECK_TIMEOUT_MS, PROBE_FULL_RATE_PEERS, PROBE_MARGIN_MS, PROBE_PING_MAX_MS, LIVENESS_STALL_MS, PROBE_TICK_MS } from './constants.js'

export interface LivenessProbeComponents {
  /** The view: its peers, their last heartbeat, and where suspicion goes. */
  view: {
    peers: () => PeerEntry[]
    /** How many peers the view holds. */
    readonly size: number
    suspect: (peerId: string, reason: string) => void
  }
  /** Ping a peer over its existing connection; resolves when the reply arrives. */
  ping: (peerId: string, signal: AbortSignal) => Promise<unknown>
  /** The peers this node has an open connection to (only those are pinged). */
  connectedPeers: () => Iterable<string>
  /** This node's connections to a peer, for the check of a peer heard again (none: no check). */
  connections?: (peerId: string) => ProbedConnection[]
  log?: Logger
  /** The clock (ms), the view's; tests pass a fake one. @default Date.now */
  now?: () => number
}

/** One connection to a peer, as the check of a peer heard again sees it. */
export interface ProbedConnection {
  /** Bytes read from it so far (any counter that grows with them), or undefined where that cannot be told: then it is never closed. */
  bytesIn: () => number | undefined
  /** Ping the peer over this connection, not another one to the same peer; resolves on the reply. */
  ping: (signal: AbortSignal) => Promise<unknown>
  /** Whether it is still open (one that closed meanwhile is not judged). */
  open: () => boolean
  /** Close it: the sessions and streams on it fail, and are retried. */
  close: (reason: string) => void
}

export interface LivenessProbeInit {
  /**
   * A connected, alive peer not heard from (heartbeat or ping reply) for this long is pinged (or
   * for its announced heartbeat interval plus PROBE_MARGIN_MS, when that is longer).
   */
  probeMs: number
  /** A peer whose ping has gone unanswered this long, with nothing else heard from it either, is suspected. */
  probeTimeoutMs: number
  /** How often peers are looked at. @default PROBE_TICK_MS */
  tickMs?: number
  /** How long a peer heard again has for a ping reply before its connection is closed. @default CONNECTION_CHECK_TIMEOUT_MS */
  checkTimeoutMs?: number
  /** Only a peer suspected this long before it was heard again is checked. @default CONNECTION_CHECK_SUSPECTED_MS */
  checkSuspectedMs?: number
}

/** Counters of the probe (for tests and debugging). */
export interface LivenessProbeStats {
  pings: number
  replies: number
  failures: number
  suspected: number
  /** Ticks skipped because this process itself had stalled. */
  stalls: number
  /** Connections of peers heard again closed because they carried nothing (no ping reply, no byte) in the check. */
  stale: number
}

interface PeerProbe {
  /** When the first ping still unanswered was sent (undefined: none since the peer was last heard from). */
  sentAt: number | undefined
  /** A ping is on the wire (at most one per peer). */
  inFlight: boolean
  lastSendAt: number
  lastReplyAt: number
  /** When the peer was last suspected (cleared when it is heard again). */
  suspectedAt?: number
  /** The check of a peer heard again after a suspicion: since when, and its connections then. */
  check?: { from: number, conns: Array<{ conn: ProbedConnection, bytes: number | undefined, answered: boolean }> }
}

export class LivenessProbe {
  private readonly c: LivenessProbeComponents
  private readonly probeMs: number
  private readonly probeTimeoutMs: number
  private readonly tickMs: number
  private readonly checkTimeoutMs: number
  private readonly checkSuspectedMs: number
  private readonly now: () => number
  private readonly probes = new Map<string, PeerProbe>()
  private readonly counters: LivenessProbeStats = { pings: 0, replies: 0, failures: 0, suspected: 0, stalls: 0, stale: 0 }
  private timer: NodeJS.Timeout | undefined
  private abort: AbortController | undefined
  private lastTickAt: number | undefined
  private skippedLast = false
  private ticks = 0

  constructor (components: LivenessProbeComponents, init: LivenessProbeInit) {
    this.c = components
    this.probeMs = init.probeMs
    this.probeTimeoutMs = init.probeTimeoutMs
    this.tickMs = init.tickMs ?? PROBE_TICK_MS
    this.checkTimeoutMs = init.checkTimeoutMs ?? CONNECTION_CHECK_TIMEOUT_MS
    this.checkSuspectedMs = init.checkSuspectedMs ?? CONNECTION_CHECK_SUSPECTED_MS
    this.now = components.now ?? Date.now
    if (!(this.probeMs > 0) || !(this.probeTimeoutMs > 0) || !(this.tickMs > 0)) {
      throw new RangeError(`liveness probe: need probeMs (${this.probeMs}), probeTimeoutMs (${this.probeTimeoutMs}) and tickMs (${this.tickMs}) > 0`)
    }
  }

  stats (): LivenessProbeStats {
    return { ...this.counters }
  }

  /** Probe on a timer. Idempotent. */
  start (): void {
    if (this.timer !== undefined) return
    this.abort = new AbortController()
    this.lastTickAt = undefined
    this.timer = setInterval(() => { this.tick() }, this.tickMs)
    this.timer.unref()
  }

  /** Stop the timer and abandon the pings in flight. Idempotent. */
  stop (): void {
    if (this.timer === undefined) return
    clearInterval(this.timer)
    this.timer = undefined
    this.abort?.abort()
    this.abort = undefined
    this.probes.clear()
  }

  /** The view suspected a peer (for any reason): when, for `heardAgain`. */
  suspected (peerId: string): void {
    this.probe(peerId).suspectedAt ??= this.now()
  }

  /**
   * The view made a suspected peer alive again (a heartbeat, often relayed by others): if it was
   * suspected for `checkSuspectedMs` or longer, check each connection this node holds to it (a
   * ping over it now; the verdict on the first tick `checkTimeoutMs` later).
   */
  heardAgain (peerId: string): void {
    const p = this.probe(peerId)
    const now = this.now()
    const long = p.suspectedAt !== undefined && now - p.suspectedAt >= this.checkSuspectedMs
    p.suspectedAt = undefined
    if (!long || p.check !== undefined) return
    const conns = this.c.connections?.(peerId) ?? []
    if (conns.length === 0) return
    const check = { from: now, conns: conns.map(conn => ({ conn, bytes: conn.bytesIn(), answered: false })) }
    p.check = check
    // A reply after the verdict is not needed, so the pings end soon after it.
    const limit = AbortSignal.timeout(this.checkTimeoutMs + PROBE_MARGIN_MS)
    const signal = this.abort === undefined ? limit : AbortSignal.any([this.abort.signal, limit])
    for (const c of check.conns) {
      c.conn.ping(signal).then(() => { c.answered = true }, (err: unknown) => { this.c.log?.('check ping of %s failed - %e', peerId, err) })
    }
  }

  private probe (peer: string): PeerProbe {
    let p = this.probes.get(peer)
    if (p === undefined) {
      p = { sentAt: undefined, inFlight: false, lastSendAt: 0, lastReplyAt: 0 }
      this.probes.set(peer, p)
    }
    return p
  }

  /**
   * Look at every peer once: ping those silent for `probeMs`, suspect those whose ping has gone
   * unanswered for `probeTimeoutMs`. Runs on the timer; tests call it directly.
   */
  tick (): void {
    const now = this.now()
    // This process was itself stalled (a long synchronous step, a starved CPU): the replies and
    // heartbeats that arrived meanwhile wait in the sockets and are read after this timer. Judge
    // nobody now; the next tick sees them. Never two ticks in a row, so a process that stalls
    // all the time still judges its peers.
    const last = this.lastTickAt
    this.lastTickAt = now
    if (last !== undefined && now - last > this.tickMs + LIVENESS_STALL_MS && !this.skippedLast) {
      this.skippedLast = true
      this.counters.stalls++
      return
    }
    this.skippedLast = false
    // A large view is looked at less often: every ceil(peers / PROBE_FULL_RATE_PEERS) ticks, so
    // the scans cost what 16 peers' do (at 100 peers scanning every tick was 6% of an idle node's
    // gossip CPU). A peer of a large fabric beats every several seconds (the announced interval
    // the thresholds below wait for), so the coarser step is small beside it.
    if (++this.ticks % Math.max(1, Math.ceil(this.c.view.size / PROBE_FULL_RATE_PEERS)) !== 0) return
    let connected: Set<string> | undefined
    const seen = new Set<string>()
    for (const entry of this.c.view.peers()) {
      const peer = entry.info.peer
      seen.add(peer)
      const checked = this.probes.get(peer)
      if (checked?.check !== undefined && now - checked.check.from >= this.checkTimeoutMs) this.judge(checked, now)
      // Suspected peers are left to their heartbeats (which make them alive again) and the timeouts.
      if (entry.state !== 'alive') continue
      const p = checked ?? this.probe(peer)
      const lastSign = Math.max(entry.lastHeardAt, p.lastReplyAt)
      // Heard from since that ping went out: it no longer counts against the peer.
      if (p.sentAt !== undefined && p.sentAt < lastSign) p.sentAt = undefined
      const silent = now - lastSign
      // A peer of a large fabric beats less often (the interval it announces): ping it only once that is late.
      if (silent < this.probeMs || silent < (entry.info.heartbeatMs ?? 0) + PROBE_MARGIN_MS) continue
      connected ??= this.connectedSet()
      if (!connected.has(peer)) continue
      if (p.sentAt === undefined) {
        // A ping still in flight from before the peer was last heard from counts as sent now.
        p.sentAt = now
        if (!p.inFlight) this.send(peer, p)
      } else if (now - p.sentAt >= this.probeTimeoutMs) {
        this.counters.suspected++
        this.c.view.suspect(peer, `no ping reply in ${now - p.sentAt} ms, no heartbeat for ${now - entry.lastHeardAt} ms`)
        p.sentAt = undefined
      } else if (!p.inFlight && now - p.lastSendAt >= this.tickMs) {
        // The ping failed outright (stream refused or reset): try again while the timeout runs.
        this.send(peer, p)
      }
    }
    for (const peer of this.probes.keys()) if (!seen.has(peer)) this.probes.delete(peer)
  }

  private connectedSet (): Set<string> {
    const peers = this.c.connectedPeers()
    return peers instanceof Set ? peers : new Set(peers)
  }

  /** The check's verdict: a connection that answered its ping, or read any byte, stays; the others are closed. */
  private judge (p: PeerProbe, now: number): void {
    const check = p.check!
    p.check = undefined
    for (const c of check.conns) {
      if (c.answered || !c.conn.open()) continue
      const bytes = c.conn.bytesIn()
      // Slow, not dead: bytes came in (a host too busy to answer pings in time), or no telling.
      if (bytes === undefined || c.bytes === undefined || bytes !== c.bytes) continue
      this.counters.stale++
      c.conn.close(`heard again after a suspicion, but its connection carried nothing in ${now - check.from} ms, not even a ping reply`)
    }
  }

  private send (peer: string, p: PeerProbe): void {
    const abort = this.abort
    p.inFlight = true
    p.lastSendAt = this.now()
    this.counters.pings++
    // A reply however late is evidence of life; the bound only keeps a ping to a hung peer from
    // holding a stream for ever (the view declares such a peer dead, and closes its connections, before it).
    const signal = abort === undefined ? AbortSignal.timeout(PROBE_PING_MAX_MS) : AbortSignal.any([abort.signal, AbortSignal.timeout(PROBE_PING_MAX_MS)])
    this.c.ping(peer, signal).then(() => {
      p.inFlight = false
      p.lastReplyAt = this.now()
      p.sentAt = undefined
      this.counters.replies++
    }, (err: unknown) => {
      p.inFlight = false
      this.counters.failures++
      this.c.log?.('liveness ping of %s failed - %e', peer, err)
    })
  }
}
