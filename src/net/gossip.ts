// Resource and membership gossip: publishes this node's info on `fabric/<name>/resources` every
// heartbeat (an interval that grows with the fabric past GOSSIP_FULL_RATE_NODES) and on change,
// validates what arrives (size, CBOR, shape, signed sender) and feeds the view. Malformed messages
// are refused (not delivered, not forwarded) and counted.
import './polyfill.js'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'
import { decodeGossip, encode, isOversized } from './messages.js'
import { GOSSIP_FULL_RATE_NODES, GOSSIP_LARGE_FABRIC_NODES, MAX_HEARTBEAT_MS } from './constants.js'
import type { LivenessView } from './fabric-view.js'
import type { GossipMessage, GossipStats, LeaveMessage, NodeInfo, ResourcesMessage } from './interface.js'

export interface ResourceGossipComponents {
  pubsub: GossipSub
  view: LivenessView
  log: Logger
  /** This node's info as it should be published now; the gossip adds `seq` and `ts`. */
  self: () => Omit<NodeInfo, 'seq' | 'ts'>
  /** Called with a peer's info when it is heard from (the node dials it if not connected). */
  onHeard?: (info: NodeInfo) => void
}

export interface ResourceGossipInit {
  topic: string
  heartbeatMs: number
}

/** Smallest gap between two publishes triggered by `announce()`, so bursts of changes coalesce. */
const ANNOUNCE_MIN_GAP_MS = 100

/** How often the node's info is read to publish changes the runtime did not `announce()`. */
const CHANGE_POLL_MS = 250

export class ResourceGossip {
  private readonly c: ResourceGossipComponents
  private readonly topic: string
  private readonly heartbeatMs: number
  private readonly counters: GossipStats = { published: 0, received: 0, malformed: 0, oversized: 0, spoofed: 0 }
  /** Whether an invalid own info was already said on stderr. */
  private selfErrorReported = false
  private heartbeat: NodeJS.Timeout | undefined
  private announceTimer: NodeJS.Timeout | undefined
  private lastPublishAt = 0
  private lastPollAt = 0
  private lastBody = ''
  /** Messages the topic validator accepted, decoded, until they are delivered (weak: a message never delivered is collected). */
  private readonly validated = new WeakMap<Message, GossipMessage>()
  private running = false
  // Starts at boot time in ms: a restarted node's heartbeats supersede (and outlive the tombstone of) its old self.
  private seq = Date.now()

  constructor (components: ResourceGossipComponents, init: ResourceGossipInit) {
    this.c = components
    this.topic = init.topic
    this.heartbeatMs = init.heartbeatMs
  }

  /**
   * The interval this node beats at now: `heartbeatMs`, or in a fabric of more than
   * GOSSIP_FULL_RATE_NODES nodes proportionally longer (announced in every heartbeat, so peers
   * scale their timeouts by it).
   */
  get intervalMs (): number {
    return heartbeatInterval(this.heartbeatMs, this.c.view.size + 1)
  }

  /** The seq of the last message this node published. */
  get lastSeq (): number {
    return this.seq
  }

  stats (): GossipStats {
    return { ...this.counters }
  }

  /** Subscribe, publish now and every heartbeat. Idempotent. */
  start (): void {
    if (this.running) return
    this.running = true
    this.c.pubsub.topicValidators.set(this.topic, this.validate)
    this.c.pubsub.addEventListener('message', this.onMessage)
    this.c.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.c.pubsub.subscribe(this.topic)
    this.publishNow()
    this.heartbeat = setInterval(() => { this.tick() }, Math.min(CHANGE_POLL_MS, this.heartbeatMs))
  }

  /** Publish the node's info soon (coalesced); the runtime calls this when its resources change. */
  announce (): void {
    if (!this.running || this.announceTimer !== undefined) return
    // Scaled like the heartbeat: in a large fabric a busy node's changes must not outnumber the heartbeats.
    const wait = Math.max(0, this.lastPublishAt + ANNOUNCE_MIN_GAP_MS * (this.intervalMs / this.heartbeatMs) - Date.now())
    this.announceTimer = setTimeout(() => {
      this.announceTimer = undefined
      if (this.running) this.publishNow()
    }, wait)
  }

