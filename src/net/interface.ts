// Contracts of the network area: a libp2p node per process, the gossiped view of the fabric, and
// the messages of its protocols. Implementations stay private to src/net. Over 500 lines: the
// area's contracts stay in this one file, each protocol's messages beside the NetNode calls that use them.
import type { Resources } from '../scheduler/resources.js'
import type { Manifest } from '../component/interface.js'
import type { Abortable, SerializedError } from '../errors/index.js'
import type { Libp2pInit } from 'libp2p'
import type { Logger, Stream } from '@libp2p/interface'
import type { StateReply, StateRequest } from './state-protocol.js'

export type { Resources }

/** Connection encrypters the node can use; TLS measured ~1.7x faster than noise on these machines. */
export type Encrypter = 'tls' | 'noise'

/** Object store use a node reports. */
export interface StoreUsage {
  memoryBytes: number
  diskBytes: number
}

/** What a node says about its own capacity; provided by the runtime through {@link NetNodeInit.resources}. */
export interface NodeResources {
  resources: { total: Resources, available: Resources }
  /** Tasks waiting for a slot on the node. */
  queue: number
  labels: Record<string, string>
  gpuModel?: string
  store: StoreUsage
  /** What the node is doing: tasks running, actors alive, objects in its store. */
  work?: WorkCounts
}

/** Counts of a node's work, as gossiped. */
export interface WorkCounts {
  running: number
  actors: number
  objects: number
}

/** A node's info as gossiped: its resources plus who and where it is. */
export interface NodeInfo extends NodeResources {
  /** The node's PeerId (base58). */
  peer: string
  /** Increases with every message of one node; starts at its boot time in ms so a restarted node supersedes its old self. */
  seq: number
  /** The sender's wall clock (ms since epoch) when it published; informative only. */
  ts: number
  /** Multiaddrs the node can be dialled on (with its `/p2p/` suffix). */
  addrs: string[]
  /**
   * The sender's heartbeat interval now (ms): it grows with the fabric (GOSSIP_FULL_RATE_NODES),
   * and peers scale their liveness timeouts and probe by it. Absent: `--heartbeat-ms` of the peer
   * is unknown and the receiver's own timeouts apply.
   */
  heartbeatMs?: number
}

/** Gossip message on `fabric/<name>/resources`: a heartbeat carrying the node's resources. */
export interface ResourcesMessage extends NodeInfo {
  type: 'resources'
}

/** Gossip message on `fabric/<name>/resources`: the node is leaving the fabric on purpose. */
export interface LeaveMessage {
  type: 'leave'
  peer: string
  /** The leaving node's last seq: later-delivered older heartbeats must not bring it back. */
  seq?: number
}

/** Every message on the resources topic. */
export type GossipMessage = ResourcesMessage | LeaveMessage

/** Liveness of a peer in the view; dead peers are removed. */
export type PeerState = 'alive' | 'suspected'

/** One peer as this node sees it. */
export interface PeerEntry {
  info: NodeInfo
  state: PeerState
  /** When (local clock, ms) the last heartbeat from the peer arrived. */
  lastHeardAt: number
  /** Why the peer is suspected, when it is. */
  suspectReason?: string
}

/** Events of a {@link FabricView}. */
export interface FabricViewEvents {
  /** A peer was heard from for the first time (or again after it left or died). */
  join: (entry: PeerEntry) => void
  /** A peer's info changed (every heartbeat). */
  update: (entry: PeerEntry) => void
  /** A peer missed heartbeats, left a probe ping unanswered while its heartbeat was late, or its connection closed. */
  suspect: (entry: PeerEntry) => void
  /** A suspected peer was heard from again. */
  alive: (entry: PeerEntry) => void
  /** A peer stayed silent past `deadAfterMs`; it has been removed. */
  dead: (entry: PeerEntry) => void
  /** A peer said it is leaving; it has been removed. */
  leave: (entry: PeerEntry) => void
}

/** A node's view of the fabric: the other nodes and their liveness. */
export interface FabricView {
  /** Every known peer (alive or suspected), excluding this node. */
  peers: () => PeerEntry[]
  /** The same peers in one shared array, rebuilt only when a peer joins or goes: read it, never change it (hot paths). */
  peerList: () => readonly PeerEntry[]
  /** One peer, or undefined when unknown (never heard of, dead or left). */
  get: (peerId: string) => PeerEntry | undefined
  on: <E extends keyof FabricViewEvents>(event: E, listener: FabricViewEvents[E]) => void
  off: <E extends keyof FabricViewEvents>(event: E, listener: FabricViewEvents[E]) => void
}

