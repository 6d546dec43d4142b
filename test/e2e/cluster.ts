// Shared by the multi-node e2e tests: `fabric join` processes on 127.0.0.1, each with its own data
// dir and component cache (as on separate machines), started in the foreground and torn down.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Fabric, type ConnectedFabric, type ConnectInit } from '../../src/index.js'
import { createNetNode, fixedResources, type NetNode } from '../../src/net/index.js'
import { RemoteRunner } from '../../src/runtime/index.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CLI = path.join(ROOT, 'test/e2e/fabric-cli.ts')

/** Run the `fabric` CLI (the e2e entry, test/e2e/fabric-cli.ts) to its end: its output and exit code. */
export async function fabricCli (...args: string[]): Promise<{ stdout: string, stderr: string, code: number }> {
  return await new Promise(resolve => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, timeout: 60_000, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 })
    })
  })
}

/** One `fabric join` process; `stdout()`: everything it has printed so far. */
export interface Joined { name: string, proc: ChildProcess, peer: string, addr: string, exit: Promise<unknown>, stdout: () => string }

/** A set of `fabric join` processes under one temp dir. */
export class Cluster {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-e2e-'))
  readonly joined: Joined[] = []

  /**
   * Start node `name` (1 CPU, fast liveness timings) and wait for its `ready` line; `bootstrap`: a
   * node's multiaddr to join through.
   */
  async join (name: string, bootstrap?: string, extra: string[] = []): Promise<Joined> {
    const args = ['join', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', path.join(this.dir, name), '--cpus', '1', '--heartbeat-ms', '500', '--suspect-after-ms', '2000', '--dead-after-ms', '5000', ...(bootstrap === undefined ? [] : ['--bootstrap', bootstrap]), ...extra]
    const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FABRIC_CACHE: path.join(this.dir, name, 'cache') } })
    const exit = new Promise(resolve => proc.once('exit', resolve))
    let out = ''
    let err = ''
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; if (process.env.E2E_DEBUG !== undefined) process.stderr.write(`[${name}] ${d}`) })
    const lines = await new Promise<string[]>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name} not ready in 30 s: ${err}`)), 30_000)
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d
        if (out.split('\n').includes('ready')) { clearTimeout(t); resolve(out.split('\n')) }
      })
      proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`${name} exited ${String(code)}: ${err}`)) })
    })
    const j = { name, proc, exit, peer: lines.find(l => l.startsWith('peer '))!.slice(5), addr: lines.find(l => l.startsWith('listening '))!.slice(10), stdout: () => out }
    this.joined.push(j)
    return j
  }

  /**
   * Start `count` nodes, n0 first and the others through it at once; `extra(i)`: more `fabric
   * join` arguments for node i.
   */
  async start (count = 3, extra: (i: number) => string[] = () => []): Promise<Joined[]> {
    const first = await this.join('n0', undefined, extra(0))
    await Promise.all(Array.from({ length: count - 1 }, async (_, i) => await this.join(`n${i + 1}`, first.addr, extra(i + 1))))
    return this.joined
  }

  /**
   * A driver connected through `via` (default: the first node), once it sees `count` nodes alive
   * (30 s at most); `init`: the swarm key and fabric name of a private or named fabric.
   */
  async connect (count = this.joined.length, init: ConnectInit = {}, via = this.joined[0]!): Promise<ConnectedFabric> {
    const fabric = await Fabric.connect(via.addr, init)
    const deadline = Date.now() + 30_000
    while (fabric.nodes().filter(n => n.state === 'alive').length < count) {
      if (Date.now() > deadline) {
        await fabric.stop()
        throw new Error(`the driver did not see ${count} nodes in 30 s: ${JSON.stringify(fabric.nodes())}`)
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    return fabric
  }

  /**
   * A caller below the driver API: a net node offering no CPUs (so no task is placed on it) with a
   * RemoteRunner serving `component` to the nodes, once it sees `count` nodes alive (30 s at most).
   * Its results say which node ran each task. The caller stops it.
   */
  async caller (component: Uint8Array, name = 'caller', count = this.joined.length): Promise<{ net: NetNode, runner: RemoteRunner, cid: string }> {
    let runner: RemoteRunner | undefined
    const net = await createNetNode({
      dataDir: path.join(this.dir, name),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [this.joined[0]!.addr],
      resources: () => fixedResources(),
      objects: { get: (c) => runner?.componentBytes(c) }
    })
    runner = new RemoteRunner(net)
    const cid = runner.addComponent(component)
    const deadline = Date.now() + 30_000
    while (net.view.peers().filter(p => p.state === 'alive' && p.info.resources.total.cpus > 0).length < count) {
      if (Date.now() > deadline) {
        await net.stop({ leave: false })
        throw new Error(`the caller did not see ${count} nodes in 30 s`)
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    return { net, runner, cid }
  }

  /** SIGKILL whatever still runs, wait for the exits, remove the temp dir. */
  async stop (): Promise<void> {
    for (const j of this.joined) if (j.proc.exitCode === null && j.proc.signalCode === null) j.proc.kill('SIGKILL')
    await Promise.all(this.joined.map(async j => await j.exit))
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
