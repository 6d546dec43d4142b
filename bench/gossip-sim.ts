// The gossip simulation of bench/gossip.bench.ts: a fabric of many lightweight nodes (real NetNodes,
// several per process: bench/gossip-sim-child.ts) on loopback. Measures how long a new node takes
// to be in every view, what an idle node's gossip costs (bytes written per second and CPU, read
// from /proc for whole processes that do nothing but gossip, divided by their nodes), and how long
// the whole fabric took to converge from a cold start (start-up dominated: thousands of TLS
// handshakes on 2 cores, informative).
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { heartbeatInterval } from '../src/net/gossip.js'
import { summarize, type Row } from './harness.js'

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gossip-sim-child.ts')

interface SimProc {
  proc: ChildProcess
  nodes: Array<{ peer: string, addr: string }>
  /** performance.now() when this process printed `all <peer>`: every one of its nodes sees the peer. */
  all: Map<string, number>
  ready: Promise<void>
  exited: Promise<void>
}

function startProc (count: number, dir: string, seeds: string[]): SimProc {
  // GOSSIP_SIM_NODE_ARGS: node flags for the processes (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
  const flags = process.env.GOSSIP_SIM_NODE_ARGS?.split(' ').filter(f => f !== '') ?? []
  const proc = spawn(process.execPath, [...flags, '--import', 'tsx', CHILD, String(count), dir, ...seeds], { stdio: ['ignore', 'pipe', 'pipe'] })
  const p: SimProc = { proc, nodes: [], all: new Map(), ready: Promise.resolve(), exited: Promise.resolve() }
  let stderr = ''
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000)
    if (process.env.GOSSIP_SIM_DEBUG !== undefined) process.stderr.write(d)
  })
  p.exited = new Promise(resolve => proc.once('exit', () => { resolve() }))
  p.ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`a simulation process was not ready in 120 s: ${stderr}`)) }, 120_000)
    proc.once('exit', code => { clearTimeout(timer); reject(new Error(`a simulation process exited ${String(code)}: ${stderr}`)) })
    let buf = ''
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      const lines = buf.split('\n')
      buf = lines.pop()!
      for (const l of lines) {
        const [word, a, b] = l.split(' ')
        if (word === 'node') p.nodes.push({ peer: a!, addr: b! })
        else if (word === 'all') p.all.set(a!, performance.now())
        else if (word === 'ready') { clearTimeout(timer); resolve() }
      }
    })
  })
  return p
}

async function stopProc (p: SimProc): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return
  p.proc.kill('SIGTERM')
  const t = setTimeout(() => p.proc.kill('SIGKILL'), 10_000)
  await p.exited
  clearTimeout(t)
}

/** A process's CPU time (ticks of USER_HZ) and bytes written so far, from /proc. */
export function processUsage (pid: number): { cpuTicks: number, written: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8')
  return { cpuTicks: Number(stat[11]) + Number(stat[12]), written: Number(/wchar: (\d+)/.exec(io)![1]) }
}

