// The fabric's network node: one libp2p node per process (tcp, TLS or noise, yamux, identify, ping,
// gossipsub, bootstrap with retries, opt-in mDNS, pnet for private fabrics), the resources gossip,
// the liveness view and probe, and the `/fabric/status/1` protocol. Options are resolved here, in
// one place.
//
// Over 500 lines: it is the one place where libp2p is configured and every protocol's handler,
// the view, the probe, the gossip and the connection events are wired to one node (the protocols
// themselves live in their own files); split, each part would need the whole node again.
import './polyfill.js'
import { bootstrap } from '@libp2p/bootstrap'
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, Logger, PeerDiscovery, PeerId, Stream } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { peerIdFromString } from '@libp2p/peer-id'
import { target } from './peer-target.js'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import './xsalsa20-memory.js'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { yamux } from '@libp2p/yamux'
import './yamux-window.js'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { BootstrapDialer } from './bootstrap-dialer.js'
import { CONNECTION_PING_INTERVAL_MS, CONNECTION_PING_TIMEOUT_MS, STATE_MAX_INBOUND_STREAMS, STATE_PROTOCOL, ACTOR_MAX_INBOUND_STREAMS, ACTOR_PROTOCOL, FABRIC_NAME_RE, GOSSIP_DIAL_GAP_MS, GOSSIP_DIAL_MAX_CONNECTIONS, GOSSIP_DIALS_AT_ONCE, INBOUND_CONNECTIONS_PER_SECOND_PER_HOST, LIMITS, MAX_HEARTBEAT_MS, MAX_INBOUND_HANDSHAKES, OBJECT_MAX_INBOUND_STREAMS, OBJECT_PROTOCOL, PROBE_MARGIN_MS, PROBE_TIMEOUT_MS, STATUS_MAX_INBOUND_STREAMS, STATUS_PROTOCOL, TASK_MAX_INBOUND_STREAMS, TASK_PROTOCOL, resourcesTopic } from './constants.js'
import { releaseRemoteObjects, serveTaskStream, TaskSessions } from './task-protocol.js'
import { openActorSession, serveActorStream } from './actor-protocol.js'
import { pullObject, serveObjectStream } from './object-protocol.js'
import { openTopic } from './topics.js'
import { MalformedMessageError, NetConfigError, PeerUnreachableError } from './errors.js'
import { LivenessView } from './fabric-view.js'
import { ResourceGossip } from './gossip.js'
import { LivenessProbe } from './liveness.js'
import type { ProbedConnection } from './liveness.js'
import { probedConnection } from './connection-check.js'
import { loadOrCreateIdentity } from './identity.js'
import type { ActorOpen, ActorSession, GossipStats, NetNode, NetNodeInit, NodeInfo, ObjectTransferStats, PullObjectOptions, RemoteTask, StatusReply, TaskOutcome, TopicHandle, TopicHandler } from './interface.js'
import { decodeCbor, validateManifest, validateNodeInfo } from './messages.js'
import { serveStatusStream } from './status-protocol.js'
import type { Manifest } from '../component/interface.js'
import { allowlistGater } from './allowlist.js'
import { requestState, serveStateStream, type StateReply, type StateRequest } from './state-protocol.js'
import { frameStream, refuse } from './frames.js'
import { QuotaExceededError, type Abortable } from '../errors/index.js'

/** The libp2p services every fabric node runs. */
// A type alias, not an interface: libp2p's ServiceMap needs an index signature.
export type FabricServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
}

/** Extra hooks of {@link createNetNode} (the CLI uses them to report progress). */
export interface NetNodeHooks {
  onBootstrapRetry?: (addr: string, err: Error, attempt: number) => void
  onBootstrapConnected?: (addr: string, peer: string) => void
}

/** Yamux data frames of up to 1 MiB (the default 64 KiB costs bulk transfers a frame header and an event per 64 KiB). */
const YAMUX_MAX_MESSAGE_BYTES = 1024 * 1024

/** How long `stop()` gives the leave message to reach the peers before connections close. */
const LEAVE_FLUSH_MS = 150