/** Options of a {@link FabricView}. */
export interface FabricViewInit {
  /**
   * A peer silent this long is suspected.
   * @default 3000
   */
  suspectAfterMs?: number
  /**
   * A peer silent this long is dead and removed.
   * @default 10000
   */
  deadAfterMs?: number
  /**
   * How often liveness is checked while started.
   * @default 250
   */
  checkIntervalMs?: number
  /** The clock (ms); tests pass a fake one. @default Date.now */
  now?: () => number
}

/** Counters of the gossip boundary. */
export interface GossipStats {
  published: number
  received: number
  /** Messages that were not CBOR, had the wrong shape or were too large; refused and not forwarded. */
  malformed: number
  /** Of those, messages larger than the size limit. */
  oversized: number
  /** Messages whose `peer` is not the signed sender. */
  spoofed: number
}

/** Objects this node pulled from peers and served to them since it started (metrics). */
export interface ObjectTransferStats {
  /** Whole objects pulled (pullObject calls that succeeded), and the bytes they brought. */
  pulls: number
  pulledBytes: number
  /** pullObject calls that failed. */
  pullFailures: number
  /** Ranges served to peers (a small object is one range), and their bytes. */
  served: number
  servedBytes: number
}

/** The `/fabric/status/1` answer. */
export interface StatusReply {
  type: 'status'
  fabric: string
  self: NodeInfo
  peers: Array<{ info: NodeInfo, state: PeerState, lastHeardMsAgo: number }>
}

