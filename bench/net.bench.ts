// Network benchmarks, across separate OS processes on loopback: pulling an object over
// /fabric/object/1 (TLS and noise) against a plain TCP socket sending the same bytes from the same
// process, in the same run; and broadcasting one object from its origin to 3 receiver processes
// (the first pulls from the origin, then the other two pull at once from both holders, in
// parallel ranges, and the three one by one from the origin) against a single pull of it.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createNetNode, fixedResources, type NetNode } from '../src/net/index.js'
import { measure, summarize, table, writeResults, type Row } from './harness.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const BYTES = (quick ? 32 : 256) * 1024 * 1024
const ROUNDS = quick ? 2 : 5
const BROADCAST_BYTES = Number(process.env.BROADCAST_MB ?? (quick ? 16 : 1024)) * 1024 * 1024
const BROADCAST_ROUNDS = quick ? 1 : 2
const RECEIVERS = 3

interface Holder { child: ChildProcess, addrs: string[], tcpPort: number, cid: string }

async function startHolder (encrypter: 'tls' | 'noise', dataDir: string, bytes = BYTES): Promise<Holder> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'net', 'holder.ts'), String(bytes), encrypter, dataDir], { stdio: ['pipe', 'pipe', 'inherit'] })
  const line = await new Promise<string>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! })
    rl.once('line', (l) => { rl.close(); resolve(l) })
    child.once('exit', (code) => reject(new Error(`holder exited with ${code ?? 'a signal'} before it was ready`)))
  })
  const info = JSON.parse(line) as { addrs: string[], tcpPort: number, cid: string }
  return { child, ...info }
}

