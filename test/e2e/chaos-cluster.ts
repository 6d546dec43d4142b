// `fabric join` processes to break on purpose (scripts/chaos.ts, test/e2e/chaos.spec.ts,
// test/e2e/partition.spec.ts): kill (SIGKILL), hang (SIGSTOP/SIGCONT) and restart (same data dir,
// same address) a node, and, with every node in its own network namespace on one bridge, cut two
// groups apart with iptables DROP rules and heal them. Every line a node prints is kept with its
// time, so recoveries can be timed from the nodes' own view. stop() removes every process,
// namespace, veth, bridge and the temp dir, and a run killed before it could is swept by the next.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { newSwarmKey } from '../../src/net/index.js'
import { ROOT } from './cluster.js'

const run = promisify(execFile)
const CLI = path.join(ROOT, 'test/e2e/fabric-cli.ts')

/** Where the nodes live: all on 127.0.0.1, or each in its own network namespace (root only). */
export type NetMode = 'loopback' | 'netns'

/** One line a node printed on stdout, and when (Date.now()). */
export interface NodeLine { at: number, node: string, line: string }

/** A node of the cluster; `proc` is its current process (a restart makes a new one, same PeerId). */
export interface ChaosNode {
  name: string
  index: number
  dataDir: string
  /** Its address: 127.0.0.1, or its namespace's address on the bridge. */
  ip: string
  /** Its TCP port: fixed after the first start, so a restarted node has the same multiaddr. */
  port: number
  peer: string
  addr: string
  proc?: ChildProcess
  exit?: Promise<unknown>
  /** Starts so far (1 after the first). */
  starts: number
  state: 'up' | 'killed' | 'hung'
  /** Its namespace (netns mode). */
  ns?: string
}

/** Options of {@link ChaosCluster}. */
export interface ChaosClusterInit {
  /** @default 'loopback' */
  mode?: NetMode
  /** More `fabric join` arguments for every node. @default fast liveness: heartbeat 500 ms, suspect 2 s, dead 5 s */
  nodeArgs?: string[]
  /** Echo the nodes' stderr (as E2E_DEBUG does for cluster.ts). @default process.env.E2E_DEBUG set */
  debug?: boolean
  /**
   * One component cache (FABRIC_CACHE) for every node, in the temp dir, instead of one each: a
   * component is transpiled once per run, not once per node (seconds each on 2 cores).
   * @default false
   */
  sharedCache?: boolean
}

/** The liveness timings of every node unless `nodeArgs` says otherwise (as test/e2e/cluster.ts). */
export const FAST_LIVENESS = ['--heartbeat-ms', '500', '--suspect-after-ms', '2000', '--dead-after-ms', '5000']

/** This process's prefix for namespace and link names (pid in base 36: a dead run's leftovers are found by it; the temp dir carries it too). */
const TAG = `fc${process.pid.toString(36)}`
const TAG_RE = /^fc([0-9a-z]+)(?:-n\d+|b|v\d+)$/

/** Why netns mode cannot run here, or undefined when it can (root, `ip` and `iptables` present). */
export function netnsUnavailable (): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  for (const [cmd, flag] of [['ip', '-V'], ['iptables', '--version']] as const) {
    try {
      execFileSync(cmd, [flag], { stdio: 'ignore' })
    } catch {
      return `\`${cmd}\` is not installed (apt-get install ${cmd === 'ip' ? 'iproute2' : 'iptables'})`
    }
  }
  return undefined
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Remove what chaos runs whose process is gone (killed before their cleanup) left: temp dirs, and
 * (as root) namespaces, bridges and veths, with the node processes still inside those namespaces.
 */