/**
 * Create a fabric node (started unless `init.start === false`).
 *
 * @throws IdentityKeyError when `<dataDir>/identity.key` exists but is corrupt
 * @throws NetConfigError for a bad multiaddr, fabric name or resources callback
 * @example
 * ```ts
 * const node = await createNetNode({
 *   dataDir: '/var/lib/fabric',
 *   listen: ['/ip4/0.0.0.0/tcp/7400'],
 *   bootstrap: ['/ip4/10.0.0.1/tcp/7400/p2p/12D3KooW...'],
 *   resources: () => runtime.resources()
 * })
 * node.view.on('dead', (e) => console.log('lost', e.info.peer))
 * ```
 */
export async function createNetNode (init: NetNodeInit, hooks: NetNodeHooks = {}): Promise<NetNode> {
  const fabricName = init.fabricName ?? 'default'
  if (!FABRIC_NAME_RE.test(fabricName)) throw new NetConfigError(`invalid fabric name '${fabricName}': use 1-64 of A-Z a-z 0-9 . _ -`)
  const listen = parseAddrs(init.listen ?? ['/ip4/127.0.0.1/tcp/7400'], 'listen')
  const bootstrapAddrs = parseAddrs(init.bootstrap ?? [], 'bootstrap')
  const heartbeatMs = positive(init.heartbeatMs ?? 1000, 'heartbeatMs')
  if (heartbeatMs > MAX_HEARTBEAT_MS) throw new NetConfigError(`heartbeatMs must be at most ${MAX_HEARTBEAT_MS}, got ${heartbeatMs}`)
  const probeMs = init.probeMs === 0 ? 0 : positive(init.probeMs ?? heartbeatMs + PROBE_MARGIN_MS, 'probeMs')
  const probeTimeoutMs = positive(init.probeTimeoutMs ?? PROBE_TIMEOUT_MS, 'probeTimeoutMs')
  const encrypter = init.encrypter ?? 'tls'
  if (encrypter !== 'tls' && encrypter !== 'noise') throw new NetConfigError(`unknown encrypter '${String(encrypter)}': use 'tls' or 'noise'`)

  const privateKey = await loadOrCreateIdentity(init.dataDir)

  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  const withPeerId = bootstrapAddrs.filter(a => a.getComponents().some(c => c.name === 'p2p')).map(a => a.toString())
  // The bootstrap service tags the peers in the peer store (so the connection manager keeps them);
  // the BootstrapDialer does the retrying, also for addresses without a /p2p/ suffix.
  if (withPeerId.length > 0) peerDiscovery.push(bootstrap({ list: withPeerId }))
  if (init.mdns === true) peerDiscovery.push(mdns())

  const libp2p: Libp2p<FabricServices> = await createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: listen.map(a => a.toString()) },
    transports: [tcp()],
    // The chosen encrypter first; the other is accepted so a fabric with mixed settings still connects.
    connectionEncrypters: encrypter === 'tls' ? [tls(), noise()] : [noise(), tls()],
    streamMuxers: [yamux({ maxMessageSize: YAMUX_MAX_MESSAGE_BYTES })],
    ...(init.swarmKey === undefined ? {} : { connectionProtector: preSharedKey({ psk: init.swarmKey }) }),
    ...(init.allow === undefined ? {} : { connectionGater: allowlistGater(init.allow) }),
    // Every 30 s, giving up after 30-60 s (CONNECTION_PING_*; it was every 1 s, then 10 s with a
    // 5-10 s timeout): each ping is a stream to open, negotiate and close, and a short timeout
    // aborted healthy connections whose pings waited behind bulk data or a saturated host. A hung
    // peer is suspected by the liveness probe (liveness.ts) and its connections closed when the
    // view declares it dead (closeConnections), long before these give up (protocols.md).
    connectionMonitor: { pingInterval: CONNECTION_PING_INTERVAL_MS, pingTimeout: { minTimeout: CONNECTION_PING_TIMEOUT_MS.min, maxTimeout: CONNECTION_PING_TIMEOUT_MS.max } },
    connectionManager: { inboundConnectionThreshold: INBOUND_CONNECTIONS_PER_SECOND_PER_HOST, maxIncomingPendingConnections: MAX_INBOUND_HANDSHAKES },
    peerDiscovery,
    ...(init.libp2pMetrics === undefined ? {} : { metrics: init.libp2pMetrics }),
    services: {
      identify: identify(),
      // Pings overlap when one waits behind bulk data; with the default of 1 stream the next
      // ping fails to open and the connection monitor aborts a healthy connection. The liveness
      // probe adds at most one ping per peer to the monitor's (at most ~10 in flight to a hung peer).
      ping: ping({ maxInboundStreams: 16, maxOutboundStreams: 16 }),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        // Every node signs: a message's `from` is then proven, and mixed policies would deliver nothing.
        globalSignaturePolicy: 'StrictSign',
        emitSelf: false,
        // Bounds one RPC frame; each message in it is further limited by the topic validator.
        maxInboundDataLength: 1024 * 1024,
        // No penalty for many peers on one IP address: fabric nodes share addresses (several
        // nodes on a host, containers behind one NAT). With the default (-5 per peer over 10,
        // squared) 16 nodes on one host graylisted each other and the fabric never converged.
        scoreParams: { IPColocationFactorWeight: 0 },
        // A small mesh: a node's own messages already go to every peer it is connected to (flood
        // publish), and each mesh link past the first few only delivers duplicates (D = 6 cost an
        // idle node a fifth of its CPU; protocols.md). Dout < Dlo, Dout <= D / 2.
        D: 3, Dlo: 2, Dhi: 5, Dout: 1, Dlazy: 3,
        // Copies of a message (flood publish + mesh) are dropped before their signature is verified
        // again (that was half an idle node's gossip CPU at 32 nodes; protocols.md).
        fastMsgIdFn: fastMessageId
      })
    }
  })

  const node = new Libp2pNetNode(libp2p, init, hooks, { fabricName, heartbeatMs, probeMs, probeTimeoutMs, bootstrapAddrs })
  // A bad resources callback should fail now, not as silently refused gossip on every peer.
  node.self()
  if (init.start !== false) await node.start()
  return node
}

