// createNode(init): a fabric node as a library — the runtime (LocalNode and its workers), its
// libp2p node (gossip, liveness, the task, object, actor and status protocols), the executor that
// runs peers' tasks and admits or spills them back, the actor host, and nested work spreading to
// other nodes, wired once. `fabric join` parses flags and calls this; tests and benchmarks that
// need no separate process start nodes with it too.
import os from 'node:os'
import path from 'node:path'
import { gpuInventory } from '../gpu/index.js'
import type { Resources } from '../scheduler/resources.js'
import { atLeastZero, resources as resourceBag } from '../scheduler/resources.js'
import { withoutGroupKeys } from '../scheduler/placement.js'

import type { FabricPolicy, LocalPolicy } from '../scheduler/index.js'
import type { BundleHost, BundleSessionOwner, CollectiveHost, Encrypter, FabricView, NetNode, NetNodeHooks, NodeInfo, ProtocolService, StateReply, StateRequest, StateRow } from '../net/index.js'
import type { BundleOwner, LocalNode, LogBookInit, LogFilter, LogLine, NodeInit, NodeLimits, NodeStats } from '../runtime/index.js'
import { listenAddresses } from './listen-policy.js'

/** Options of {@link createNode}. */
export interface CreateNodeInit {
  /** Where the node's identity key lives (its PeerId is stable across restarts). */
  dataDir: string
  /**
   * Addresses to listen on. Without `swarmKey` (or `insecureOpen`) only loopback addresses are
   * allowed (see listen-policy.ts). @default ['/ip4/127.0.0.1/tcp/7400'], or
   * ['/ip4/0.0.0.0/tcp/7400'] with a swarm key or `insecureOpen`
   */
  listen?: string[]
  /** Listen beyond loopback without a swarm key: anyone who can reach the node may join and run work. @default false */
  insecureOpen?: boolean
  /** Only these PeerIds may connect (`fabric join --allow FILE`; see net/allowlist.ts). @default every peer */
  allow?: ReadonlySet<string>
  /** Nodes of the fabric to join; retried until connected. @default [] (a new fabric) */
  bootstrap?: string[]
  /** The fabric's name: nodes see only nodes of the same name. @default 'default' */
  fabricName?: string
  /** The fabric's swarm key (a private fabric). */
  swarmKey?: Uint8Array
  /** The preferred connection encrypter. @default 'tls' */
  encrypter?: Encrypter
  /** Discover nodes with mDNS. @default false */
  mdns?: boolean
  /**
   * What the node offers to tasks: CPUs (also its worker count), GPUs, memory, custom resources.
   * @default all cores, the CUDA devices found, total memory, none
   */
  resources?: Partial<Resources>
  /** Labels peers place work by (`labelSelector`). @default {} */
  labels?: Record<string, string>
  /** The GPU model advertised with `resources.gpus`. */
  gpuModel?: string
  /**
   * At start, ready the workers for this many of the most recently used components of the cache,
   * in the background (see NodeInit.prewarm; `fabric join --prewarm`, which defaults to 2). @default 0
   */
  prewarm?: number
  /** Heartbeat and liveness timing (see NetNodeInit). */
  heartbeatMs?: number
  suspectAfterMs?: number
  deadAfterMs?: number
  probeMs?: number
  probeTimeoutMs?: number
  /**
   * What the node gives its peers at most: ceilings on task time, retries and actors, per-peer
   * quotas (see runtime/node-limits.ts; `fabric join --limit`). @default DEFAULT_NODE_LIMITS
   */
  limits?: Partial<NodeLimits>
  /** Cache folder (transpiled components, worker bundles). @default $FABRIC_CACHE or ~/.cache/fabric */
  cacheDir?: string
  /**
   * Guest log lines of the tasks this node runs, besides keeping them (see `logs`) and sending
   * them to followers (their drivers, `fabric logs`). @default none
   */
  log?: NodeInit['log']
  /**
   * How the node keeps guest log lines: in `<dataDir>/logs/guest.log`, rotated past
   * `maxFileBytes` with `maxFiles` older files kept, and the last `memoryLines` in memory.
   * @default { maxFileBytes: 16 MiB, maxFiles: 4, memoryLines: 10,000 }
   */
  logs?: Pick<LogBookInit, 'maxFileBytes' | 'maxFiles' | 'memoryLines'>
  /** Finished tasks kept for the state API (`fabric list tasks`; 0 keeps none). @default 10,000 */
  taskHistory?: number
  /** What the node does with work it holds or is offered. @default createLocalPolicy() */
  localPolicy?: LocalPolicy
  /** How the node places its guests' nested tasks on other nodes. @default defaultFabricPolicy */
  fabricPolicy?: FabricPolicy
  /** Told of bootstrap retries and connections (the CLI prints them). */
  hooks?: NetNodeHooks
  /** Serve Prometheus metrics on `http://metricsHost:metricsPort/metrics` (0: a free port; see `metricsUrl`). @default no endpoint */
  metricsPort?: number
  /** Where the metrics endpoint listens; beyond loopback only when named here (`--metrics-host`). @default '127.0.0.1' */
  metricsHost?: string
  /** Further protocols the node speaks (the logs and jobs services; see net's ProtocolService). @default none */
  services?: ProtocolService[]
  /** Include libp2p's own metrics (libp2p_*, and Node's process metrics) with `metricsPort`. @default true */
  libp2pMetrics?: boolean
}

