// The node's view of the fabric: the other nodes' latest gossiped info and their liveness
// (alive → suspected after missed heartbeats, a closed connection or an unanswered probe ping →
// dead and removed).
import { EventEmitter } from 'node:events'
import type { FabricView, FabricViewEvents, FabricViewInit, NodeInfo, PeerEntry } from './interface.js'
import { DEAD_HEARTBEATS, LIVENESS_STALL_MS, SUSPECT_HEARTBEATS } from './constants.js'

/** How long a left or dead peer's last seq is remembered, so late old heartbeats cannot resurrect it. */
const TOMBSTONE_MS = 60_000

/**
 * The liveness-tracking view. Fed by the gossip layer (`heard`, `left`), the connection layer and
 * the liveness probe (`suspect`); `check()` applies the timeouts and runs on a timer between
 * `start()` and `stop()`.
 *
 * @example
 * ```ts
 * const view = new LivenessView({ suspectAfterMs: 3000, deadAfterMs: 10000 })
 * view.on('dead', (e) => console.log('lost', e.info.peer))
 * view.start()
 * ```
 */
export class LivenessView implements FabricView {
  private readonly entries = new Map<string, PeerEntry>()
  private readonly tombstones = new Map<string, { seq: number, at: number }>()
  private readonly emitter = new EventEmitter()
  private readonly suspectAfterMs: number
  private readonly deadAfterMs: number
  private readonly checkIntervalMs: number
  private readonly now: () => number
  private timer: NodeJS.Timeout | undefined
  private lastTimerAt: number | undefined
  private stalls = 0
  private skippedLast = false
  /** peerList()'s array, until the peers change. */
  private list: readonly PeerEntry[] | undefined

  constructor (init: FabricViewInit = {}) {
    this.suspectAfterMs = init.suspectAfterMs ?? 3000
    this.deadAfterMs = init.deadAfterMs ?? 10000
    this.checkIntervalMs = init.checkIntervalMs ?? 250
    this.now = init.now ?? Date.now
    if (!(this.suspectAfterMs > 0) || !(this.deadAfterMs > this.suspectAfterMs)) {
      throw new RangeError(`view: need 0 < suspectAfterMs (${this.suspectAfterMs}) < deadAfterMs (${this.deadAfterMs})`)
    }
    // A listener that throws must not break the gossip path that emitted the event.
    this.emitter.setMaxListeners(100)
  }

  peers (): PeerEntry[] {
    return [...this.entries.values()]
  }

  /**
   * The same peers as {@link peers}, as one array kept until a peer joins or goes (a driver ranks
   * the view for every task it places): read it, never change it.
   */
  peerList (): readonly PeerEntry[] {
    this.list ??= Object.freeze([...this.entries.values()])
    return this.list
  }

  /** How many peers the view holds (alive or suspected). */
  get size (): number {
    return this.entries.size
  }

  get (peerId: string): PeerEntry | undefined {
    return this.entries.get(peerId)
  }

  on<E extends keyof FabricViewEvents>(event: E, listener: FabricViewEvents[E]): void {
    this.emitter.on(event, listener)
  }

  off<E extends keyof FabricViewEvents>(event: E, listener: FabricViewEvents[E]): void {
    this.emitter.off(event, listener)
  }

  /**
   * A heartbeat from `info.peer`. Returns false when it was ignored as stale (an older seq than one
   * already seen, or from before the peer left or died).
   */
  heard (info: NodeInfo): boolean {
    const now = this.now()
    const tomb = this.tombstones.get(info.peer)
    if (tomb !== undefined) {
      if (info.seq <= tomb.seq) return false
      this.tombstones.delete(info.peer)
    }
    const prev = this.entries.get(info.peer)
    if (prev === undefined) {
      const entry: PeerEntry = { info, state: 'alive', lastHeardAt: now }
      this.entries.set(info.peer, entry)
      this.list = undefined
      this.emit('join', entry)
      return true
    }
    if (info.seq <= prev.info.seq) return false
    prev.info = info
    prev.lastHeardAt = now
    if (prev.state === 'suspected') {
      prev.state = 'alive'
      delete prev.suspectReason
      this.emit('alive', prev)
    }
    this.emit('update', prev)
    return true
  }