interface Resolved {
  fabricName: string
  heartbeatMs: number
  /** 0: no liveness probe. */
  probeMs: number
  probeTimeoutMs: number
  bootstrapAddrs: Multiaddr[]
}

class Libp2pNetNode implements NetNode {
  readonly peerId: string
  readonly fabricName: string
  readonly view: LivenessView
  private readonly gossip: ResourceGossip
  private readonly probe: LivenessProbe | undefined
  private readonly dialer: BootstrapDialer
  private readonly log: Logger
  private readonly lastGossipDial = new Map<string, number>()
  private gossipDials = 0
  private readonly taskSessions: TaskSessions
  private readonly transfers: ObjectTransferStats = { pulls: 0, pulledBytes: 0, pullFailures: 0, served: 0, servedBytes: 0 }
  private state: 'stopped' | 'starting' | 'started' | 'stopping' = 'stopped'
  private transition: Promise<void> = Promise.resolve()
  /**
   * The peers with an open connection, kept from libp2p's connect and disconnect events: asked on
   * every heartbeat heard, where getConnections() built an array of every connection each time.
   */
  private readonly connected = new Set<string>()

  constructor (readonly libp2p: Libp2p<FabricServices>, private readonly init: NetNodeInit, hooks: NetNodeHooks, resolved: Resolved) {
    this.peerId = libp2p.peerId.toString()
    this.fabricName = resolved.fabricName
    this.log = libp2p.logger.forComponent('fabric:net')
    this.taskSessions = new TaskSessions(libp2p)
    this.view = new LivenessView({ suspectAfterMs: init.suspectAfterMs, deadAfterMs: init.deadAfterMs })
    this.view.on('dead', e => { this.closeConnections(e.info.peer, `declared dead (${e.suspectReason ?? 'silent'})`) })
    this.gossip = new ResourceGossip({
      pubsub: libp2p.services.pubsub,
      view: this.view,
      log: libp2p.logger.forComponent('fabric:net:gossip'),
      self: () => this.body(),
      onHeard: info => { this.dialGossiped(info) }
    }, { topic: resourcesTopic(this.fabricName), heartbeatMs: resolved.heartbeatMs })
    if (resolved.probeMs > 0) {
      const ping = libp2p.services.ping
      this.probe = new LivenessProbe({
        view: this.view,
        // Connected peers only (the probe checks), so this uses the open connection and never dials.
        ping: async (peer, signal) => await ping.ping(peerIdFromString(peer), { signal }),
        // From the connections' own PeerIds, whose strings are cached (getPeers() makes new ones to encode).
        connectedPeers: () => this.connected,
        connections: peer => this.probedConnections(peer),
        log: libp2p.logger.forComponent('fabric:net:liveness')
      }, { probeMs: resolved.probeMs, probeTimeoutMs: resolved.probeTimeoutMs })
      const probe = this.probe
      this.view.on('suspect', e => { probe.suspected(e.info.peer) })
      this.view.on('alive', e => { probe.heardAgain(e.info.peer) })
    }
    this.dialer = new BootstrapDialer(libp2p, {
      addrs: resolved.bootstrapAddrs,
      initialMs: init.bootstrapBackoff?.initialMs ?? 250,
      maxMs: init.bootstrapBackoff?.maxMs ?? 5000,
      onRetry: (addr, err, attempt) => hooks.onBootstrapRetry?.(addr.toString(), err, attempt),
      onConnected: (addr, peer) => hooks.onBootstrapConnected?.(addr.toString(), peer.toString())
    }, libp2p.logger.forComponent('fabric:net:bootstrap'))
  }