export function sweepStale (): void {
  const tmp = fs.realpathSync(os.tmpdir())
  for (const d of fs.readdirSync(tmp)) {
    const m = /^fabric-chaos-([0-9a-z]+)-/.exec(d)
    if (m !== null && !alive(parseInt(m[1]!, 36))) fs.rmSync(path.join(tmp, d), { recursive: true, force: true })
  }
  if (netnsUnavailable() !== undefined) return
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map(l => l.split(' ')[0]!).filter(n => n !== '')
  for (const n of ns) {
    const m = TAG_RE.exec(n)
    if (m === null || alive(parseInt(m[1]!, 36))) continue
    const pids = execFileSync('ip', ['netns', 'pids', n], { encoding: 'utf8' }).split('\n').filter(p => p !== '').map(Number)
    for (const pid of pids) try { process.kill(pid, 'SIGKILL') } catch {}
    try { execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' }) } catch {}
  }
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map(l => /^\d+: ([^:@]+)/.exec(l)?.[1]).filter((n): n is string => n !== undefined)
  for (const l of links) {
    const m = TAG_RE.exec(l)
    if (m === null || alive(parseInt(m[1]!, 36))) continue
    try { execFileSync('ip', ['link', 'del', l], { stdio: 'ignore' }) } catch {}
  }
}

/** A free 10.x.y.0/24 for this run's bridge (derived from the pid; bumped past subnets in use). */
function pickSubnet (): string {
  const used = execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' })
  for (let i = 0; i < 256; i++) {
    const a = 64 + ((process.pid + i) % 128)
    const b = (process.pid >> 7) % 256
    const prefix = `10.${a}.${b}`
    if (!used.includes(` ${prefix}.`)) return prefix
  }
  throw new Error('chaos: no free 10.x.y.0/24 subnet for the bridge')
}

/** `fabric join` nodes to break on purpose: see the file comment. */
export class ChaosCluster {
  readonly dir: string
  readonly keyFile: string
  readonly swarmKey: Uint8Array = newSwarmKey()
  readonly nodes: ChaosNode[] = []
  /** Every stdout line of every node, in order. */
  readonly lines: NodeLine[] = []
  readonly mode: NetMode
  private readonly nodeArgs: string[]
  private readonly debug: boolean
  private readonly sharedCache: boolean
  private subnet?: string
  private bridge?: string
  /** Namespaces with DROP rules now. */
  private readonly cut = new Set<string>()
  private stopped = false
  private readonly exitHook = (): void => this.stopSync()
  /** Ctrl-C or a kill: clean up, then end as the signal would have (when nobody else handles it). */
  private readonly signalHook = (signal: NodeJS.Signals): void => {
    this.stopSync()
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  }

  constructor (init: ChaosClusterInit = {}) {
    sweepStale()
    this.dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), `fabric-chaos-${process.pid.toString(36)}-`))
    this.keyFile = path.join(this.dir, 'swarm.key')
    this.mode = init.mode ?? 'loopback'
    this.nodeArgs = init.nodeArgs ?? FAST_LIVENESS
    this.debug = init.debug ?? process.env.E2E_DEBUG !== undefined
    this.sharedCache = init.sharedCache ?? false
    fs.writeFileSync(this.keyFile, this.swarmKey, { mode: 0o600 })
    // A test run that ends by process.exit (mocha's exit: true) still removes what it made.
    process.once('exit', this.exitHook)
    process.once('SIGINT', this.signalHook)
    process.once('SIGTERM', this.signalHook)
    if (this.mode === 'netns') {
      const why = netnsUnavailable()
      if (why !== undefined) throw new Error(`chaos: netns mode unavailable: ${why}`)
      this.subnet = pickSubnet()
      this.bridge = `${TAG}b`
      execFileSync('ip', ['link', 'add', this.bridge, 'type', 'bridge'])
      execFileSync('ip', ['addr', 'add', `${this.subnet}.1/24`, 'dev', this.bridge])
      execFileSync('ip', ['link', 'set', this.bridge, 'up'])
    }
  }

  /** The driver's address: 127.0.0.1, or the bridge's (the driver stays in the root namespace). */
  get driverIp (): string {
    return this.subnet === undefined ? '127.0.0.1' : `${this.subnet}.1`
  }

  /** Where a driver should listen so that every node can reach it. */
  driverListen (): string[] {
    return [`/ip4/${this.driverIp}/tcp/0`]
  }

  node (name: string): ChaosNode {
    const n = this.nodes.find(x => x.name === name)
    if (n === undefined) throw new Error(`chaos: no node ${name}`)
    return n
  }

  /** Node `name` of PeerId `peer`, or the PeerId itself. */
  nameOf (peer: string): string {
    return this.nodes.find(n => n.peer === peer)?.name ?? peer
  }

  /** Start `count` nodes: n0 first, the others through it at once. */
  async start (count: number): Promise<ChaosNode[]> {
    for (let i = 0; i < count; i++) this.nodes.push(this.define(i))
    await this.launch(this.nodes[0]!)
    await Promise.all(this.nodes.slice(1).map(async n => await this.launch(n)))
    return this.nodes
  }

  private define (index: number): ChaosNode {
    const name = `n${index}`
    const node: ChaosNode = { name, index, dataDir: path.join(this.dir, name), ip: '127.0.0.1', port: 0, peer: '', addr: '', starts: 0, state: 'killed' }
    fs.mkdirSync(node.dataDir, { recursive: true })
    if (this.mode === 'netns') {
      node.ns = `${TAG}-n${index}`
      node.ip = `${this.subnet!}.${10 + index}`
      node.port = 7400
      const veth = `${TAG}v${index}`
      execFileSync('ip', ['netns', 'add', node.ns])
      execFileSync('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.ns])
      execFileSync('ip', ['link', 'set', veth, 'master', this.bridge!, 'up'])
      execFileSync('ip', ['-n', node.ns, 'link', 'set', 'lo', 'up'])
      execFileSync('ip', ['-n', node.ns, 'addr', 'add', `${node.ip}/24`, 'dev', 'eth0'])
      execFileSync('ip', ['-n', node.ns, 'link', 'set', 'eth0', 'up'])
    }
    return node
  }

  /** Start `node`'s process (again) and wait for its `ready` line; it joins through the nodes that are up. */
  private async launch (node: ChaosNode): Promise<void> {
    const bootstrap = this.nodes.filter(n => n !== node && n.state !== 'killed' && n.addr !== '').flatMap(n => ['--bootstrap', n.addr])
    const args = ['join', '--listen', `/ip4/${node.ip}/tcp/${node.port}`, '--data-dir', node.dataDir, '--secret', this.keyFile, '--cpus', '1', ...this.nodeArgs, ...bootstrap]
    const node20 = [process.execPath, '--import', 'tsx', CLI, ...args]
    const env = { ...process.env, FABRIC_CACHE: this.sharedCache ? path.join(this.dir, 'cache') : path.join(node.dataDir, 'cache') }
    const proc = node.ns === undefined
      ? spawn(node20[0]!, node20.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env })
      // `ip netns exec` execs the command: the pid is the node's own, so signals reach it.
      : spawn('ip', ['netns', 'exec', node.ns, ...node20], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env })
    node.proc = proc
    node.exit = new Promise(resolve => proc.once('exit', resolve))
    node.starts++
    let err = ''
    let buf = ''
    let gotAddr = false
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-4000)
      if (this.debug) process.stderr.write(`[${node.name}] ${d}`)
    })
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${node.name} not ready in 60 s: ${err}`)), 60_000)
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        buf += d
        const parts = buf.split('\n')
        buf = parts.pop()!
        const at = Date.now()
        for (const line of parts) {
          this.lines.push({ at, node: node.name, line })
          if (line.startsWith('peer ')) node.peer = line.slice(5)
          if (line.startsWith('listening ') && !gotAddr) {
            gotAddr = true
            node.addr = line.slice(10)
            node.port = Number(/\/tcp\/(\d+)/.exec(node.addr)![1])
          }
          if (line === 'ready') { clearTimeout(t); resolve() }
        }
      })
      proc.once('exit', (code, signal) => { clearTimeout(t); reject(new Error(`${node.name} exited ${String(code ?? signal)} before ready: ${err}`)) })
    })
    node.state = 'up'
  }

  /** SIGKILL node `name`; resolves once the process is gone. */
  async kill (name: string): Promise<void> {
    const n = this.node(name)
    n.state = 'killed'
    if (n.proc !== undefined && n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill('SIGKILL')
    await n.exit
  }

  /** Start a killed node again: same data dir (same PeerId), same address. */
  async revive (name: string): Promise<void> {
    const n = this.node(name)
    if (n.state !== 'killed') throw new Error(`chaos: ${name} is ${n.state}, not killed`)
    await this.launch(n)
  }

  /** Kill node `name` and start it again at once. */
  async restart (name: string): Promise<void> {
    await this.kill(name)
    await this.revive(name)
  }

  /** SIGSTOP: the process hangs, its connections stay open. */
  hang (name: string): void {
    const n = this.node(name)
    n.proc?.kill('SIGSTOP')
    n.state = 'hung'
  }

  /** SIGCONT a hung node. */
  resume (name: string): void {
    const n = this.node(name)
    n.proc?.kill('SIGCONT')
    if (n.state === 'hung') n.state = 'up'
  }

  /**
   * Cut every member of `a` off from every member of `b` (node names, or 'driver' for the root
   * namespace): DROP rules in the nodes' namespaces, both directions. netns mode only.
   */
  async partition (a: string[], b: string[]): Promise<void> {
    if (this.mode !== 'netns') throw new Error('chaos: a partition needs netns mode')
    const ipOf = (x: string): string => x === 'driver' ? this.driverIp : this.node(x).ip
    const rules: Array<Promise<unknown>> = []
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const x of from) {
        if (x === 'driver') continue
        const ns = this.node(x).ns!
        this.cut.add(ns)
        for (const y of to) {
          rules.push(run('ip', ['netns', 'exec', ns, 'iptables', '-A', 'INPUT', '-s', ipOf(y), '-j', 'DROP']))
          rules.push(run('ip', ['netns', 'exec', ns, 'iptables', '-A', 'OUTPUT', '-d', ipOf(y), '-j', 'DROP']))
        }
      }
    }
    await Promise.all(rules)
  }

  /** Remove every DROP rule. */
  async heal (): Promise<void> {
    const cut = [...this.cut]
    this.cut.clear()
    await Promise.all(cut.map(async ns => await run('ip', ['netns', 'exec', ns, 'iptables', '-F'])))
  }

  /** Lines of node `node` printed at or after `since` that match `re`. */
  linesSince (since: number, re: RegExp, node?: string): NodeLine[] {
    return this.lines.filter(l => l.at >= since && (node === undefined || l.node === node) && re.test(l.line))
  }

  /** Kill every node process, wait for the exits, remove namespaces, links and the temp dir. Idempotent. */
  async stop (): Promise<void> {
    if (this.stopped) return
    for (const n of this.nodes) {
      if (n.proc !== undefined && n.proc.exitCode === null && n.proc.signalCode === null) {
        n.proc.kill('SIGKILL')
        n.proc.kill('SIGCONT')
      }
    }
    await Promise.all(this.nodes.map(async n => await n.exit))
    this.stopSync()
  }

  /** The synchronous part of stop (also run at process exit). */
  private stopSync (): void {
    if (this.stopped) return
    this.stopped = true
    process.off('exit', this.exitHook)
    process.off('SIGINT', this.signalHook)
    process.off('SIGTERM', this.signalHook)
    for (const n of this.nodes) {
      if (n.proc !== undefined && n.proc.exitCode === null && n.proc.signalCode === null) {
        try { n.proc.kill('SIGKILL') } catch {}
      }
    }
    for (const n of this.nodes) {
      if (n.ns === undefined) continue
      // The veth goes at once (its pair with it); the namespace itself lingers in the kernel while
      // the killed node's TCP sockets time out, but without a name or an interface.
      try { execFileSync('ip', ['link', 'del', `${TAG}v${n.index}`], { stdio: 'ignore' }) } catch {}
      try { execFileSync('ip', ['netns', 'del', n.ns], { stdio: 'ignore' }) } catch {}
    }
    if (this.bridge !== undefined) try { execFileSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' }) } catch {}
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