  /** Suspect a peer now (its last connection closed, or it did not answer a probe ping). Unknown peers are ignored. */
  suspect (peerId: string, reason: string): void {
    const entry = this.entries.get(peerId)
    if (entry === undefined || entry.state === 'suspected') return
    entry.state = 'suspected'
    entry.suspectReason = reason
    this.emit('suspect', entry)
  }

  /** The peer said it is leaving: remove it, and ignore its heartbeats up to `seq`. */
  left (peerId: string, seq?: number): void {
    const entry = this.entries.get(peerId)
    const lastSeq = Math.max(seq ?? 0, entry?.info.seq ?? 0)
    this.tombstones.set(peerId, { seq: lastSeq, at: this.now() })
    if (entry === undefined) return
    this.entries.delete(peerId)
    this.list = undefined
    this.emit('leave', entry)
  }

  /**
   * Apply the liveness timeouts at the current time: the configured ones, longer for a peer that
   * announces a longer heartbeat interval (a large fabric's: SUSPECT_HEARTBEATS and
   * DEAD_HEARTBEATS of its intervals).
   */
  check (): void {
    const now = this.now()
    for (const [peer, entry] of this.entries) {
      const silent = now - entry.lastHeardAt
      const hb = entry.info.heartbeatMs ?? 0
      const suspectAfterMs = Math.max(this.suspectAfterMs, SUSPECT_HEARTBEATS * hb)
      const deadAfterMs = Math.max(this.deadAfterMs, DEAD_HEARTBEATS * hb)
      if (silent >= deadAfterMs) {
        // Listeners always see suspect before dead, even when one check crosses both timeouts.
        this.suspect(peer, `no heartbeat for ${silent} ms`)
        this.entries.delete(peer)
        this.list = undefined
        this.tombstones.set(peer, { seq: entry.info.seq, at: now })
        this.emit('dead', entry)
      } else if (silent >= suspectAfterMs && entry.state === 'alive') {
        this.suspect(peer, `no heartbeat for ${silent} ms`)
      }
    }
    for (const [peer, t] of this.tombstones) if (now - t.at > TOMBSTONE_MS) this.tombstones.delete(peer)
  }

  /** Check liveness on a timer. Idempotent. */
  start (): void {
    if (this.timer !== undefined) return
    this.lastTimerAt = undefined
    this.timer = setInterval(() => { this.onTimer() }, this.checkIntervalMs)
    // The view alone must not keep a process alive.
    this.timer.unref()
  }

  /** Stop the timer; the entries stay readable. Idempotent. */
  stop (): void {
    if (this.timer === undefined) return
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** Timer ticks on which nothing was judged because this process itself had stalled. */
  get stalledChecks (): number {
    return this.stalls
  }

  // When this process was stalled (a long synchronous step, a starved CPU), the heartbeats that
  // arrived meanwhile still wait in the sockets and are read after this timer: judging now would
  // suspect every peer for our own pause. Skip this tick; the next one sees them. Never two in a
  // row, so a process that stalls all the time still judges its peers.
  private onTimer (): void {
    const now = this.now()
    const last = this.lastTimerAt
    this.lastTimerAt = now
    if (last !== undefined && now - last > this.checkIntervalMs + LIVENESS_STALL_MS && !this.skippedLast) {
      this.skippedLast = true
      this.stalls++
      return
    }
    this.skippedLast = false
    this.check()
  }

  private emit<E extends keyof FabricViewEvents>(event: E, entry: PeerEntry): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (e: PeerEntry) => void)(entry)
      } catch {
        // A faulty listener must not stop the others, nor the gossip or timer that emitted.
      }
    }
  }
}