async function stopHolder (h: Holder): Promise<void> {
  const exited = new Promise(resolve => h.child.once('exit', resolve))
  h.child.stdin!.end()
  const timer = setTimeout(() => h.child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** Read every byte a TCP server sends, into one buffer as a receiver would. */
async function tcpPull (port: number): Promise<number> {
  return await new Promise((resolve, reject) => {
    const into = new Uint8Array(BYTES)
    let at = 0
    const socket = net.connect(port, '127.0.0.1')
    socket.on('data', (chunk: Buffer) => { into.set(chunk, at); at += chunk.byteLength })
    socket.on('end', () => { at === BYTES ? resolve(at) : reject(new Error(`got ${at} of ${BYTES} bytes`)) })
    socket.on('error', reject)
  })
}

const mbps = (ms: number): number => BYTES / 2 ** 20 / (ms / 1000)

/** A receiver process (bench/net/receiver.ts), driven by JSON lines. */
interface Receiver { child: ChildProcess, addr: string, ask: (cmd: object) => Promise<{ ms?: number, error?: string }> }

async function startReceiver (dataDir: string): Promise<Receiver> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'net', 'receiver.ts'), dataDir], { stdio: ['pipe', 'pipe', 'inherit'] })
  const rl = readline.createInterface({ input: child.stdout! })
  const waiting: Array<(line: string) => void> = []
  rl.on('line', (l) => waiting.shift()?.(l))
  const next = async (): Promise<string> => await new Promise((resolve, reject) => {
    waiting.push(resolve)
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code ?? 'a signal'}`)))
  })
  const { addr } = JSON.parse(await next()) as { addr: string }
  return {
    child,
    addr,
    ask: async (cmd) => {
      const reply = next()
      child.stdin!.write(JSON.stringify(cmd) + '\n')
      const r = JSON.parse(await reply) as { ms?: number, error?: string }
      if (r.error !== undefined) throw new Error(r.error)
      return r
    }
  }
}

/**
 * Seconds to get one object from `origin` onto every receiver: `single`, onto the first only (the
 * broadcast's baseline: one pull); `one-by-one`; `staged`, the first then the rest at once from both.
 */
async function broadcast (origin: Holder, receivers: Receiver[], how: 'single' | 'one-by-one' | 'staged'): Promise<number> {
  await Promise.all(receivers.map(async r => await r.ask({ drop: true })))
  const t = performance.now()
  if (how === 'single') {
    await receivers[0]!.ask({ pull: origin.cid, holders: [origin.addrs[0]] })
  } else if (how === 'one-by-one') {
    for (const r of receivers) await r.ask({ pull: origin.cid, holders: [origin.addrs[0]] })
  } else {
    const [first, ...rest] = receivers
    await first!.ask({ pull: origin.cid, holders: [origin.addrs[0]] })
    await Promise.all(rest.map(async r => await r.ask({ pull: origin.cid, holders: [origin.addrs[0], first!.addr] })))
  }
  return (performance.now() - t) / 1000
}

export async function run (): Promise<Row[]> {
  const rows: Row[] = []
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-bench-net-'))
  const holders: Holder[] = []
  const pullers: NetNode[] = []
  try {
    for (const encrypter of ['tls', 'noise'] as const) {
      const holder = await startHolder(encrypter, path.join(dir, `holder-${encrypter}`))
      holders.push(holder)
      const puller = await createNetNode({
        dataDir: path.join(dir, `puller-${encrypter}`),
        listen: ['/ip4/127.0.0.1/tcp/0'],
        encrypter,
        resources: () => fixedResources({ cpus: 1, memoryMb: 1024 })
      })
      pullers.push(puller)
      // Paired rounds: the fabric pull and the raw socket see the same machine state.
      const fabric: number[] = []
      const raw: number[] = []
      await puller.pullObject(holder.cid, [holder.addrs[0]!])
      await tcpPull(holder.tcpPort)
      for (let i = 0; i < ROUNDS; i++) {
        fabric.push(mbps((await measure(async () => await puller.pullObject(holder.cid, [holder.addrs[0]!]), { warmup: 0, rounds: 1 }))[0]!))
        raw.push(mbps((await measure(async () => await tcpPull(holder.tcpPort), { warmup: 0, rounds: 1 }))[0]!))
      }
      const value = summarize(fabric)
      const baseline = summarize(raw)
      rows.push({
        metric: `object transfer between two processes, ${encrypter.toUpperCase()} + yamux, ${BYTES / 2 ** 20} MiB verified`,
        unit: 'MiB/s',
        value,
        baseline,
        baselineName: 'plain TCP socket, same bytes',
        target: '>= 0.8x raw',
        met: value.median >= 0.8 * baseline.median
      })
    }
    // Broadcast: the origin (a TLS holder) and three receivers, each its own process.
    const origin = await startHolder('tls', path.join(dir, 'origin'), BROADCAST_BYTES)
    holders.push(origin)
    const receivers = await Promise.all(Array.from({ length: RECEIVERS }, async (_, i) => await startReceiver(path.join(dir, `receiver-${i}`))))
    try {
      const staged: number[] = []
      const oneByOne: number[] = []
      const single: number[] = []
      // Every receiver pulls once untimed first (a fresh process's first pull is also its warm-up).
      await broadcast(origin, receivers, 'one-by-one')
      for (let i = 0; i < BROADCAST_ROUNDS; i++) {
        staged.push(await broadcast(origin, receivers, 'staged'))
        oneByOne.push(await broadcast(origin, receivers, 'one-by-one'))
        single.push(await broadcast(origin, receivers, 'single'))
      }
      const baseline = summarize(single)
      const what = `${BROADCAST_BYTES / 2 ** 20} MiB from one node to ${RECEIVERS} others`
      const note = 'every pull verified against the CID; all processes on one 2-core machine, so concurrency cannot add CPU'
      for (const [metric, samples] of [[`broadcast ${what} (first pulls, then two pull from both holders at once)`, staged], [`broadcast ${what}, one by one from the origin`, oneByOne]] as const) {
        const value = summarize(samples)
        rows.push({ metric, unit: 's', value, baseline, baselineName: 'one receiver pulling it once (a single pull)', target: '<= 1.3x one pull', met: value.median <= 1.3 * baseline.median, note })
      }
    } finally {
      await Promise.all(receivers.map(async r => {
        const exited = new Promise(resolve => r.child.once('exit', resolve))
        r.child.stdin!.end()
        const timer = setTimeout(() => r.child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }))
    }
  } finally {
    await Promise.all(pullers.map(async p => await p.stop({ leave: false })))
    await Promise.all(holders.map(stopHolder))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  console.log(table('net', rows))
  console.log(`wrote ${writeResults('net', rows)}`)
}