  /**
   * Stop publishing; with `leave`, first tell the fabric this node is leaving (best effort: a leave
   * that cannot be sent is covered by the peers' liveness timeouts). Idempotent.
   */
  async stop (options: { leave?: boolean } = {}): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.heartbeat)
    clearTimeout(this.announceTimer)
    this.heartbeat = undefined
    this.announceTimer = undefined
    const self = options.leave === true ? this.selfOrSkip() : undefined
    if (self !== undefined) {
      const leave: LeaveMessage = { type: 'leave', peer: self.peer, seq: this.seq }
      try {
        await this.c.pubsub.publish(this.topic, encode(leave))
        this.counters.published++
      } catch (err) {
        this.c.log('could not publish leave - %e', err)
      }
    }
    this.c.pubsub.removeEventListener('message', this.onMessage)
    this.c.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.c.pubsub.topicValidators.delete(this.topic)
    try { this.c.pubsub.unsubscribe(this.topic) } catch { /* pubsub already stopped */ }
  }

  // Publish on every heartbeat (peers' liveness depends on it) and as soon as the info changed.
  // In a fabric large enough to stretch the heartbeat, changes the runtime did not announce are
  // looked for as much less often (reading the info is most of an idle node's own gossip work).
  private tick (): void {
    const now = Date.now()
    const interval = this.intervalMs
    const due = now - this.lastPublishAt >= interval - CHANGE_POLL_MS / 2
    if (!due && now - this.lastPollAt < CHANGE_POLL_MS * (interval / this.heartbeatMs) - CHANGE_POLL_MS / 2) return
    this.lastPollAt = now
    const body = this.selfOrSkip()
    if (body !== undefined && (due || bodyKey(body) !== this.lastBody)) this.publishNow(body)
  }

  /**
   * The node's own info, or undefined when it is invalid (a bug): that heartbeat is skipped rather
   * than crashing the node from a timer, and peers suspect the node if it lasts. Said once on
   * stderr, since it needs fixing.
   */
  private selfOrSkip (): Omit<NodeInfo, 'seq' | 'ts'> | undefined {
    try {
      return this.c.self()
    } catch (err) {
      this.c.log.error('heartbeat not published - %e', err)
      if (!this.selfErrorReported) process.stderr.write(`fabric: heartbeat not published: ${(err as Error).message}\n`)
      this.selfErrorReported = true
      return undefined
    }
  }

  private publishNow (body = this.selfOrSkip()): void {
    if (body === undefined) return
    const msg: ResourcesMessage = { type: 'resources', ...body, heartbeatMs: this.intervalMs, seq: ++this.seq, ts: Date.now() }
    this.lastPublishAt = Date.now()
    this.lastBody = bodyKey(body)
    this.c.pubsub.publish(this.topic, encode(msg)).then(() => {
      this.counters.published++
    }, (err: unknown) => {
      // No peers yet, or pubsub stopping: the next heartbeat tries again.
      this.c.log('publish failed - %e', err)
    })
  }

  // Runs before delivery and forwarding: a refused message goes no further than this node.
  private readonly validate = (_from: PeerId, message: Message): TopicValidatorResult => {
    const result = this.check(message)
    if (result === undefined) return TopicValidatorResult.Reject
    this.validated.set(message, result)
    return TopicValidatorResult.Accept
  }

  private check (message: Message): GossipMessage | undefined {
    let msg: GossipMessage
    try {
      msg = decodeGossip(message.data)
    } catch (err) {
      this.counters.malformed++
      if (isOversized(err)) this.counters.oversized++
      this.c.log('refused a malformed message - %e', err)
      return undefined
    }
    // With StrictSign gossipsub has verified the signature of `from`; the claimed peer must match it.
    if (message.type !== 'signed' || message.from.toString() !== msg.peer) {
      this.counters.spoofed++
      this.c.log('refused a message claiming to be from %s', msg.peer)
      return undefined
    }
    return msg
  }

  // A peer just joined the topic: tell it about this node now rather than at the next heartbeat,
  // so a new node is visible to the fabric in milliseconds.
  private readonly onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    if (evt.detail.subscriptions.some(s => s.subscribe && s.topic === this.topic)) this.announce()
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const message = evt.detail
    if (message.topic !== this.topic) return
    // Decoded by the topic validator already (gossipsub delivers the object it validated); checked
    // again only if not.
    const msg = this.validated.get(message) ?? this.check(message)
    this.validated.delete(message)
    if (msg === undefined) return
    this.counters.received++
    if (msg.type === 'leave') {
      this.c.view.left(msg.peer, msg.seq)
      return
    }
    const { type: _type, ...info } = msg
    if (this.c.view.heard(info)) this.c.onHeard?.(info)
  }
}

/**
 * The heartbeat interval of a node configured with `baseMs` in a fabric of `nodes` (itself
 * included): `baseMs` up to GOSSIP_FULL_RATE_NODES nodes, then growing in proportion, twice as
 * fast past GOSSIP_LARGE_FABRIC_NODES (continuously), at most MAX_HEARTBEAT_MS (or `baseMs` if
 * that is longer).
 */
export function heartbeatInterval (baseMs: number, nodes: number): number {
  const full = nodes / GOSSIP_FULL_RATE_NODES
  const large = (nodes - GOSSIP_LARGE_FABRIC_NODES / 2) / (GOSSIP_FULL_RATE_NODES / 2)
  const scaled = Math.ceil(baseMs * Math.max(full, large))
  return Math.max(baseMs, Math.min(MAX_HEARTBEAT_MS, scaled))
}

function bodyKey (body: Omit<NodeInfo, 'seq' | 'ts'>): string {
  return JSON.stringify(body)
}
