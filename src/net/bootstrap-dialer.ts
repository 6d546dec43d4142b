// Keeps this node connected to its bootstrap addresses: libp2p's bootstrap discovery dials once, so
// each address gets its own loop that dials with exponential backoff until connected, then watches
// the connection and redials if it drops (the bootstrap node restarted, or the network blinked).
import './polyfill.js'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface BootstrapDialerInit {
  addrs: Multiaddr[]
  initialMs: number
  maxMs: number
  /** Called for each failed attempt (the CLI reports the first ones). */
  onRetry?: (addr: Multiaddr, err: Error, attempt: number) => void
  /** Called when an address connects (again). */
  onConnected?: (addr: Multiaddr, peer: PeerId) => void
  /** Per-attempt dial timeout. @default DIAL_TIMEOUT_MS */
  dialTimeoutMs?: number
}

/** How often a connected bootstrap address is checked. */
const WATCH_MS = 1000

/** Per-attempt dial timeout: a peer behind the wrong swarm key stalls rather than refuses. */
const DIAL_TIMEOUT_MS = 5000

export class BootstrapDialer {
  private controller: AbortController | undefined
  private loops: Array<Promise<void>> = []

  constructor (private readonly libp2p: Libp2p, private readonly init: BootstrapDialerInit, private readonly log: Logger) {}

  /** Idempotent. */
  start (): void {
    if (this.controller !== undefined) return
    const controller = new AbortController()
    this.controller = controller
    this.loops = this.init.addrs.map(async addr => { await this.keepConnected(addr, controller.signal) })
  }

  /** Stops every loop and waits for them (their in-flight dials are aborted). Idempotent. */
  async stop (): Promise<void> {
    const controller = this.controller
    if (controller === undefined) return
    this.controller = undefined
    controller.abort()
    await Promise.allSettled(this.loops)
    this.loops = []
  }

  private async keepConnected (addr: Multiaddr, signal: AbortSignal): Promise<void> {
    let peer: PeerId | undefined
    const p2p = addr.getComponents().filter(c => c.name === 'p2p').pop()?.value
    let delay = this.init.initialMs
    let attempt = 0
    while (!signal.aborted) {
      const connected = peer !== undefined && this.libp2p.getConnections(peer).length > 0
      if (connected) {
        await sleep(WATCH_MS, signal)
        continue
      }
      attempt++
      const started = Date.now()
      try {
        const conn = await this.libp2p.dial(addr, { signal: AbortSignal.any([signal, AbortSignal.timeout(this.init.dialTimeoutMs ?? DIAL_TIMEOUT_MS)]) })
        peer = conn.remotePeer
        if (p2p !== undefined && p2p !== peer.toString()) this.log('bootstrap %a answered as %p', addr, peer)
        this.log('connected to bootstrap %a', addr)
        this.init.onConnected?.(addr, peer)
        delay = this.init.initialMs
        attempt = 0
      } catch (err) {
        if (signal.aborted) return
        this.log('bootstrap dial %a failed (attempt %d) - %e', addr, attempt, err)
        this.init.onRetry?.(addr, err as Error, attempt)
        // Jitter, so nodes started together do not retry in lockstep. The attempt's own time counts
        // as waiting: a dial that stalled until its timeout (dropped SYNs: a partition, a host
        // gone) is tried again at once, so a cut that heals is redialled within ~the timeout, not
        // the timeout plus the backoff (up to ~11 s; docs/chaos.md).
        await sleep(delay * (0.75 + Math.random() * 0.5) - (Date.now() - started), signal)
        delay = Math.min(delay * 2, this.init.maxMs)
      }
    }
  }
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return
  await new Promise<void>(resolve => {
    const t = setTimeout(done, ms)
    function done (): void {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
