// `fabric join`: run a fabric node in the foreground (createNode does the assembly; this parses
// flags and reports). Prints its PeerId and a `listening <multiaddr>` line per address, then one
// line per membership change; SIGINT/SIGTERM leave the fabric cleanly.
import os from 'node:os'
import path from 'node:path'
import type { Command } from 'commander'
import type { NodeResources, PeerEntry } from '../net/index.js'
import type { FabricNode } from '../api/create-node.js'
import type { DashboardServer } from '../dashboard/index.js'
import { gpuInventory } from '../gpu/index.js'
import { DEFAULT_NODE_LIMITS, MAX_PREWARM, type NodeLimits } from '../runtime/node-limits.js'

interface JoinOptions {
  bootstrap?: string[]
  listen?: string[]
  cpus?: string
  gpus?: string
  memoryMb?: string
  resources?: string
  labels?: string
  gpuModel?: string
  dataDir?: string
  secret?: string
  insecureOpen: boolean
  allow?: string
  name: string
  mdns: boolean
  encrypter: string
  heartbeatMs?: string
  suspectAfterMs?: string
  deadAfterMs?: string
  probeMs?: string
  probeTimeoutMs?: string
  limit?: string[]
  metricsPort?: string
  metricsHost?: string
  acceptJobs: boolean
  maxUploadMb?: string
  maxJobs?: string
  jobPermissions: boolean
  taskHistory?: string
  prewarm?: string
  logMaxMb?: string
  logFiles?: string
  dashboardPort?: string
  dashboardHost?: string
}

/** `--limit` names (the quota names errors carry) and the node limit each sets. */
const LIMIT_NAMES: Record<string, keyof NodeLimits> = {
  'task-time': 'maxTaskMs',
  retries: 'maxRetries',
  'node-actors': 'maxActors',
  'tasks-in-flight': 'tasksPerPeer',
  actors: 'actorsPerPeer',
  'stored-bytes': 'storedBytesPerPeer',
  pulls: 'pullsPerPeer',
  components: 'maxComponents',
  'component-bytes': 'maxComponentBytes'
}

