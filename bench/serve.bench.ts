// The serve library (issue 16) under a real HTTP load generator (autocannon, in a child process)
// on loopback, against a baseline in the same run: a fastify server in this process that runs the
// same function itself (no fabric, no sandbox).
// - no-op: requests/s at peak (32 connections) and p50/p99; then p99 at 50% of each one's peak,
//   the requests paced evenly by bench/http-pacer.ts (autocannon's rate limits send each second's
//   quota in a burst), the baseline at the same rate (target: the fabric at >= 0.5x the baseline's
//   peak, p99 <= 5 ms at half its peak).
// - a small MLP (64 → 256 → 10, ReLU; the GPU bridge's CPU kernels): requests/s and p99 at peak,
//   batching off and on (maxBatchSize 16, 2 ms wait) (target: batching >= 2x at equal or better
//   p99), and the baseline running the same network per request in Node.
//
// `npx tsx bench/run.ts serve [--quick]` or `npx tsx bench/serve.bench.ts [--quick]`.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFile } from 'node:child_process'
import Fastify from 'fastify'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type GuestModule } from '../src/index.js'
import { cpuKernels, jsKernels, TensorOps, type Kernels } from '../src/gpu/index.js'
import { serve } from '../src/libs/serve/index.js'
import { HIDDEN, IN, OUT, weights } from './guests/mlp-weights.js'
import { summarize, table, writeResults, type Row } from './harness.js'

type Guest = GuestModule<typeof import('./guests/serve-qjs.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 1 : 3
const SECONDS = quick ? 1 : 4
const CONNECTIONS = 32
const cacheRoot = path.join(here, '..', '.cache', 'bench')

interface Load { rps: number, p50: number, p99: number, errors: number, non2xx: number }

/** The load generator in a child process (serve-load-child.ts): peak with CONNECTIONS connections, or paced at `rate`. */
async function load (url: string, body: string | undefined, rate?: number): Promise<Load> {
  const args = [path.join(here, 'serve-load-child.ts'), rate === undefined ? 'peak' : 'paced', url, String(SECONDS), String(rate === undefined ? CONNECTIONS : Math.max(1, Math.round(rate))), ...(body !== undefined ? [body] : [])]
  return await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', ...args], { timeout: (SECONDS + 60) * 1000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`the load generator failed: ${stderr || err.message}`))
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Load)
    })
  })
}

/**
 * Rounds of a load (at `rate` requests/s, paced, when given). At peak, a failed request fails the
 * bench; paced, requests that failed (503 while a stall backs the replicas up) are counted in the
 * row (the pacer does not slow down for them, as a client at that rate would not).
 */
async function rounds (what: string, url: string, body: string | undefined, rate?: number): Promise<Load[]> {
  const out: Load[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const l = await load(url, body, rate)
    if (rate === undefined && (l.errors > 0 || l.non2xx > 0)) throw new Error(`${what}: ${l.errors} errors and ${l.non2xx} non-2xx answers under load`)
    out.push(l)
  }
  return out
}

/** Requests that failed over the rounds, as a share of those sent (paced rounds: rate × seconds each). */
const failedShare = (xs: Load[], rate: number): number => xs.reduce((n, l) => n + l.errors + l.non2xx, 0) / (xs.length * rate * SECONDS)

const med = (xs: Load[], k: keyof Load): number => summarize(xs.map(x => x[k])).median