/** A running fabric node. */
export interface FabricNode {
  /** The node's PeerId (base58). */
  readonly peerId: string
  /** The fabric's name. */
  readonly fabricName: string
  /** The node's view of the fabric: peers, their resources and liveness, and its events. */
  readonly view: FabricView
  /** Where the node can be dialled (with its `/p2p/` suffix). */
  multiaddrs: () => string[]
  /** Resources, tasks, actors and store use of the node's runtime. */
  stats: () => NodeStats
  /**
   * Answer a state request as `/fabric/state/1` does: this node's rows and, unless `local`, every
   * node's in view, merged (the dashboard reads it in-process).
   */
  state: (req: Omit<StateRequest, 'type'>) => Promise<StateReply>
  /**
   * Guest log lines kept by the fabric's nodes (this one's and, unless `local`, every node's in
   * view), the last `tail` (default 1000) matching `filter`, oldest first.
   */
  logs: (filter: LogFilter, options?: { tail?: number, local?: boolean }) => Promise<{ lines: LogLine[], truncated: boolean, unreachable?: string[] }>
  /** The node's network side (for services that dial peers: logs, jobs). */
  readonly net: NetNode
  /** `http://HOST:PORT/metrics` when started with `metricsPort`. */
  readonly metricsUrl?: string
  /** Leave the fabric (peers are told), stop the runtime's workers and remove spill files. Idempotent. */
  stop: () => Promise<void>
}

/**
 * Start a fabric node in this process.
 *
 * @example
 * const node = await createNode({ dataDir: '/var/lib/fabric', listen: ['/ip4/127.0.0.1/tcp/0'] })
 * const fabric = await Fabric.connect(node.multiaddrs()[0])
 * // ...
 * await fabric.stop()
 * await node.stop()
 *
 * @throws IdentityKeyError, SwarmKeyError or NetConfigError for a bad data dir, key or address
 */