/** The `--limit name=N` flags as node limits (checked again, with the defaults, by createNode). */
export function parseLimits (given: string[] = []): Partial<NodeLimits> {
  const out: Partial<NodeLimits> = {}
  for (const flag of given) {
    for (const part of flag.split(',')) {
      const [name, value, ...rest] = part.split('=')
      const key = LIMIT_NAMES[name!.trim()]
      if (key === undefined || value === undefined || rest.length > 0) throw new Error(`--limit '${part}': use name=N with a name of ${Object.keys(LIMIT_NAMES).join(', ')}`)
      const n = Number(value.trim())
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--limit ${name}: '${value}' is not a positive integer`)
      out[key] = n
    }
  }
  return out
}

/** How long a clean stop may take before the process exits anyway. */
const STOP_TIMEOUT_MS = 5000

/** The node's data dir unless --data-dir says otherwise: $FABRIC_DATA, else the XDG data dir. */
export function defaultDataDir (): string {
  if (process.env.FABRIC_DATA !== undefined && process.env.FABRIC_DATA !== '') return process.env.FABRIC_DATA
  const base = process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share')
  return path.join(base, 'fabric', 'node')
}

export function registerJoin (program: Command): void {
  const collect = (v: string, prev: string[] = []): string[] => [...prev, v]
  program
    .command('join')
    .description('start a fabric node in the foreground (without --bootstrap: a new fabric)')
    .option('--bootstrap <multiaddr>', 'a node of the fabric to join (repeatable); retried until connected', collect)
    .option('--listen <multiaddr>', 'an address to listen on (repeatable); beyond loopback only with --secret or --insecure-open (default: /ip4/127.0.0.1/tcp/7400, or /ip4/0.0.0.0/tcp/7400 with --secret or --insecure-open)', collect)
    .option('--cpus <n>', 'CPUs this node offers (default: all cores)')
    .option('--gpus <n>', 'GPUs this node offers (default: the CUDA devices the GPU bridge finds, else 0)')
    .option('--memory-mb <n>', 'memory this node offers, in MiB (default: total memory)')
    .option('--resources <k=v,...>', 'custom resources, e.g. ssd=1,tpu=4')
    .option('--labels <k=v,...>', 'labels for placement, e.g. zone=a,rack=3')
    .option('--gpu-model <model>', 'the GPU model advertised with --gpus (default: the model CUDA reports)')
    .option('--data-dir <dir>', 'where the identity key lives (default: $FABRIC_DATA or ~/.local/share/fabric/node)')
    .option('--secret <file>', 'a swarm key file (make one with `fabric keygen FILE`): only nodes with the same key can connect; needed to listen beyond loopback')
    .option('--allow <file>', 'only the PeerIds in this file (one per line, # comments) may connect: nodes and drivers (drivers need a --data-dir / dataDir for a stable PeerId)')
    .option('--insecure-open', 'listen beyond loopback without a swarm key: anyone who can reach this node may join the fabric and run work on it', false)
    .option('--name <name>', 'the fabric name; nodes only see nodes of the same name', 'default')
    .option('--mdns', 'discover nodes on the local network with mDNS (multicast on every interface)', false)
    .option('--encrypter <tls|noise>', 'the preferred connection encrypter', 'tls')
    .option('--heartbeat-ms <ms>', 'how often this node gossips its resources', '1000')
    .option('--suspect-after-ms <ms>', 'a node silent this long is suspected', '3000')
    .option('--dead-after-ms <ms>', 'a node silent this long is dead and dropped', '10000')
    .option('--probe-ms <ms>', 'a connected node not heard from this long is pinged (0: no probe) (default: --heartbeat-ms + 250)')
    .option('--probe-timeout-ms <ms>', 'a pinged node that does not answer this long is suspected', '750')
    .option('--limit <name=N,...>', `what peers get at most (repeatable): task-time (ms; the timeout of a task that sets none, the ceiling of one that does), retries, node-actors; per peer: tasks-in-flight, actors, stored-bytes, pulls (defaults: ${Object.entries(LIMIT_NAMES).map(([k, v]) => `${k}=${DEFAULT_NODE_LIMITS[v]}`).join(', ')})`, collect)
    .option('--task-history <n>', 'finished tasks kept for `fabric list tasks` (0: none)', '10000')
    .option('--prewarm <n>', 'at start, ready the workers for the n most recently used components of the cache in the background, so a first task of any QuickJS component finds the engine compiled (0: none)', '2')
    .option('--log-max-mb <mb>', 'rotate the guest log file (<data-dir>/logs/guest.log) past this many MiB', '16')
    .option('--log-files <n>', 'rotated guest log files kept besides the current one', '4')
    .option('--metrics-port <port>', 'serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0: a free port; the bound URL is printed as `metrics URL`)')
    .option('--metrics-host <addr>', 'the address the metrics endpoint listens on (default: 127.0.0.1); beyond loopback, anyone who reaches it reads the node\'s work and peers')
    .option('--dashboard-port <port>', 'serve the dashboard (a web page of the fabric\'s nodes, tasks, actors, objects, jobs and logs) on http://127.0.0.1:PORT/ (0: a free port; printed as `dashboard URL`)')
    .option('--dashboard-host <addr>', 'the address the dashboard listens on (default: 127.0.0.1); beyond loopback, anyone who reaches it reads the fabric\'s work and peers')
    .option('--accept-jobs', 'run jobs that members submit (fabric submit): their drivers run here as processes with this node\'s privileges, unsandboxed', false)
    .option('--max-upload-mb <mb>', 'with --accept-jobs: the most a job\'s working directory may hold, in MiB', '100')
    .option('--max-jobs <n>', 'with --accept-jobs: jobs running here at once at most', '4')
    .option('--job-permissions', 'with --accept-jobs: run jobs under Node\'s permission model (they read any file, write only their working directory and the temp dir, start no child process or native addon)', false)
    .action(async (opts: JoinOptions) => {
      // One line on stderr and exit 1: these are the operator's mistakes, not bugs worth a stack.
      const fail = (msg: string): never => {
        process.stderr.write(`fabric join: ${msg}\n`)
        process.exit(1)
      }
      let own: NodeResources
      let limits: Partial<NodeLimits>
      let timing: { heartbeatMs?: number, suspectAfterMs?: number, deadAfterMs?: number, probeMs?: number, probeTimeoutMs?: number }
      let metricsPort: number | undefined
      let retention: { taskHistory?: number, logs: { maxFileBytes?: number, maxFiles?: number } } = { logs: {} }
      let prewarm: number | undefined
      let dashboardPort: number | undefined
      if (opts.encrypter !== 'tls' && opts.encrypter !== 'noise') return fail(`unknown --encrypter '${opts.encrypter}': use tls or noise`)
      const encrypter: 'tls' | 'noise' = opts.encrypter
      try {
        own = ownResources(opts)
        limits = parseLimits(opts.limit)
        timing = {
          heartbeatMs: int(opts.heartbeatMs, '--heartbeat-ms', 1),
          suspectAfterMs: int(opts.suspectAfterMs, '--suspect-after-ms', 1),
          deadAfterMs: int(opts.deadAfterMs, '--dead-after-ms', 1),
          probeMs: int(opts.probeMs, '--probe-ms', 0),
          probeTimeoutMs: int(opts.probeTimeoutMs, '--probe-timeout-ms', 1)
        }
        if ((timing.deadAfterMs ?? 10000) <= (timing.suspectAfterMs ?? 3000)) throw new Error('--dead-after-ms must be larger than --suspect-after-ms')
        const logMb = int(opts.logMaxMb, '--log-max-mb', 1)
        const logFiles = int(opts.logFiles, '--log-files', 0)
        const taskHistory = int(opts.taskHistory, '--task-history', 0)
        prewarm = int(opts.prewarm, '--prewarm', 0)
        if (prewarm !== undefined && prewarm > MAX_PREWARM) throw new Error(`--prewarm needs an integer 0-${MAX_PREWARM}, got '${opts.prewarm}'`)
        retention = {
          ...(taskHistory === undefined ? {} : { taskHistory }),
          logs: { ...(logMb === undefined ? {} : { maxFileBytes: logMb * 2 ** 20 }), ...(logFiles === undefined ? {} : { maxFiles: logFiles }) }
        }
        metricsPort = int(opts.metricsPort, '--metrics-port', 0)
        if (metricsPort !== undefined && metricsPort > 65535) throw new Error(`--metrics-port needs a port 0-65535, got '${opts.metricsPort}'`)
        if (opts.metricsHost !== undefined && metricsPort === undefined) throw new Error('--metrics-host needs --metrics-port')
        dashboardPort = int(opts.dashboardPort, '--dashboard-port', 0)
        if (dashboardPort !== undefined && dashboardPort > 65535) throw new Error(`--dashboard-port needs a port 0-65535, got '${opts.dashboardPort}'`)
        if (opts.dashboardHost !== undefined && dashboardPort === undefined) throw new Error('--dashboard-host needs --dashboard-port')
      } catch (err) {
        return fail((err as Error).message)
      }
      const { readAllowlist, readSwarmKey } = await import('../net/index.js')
      const { createNode } = await import('../api/create-node.js')
      const dataDir = path.resolve(opts.dataDir ?? defaultDataDir())
      // Jobs (fabric submit): answered always (list, logs), run only with --accept-jobs.
      const { createJobService } = await import('../jobs/index.js')
      let jobs: ReturnType<typeof createJobService>
      try {
        const maxUploadMb = int(opts.maxUploadMb, '--max-upload-mb', 1)
        const maxRunning = int(opts.maxJobs, '--max-jobs', 1)
        jobs = createJobService({
          dataDir, accept: opts.acceptJobs, permissions: opts.jobPermissions,
          ...(opts.secret === undefined ? {} : { swarmKeyFile: opts.secret }),
          fabricName: opts.name,
          ...(maxUploadMb === undefined ? {} : { maxUploadBytes: maxUploadMb * 2 ** 20 }),
          ...(maxRunning === undefined ? {} : { maxRunning })
        })
        await jobs.start()
      } catch (err) {
        return fail(firstLine(err))
      }
      let node: FabricNode
      try {
        const swarmKey = opts.secret === undefined ? undefined : await readSwarmKey(opts.secret)
        const allow = opts.allow === undefined ? undefined : await readAllowlist(opts.allow)
        const reported = new Set<string>()
        node = await createNode({
          dataDir,
          ...(opts.listen === undefined ? {} : { listen: opts.listen }),
          insecureOpen: opts.insecureOpen,
          bootstrap: opts.bootstrap ?? [],
          fabricName: opts.name,
          encrypter,
          ...(swarmKey === undefined ? {} : { swarmKey }),
          ...(allow === undefined ? {} : { allow }),
          mdns: opts.mdns,
          services: [jobs],
          limits,
          ...retention,
          ...(prewarm === undefined ? {} : { prewarm }),
          ...timing,
          resources: own.resources.total,
          labels: own.labels,
          ...(own.gpuModel === undefined ? {} : { gpuModel: own.gpuModel }),
          ...(metricsPort === undefined ? {} : { metricsPort }),
          ...(opts.metricsHost === undefined ? {} : { metricsHost: opts.metricsHost }),
          hooks: {
            // Say once per address that it is being retried; the retries themselves stay quiet.
            onBootstrapRetry: (addr, err) => {
              if (reported.has(addr)) return
              reported.add(addr)
              process.stderr.write(`fabric join: bootstrap ${addr} not reachable yet (${firstLine(err)}); retrying\n`)
            },
            onBootstrapConnected: (addr, peer) => {
              reported.delete(addr)
              process.stdout.write(`connected ${peer} via ${addr}\n`)
            }
          }
        })
      } catch (err) {
        const name = (err as Error).name
        if (['IdentityKeyError', 'SwarmKeyError', 'NetConfigError'].includes(name) || ['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES'].includes((err as NodeJS.ErrnoException).code ?? '') || /EADDRINUSE|address already in use/i.test((err as Error).message)) {
          return fail(firstLine(err))
        }
        throw err
      }

      const out = (line: string): void => { process.stdout.write(line + '\n') }
      const { HOW_TO_OPEN, isLoopback } = await import('../api/listen-policy.js')
      if (node.multiaddrs().every(a => isLoopback(a))) {
        process.stderr.write(`fabric join: listening on loopback only (nodes of other machines cannot reach it); to open it, ${HOW_TO_OPEN}\n`)
      } else if (opts.secret === undefined) {
        process.stderr.write('fabric join: WARNING: open without a swarm key (--insecure-open): anyone who can reach this node may join the fabric and run work on it\n')
      }
      if (node.metricsUrl !== undefined && opts.metricsHost !== undefined && opts.secret === undefined) {
        const { isLoopbackHost } = await import('../metrics/index.js')
        if (!isLoopbackHost(opts.metricsHost)) process.stderr.write(`fabric join: WARNING: metrics on ${opts.metricsHost} without a swarm key (--secret): anyone who can reach ${node.metricsUrl} reads this node's work and peers\n`)
      }
      let dashboard: DashboardServer | undefined
      if (dashboardPort !== undefined) {
        const { startDashboard } = await import('../dashboard/index.js')
        try {
          dashboard = await startDashboard(node, { port: dashboardPort, ...(opts.dashboardHost === undefined ? {} : { host: opts.dashboardHost }) })
        } catch (err) {
          await node.stop()
          return fail(`--dashboard-port: ${firstLine(err)}`)
        }
        const { isLoopbackHost } = await import('../metrics/index.js')
        if (opts.dashboardHost !== undefined && !isLoopbackHost(opts.dashboardHost) && opts.secret === undefined) process.stderr.write(`fabric join: WARNING: dashboard on ${opts.dashboardHost} without a swarm key (--secret): anyone who can reach ${dashboard.url} reads the fabric's work and peers\n`)
      }
      // Jobs connect over loopback when the node listens there.
      jobs.bind(node.multiaddrs().find(a => isLoopback(a)) ?? node.multiaddrs()[0]!)
      out(`peer ${node.peerId}`)
      out(`fabric ${node.fabricName}`)
      out(`data-dir ${dataDir}`)
      for (const a of node.multiaddrs()) out(`listening ${a}`)
      if (node.metricsUrl !== undefined) out(`metrics ${node.metricsUrl}`)
      if (dashboard !== undefined) out(`dashboard ${dashboard.url}`)
      out('ready')
      const summary = (e: PeerEntry): string => `${e.info.peer} cpus=${e.info.resources.available.cpus}/${e.info.resources.total.cpus} gpus=${e.info.resources.total.gpus}`
      node.view.on('join', e => { out(`joined ${summary(e)}`) })
      node.view.on('suspect', e => { out(`suspected ${e.info.peer} (${e.suspectReason ?? 'unknown'})`) })
      node.view.on('alive', e => { out(`alive ${e.info.peer}`) })
      // A peer gone for good owns nothing any more: its results kept here are dropped.
      node.view.on('dead', e => { out(`dead ${e.info.peer}`) })
      node.view.on('leave', e => { out(`left ${e.info.peer}`) })

      await new Promise<void>(resolve => {
        let stopping = false
        const onSignal = (sig: NodeJS.Signals): void => {
          if (stopping) {
            // A second signal: the operator does not want to wait for the clean stop.
            process.stderr.write(`fabric join: ${sig} again, exiting now\n`)
            process.exit(1)
          }
          stopping = true
          out(`stopping (${sig}): leaving the fabric`)
          const force = setTimeout(() => {
            process.stderr.write('fabric join: clean stop timed out, exiting\n')
            process.exit(1)
          }, STOP_TIMEOUT_MS)
          const stopAll = async (): Promise<void> => {
            await dashboard?.stop()
            await jobs.stop()
            await node.stop()
          }
          stopAll().then(() => {
            clearTimeout(force)
            out('stopped')
            resolve()
          }, (err: unknown) => {
            process.stderr.write(`fabric join: error while stopping: ${firstLine(err)}\n`)
            process.exit(1)
          })
        }
        process.on('SIGINT', onSignal)
        process.on('SIGTERM', onSignal)
      })
      // libp2p may leave unref'd or slow-closing handles behind; the node is stopped, so exit now.
      process.exit(0)
    })
}