  multiaddrs (): string[] {
    return this.libp2p.getMultiaddrs().map(a => a.toString())
  }

  announce (): void {
    this.gossip.announce()
  }

  self (): NodeInfo {
    return { ...this.body(), heartbeatMs: this.gossip.intervalMs, seq: this.gossip.lastSeq, ts: Date.now() }
  }

  status (): StatusReply {
    const now = Date.now()
    return {
      type: 'status',
      fabric: this.fabricName,
      self: this.self(),
      peers: this.view.peers().map(e => ({ info: e.info, state: e.state, lastHeardMsAgo: Math.max(0, now - e.lastHeardAt) }))
    }
  }

  stats (): GossipStats {
    return this.gossip.stats()
  }

  transferStats (): ObjectTransferStats {
    return { ...this.transfers }
  }

  async pullObject (cid: string, holders: string[], options: PullObjectOptions = {}): Promise<Uint8Array> {
    const job = options.job ?? this.init.job
    try {
      const bytes = await pullObject(this.libp2p, holders.map(target), cid, job === undefined ? options : { ...options, job })
      this.transfers.pulls++
      this.transfers.pulledBytes += bytes.byteLength
      return bytes
    } catch (err) {
      this.transfers.pullFailures++
      throw err
    }
  }

  async runTask (peer: string, task: RemoteTask, options: { signal?: Abortable, onItem?: (item: TaskOutcome) => void } = {}): Promise<TaskOutcome> {
    return await this.taskSessions.run(target(peer), task.job !== undefined || this.init.job === undefined ? task : { ...task, job: this.init.job }, options)
  }

  async describeComponent (peer: string, cid: string, options: { signal?: Abortable, job?: string } = {}): Promise<Manifest> {
    const job = options.job ?? this.init.job
    const outcome = await this.taskSessions.describe(target(peer), cid, job === undefined ? options : { ...options, job })
    if (!('value' in outcome)) throw new MalformedMessageError('describe reply without a manifest')
    return validateManifest(decodeCbor(outcome.value))
  }

  async releaseObjects (peer: string, cids: string[], options: { signal?: AbortSignal, counts?: number[] } = {}): Promise<number> {
    return await releaseRemoteObjects(this.libp2p, target(peer), cids, options)
  }

  async requestState (peer: string, req: StateRequest, options: { timeoutMs?: number } = {}): Promise<StateReply> {
    return await requestState(this.libp2p, target(peer), req, options)
  }