export async function createNode (init: CreateNodeInit): Promise<FabricNode> {
  const { createNetNode } = await import('../net/index.js')
  const { ActorForwarder, FabricMemo, FabricOffload, FabricSnapshots, LocalNode, RemoteActorHost, RemoteRunner, RemoteTaskExecutor, resolveNodeLimits } = await import('../runtime/index.js')
  const metrics = init.metricsPort === undefined ? undefined : await import('../metrics/index.js')
  // Made before libp2p (which registers its metrics in it); labelled with the PeerId once known.
  const registry = metrics === undefined ? undefined : new (await import('prom-client')).Registry()
  const total = ownTotal(init.resources ?? {})
  const listen = listenAddresses(init) // refused before anything starts
  const { LogBook } = await import('../runtime/index.js')
  const { logService, memoService, placementService, collectiveService, snapshotService, CollectiveSessions } = await import('../net/index.js')
  const { nodeLogAnswer, collectLogs } = await import('./log-service.js')
  // Named with the node's PeerId once libp2p has it (no guest runs before).
  const book = new LogBook({ dir: path.join(init.dataDir, 'logs'), ...init.logs })
  const userLog = init.log
  const runtime = new LocalNode({
    workers: Math.max(1, Math.round(total.cpus)),
    resources: total,
    log: (level, message, source) => {
      book.append({ level, message, name: source.name ?? `component ${source.cid.slice(-8)}`, ...(source.job === undefined ? {} : { job: source.job }), ...(source.task === undefined ? {} : { task: source.task }), ...(source.actor === undefined ? {} : { actor: source.actor }) })
      userLog?.(level, message, source)
    },
    ...(init.taskHistory === undefined ? {} : { taskHistory: init.taskHistory }),
    ...(init.prewarm === undefined ? {} : { prewarm: init.prewarm }),
    labels: init.labels ?? {},
    ...(init.cacheDir === undefined ? {} : { cacheDir: init.cacheDir }),
    ...(init.localPolicy === undefined ? {} : { localPolicy: init.localPolicy })
  })
  await runtime.start()
  let net: Awaited<ReturnType<typeof createNetNode>> | undefined
  // Its view of the fabric lets it send tasks back (spillback) when it is full and another node has room.
  const limits = resolveNodeLimits(init.limits)
  const executor = new RemoteTaskExecutor(runtime, async (cid, holders, job) => await net!.pullObject(cid, holders, job === undefined ? {} : { job }), () => net?.view, limits)
  const labels = init.labels ?? {}
  const logAnswer = nodeLogAnswer(book, () => net!)
  // Memoised results shared with the fabric: lookups answered from the node's index (gossip starts below).
  let memo: InstanceType<typeof FabricMemo> | undefined
  try {
    net = await createNetNode({
      dataDir: init.dataDir,
      listen,
      bootstrap: init.bootstrap ?? [],
      ...(init.fabricName === undefined ? {} : { fabricName: init.fabricName }),
      ...(init.encrypter === undefined ? {} : { encrypter: init.encrypter }),
      ...(init.swarmKey === undefined ? {} : { swarmKey: init.swarmKey }),
      ...(init.allow === undefined ? {} : { allow: init.allow }),
      ...(init.mdns === undefined ? {} : { mdns: init.mdns }),
      ...(init.heartbeatMs === undefined ? {} : { heartbeatMs: init.heartbeatMs }),
      ...(init.suspectAfterMs === undefined ? {} : { suspectAfterMs: init.suspectAfterMs }),
      ...(init.deadAfterMs === undefined ? {} : { deadAfterMs: init.deadAfterMs }),
      ...(init.probeMs === undefined ? {} : { probeMs: init.probeMs }),
      ...(init.probeTimeoutMs === undefined ? {} : { probeTimeoutMs: init.probeTimeoutMs }),
      maxPullsPerPeer: limits.pullsPerPeer,
      ...(metrics === undefined || registry === undefined || init.libp2pMetrics === false ? {} : { libp2pMetrics: metrics.libp2pMetrics(registry) }),
      // What the runtime has free right now, and its queue.
      resources: () => {
        const stats = runtime.stats()
        // A guest that resumes after lending its CPU while it waited briefly oversubscribes the
        // node (available below 0): peers are told there is no room, not a negative count. And
        // never more than the total (fractional CPUs can round above it; peers refuse that).
        // A placement group's bundle names are the node's own business (their owner knows where they are).
        const free = withoutGroupKeys(atLeastZero(stats.resources.available))
        const available = { ...free, cpus: Math.min(free.cpus, total.cpus), gpus: Math.min(free.gpus, total.gpus), memoryMb: Math.min(free.memoryMb, total.memoryMb) }
        return {
          resources: { total, available },
          queue: stats.tasks.queued + stats.tasks.waiting,
          labels,
          ...(init.gpuModel === undefined ? {} : { gpuModel: init.gpuModel }),
          store: { memoryBytes: stats.store.memoryBytes, diskBytes: stats.store.diskBytes },
          work: { running: stats.tasks.running, actors: stats.actors, objects: stats.store.objects }
        }
      },
      objects: { get: async (cid, from, job) => await executor.objectBytes(cid, from, job) },
      tasks: executor,
      actors: new RemoteActorHost(runtime, executor),
      // The state API: this node's rows, and unless asked for itself only, every node's in view.
      state: async (req) => await answerState(req, runtime, net!),
      services: [logService(logAnswer), placementService(bundleHost(runtime)), collectiveService(collectiveHost(runtime)), memoService(async (names, inlineBytes) => await memo?.held(names, inlineBytes) ?? []), snapshotService(runtime.snapshotKeeper), ...(init.services ?? [])]
    }, init.hooks ?? {})
  } catch (err) {
    await runtime.stop()
    book.close()
    throw err
  }
  const node = net
  book.node = node.peerId
  // Guests' nested tasks spread to nodes with room once this node is half busy (the local policy says when).
  runtime.setOffload(new FabricOffload(node, new RemoteRunner(node, init.fabricPolicy), cid => executor.componentBytes(cid)))
  // Guests' calls to actors of other nodes (handles that travelled) go over sessions this keeps.
  const forwarder = new ActorForwarder(node)
  runtime.setActorForwarder(forwarder)
  memo = new FabricMemo(node, runtime.memo)
  // Durable actors' snapshots: copied to other nodes, restored from them.
  const snapshots = new FabricSnapshots(node)
  runtime.setSnapshotTransport(snapshots)
  runtime.setMemoRemote(memo)
  memo.start()
  // A peer gone for good owns nothing any more: its results kept here are dropped.
  node.view.on('dead', e => { executor.ownerGone(e.info.peer); runtime.snapshotKeeper.ownerGone(e.info.peer) })
  node.view.on('leave', e => { executor.ownerGone(e.info.peer); runtime.snapshotKeeper.ownerGone(e.info.peer) })
  // Collective groups: chunks to members on other nodes over /fabric/collective/1; a member's node
  // that goes fails its groups here.
  const collectives = new CollectiveSessions(node)
  runtime.setCollectiveTransport({
    self: node.peerId,
    send: async (peer, msg) => { await collectives.send(peer, msg) },
    abort: async (peer, group, reason) => { await collectives.abort(peer, group, reason) }
  })
  node.view.on('dead', e => { runtime.peerLost(e.info.peer) })
  node.view.on('leave', e => { runtime.peerLost(e.info.peer) })

  let metricsServer: Awaited<ReturnType<NonNullable<typeof metrics>['startMetricsServer']>> | undefined
  if (metrics !== undefined && registry !== undefined) {
    const fabric = metrics.nodeRegistry({
      stats: () => runtime.stats(),
      pool: () => runtime.poolStats(),
      transfers: () => node.transferStats(),
      peers: () => {
        let alive = 0
        let suspected = 0
        for (const p of node.view.peers()) {
          if (p.state === 'alive') alive++
          else if (p.state === 'suspected') suspected++
        }
        return { alive, suspected }
      }
    }, node.peerId, registry)
    runtime.setTaskObserver(metrics.taskLatency(fabric))
    try {
      metricsServer = await metrics.startMetricsServer(fabric, { port: init.metricsPort!, ...(init.metricsHost === undefined ? {} : { host: init.metricsHost }) })
    } catch (err) {
      memo.stop()
      await forwarder.stop()
      await node.stop({ leave: true })
      await runtime.stop()
      throw err
    }
  }

  let stopping: Promise<void> | undefined
  return {
    peerId: node.peerId,
    fabricName: node.fabricName,
    view: node.view,
    multiaddrs: () => node.multiaddrs(),
    stats: () => runtime.stats(),
    state: async (req) => await answerState({ type: 'list', ...req }, runtime, node),
    logs: async (filter, options = {}) => await collectLogs(logAnswer, { filter, tail: options.tail ?? 1000, ...(options.local === true ? { local: true } : {}) }),
    net: node,
    ...(metricsServer === undefined ? {} : { metricsUrl: metricsServer.url }),
    stop: async () => {
      stopping ??= (async () => {
        try {
          await metricsServer?.stop()
          memo!.stop()
          snapshots.close()
          await forwarder.stop()
          await node.stop({ leave: true })
        } finally {
          await runtime.stop()
          book.close()
        }
      })()
      await stopping
    }
  }
}