export async function run (): Promise<Row[]> {
  const wasm = await cachedBuild(path.join(here, 'guests', 'serve-qjs.ts'), cacheRoot)
  const fabric = await Fabric.start({ workers: 2, cacheDir: path.join(cacheRoot, 'transpiled'), log: () => {} })
  const kernels = (cpuKernels() ?? jsKernels) as Kernels
  const ops = new TensorOps(kernels)
  const w = weights(7)
  const W1 = ops.fromFloat32([HIDDEN, IN], w.w1)
  const B1 = ops.fromFloat32([HIDDEN], w.b1)
  const W2 = ops.fromFloat32([OUT, HIDDEN], w.w2)
  const B2 = ops.fromFloat32([OUT], w.b2)
  const base = Fastify({ logger: false })
  base.get('/', async () => ({ ok: true }))
  base.post('/', async (req) => {
    const x = ops.fromFloat32([1, IN], Float32Array.from((req.body as { x: number[] }).x))
    const h = ops.linear(x, W1, B1)
    const a = ops.unary('relu', h)
    const y = ops.linear(a, W2, B2)
    const out = Array.from(ops.read(y))
    x.release(); h.release(); a.release(); y.release()
    return out
  })
  const rows: Row[] = []
  const handles: Array<{ shutdown: () => Promise<void> }> = []
  try {
    const baseUrl = await base.listen({ port: 0, host: '127.0.0.1' })
    const m = await fabric.load<Guest>(wasm)
    const noop = await serve.run(fabric, serve.deployment(m.Noop, { name: 'noop', numReplicas: 2, maxOngoingRequests: 64 }).bind(), { port: 0 })
    handles.push(noop)
    const body = JSON.stringify({ x: Array.from({ length: IN }, (_, i) => Math.sin(i)) })
    const single = await serve.run(fabric, serve.deployment(m.Mlp, { name: 'mlp', numReplicas: 2, maxOngoingRequests: 64 }).bind(7), { port: 0 })
    handles.push(single)
    const batched = await serve.run(fabric, serve.deployment(m.Mlp, { name: 'mlp-batched', numReplicas: 2, maxOngoingRequests: 64, maxBatchSize: 16, batchWaitTimeoutMs: 2, method: 'batch' }).bind(7), { port: 0 })
    handles.push(batched)
    // Warm: every replica instantiated and its code paths compiled.
    await load(noop.url, undefined)
    await load(single.url, body)
    await load(batched.url, body)

    // no-op
    const fab = await rounds('no-op through serve', noop.url, undefined)
    const plain = await rounds('no-op baseline', baseUrl, undefined)
    const fabHalf = await rounds('no-op through serve at half its peak', noop.url, undefined, med(fab, 'rps') / 2)
    // The baseline at the same offered rate (half its own peak is more than one process can pace on 2 cores).
    const plainHalf = await rounds('no-op baseline at the same rate', baseUrl, undefined, med(fab, 'rps') / 2)
    const ratio = med(fab, 'rps') / med(plain, 'rps')
    rows.push({ metric: `no-op: requests/s at peak (${CONNECTIONS} connections, 2 replicas)`, unit: 'req/s', value: summarize(fab.map(l => l.rps)), baseline: summarize(plain.map(l => l.rps)), baselineName: 'fastify in this process', target: '>= 0.5x', met: ratio >= 0.5, note: `p50 ${med(fab, 'p50')} ms, p99 ${med(fab, 'p99')} ms at peak (baseline p50 ${med(plain, 'p50')}, p99 ${med(plain, 'p99')})` })
    const half = med(fab, 'rps') / 2
    const failed = failedShare(fabHalf, half)
    rows.push({ metric: 'no-op: p99 latency at 50% of peak load', unit: 'ms', value: summarize(fabHalf.map(l => l.p99)), baseline: summarize(plainHalf.map(l => l.p99)), baselineName: 'fastify at the same rate', target: '<= 5 ms', met: med(fabHalf, 'p99') <= 5 && failed === 0, note: `${Math.round(half)} req/s offered at an even pace (bench/http-pacer.ts); p50 ${med(fabHalf, 'p50').toFixed(2)} ms; ${(failed * 100).toFixed(2)}% failed (baseline ${(failedShare(plainHalf, half) * 100).toFixed(2)}%)` })

    // the MLP, batching off and on
    const one = await rounds('mlp through serve', single.url, body)
    const many = await rounds('mlp batched through serve', batched.url, body)
    const plainMlp = await rounds('mlp baseline', baseUrl, body)
    const gain = med(many, 'rps') / med(one, 'rps')
    rows.push({ metric: `MLP ${IN}→${HIDDEN}→${OUT}: requests/s at peak, batching off (${kernels.description})`, unit: 'req/s', value: summarize(one.map(l => l.rps)), baseline: summarize(plainMlp.map(l => l.rps)), baselineName: 'fastify + the same network in this process', note: `p50 ${med(one, 'p50')} ms, p99 ${med(one, 'p99')} ms` })
    rows.push({ metric: `MLP: requests/s at peak, batching on (maxBatchSize 16, 2 ms)`, unit: 'req/s', value: summarize(many.map(l => l.rps)), baseline: summarize(one.map(l => l.rps)), baselineName: 'batching off', target: '>= 2x at equal or better p99', met: gain >= 2 && med(many, 'p99') <= med(one, 'p99'), note: `p50 ${med(many, 'p50')} ms, p99 ${med(many, 'p99')} ms (off: ${med(one, 'p99')} ms)` })
  } finally {
    for (const h of handles) await h.shutdown().catch(() => {})
    await base.close()
    for (const t of [W1, B1, W2, B2]) t.release()
    await fabric.stop()
  }
  process.stdout.write(rows.map(r => `- ${r.metric}: ${r.note ?? ''}`).join('\n') + '\n\n')
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  process.stdout.write(table('serve', rows) + '\n')
  process.stdout.write(`\nwrote ${writeResults('serve', rows)}\n`)
}