  async dialProtocol (peer: string, protocol: string, options: { signal?: AbortSignal } = {}): Promise<Stream> {
    try {
      return await this.libp2p.dialProtocol(target(peer), protocol, options)
    } catch (err) {
      throw new PeerUnreachableError(`cannot open ${protocol} to ${peer}: ${(err as Error).message}`, { cause: err })
    }
  }

  topic (name: string, handler: TopicHandler): TopicHandle {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name) || name === 'resources') throw new NetConfigError(`topic name must be 1-32 lowercase letters, digits or '-' (and not 'resources'), got ${JSON.stringify(name)}`)
    return openTopic(this.libp2p.services.pubsub, `fabric/${this.fabricName}/${name}`, handler, this.libp2p.logger.forComponent(`fabric:net:${name}`))
  }

  async openActor (peer: string, open: ActorOpen, options: { signal?: AbortSignal } = {}): Promise<ActorSession> {
    return await openActorSession(this.libp2p, target(peer), open.job !== undefined || this.init.job === undefined ? open : { ...open, job: this.init.job }, options)
  }

  async start (): Promise<void> {
    await this.transition
    if (this.state === 'started') return
    this.state = 'starting'
    this.transition = (async () => {
      await this.libp2p.handle(STATUS_PROTOCOL, (stream) => {
        serveStatusStream(stream, () => this.status(), this.log).catch(err => {
          this.log('status stream failed - %e', err)
          stream.abort(err as Error)
        })
      }, { maxInboundStreams: STATUS_MAX_INBOUND_STREAMS })
      const t = this.transfers
      const objects = { get: this.init.objects?.get ?? (() => undefined), onServed: (bytes: number) => { t.served++; t.servedBytes += bytes } }
      // Object streams open per peer: past its quota a peer's stream is refused (it pulls from another holder or later).
      const pulls = new Map<string, number>()
      const maxPulls = this.init.maxPullsPerPeer ?? 64
      await this.libp2p.handle(OBJECT_PROTOCOL, (stream, connection) => {
        const peer = connection.remotePeer.toString()
        const open = pulls.get(peer) ?? 0
        if (open >= maxPulls) {
          void refuse(stream, frameStream(stream, 1024), new QuotaExceededError(`quota 'pulls' of limit ${maxPulls} reached on this node: ${open} object streams of yours are open here`, { quota: 'pulls', limit: maxPulls }), this.log)
          return
        }
        pulls.set(peer, open + 1)
        serveObjectStream(stream, peer, objects, this.log).catch(err => {
          this.log('object stream failed - %e', err)
          stream.abort(err as Error)
        }).finally(() => {
          const left = (pulls.get(peer) ?? 1) - 1
          if (left > 0) pulls.set(peer, left)
          else pulls.delete(peer)
        })
      }, { maxInboundStreams: OBJECT_MAX_INBOUND_STREAMS, maxOutboundStreams: OBJECT_MAX_INBOUND_STREAMS })
      const state = this.init.state
      if (state !== undefined) {
        await this.libp2p.handle(STATE_PROTOCOL, (stream, connection) => {
          serveStateStream(stream, connection.remotePeer.toString(), state, this.log).catch(err => {
            this.log('state stream failed - %e', err)
            stream.abort(err as Error)
          })
        }, { maxInboundStreams: STATE_MAX_INBOUND_STREAMS })
      }
      const tasks = this.init.tasks
      if (tasks !== undefined) {
        await this.libp2p.handle(TASK_PROTOCOL, (stream, connection) => {
          serveTaskStream(stream, connection.remotePeer, tasks, this.log).catch(err => {
            this.log('task stream failed - %e', err)
            stream.abort(err as Error)
          })
        }, { maxInboundStreams: TASK_MAX_INBOUND_STREAMS })
      }
      const actors = this.init.actors
      if (actors !== undefined) {
        await this.libp2p.handle(ACTOR_PROTOCOL, (stream, connection) => {
          serveActorStream(stream, connection.remotePeer, actors, this.log).catch(err => {
            this.log('actor stream failed - %e', err)
            stream.abort(err as Error)
          })
        }, { maxInboundStreams: ACTOR_MAX_INBOUND_STREAMS, maxOutboundStreams: ACTOR_MAX_INBOUND_STREAMS })
      }
      for (const service of this.init.services ?? []) {
        await this.libp2p.handle(service.protocol, (stream, connection) => {
          service.serve(stream, connection.remotePeer.toString(), this.log).catch(err => {
            this.log('%s stream failed - %e', service.protocol, err)
            stream.abort(err as Error)
          })
        }, { maxInboundStreams: service.maxInboundStreams ?? 32 })
      }
      this.libp2p.addEventListener('peer:connect', this.onConnect)
      this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
      this.libp2p.addEventListener('peer:discovery', this.onDiscovery)
      try {
        await this.libp2p.start()
      } catch (err) {
        // Leave nothing half-started behind: the caller may retry with other options.
        this.libp2p.removeEventListener('peer:connect', this.onConnect)
        this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
        this.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
        this.connected.clear()
        try { await this.libp2p.stop() } catch { /* the start error is the one to report */ }
        this.state = 'stopped'
        throw listenError(err)
      }
      this.view.start()
      this.probe?.start()
      this.gossip.start()
      this.dialer.start()
      this.state = 'started'
    })()
    await this.transition
  }

  async stop (options: { leave?: boolean } = {}): Promise<void> {
    await this.transition
    if (this.state === 'stopped') return
    this.state = 'stopping'
    this.transition = (async () => {
      const leave = options.leave !== false
      await this.dialer.stop()
      this.taskSessions.close()
      await this.gossip.stop({ leave })
      // Give the leave a moment on the wire before the connections close under it.
      if (leave && this.libp2p.getConnections().length > 0) await new Promise(resolve => setTimeout(resolve, LEAVE_FLUSH_MS))
      this.probe?.stop()
      this.view.stop()
      this.libp2p.removeEventListener('peer:connect', this.onConnect)
      this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
      this.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
      this.connected.clear()
      await this.libp2p.unhandle(STATUS_PROTOCOL).catch(() => {})
      await this.libp2p.unhandle(OBJECT_PROTOCOL).catch(() => {})
      if (this.init.tasks !== undefined) await this.libp2p.unhandle(TASK_PROTOCOL).catch(() => {})
      if (this.init.state !== undefined) await this.libp2p.unhandle(STATE_PROTOCOL).catch(() => {})
      if (this.init.actors !== undefined) await this.libp2p.unhandle(ACTOR_PROTOCOL).catch(() => {})
      await this.libp2p.stop()
      this.lastGossipDial.clear()
      this.state = 'stopped'
    })()
    await this.transition
  }

  /** The node's info without seq and ts (the gossip adds them), validated like a peer's would be. */
  private body (): Omit<NodeInfo, 'seq' | 'ts'> {
    const r = this.init.resources()
    const body: Omit<NodeInfo, 'seq' | 'ts'> = {
      peer: this.peerId,
      addrs: this.multiaddrs().slice(0, LIMITS.addrs),
      resources: r.resources,
      queue: r.queue,
      labels: r.labels,
      store: r.store,
      ...(r.gpuModel === undefined ? {} : { gpuModel: r.gpuModel }),
      ...(r.work === undefined ? {} : { work: r.work })
    }
    try {
      validateNodeInfo({ ...body, seq: 0, ts: 0 }, 'resources')
    } catch (err) {
      if (err instanceof MalformedMessageError) throw new NetConfigError(`the node's own resources are invalid: ${err.message}`, { cause: err })
      throw err
    }
    return body
  }

  // A peer the view declared dead (silent past the dead timeout: hung, or cut off) loses its
  // connections now rather than when the connection monitor's lenient timeout ends them: the
  // sessions and streams on them fail, and their work is retried elsewhere. If it was only slow,
  // its next heartbeat (relayed by others) brings it back and it is dialled again. (The probe closes
  // a connection too, when a peer heard again after a suspicion sends nothing on it: liveness.ts.)
  private closeConnections (peer: string, why: string): void {
    if (this.state !== 'started') return
    // Aborted, not hung up: a graceful close (libp2p.hangUp) waits on a peer that may never answer.
    for (const conn of this.probedConnections(peer)) conn.close(why)
  }

  // The connections to `peer` as the probe's check of a peer heard again sees them
  // (connection-check.ts); closing one aborts it, logged.
  private probedConnections (peer: string): ProbedConnection[] {
    let id: PeerId
    try {
      id = peerIdFromString(peer)
    } catch {
      return []
    }
    return this.libp2p.getConnections(id).map(conn => {
      const probed = probedConnection(conn, peer)
      return { ...probed, close: (why: string) => { this.log('closing a connection to %s: %s', peer, why); probed.close(why) } }
    })
  }

  // A closed connection is the fastest failure signal (ms after a SIGKILL): suspect at once, and let
  // heartbeats relayed by other peers bring the peer back if it is only this link that broke.
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString()
    this.connected.delete(peer)
    this.view.suspect(peer, 'connection closed')
  }

  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    this.connected.add(evt.detail.toString())
  }

  // Discovery (mDNS, bootstrap) only fills the peer store: dial what it finds.
  private readonly onDiscovery = (evt: CustomEvent<{ id: PeerId }>): void => {
    if (this.state !== 'started') return
    this.libp2p.dial(evt.detail.id).catch(err => { this.log('dial of discovered %p failed - %e', evt.detail.id, err) })
  }

  private dialGossiped (info: NodeInfo): void {
    // Both sides of a pair may dial at once (two connections): a driver, or a node not dialling
    // gossiped peers, would otherwise never be dialled by half the fabric.
    if (this.init.dialGossipedPeers === false || this.state !== 'started' || info.peer === this.peerId) return
    // Cheapest first: this runs for every heartbeat heard, and almost always stops here.
    if (this.connected.has(info.peer)) return
    const now = Date.now()
    if (now - (this.lastGossipDial.get(info.peer) ?? 0) < GOSSIP_DIAL_GAP_MS) return
    if (this.gossipDials >= GOSSIP_DIALS_AT_ONCE || this.connected.size + this.gossipDials >= GOSSIP_DIAL_MAX_CONNECTIONS) return
    let id: PeerId
    try {
      id = peerIdFromString(info.peer)
    } catch {
      return
    }
    if (this.libp2p.getConnections(id).length > 0) return
    this.lastGossipDial.set(info.peer, now)
    const addrs: Multiaddr[] = []
    for (const a of info.addrs) {
      try { addrs.push(multiaddr(a)) } catch { /* a peer's bad address is its problem; skip it */ }
    }
    if (addrs.length === 0) return
    this.gossipDials++
    this.libp2p.peerStore.merge(id, { multiaddrs: addrs.map(a => a.decapsulateCode(421)) })
      .then(async () => await this.libp2p.dial(id, { signal: AbortSignal.timeout(5000) }))
      .catch(err => { this.log('dial of gossiped %p failed - %e', id, err) })
      .finally(() => { this.gossipDials-- })
  }
}