/** Options of a {@link NetNode}; defaults are resolved in one place (net-node.ts). */
export interface NetNodeInit {
  /** Where the identity key lives (`<dataDir>/identity.key`). */
  dataDir: string
  /** What the node reports about itself; called for every heartbeat. */
  resources: () => NodeResources
  /**
   * Multiaddrs to listen on.
   * @default ['/ip4/127.0.0.1/tcp/7400'] (loopback: opening a node is createNode's decision, see api/listen-policy.ts)
   */
  listen?: string[]
  /**
   * Multiaddrs of nodes to join through; each is dialled with backoff until connected. Empty: a new fabric.
   * @default []
   */
  bootstrap?: string[]
  /**
   * The fabric's name: nodes only see nodes of the same name.
   * @default 'default'
   */
  fabricName?: string
  /**
   * The connection encrypter.
   * @default 'tls'
   */
  encrypter?: Encrypter
  /** A swarm key (the standard `/key/swarm/psk/1.0.0/` format) making this a private fabric. */
  swarmKey?: Uint8Array
  /**
   * Only these peers (PeerIds) may connect, in or out (see allowlist.ts; `fabric join --allow`).
   * Drivers need a stable identity to be listed (a `dataDir`). @default every peer
   */
  allow?: ReadonlySet<string>
  /**
   * Discover peers on the local network with mDNS (multicast on every interface: opt-in).
   * @default false
   */
  mdns?: boolean
  /**
   * How often the node publishes its resources.
   * @default 1000
   */
  heartbeatMs?: number
  /** @default 3000 (see {@link FabricViewInit.suspectAfterMs}) */
  suspectAfterMs?: number
  /** @default 10000 (see {@link FabricViewInit.deadAfterMs}) */
  deadAfterMs?: number
  /**
   * Liveness probe: a connected peer not heard from (heartbeat or ping reply) for this long is
   * pinged, without closing anything; keep it above `heartbeatMs` or every peer is pinged between
   * heartbeats. 0 turns the probe off (a hung peer is then suspected after `suspectAfterMs`).
   * @default heartbeatMs + 250
   */
  probeMs?: number
  /**
   * A peer whose probe ping has gone unanswered this long, with nothing else heard from it either,
   * is suspected (so a hung peer is suspected `probeMs + probeTimeoutMs` after its last heartbeat).
   * @default 750
   */
  probeTimeoutMs?: number
  /**
   * Bootstrap backoff: the first retry delay and the cap; the delay doubles in between.
   * @default { initialMs: 250, maxMs: 5000 }
   */
  bootstrapBackoff?: { initialMs?: number, maxMs?: number }
  /**
   * Dial peers heard of through gossip, so small fabrics are fully connected (failure detection
   * through connection close, and direct streams for work later).
   * @default true
   */
  dialGossipedPeers?: boolean
  /**
   * The objects this node serves over `/fabric/object/1`, by CID (the runtime's object store), to
   * peer `from` presenting job key `job`: undefined when it lacks the object or may not give it
   * to that asker (see object-protocol.ts).
   * @default none: every request is answered "not found"
   */
  objects?: { get: (cid: string, from: string, job: string | undefined) => Uint8Array | undefined | Promise<Uint8Array | undefined> }
  /**
   * Answers `/fabric/state/1` (the state API, `fabric list`; see state-protocol.ts). Without it
   * the node does not speak the protocol.
   */
  state?: (req: StateRequest, from: string) => Promise<StateReply>
  /**
   * Further protocols the node speaks (logs, jobs; see {@link ProtocolService}), registered at
   * start like the built-in ones, gated by the same membership (swarm key, allow-list).
   * @default none
   */
  services?: ProtocolService[]
  /** libp2p's own metrics (createLibp2p's `metrics`, e.g. @libp2p/prometheus-metrics). @default none */
  libp2pMetrics?: Libp2pInit['metrics']
  /**
   * Object streams (pulls) one peer may have open to this node at once; past it a stream is
   * refused with QuotaExceededError (`pulls`). @default 64
   */
  maxPullsPerPeer?: number
  /**
   * This peer's job key, when it is a driver (see runtime/job.ts): sent with every task, actor
   * session, describe and pull it makes unless the call names another.
   */
  job?: string
  /**
   * Runs the tasks peers send over `/fabric/task/1` (the runtime). Without it the node does not
   * speak the protocol (a pure client or observer).
   */
  tasks?: {
    /** Run a task; a generator's items go to `onItem` as they come, then it resolves (to its item count). */
    run: (req: RemoteTask, from: string, onItem: (item: TaskOutcome) => void, signal?: Abortable) => Promise<TaskOutcome>
    /** The manifest of a component (pulled from `from`, presenting `job`, when the node lacks it). */
    describe: (component: string, from: string, job?: string) => Promise<Manifest>
    /**
     * Drop objects `from` owns on this node (results of its tasks): `counts[i]` of the times
     * `cids[i]` was kept for it (1 without counts); returns how many CIDs it no longer keeps.
     */
    release: (cids: string[], from: string, counts?: number[]) => number
    /**
     * Whether to take a run request, asked before it is accepted: undefined takes it; a
     * {@link Spillback} sends it back to the caller (the node is full or cannot run it, and
     * another node has room), with the node to try instead when one is known.
     */
    admit?: (req: RemoteTask, from: string) => Spillback | undefined
  }
  /**
   * Hosts the actors peers create over `/fabric/actor/1` (the runtime). Without it the node does
   * not speak the protocol.
   */
  actors?: ActorHost
  /**
   * Start the node before returning it.
   * @default true
   */
  start?: boolean
}

/** A task sent to another node over `/fabric/task/1`. */
export interface RemoteTask {
  type: 'run'
  /**
   * The request's id on the wire: each task session numbers its own requests and sets it as it
   * sends (a task resubmitted to the same node never collides), so callers leave it ''.
   */
  id: string
  /** The component's CID; the node pulls the component from the caller when it lacks it. */
  component: string
  name: string
  /** CBOR array of arguments. */
  args: Uint8Array
  timeoutMs?: number
  /** `{ cpus, gpus, memoryMb, resources, maxRetries, retryExceptions, memo }` as in TaskOptions (the node validates them and retries there). */
  options?: Record<string, unknown>
  /** Arguments passed as objects held by nodes: `args[index]` is null and the node pulls the object from a holder. */
  refs?: RefArg[]
  /**
   * Refs nested inside argument values (CBOR ref tags carrying the caller's ids): what each stands
   * for, inline (`value`, CBOR) or held by nodes (`cid`, `size`, `holders`). The node stores them
   * and gives the task refs of its own.
   */
  nested?: NestedRef[]
  /**
   * The caller's job key (see runtime/job.ts): the node pulls the task's objects and component
   * presenting it, and serves what it keeps for the task's job to peers that present it.
   */
  job?: string
  /**
   * Times the task was already spilled back by nodes. A node spills a task back only while this is
   * under {@link MAX_SPILLBACKS}; a caller that must run it on this node (hard node affinity) sends that limit.
   */
  spilled?: number
}