/** The resources this node offers, from the command line (the runtime will provide them later). */
function ownResources (opts: JoinOptions): NodeResources {
  // Only ask CUDA (which loads the native addon) when the operator did not say.
  const found = opts.gpus === undefined || opts.gpuModel === undefined ? gpuInventory() : undefined
  const gpus = num(opts.gpus, '--gpus', found?.devices ?? 0)
  const gpuModel = opts.gpuModel ?? (gpus > 0 ? found?.model : undefined)
  const total = {
    cpus: num(opts.cpus, '--cpus', os.availableParallelism()),
    gpus,
    memoryMb: num(opts.memoryMb, '--memory-mb', Math.floor(os.totalmem() / (1024 * 1024))),
    custom: Object.fromEntries(Object.entries(pairs(opts.resources, '--resources')).map(([k, v]) => {
      const n = Number(v)
      if (v === '' || !Number.isFinite(n) || n < 0) throw new Error(`--resources: '${k}' needs a non-negative number, got '${v}'`)
      return [k, n]
    }))
  }
  return {
    resources: { total, available: { ...total, custom: { ...total.custom } } },
    queue: 0,
    labels: pairs(opts.labels, '--labels'),
    ...(gpuModel === undefined ? {} : { gpuModel }),
    store: { memoryBytes: 0, diskBytes: 0 }
  }
}

function num (v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number, got '${v}'`)
  return n
}

function int (v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}, got '${v}'`)
  return n
}

/** Parse `k=v,k2=v2`; keys are identifiers, no duplicates. */
function pairs (v: string | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (v === undefined || v.trim() === '') return out
  for (const part of v.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new Error(`${flag}: expected k=v, got '${part}'`)
    const k = part.slice(0, eq).trim()
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(k)) throw new Error(`${flag}: bad name '${k}' (letters, digits, _ . -; at most 64)`)
    if (Object.hasOwn(out, k)) throw new Error(`${flag}: '${k}' given twice`)
    out[k] = part.slice(eq + 1).trim()
  }
  return out
}

function firstLine (err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return msg.split('\n')[0] ?? msg
}