/** The node's totals: what init says, the machine's otherwise. */
function ownTotal (r: Partial<Resources>): Resources {
  return resourceBag({
    cpus: r.cpus ?? os.availableParallelism(),
    gpus: r.gpus ?? gpuInventory().devices,
    memoryMb: r.memoryMb ?? Math.floor(os.totalmem() / 2 ** 20),
    custom: r.custom ?? {}
  })
}

/** A node's answer to `/fabric/state/1` (see net/state-protocol.ts): its rows, merged with its peers' unless `local`. */
async function answerState (req: StateRequest, runtime: { stateRows: (what: 'tasks' | 'actors' | 'jobs' | 'objects') => StateRow[] }, net: NetNode): Promise<StateReply> {
  const limit = req.limit ?? 1000
  const { filterRows } = await import('../net/index.js')
  if (req.what === 'nodes') {
    // The view says what every node gossips: no fan-out needed.
    const row = (info: NodeInfo, state: string, heardMsAgo: number): StateRow => ({
      node: info.peer, state, heardMsAgo,
      cpus: info.resources.total.cpus, cpusFree: info.resources.available.cpus,
      gpus: info.resources.total.gpus, memoryMb: info.resources.total.memoryMb,
      queue: info.queue, running: info.work?.running ?? 0, actors: info.work?.actors ?? 0, objects: info.work?.objects ?? 0,
      storeMemoryBytes: info.store.memoryBytes, storeDiskBytes: info.store.diskBytes,
      labels: Object.entries(info.labels).map(([k, v]) => `${k}=${v}`).join(','),
      role: info.resources.total.cpus > 0 ? 'node' : (info.labels.role ?? 'client')
    })
    const now = Date.now()
    const rows = [row(net.self(), 'alive', 0), ...net.view.peers().map(p => row(p.info, p.state, Math.max(0, now - p.lastHeardAt)))]
    return { type: 'rows', ...filterRows(rows, req.filters, limit) }
  }
  const own = runtime.stateRows(req.what).map(r => ({ node: net.peerId, ...r }))
  if (req.local === true) return { type: 'rows', ...filterRows(own, req.filters, limit) }
  const peers = net.view.peers().filter(p => p.info.resources.total.cpus > 0).map(p => p.info.peer)
  const answers = await Promise.allSettled(peers.map(async p => await net.requestState(p, { ...req, local: true, limit }, { timeoutMs: 5000 })))
  const unreachable = peers.filter((_, i) => answers[i]!.status === 'rejected')
  let rows = [...filterRows(own, req.filters, limit).rows]
  let truncated = false
  for (const a of answers) {
    if (a.status !== 'fulfilled') continue
    // A node answers for itself: rows it says are another node's are not taken.
    rows.push(...a.value.rows)
    truncated ||= a.value.truncated
  }
  if (req.what === 'jobs') rows = mergeJobs(rows)
  if (req.what === 'objects') rows = mergeObjects(rows)
  if (req.what === 'tasks') rows.sort((a, b) => Number(b.submittedAt ?? 0) - Number(a.submittedAt ?? 0))
  const out = filterRows(rows, req.filters, limit)
  return { type: 'rows', rows: out.rows, truncated: truncated || out.truncated, ...(unreachable.length === 0 ? {} : { unreachable }) }
}