/** A received message's from + seqno, without verifying it (gossipsub's duplicate check before validation). */
function fastMessageId (msg: { from?: Uint8Array, seqno?: Uint8Array }): string {
  if (msg.from === undefined || msg.seqno === undefined) return ''
  return Buffer.from(msg.from.buffer, msg.from.byteOffset, msg.from.byteLength).toString('base64') +
    Buffer.from(msg.seqno.buffer, msg.seqno.byteOffset, msg.seqno.byteLength).toString('hex')
}

// libp2p reports a busy port as a paragraph about fault tolerance; say which address and why in one line.
function listenError (err: unknown): unknown {
  if ((err as Error).name !== 'UnsupportedListenAddressesError') return err
  const details = (err as Error).message.split('\n').slice(1).map(l => l.trim()).filter(l => l !== '' && !l.startsWith('at '))
  return new NetConfigError(`cannot listen on ${details.join('; ') || 'the --listen addresses'}`, { cause: err })
}

function parseAddrs (list: string[], what: string): Multiaddr[] {
  return list.map(s => {
    try {
      return multiaddr(s)
    } catch (err) {
      throw new NetConfigError(`invalid ${what} multiaddr '${s}': ${(err as Error).message}`, { cause: err })
    }
  })
}

function positive (v: number, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new NetConfigError(`${what} must be a positive number, got ${String(v)}`)
  return v
}
