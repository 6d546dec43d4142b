// Protocol constants of the fabric's network layer, documented in one place (see docs/protocols.md).

/** The request/response protocol that answers a node's own info and its view of the fabric. */
export const STATUS_PROTOCOL = '/fabric/status/1'

/** Largest gossip message accepted (CBOR bytes); larger ones are refused and counted. */
export const MAX_GOSSIP_MESSAGE_BYTES = 64 * 1024

/** Largest `/fabric/status/1` request frame; a request is tiny, so anything bigger is an attack or a bug. */
export const MAX_STATUS_REQUEST_BYTES = 4 * 1024

/** Largest `/fabric/status/1` reply frame (a view of ~4,000 peers at ~1 KiB each). */
export const MAX_STATUS_REPLY_BYTES = 4 * 1024 * 1024

/** How long a status stream may sit idle (no request) before the node closes it. */
export const STATUS_IDLE_TIMEOUT_MS = 30_000

/** Concurrent inbound status streams per connection. */
export const STATUS_MAX_INBOUND_STREAMS = 8

/** Limits on the fields of a resources message, so one peer cannot make others hold much memory. */
export const LIMITS = Object.freeze({
  peerIdChars: 128,
  addrs: 32,
  addrChars: 256,
  labels: 64,
  labelKeyChars: 64,
  labelValueChars: 256,
  customResources: 64,
  resourceNameChars: 64,
  gpuModelChars: 128,
  fabricNameChars: 64,
  /**
   * The most a node may claim (gossiped totals are checked against these: a peer claiming a huge
   * machine would otherwise win every placement). Above today's largest single machines.
   */
  cpus: 4096,
  gpus: 256,
  memoryMb: 64 * 1024 * 1024
})

/** The gossip topic of a fabric's resources and membership. */
export function resourcesTopic (fabricName: string): string {
  return `fabric/${fabricName}/resources`
}

/** Fabric names: short and topic-safe. */
export const FABRIC_NAME_RE = /^[A-Za-z0-9._-]{1,64}$/

/** Pull an object's bytes by CID, in ranges, from any node that holds it. */
export const OBJECT_PROTOCOL = '/fabric/object/1'

/** Largest `/fabric/object/1` request frame (a CID and a range). */
export const MAX_OBJECT_REQUEST_BYTES = 1024

/** Largest reply header frame (`have` or `error`). */
export const MAX_OBJECT_HEADER_BYTES = 16 * 1024

/** Bytes per data frame of an object reply. */
export const OBJECT_CHUNK_BYTES = 4 * 1024 * 1024

/** How long an object stream may sit idle between requests (or between frames of a reply). */
export const OBJECT_IDLE_TIMEOUT_MS = 30_000

/** Concurrent inbound object streams per connection. */
export const OBJECT_MAX_INBOUND_STREAMS = 16

/** Objects at least this large are pulled in ranges from several holders at once. */
export const PARALLEL_PULL_MIN_BYTES = 16 * 1024 * 1024

/** Run a task of a component (by CID) on the node that accepts the stream. */
export const TASK_PROTOCOL = '/fabric/task/1'

/** Largest `/fabric/task/1` request frame: the CBOR arguments travel inline (large ones as objects: later). */
export const MAX_TASK_REQUEST_BYTES = 16 * 1024 * 1024

/** Largest `/fabric/task/1` reply frame (the CBOR result inline). */
export const MAX_TASK_REPLY_BYTES = 64 * 1024 * 1024

/** Concurrent inbound task streams per connection (a caller keeps one session per node; single-shot requests such as release use their own). */
export const TASK_MAX_INBOUND_STREAMS = 256

/** Tasks one task stream may have running at once; a client that sends more is refused. */
export const TASK_MAX_IN_FLIGHT_PER_STREAM = 1024

/**
 * How long opening a task stream may take: longer than a node's longest synchronous step (it
 * compiles a component it has not seen, seconds on a small machine) so a busy node is not taken for dead.
 */
export const TASK_OPEN_TIMEOUT_MS = 30_000

/** Create (or attach to) an actor on the node that accepts the stream, then call its methods on that stream. */
export const ACTOR_PROTOCOL = '/fabric/actor/1'

/** Largest `/fabric/actor/1` request frame (create or call, CBOR arguments inline). */
export const MAX_ACTOR_REQUEST_BYTES = 16 * 1024 * 1024

/** Largest `/fabric/actor/1` reply frame (a call's CBOR result inline). */
export const MAX_ACTOR_REPLY_BYTES = 64 * 1024 * 1024

