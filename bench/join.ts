// `fabric join` processes for the multi-process benchmarks: start one (1 CPU, on loopback) and wait
// for its `ready` line; stop it with SIGTERM, SIGKILL after 5 s.
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'fabric.js')

/**
 * A running node: its process, PeerId, first multiaddr, when (performance.now()) it printed
 * `ready`, and when it printed `joined <peer>` for each peer (its view's join events, read from
 * its stdout: watching a view costs the node nothing, unlike polling its status).
 */
export interface JoinedNode { proc: ChildProcess, peer: string, addr: string, readyAt: number, joined: Map<string, number> }

/** Options of {@link joinNode}. */
export interface JoinOptions {
  /** A node's multiaddr to join through. */
  bootstrap?: string
  /** How often the node gossips. @default 1000 */
  heartbeatMs?: number
  /** Extra environment (e.g. its own FABRIC_CACHE, as on a separate machine). */
  env?: Record<string, string>
  /** Node flags for the process (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  execArgv?: string[]
}

/** Start `fabric join` with its data in `dataDir`; resolves once it printed `ready` (60 s at most). */
export async function joinNode (dataDir: string, options: JoinOptions = {}): Promise<JoinedNode> {
  const args = ['join', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dataDir, '--cpus', '1', '--heartbeat-ms', String(options.heartbeatMs ?? 1000), ...(options.bootstrap === undefined ? [] : ['--bootstrap', options.bootstrap])]
  const proc = spawn(process.execPath, [...(options.execArgv ?? []), CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
  let stderr = ''
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; if (process.env.BENCH_NODE_STDERR !== undefined) process.stderr.write(d) })
  return await new Promise((resolve, reject) => {
    let buf = ''
    let peer = ''
    let addr = ''
    const joined = new Map<string, number>()
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`fabric join was not ready in 60 s: ${stderr}`)) }, 60_000)
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`fabric join exited ${String(code)}: ${stderr}`)) })
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      const lines = buf.split('\n')
      buf = lines.pop()!
      for (const l of lines) {
        if (l.startsWith('peer ')) peer = l.slice(5)
        if (l.startsWith('listening ') && addr === '') addr = l.slice(10)
        if (l.startsWith('joined ')) joined.set(l.slice(7).split(' ')[0]!, performance.now())
        if (l === 'ready') {
          clearTimeout(timer)
          proc.removeAllListeners('exit')
          resolve({ proc, peer, addr, readyAt: performance.now(), joined })
        }
      }
    })
  })
}

/** SIGTERM, then SIGKILL after 5 s; resolves once it exited. */
export async function stopNode (n: JoinedNode): Promise<void> {
  if (n.proc.exitCode !== null || n.proc.signalCode !== null) return
  const exited = new Promise(resolve => n.proc.once('exit', resolve))
  n.proc.kill('SIGTERM')
  const t = setTimeout(() => n.proc.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(t)
}