/** A node's answer to a run request it will not take (see `admit`). */
export interface Spillback {
  /** A node with room for the task, as the refusing node last heard; absent when it only knows it cannot. */
  to?: string
  /** Why, for errors and logs: "queue of 8 tasks on 2 CPUs". */
  reason: string
}

/** A ref nested inside an argument value, with what it stands for. */
export interface NestedRef {
  /** The caller's ref id, as it appears in the argument's CBOR. */
  id: string
  value?: Uint8Array
  cid?: string
  size?: number
  holders?: string[]
}

/** An argument that is an object held by nodes (pulled by CID by the node that runs the task). */
export interface RefArg {
  index: number
  cid: string
  size: number
  /** PeerIds of nodes that hold it. */
  holders: string[]
}

/**
 * What a task gave: its CBOR result inline (small), or the CID of a result kept in the node's
 * store; `copies`: object arguments the node pulled and now holds too.
 */
export type TaskOutcome = ({ value: Uint8Array } | { object: { cid: string, size: number } }) & {
  copies?: string[]
  /**
   * Refs inside a small result value (a task that returns refs), with what each stands for: a small
   * value inline, or an object the node keeps for the caller (by CID). Refs inside those values are
   * listed too.
   */
  nested?: ResultRef[]
}

/**
 * A ref inside a task's result, as the node that ran it describes it (its `id` is the node's own):
 * its value, an object the node keeps for the caller, or the error of the task behind it.
 */
export type ResultRef = { id: string, value: Uint8Array } | { id: string, cid: string, size: number } | { id: string, error: SerializedError }

/** The first frame of an actor session: create an actor, or attach to a live one (by name or by its id there). */
export type ActorOpen =
  | {
    type: 'create'
    /** The component's CID; the node pulls it from the creator when it lacks it. */
    component: string
    cls: string
    /** CBOR array of constructor arguments. */
    args: Uint8Array
    /** ActorOptions (cpus, gpus, memoryMb, resources, name, maxRestarts, maxTaskRetries, maxConcurrency, timeoutMs); the node validates them. */
    options: Record<string, unknown>
    /** Refs inside the constructor's argument values and what they stand for (as in a task request). */
    nested?: NestedRef[]
    /** The creator's job key (see {@link RemoteTask.job}). */
    job?: string
  }
  /** Attach to a live named actor of `namespace` (the node's default namespace for the peer when absent). */
  | { type: 'attach', name: string, namespace?: string, job?: string }
  /** Attach to a live actor by its id on that node (a handle that travelled: guests' calls, a driver's actorHandle). */
  | { type: 'attach-id', actor: string, job?: string }

/** What hosts actors on a node (the runtime), behind `/fabric/actor/1`. */
export interface ActorHost {
  /**
   * Create the actor (or find the named one). `owned`: the session owns the actor, which is killed
   * when the session ends (its creator is gone) unless `detached`; an attached session does not
   * own it. `mayKill` (default: `owned`): a kill on this session is honoured (else refused with
   * PermissionDeniedError).
   */
  open: (req: ActorOpen, from: string) => Promise<{ actor: string, owned: boolean, mayKill?: boolean, detached?: boolean, cls?: string, methods?: string[], streaming?: string[] }>
  /**
   * Queue a method call and resolve to its CBOR result (with the refs inside it, when it holds
   * some). The call must be queued before this returns: calls run in the order they arrive on the
   * session. `call.job`: the session's job key (its objects are pulled, and results kept, for it).
   * `call.nested` describes the refs inside the argument values, by the caller's ids;
   * `call.retries` replaces the actor's maxTaskRetries for this call, and `call.onRetry` is told
   * before each retry after a crash. With `call.onItem` the method must be a generator (its
   * manifest lists it as streaming): each value it yields goes to `onItem` in order, the next only
   * once the promise `onItem` returned settles, and the call resolves to the CBOR count of them.
   */
  call: (actor: string, method: string, args: Uint8Array, timeoutMs: number | undefined, call?: { from: string, job?: string, nested?: NestedRef[], retries?: number, onRetry?: () => void, onItem?: (item: ActorCallResult) => Promise<void>, seq?: number }) => Promise<Uint8Array | ActorCallResult>
  kill: (actor: string) => void
  /**
   * Call `listener` with the actor's count of restarts in place (after a crash) each time the node
   * makes one (at once when it already did); returns a function that stops it. A host that has it
   * sends the owner's session a `restarted` frame for each (RemoteActorHost does).
   */
  watchRestarts?: (actor: string, listener: (restarts: number) => void) => () => void
  /**
   * Call `listener` once when the actor dies on the node by itself (crashed past its restarts, or
   * ended with its placement group's bundle); returns a function that stops it. A host that has it
   * sends the owner's session a `died` frame, and the session ends.
   */
  watchDeath?: (actor: string, listener: (cause: Error) => void) => () => void
  /** Call `listener` with each snapshot a durable actor's calls make (the session sends its owner a `snapshot` frame). */
  watchSnapshots?: (actor: string, listener: (ref: { cid: string, holders: string[] }) => void) => void
}

