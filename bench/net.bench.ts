// Network benchmarks, across separate OS processes on loopback: pulling an object over
// /fabric/object/1 (TLS and noise) against a plain TCP socket sending the same bytes from the same
// process, in the same run.
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

interface Holder { child: ChildProcess, addrs: string[], tcpPort: number, cid: string }

async function startHolder (encrypter: 'tls' | 'noise', dataDir: string): Promise<Holder> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'net', 'holder.ts'), String(BYTES), encrypter, dataDir], { stdio: ['pipe', 'pipe', 'inherit'] })
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
        target: '>= 0.7x raw',
        met: value.median >= 0.7 * baseline.median
      })
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