/** Objects rows of several nodes as one row per CID: the nodes holding it listed as `holders`, spilled where any copy is. */
function mergeObjects (rows: StateRow[]): StateRow[] {
  const byCid = new Map<string, StateRow>()
  const out: StateRow[] = []
  for (const r of rows) {
    if (typeof r.cid !== 'string') {
      out.push({ ...r, holders: String(r.node) })
      continue
    }
    const known = byCid.get(r.cid)
    if (known === undefined) {
      const row = { ...r, holders: String(r.node) }
      byCid.set(r.cid, row)
      out.push(row)
      continue
    }
    known.holders = `${String(known.holders)},${String(r.node)}`
    known.spilled = known.spilled === true || r.spilled === true
    known.refs = Number(known.refs ?? 0) + Number(r.refs ?? 0)
    if (r.ref !== undefined) known.ref = known.ref === undefined ? r.ref : `${String(known.ref)},${String(r.ref)}`
    if (r.job !== undefined) known.job = [...new Set([...String(known.job ?? '').split(','), ...String(r.job).split(',')].filter(j => j !== ''))].join(',')
  }
  return out
}

/** Jobs rows of several nodes as one row per job: counts added up, the nodes listed. */
function mergeJobs (rows: StateRow[]): StateRow[] {
  const jobs = new Map<string, StateRow>()
  for (const r of rows) {
    const key = String(r.job)
    const known = jobs.get(key)
    if (known === undefined) {
      jobs.set(key, { ...r })
      continue
    }
    for (const [k, v] of Object.entries(r)) {
      if (k === 'job') continue
      if (k === 'node') known.node = `${String(known.node)},${String(v)}`
      else if (typeof v === 'number') known[k] = Number(known[k] ?? 0) + v
    }
  }
  return [...jobs.values()]
}

/** What `/fabric/placement/1` asks of the node's runtime: its bundle table, owned by the session's peer and job. */
function bundleHost (runtime: LocalNode): BundleHost {
  const owner = (o: BundleSessionOwner): BundleOwner => ({ peer: o.peer, session: o.session, ...(o.job === undefined ? {} : { job: o.job }) })
  return {
    prepare: (group, bundles, o, commit) => {
      runtime.prepareBundles(group, bundles, owner(o))
      if (commit) runtime.commitBundles(group, owner(o))
    },
    commit: (group, o) => { runtime.commitBundles(group, owner(o)) },
    release: (group, o) => { runtime.releaseBundles(group, owner(o)) },
    ended: (o) => { runtime.releaseSessionBundles(o.peer, o.session) }
  }
}

/** What `/fabric/collective/1` asks of the node's runtime: its collective groups. */
function collectiveHost (runtime: LocalNode): CollectiveHost {
  return {
    join: (group, job) => { runtime.joinGroup(group, job) },
    leave: (group, job) => { runtime.leaveGroup(group, job) },
    deliver: (from, chunk) => { runtime.deliverChunk(from, chunk) },
    aborted: (from, group, reason) => { runtime.groupAborted(from, group, reason) }
  }
}