/** An actor call's result: its CBOR value and the refs inside it (see {@link ResultRef}). */
export interface ActorCallResult {
  value: Uint8Array
  nested?: ResultRef[]
}

/** A caller's session with one actor on one node (one long-lived stream). */
export interface ActorSession {
  /** The actor's id on its node. */
  readonly actor: string
  /** The node's PeerId. */
  readonly peer: string
  /** The actor's class and methods, and which of those are generators, as the node reported them (attach). */
  readonly cls?: string
  readonly methods?: string[]
  readonly streaming?: string[]
  /**
   * Call a method; calls run in the order they are made. Rejects with the call's own error, or
   * with PeerUnreachableError when the session broke before the result came.
   */
  call: (method: string, args: Uint8Array, timeoutMs?: number) => Promise<Uint8Array>
  /**
   * A call whose argument values hold refs (`nested` describes them) or whose result may: as
   * `call`, with the result's refs. `retries`: how often the node may run it again after a crash
   * (the actor's maxTaskRetries when absent); `onRetry` hears of each such retry. `onItem`: the
   * method is a generator; each value it yields comes to `onItem`, in order, before the result
   * (the CBOR count of them). A crash retried in place does not send values again.
   */
  invoke: (method: string, args: Uint8Array, options?: { timeoutMs?: number, nested?: NestedRef[], retries?: number, onRetry?: () => void, onItem?: (item: ActorCallResult) => void, seq?: number }) => Promise<ActorCallResult>
  /** Restarts the node made in place since the actor was created there (as it reported them; owner only). */
  readonly restarts: number
  /** Call `listener` with the new count on each restart in place the node reports. */
  onRestarted: (listener: (restarts: number) => void) => void
  /** A durable actor's owner: told where each snapshot is (see ActorHost.watchSnapshots). */
  onSnapshot: (listener: (ref: { cid: string, holders: string[] }) => void) => void
  /** Kill the actor and end the session; calls not yet answered fail with ActorDiedError. */
  kill: () => Promise<void>
  /** End the session (an owned actor is killed by its node). */
  close: () => Promise<void>
  /** Settles when the session ends: undefined after close or kill, the cause when it broke. */
  readonly ended: Promise<Error | undefined>
}

/** Options of {@link NetNode.pullObject}. */
export interface PullObjectOptions {
  /** Refuse objects larger than this. @default 8 GiB */
  maxBytes?: number
  /** Give up after this long in all. @default 10 minutes */
  timeoutMs?: number
  signal?: AbortSignal
  /** Called when a range is taken up again after a holder failed: which holder, why, and the byte it resumes at. */
  onRetry?: (holder: string, err: Error, resumeAt: number) => void
  /** The job key to present to the holders. @default the node's own (NetNodeInit.job) */
  job?: string
}

/**
 * A protocol served beside the built-in ones (NetNodeInit.services). `serve` owns the stream: it
 * validates what it reads, answers, and closes or aborts it; a rejection is logged and aborts it.
 */
export interface ProtocolService {
  /** The protocol id, e.g. '/fabric/logs/1'. */
  protocol: string
  /** Streams of it open at once, from all peers. @default 32 */
  maxInboundStreams?: number
  /** `log`: the net node's debug logger (DEBUG=fabric:net*). */
  serve: (stream: Stream, from: string, log: Logger) => Promise<void>
}