async function until (what: () => boolean, timeoutMs: number, failure: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!what()) {
    if (performance.now() > deadline) throw new Error(failure())
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** How long the grown fabric may take to converge before it is measured anyway. */
const CONVERGE_TIMEOUT_MS = 180_000

/** How long the fabric may take to converge after a process joins before the next one starts anyway. */
const ROLLOUT_STEP_MS = 60_000

/** How long a new node may take to be in every view before its round counts as failed. */
const JOIN_TIMEOUT_MS = 30_000

/** Clock ticks per second of /proc/<pid>/stat's times (Linux's USER_HZ). */
export const USER_HZ = 100

const pick = <T>(xs: T[], n: number): T[] => [...xs].sort(() => Math.random() - 0.5).slice(0, n)

/**
 * Run the simulation: `procs` processes of `perProc` nodes, then `rounds` new nodes joining one at
 * a time (each in a process of its own, through 3 random nodes), and rows for the results.
 */
export async function simulate (procs: number, perProc: number, rounds: number): Promise<Row[]> {
  const total = procs * perProc
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-bench-gossip-sim-'))
  const running: SimProc[] = []
  try {
    // The fabric grows a process at a time (as a cluster is rolled out), each one's nodes
    // bootstrapping through random nodes already up, and the next process starting once the
    // fabric so far has converged (or ROLLOUT_STEP_MS passed): all at once, the TLS handshakes of
    // ~10 nodes' dials each time out on 2 cores and retry for minutes, and from 250 nodes on
    // a process started while the last one's ~400 handshakes still ran found its bootstrap dials
    // timing out and never caught up.
    const coldStart = performance.now()
    const seesAll = (peers: string[]): boolean => running.every(p => peers.every(peer => p.all.has(peer)))
    for (let i = 0; i < procs; i++) {
      const up = running.flatMap(p => p.nodes.map(n => n.addr))
      const p = startProc(perProc, path.join(dir, `p${i}`), pick(up, 16))
      running.push(p)
      await p.ready
      const sofar = running.flatMap(x => x.nodes.map(n => n.peer))
      await until(() => seesAll(sofar), ROLLOUT_STEP_MS, () => 'timeout').catch(() => {})
    }
    const peers = running.flatMap(p => p.nodes.map(n => n.peer))
    const converged = (): boolean => seesAll(peers)
    // Not converged in time: measured and reported all the same (the row's note says so).
    let coldNote = ''
    try {
      await until(converged, CONVERGE_TIMEOUT_MS, () => 'timeout')
    } catch {
      coldNote = `; NOT converged in ${CONVERGE_TIMEOUT_MS / 1000} s (of ${total} peers, in all views of each process: ${running.map(p => peers.filter(x => p.all.has(x)).length).join(', ')})`
    }
    const coldMs = performance.now() - coldStart

    // Idle cost once the start-up dials and the heartbeats' first rounds are over.
    const hb = heartbeatInterval(1000, total)
    await new Promise(resolve => setTimeout(resolve, Math.max(10_000, 2 * hb)))
    const windowMs = Math.max(10_000, 2 * hb)
    const before = running.map(p => processUsage(p.proc.pid!))
    const t0 = performance.now()
    await new Promise(resolve => setTimeout(resolve, windowMs))
    const after = running.map(p => processUsage(p.proc.pid!))
    const seconds = (performance.now() - t0) / 1000
    const bytesPerNode = after.map((a, i) => (a.written - before[i]!.written) / seconds / perProc)
    const cpuPerNode = after.map((a, i) => (a.cpuTicks - before[i]!.cpuTicks) / USER_HZ / seconds / perProc * 100)

    const joins: number[] = []
    let timedOut = 0
    for (let r = 0; r < rounds; r++) {
      const fresh = startProc(1, path.join(dir, `new${r}`), pick(running.flatMap(p => p.nodes.map(n => n.addr)), 3))
      try {
        await fresh.ready
        const readyAt = performance.now()
        const peer = fresh.nodes[0]!.peer
        try {
          await until(() => running.every(p => p.all.has(peer)), JOIN_TIMEOUT_MS, () => 'timeout')
          joins.push(Math.max(...running.map(p => p.all.get(peer)!)) - readyAt)
        } catch {
          // Counted as the timeout, and said in the row's note.
          timedOut++
          joins.push(JOIN_TIMEOUT_MS)
        }
      } finally {
        await stopProc(fresh)
      }
    }

    const shape = `${total} lightweight nodes (${procs} processes of ${perProc})`
    return [
      {
        metric: `gossip simulation, ${shape}: a new node in every view`,
        unit: 'ms',
        value: summarize(joins),
        baseline: summarize([hb]),
        baselineName: 'heartbeat interval at this size',
        target: '<= 5000 ms',
        met: summarize(joins).median <= 5000,
        note: `from the new node (a process of its own, bootstrapping through 3 random nodes) starting to the last process printing that all its nodes see it${timedOut > 0 ? `; ${timedOut} of ${rounds} rounds not in every view in ${JOIN_TIMEOUT_MS / 1000} s, counted as that` : ''}`
      },
      {
        metric: `gossip simulation, ${shape}: bytes written per idle node per second`,
        unit: 'B/s',
        value: summarize(bytesPerNode),
        note: `/proc wchar of each process over ${(windowMs / 1000).toFixed(0)} s / its nodes: gossip, its TLS and yamux framing, pings (a sample per process)`
      },
      {
        metric: `gossip simulation, ${shape}: CPU per idle node`,
        unit: '% of a core',
        value: summarize(cpuPerNode),
        note: `heartbeat every ${(hb / 1000).toFixed(1)} s at this size (a sample per process)`
      },
      {
        metric: `gossip simulation, ${shape}: the whole fabric converged from a cold start`,
        unit: 'ms',
        value: summarize([coldMs]),
        note: `from the first process starting, ${procs} processes started one after another (each once the fabric so far had converged, or ${ROLLOUT_STEP_MS / 1000} s), until every node saw every other; start-up dominated (the TLS handshakes of the gossip dials)${coldNote}`
      }
    ]
  } finally {
    await Promise.all(running.map(stopProc))
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