/** Concurrent inbound actor sessions per connection (one long-lived stream per actor handle). */
export const ACTOR_MAX_INBOUND_STREAMS = 1024

/** Calls one actor session may have sent and not yet had answered; the client queues beyond it, the server refuses. */
export const ACTOR_MAX_CALLS_IN_FLIGHT = 1024

/**
 * A streaming actor call's values the node may have queued for writing and not yet written, by
 * count and by bytes: past either, it takes the generator's next value only once they are written.
 */
export const ACTOR_ITEMS_AHEAD = 32
export const ACTOR_ITEM_BYTES_AHEAD = 4 * 1024 * 1024

/** How long the first frame (create or attach) of an actor session may take to arrive. */
export const ACTOR_OPEN_TIMEOUT_MS = 30_000

/** Times one task may be spilled back by nodes; a request that has been spilled this often is taken (queued) wherever it lands. */
export const MAX_SPILLBACKS = 2

/** How long a node may take to answer whether it has a live actor of a name (the fabric-wide name check of a named actor's creation). */
export const ACTOR_NAME_PROBE_TIMEOUT_MS = 10_000

/**
 * Liveness probe (src/net/liveness.ts): a connected peer not heard from (heartbeat or ping reply)
 * for `--probe-ms` is pinged; this is that default's margin over the heartbeat interval, so a
 * healthy peer whose heartbeats arrive on time is never pinged.
 */
export const PROBE_MARGIN_MS = 250

/** How long a probe ping may go unanswered (with nothing else heard from the peer) before it is suspected. */
export const PROBE_TIMEOUT_MS = 750

/**
 * libp2p's connection monitor pings every connection every CONNECTION_PING_INTERVAL_MS and aborts
 * one whose ping goes unanswered for CONNECTION_PING_TIMEOUT_MS (adaptive: at least the minimum,
 * more after slow replies). Only a link that is broken while its peer lives on (a half-open TCP
 * connection, a one-way cut) needs it: a peer that stops altogether is declared dead by the view
 * (the heartbeat timeouts, which skip judging while this process itself stalls), and its
 * connections are closed then. The timeout used to be 5-10 s: on a saturated host (100 nodes on
 * 2 cores, or a node whose main thread starves) pings waited longer, healthy connections were
 * aborted, and the TLS handshakes of the redials (~19 ms of CPU each) loaded the host further:
 * the 100-node simulation never settled (~900 aborts per process in a 3-minute run). A ping every 30 s (it
 * was 10): with that timeout a faster ping finds nothing sooner, and each is a stream opened,
 * negotiated and closed by both ends of every connection.
 */
export const CONNECTION_PING_INTERVAL_MS = 30_000
export const CONNECTION_PING_TIMEOUT_MS = { min: 30_000, max: 60_000 }

/**
 * A peer heard again after it was suspected (its heartbeat relayed by others) while this node still
 * holds connections to it: each is pinged over itself, and aborted when neither the reply nor any
 * other byte comes in on it within this long. After a cut (a partition, iptables DROP) the peer may
 * have closed its end, or TCP's retransmission has backed off: the old connection would carry
 * nothing until the next retransmit (12.6 s after the cut for a 7.5 s one), and the sessions on it
 * would wait for it. Aborted, they fail now and are retried. A saturated host's connection that is
 * slow to answer still reads bytes, and stays.
 */
export const CONNECTION_CHECK_TIMEOUT_MS = 2000

/**
 * Only a peer suspected at least this long before it is heard again has its connection checked (a
 * cut or hang long enough for the peer to have given up on this node). A 100-node simulation on 2
 * cores flaps peers between suspected and alive hundreds of times a minute: each check is a ping.
 */
export const CONNECTION_CHECK_SUSPECTED_MS = 3000

/** How often the probe looks at the peers. */
export const PROBE_TICK_MS = 100

/** Peers the probe looks at every tick; a larger view is looked at every ceil(peers / this) ticks. */
export const PROBE_FULL_RATE_PEERS = 16

/** A probe ping is abandoned after this long (the peer is dead by the view's default timeout by then, and its connections closed). */
export const PROBE_PING_MAX_MS = 10_000

/**
 * Heartbeats scale with the fabric (gossip.ts): up to this many nodes a node beats every
 * `--heartbeat-ms`; in a larger fabric of N nodes every N / GOSSIP_FULL_RATE_NODES times that, so
 * the heartbeats a node hears per second stop growing with the fabric (each is a signature to
 * verify and a few mesh forwards on every node): ~8 per second with the 1 s default, whether the
 * fabric has 8, 32 (a 4 s interval) or 64 nodes (8 s); fewer past GOSSIP_LARGE_FABRIC_NODES.
 */