/** What the owner of an extra gossip topic does with its messages (see NetNode.topic). */
export interface TopicHandler {
  /**
   * Decode and check a message before it is delivered or forwarded; throw to refuse it (it goes no
   * further than this node). Returns what {@link deliver} gets.
   */
  validate: (data: Uint8Array) => unknown
  /** A message `validate` accepted, with its signed sender. */
  deliver: (from: string, value: any) => void // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** An extra gossip topic this node takes part in. */
export interface TopicHandle {
  /** Publish to every member subscribed (best effort: fails silently with no peers). */
  publish: (data: Uint8Array) => Promise<void>
  /** Leave the topic. Idempotent. */
  close: () => void
}

/** A fabric node's network side. */
export interface NetNode {
  /** This node's PeerId (base58). */
  readonly peerId: string
  readonly fabricName: string
  readonly view: FabricView
  /** Multiaddrs this node listens on, with the `/p2p/` suffix. */
  multiaddrs: () => string[]
  /** Publish the node's resources now (the runtime calls it when they change); coalesced. */
  announce: () => void
  /** The node's own info, as it would gossip it now. */
  self: () => NodeInfo
  /** The status reply this node gives. */
  status: () => StatusReply
  stats: () => GossipStats
  /**
   * Pull object `cid` from nodes that hold it (PeerIds or multiaddrs): verified against the CID,
   * resumed on another holder when one fails, pulled in ranges from several holders at once when large.
   */
  pullObject: (cid: string, holders: string[], options?: PullObjectOptions) => Promise<Uint8Array>
  /**
   * Run a task on node `peer` (a PeerId or multiaddr) over `/fabric/task/1`; resolves to its CBOR
   * result, or the CID of a large result the node keeps. Fails with PeerUnreachableError (retryable) when the node or the stream goes, with the
   * task's own error when it fails there.
   */
  runTask: (peer: string, task: RemoteTask, options?: { signal?: Abortable, onItem?: (item: TaskOutcome) => void }) => Promise<TaskOutcome>
  /** The manifest of component `cid`, from node `peer` (which pulls the component from this node when it lacks it). */
  describeComponent: (peer: string, cid: string, options?: { signal?: Abortable, job?: string }) => Promise<Manifest>
  /**
   * Ask node `peer` to drop objects this node owns there (best effort): `counts[i]` of the times
   * it reported keeping `cids[i]` (1 each without counts; a CID listed twice counts twice).
   * Resolves to how many CIDs it no longer keeps.
   */
  releaseObjects: (peer: string, cids: string[], options?: { signal?: AbortSignal, counts?: number[] }) => Promise<number>
  /**
   * Open an actor session with node `peer` over `/fabric/actor/1`: create the actor there (or
   * attach to a named one). Fails with the node's error (InfeasibleTaskError, a constructor's
   * error, ActorNotFoundError), or PeerUnreachableError when the node cannot be reached.
   */
  openActor: (peer: string, open: ActorOpen, options?: { signal?: AbortSignal }) => Promise<ActorSession>
  /** Objects pulled and served since start. */
  transferStats: () => ObjectTransferStats
  /** Ask node `peer` for state rows over `/fabric/state/1`. */
  requestState: (peer: string, req: StateRequest, options?: { timeoutMs?: number }) => Promise<StateReply>
  /**
   * Open a stream of `protocol` to node `peer` (a PeerId or multiaddr): what the protocols kept
   * outside this layer's core (services) dial with.
   * @throws PeerUnreachableError when the node cannot be reached or does not speak it
   */
  dialProtocol: (peer: string, protocol: string, options?: { signal?: AbortSignal }) => Promise<Stream>
  /**
   * Take part in gossip topic `fabric/<fabric name>/<name>` (members only, signed senders), beside
   * the resources topic: what the protocols kept outside this layer's core gossip with.
   */
  topic: (name: string, handler: TopicHandler) => TopicHandle
  /** Idempotent. */
  start: () => Promise<void>
  /** Tell peers the node is leaving (unless `leave: false`), then stop; idempotent, leaves no timer or socket. */
  stop: (options?: { leave?: boolean }) => Promise<void>
}