export const GOSSIP_FULL_RATE_NODES = 8

/**
 * Past this many nodes the heartbeat interval grows twice as fast (continuing from its value
 * here, 8 intervals), so each node hears fewer heartbeats, towards 4 a second: 17 s at 100 nodes,
 * 54.5 s at 250 (5.8 and 4.6 heard a second). At 8 a second 100 simulated nodes on 2 cores
 * cost 0.74% of a core each at rest (250 would need 185% of the 2 cores), at 5.8 0.67%, at 4
 * 0.50%; 250 now converge at 0.63% each (benchmarks.md).
 */
export const GOSSIP_LARGE_FABRIC_NODES = 64

/** Don't redial a gossiped peer more often than this. */
export const GOSSIP_DIAL_GAP_MS = 5000

/**
 * Above this many connected peers (dials in flight included) the node stops dialling gossiped peers:
 * gossipsub's mesh carries the rest, and work dials a peer when it needs it. 16: small fabrics are
 * fully connected; in a 250-node fabric each connection's TLS handshake (~19 ms of CPU) and pings
 * add up (protocols.md).
 */
export const GOSSIP_DIAL_MAX_CONNECTIONS = 16

/** Gossiped peers dialled at once: a node hearing of 200 peers does not start 200 handshakes. */
export const GOSSIP_DIALS_AT_ONCE = 4

/**
 * Inbound connections a node accepts per second from one IP address, and handshakes it runs at
 * once (libp2p's defaults are 5 and 10). A joining node is dialled by every peer that hears of it
 * (up to 64 each) within a second or two, and many nodes can share an address (several per host,
 * containers behind one NAT): with the defaults a 100-node fabric on one host never converged
 * (refused handshakes, retried 5 s later, refused again). A hostile address is still bounded; the
 * swarm key and the allowlist are what keep strangers out.
 */
export const INBOUND_CONNECTIONS_PER_SECOND_PER_HOST = 64
export const MAX_INBOUND_HANDSHAKES = 128

/** The longest heartbeat interval a node uses or a peer may announce (a longer claim is refused). */
export const MAX_HEARTBEAT_MS = 60_000

/**
 * A peer's liveness timeouts scale with the heartbeat interval it announces: suspected after
 * max(--suspect-after-ms, this many intervals) of silence, dead after max(--dead-after-ms,
 * DEAD_HEARTBEATS intervals). Unchanged for 1 s heartbeats (3 s, 10 s).
 */
export const SUSPECT_HEARTBEATS = 3
export const DEAD_HEARTBEATS = 5

/** A timer this late means the process itself was stalled: liveness is not judged on that tick. */
export const LIVENESS_STALL_MS = 500

/**
 * Most refs one request or result may describe in `nested` (refs inside values, with what each
 * stands for). A sender refuses more with a clear error; the frame size limits bound them too.
 */
export const MAX_NESTED_REFS = 65_536

/** Longest `reason` of a spillback frame (longer ones are cut). */
export const MAX_SPILLBACK_REASON_CHARS = 512

/** The state API (`fabric list`): one request and its reply per stream. */
export const STATE_PROTOCOL = '/fabric/state/1'
/** A state request frame at most (a kind, a few filters, a limit). */
export const MAX_STATE_REQUEST_BYTES = 4096
/** A state reply frame at most. */
export const MAX_STATE_REPLY_BYTES = 8 * 1024 * 1024
/** Rows one state reply holds at most (a larger `limit` is refused). */
export const MAX_STATE_ROWS = 10_000
/** State streams one connection may have open at once. */
export const STATE_MAX_INBOUND_STREAMS = 8

/** The logs API (`fabric logs`, a driver's guest lines): one request per stream, then frames of lines. */
export const LOGS_PROTOCOL = '/fabric/logs/1'
/** A logs request frame at most. */
export const MAX_LOGS_REQUEST_BYTES = 4096
/** A frame of log lines at most (a line's message is at most 16 Ki chars). */
export const MAX_LOGS_FRAME_BYTES = 1024 * 1024
/** Lines a tail asks for at most. */
export const MAX_LOGS_TAIL = 10_000
/** Logs streams open at once on a node (followers included, from all peers). */
export const LOGS_MAX_INBOUND_STREAMS = 64

/**
 * Bytes a bulk receiver (an object puller, a collective's chunks) lets arrive ahead of its reads:
 * yamux's largest stream window (16 MiB), and then some. Less, and a sender filling the window
 * while the reader is busy overflows the frame reader, which resets the stream.
 */
export const BULK_RECEIVE_BUFFER_BYTES = 24 * 1024 * 1024
