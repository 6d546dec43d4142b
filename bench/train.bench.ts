// Data-parallel training (wasm-fabric/train) and its all-reduce:
// - training samples/s of an MLP (784→256→10, Adam, batch 128) on Fashion-MNIST-shaped data with 1
//   and 2 workers on an embedded fabric, against one process calling the same kernels directly
//   (the GPU bridge's ops in this process: forward, backward and Adam written out, no guest);
// - all-reduce bandwidth (tensor bytes / time, as NCCL's algbw) between 2 `fabric join` processes
//   for 4 MiB and 64 MiB tensors, against a plain TCP socket pair exchanging the same bytes.
//
// `npx tsx bench/run.ts train [--quick]` or `npx tsx bench/train.bench.ts [--quick]`.
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type GuestModule } from '../src/index.js'
import { data } from '../src/libs/data/index.js'
import * as train from '../src/libs/train/index.js'
import { cpuKernels, jsKernels, TensorOps, type HostTensor } from '../src/gpu/index.js'
import { joinNode, stopNode, type JoinedNode } from './join.js'
import { measure, summarize, table, writeResults, type Row, type Stats } from './harness.js'

type Mlp = GuestModule<typeof import('../examples/guests/fashion-mlp.js')>
type Col = GuestModule<typeof import('./guests/collective-bench.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const cacheRoot = path.join(here, '..', '.cache', 'bench')
const ROWS = quick ? 2048 : 12_800
const BATCH = 128
const HIDDEN = 256
const ROUNDS = quick ? 2 : 5

/** Fashion-MNIST-shaped rows: 784 pixels, a class (random: throughput does not depend on them). */
function rows (n: number): Array<{ image: Uint8Array, label: number }> {
  let s = 12345
  const next = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s >>> 24 }
  return Array.from({ length: n }, () => ({ image: Uint8Array.from({ length: 784 }, next), label: next() % 10 }))
}

/** One epoch of the same MLP with the bridge's ops in this process: samples/s. */
function direct (samples: Array<{ image: Uint8Array, label: number }>): number {
  const o = new TensorOps<Float32Array>(cpuKernels() ?? jsKernels)
  const made: Array<HostTensor<Float32Array>> = []
  const keep = (t: HostTensor<Float32Array>): HostTensor<Float32Array> => { made.push(t); return t }
  const uniform = (n: number, b: number): Float32Array => Float32Array.from({ length: n }, () => (Math.random() * 2 - 1) * b)
  const params = [
    o.fromFloat32([HIDDEN, 784], uniform(HIDDEN * 784, 1 / 28)), o.fromFloat32([HIDDEN], uniform(HIDDEN, 1 / 28)),
    o.fromFloat32([10, HIDDEN], uniform(10 * HIDDEN, 1 / 16)), o.fromFloat32([10], uniform(10, 1 / 16))
  ]
  const m = params.map(p => o.fromFloat32(p.shape, new Float32Array(p.size)))
  const v = params.map(p => o.fromFloat32(p.shape, new Float32Array(p.size)))
  const eps = o.fromFloat32([1], Float32Array.of(1e-8))
  const t0 = performance.now()
  let step = 0
  for (let start = 0; start + BATCH <= samples.length; start += BATCH) {
    step++
    const batch = samples.slice(start, start + BATCH)
    const x = new Float32Array(BATCH * 784)
    batch.forEach((r, i) => { for (let j = 0; j < 784; j++) x[i * 784 + j] = r.image[j]! / 255 })
    const onehot = new Float32Array(BATCH * 10)
    batch.forEach((r, i) => { onehot[i * 10 + r.label] = 1 })
    const X = keep(o.fromFloat32([BATCH, 784], x))
    const Y = keep(o.fromFloat32([BATCH, 10], onehot))
    const h0 = keep(o.linear(X, params[0]!, params[1]!))
    const h = keep(o.unary('relu', h0))
    const logits = keep(o.linear(h, params[2]!, params[3]!))
    const lsm = keep(o.logSoftmax(logits))
    // d loss / d lsm = -onehot / B; through log-softmax, the two linears and relu.
    const gl = keep(o.scale(Y, -1 / BATCH))
    const gLogits = keep(o.softmaxGrad(lsm, gl, -1, true))
    const gW2 = keep(o.matmul(gLogits, h, true, false))
    const gb2 = keep(o.reduce('sum', gLogits, 0))
    const gh = keep(o.matmul(gLogits, params[2]!))
    const gh0 = keep(o.unaryGrad('relu', h0, gh))
    const gW1 = keep(o.matmul(gh0, X, true, false))
    const gb1 = keep(o.reduce('sum', gh0, 0))
    const grads = [gW1, gb1, gW2, gb2]
    for (let i = 0; i < 4; i++) {
      const g = grads[i]!
      const m1 = keep(o.binary('add', keep(o.scale(m[i]!, 0.9)), keep(o.scale(g, 0.1))))
      const v1 = keep(o.binary('add', keep(o.scale(v[i]!, 0.999)), keep(o.scale(keep(o.binary('mul', g, g)), 0.001))))
      const den = keep(o.binary('add', keep(o.unary('sqrt', keep(o.scale(v1, 1 / (1 - 0.999 ** step))))), eps))
      const upd = keep(o.binary('div', keep(o.scale(m1, 1e-3 / (1 - 0.9 ** step))), den))
      const p1 = o.binary('sub', params[i]!, upd)
      params[i]!.release(); m[i]!.release(); v[i]!.release()
      params[i] = p1
      m[i] = m1; v[i] = v1
      made.splice(made.indexOf(m1), 1); made.splice(made.indexOf(v1), 1)
    }
    for (const t of made.splice(0)) t.release()
  }
  const seconds = (performance.now() - t0) / 1000
  for (const t of [...params, ...m, ...v, eps]) t.release()
  return Math.floor(samples.length / BATCH) * BATCH / seconds
}

/** Bytes each way between two loopback sockets at once (a 2-rank all-reduce moves about the tensor's size each way): the time of it. */
async function tcpExchange (bytes: number): Promise<number> {
  const payload = Buffer.alloc(bytes, 1)
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const accepted = new Promise<net.Socket>(resolve => server.once('connection', resolve))
  const client = net.connect(port, '127.0.0.1')
  await new Promise(resolve => client.once('connect', resolve))
  const peer = await accepted
  const receive = async (s: net.Socket): Promise<void> => await new Promise(resolve => {
    let got = 0
    const on = (d: Buffer): void => { got += d.length; if (got >= bytes) { s.off('data', on); resolve() } }
    s.on('data', on)
  })
  const t0 = performance.now()
  const done = Promise.all([receive(client), receive(peer)])
  client.write(payload)
  peer.write(payload)
  await done
  const ms = performance.now() - t0
  client.destroy(); peer.destroy(); server.close()
  return ms
}

export async function run (): Promise<Row[]> {
  const rowsOut: Row[] = []
  const samples = rows(ROWS)
  // ---- training throughput ----------------------------------------------------------------------
  const wasm = await cachedBuild(path.join(here, '..', 'examples', 'guests', 'fashion-mlp.ts'), cacheRoot)
  const fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: path.join(cacheRoot, 'transpiled'), log: () => {} })
  try {
    const m = await fabric.load<Mlp>(wasm)
    const ds = data(fabric).fromItems(samples, { parallelism: Math.ceil(ROWS / 512) })
    const directRates: number[] = []
    for (let i = 0; i < ROUNDS; i++) directRates.push(direct(samples))
    const base = summarize(directRates)
    for (const workers of [1, 2]) {
      const rates: number[] = []
      for (let i = 0; i < ROUNDS; i++) {
        const result = await train.dataParallel(fabric, m.Worker, { numWorkers: workers, config: { epochs: 1, batchSize: BATCH, lr: 1e-3, hidden: HIDDEN, seed: i }, datasets: { train: ds } }).fit()
        const trained = result.history.filter(r => r.rank === 0).reduce((n, r) => n + (r.metrics.samples as number), 0)
        // The run's own time (gang placement, worker start, the epoch): what a user waits for.
        rates.push(trained / result.seconds)
      }
      rowsOut.push({
        metric: `training samples/s, ${workers} worker${workers > 1 ? 's' : ''} (MLP 784-256-10, batch ${BATCH})`,
        unit: 'samples/s',
        value: summarize(rates),
        baseline: base,
        baselineName: 'one process, the same kernels directly',
        note: `${ROWS} rows, one epoch per round, fit() from start to end (placement, workers, shards, epoch); ${workers} worker(s) on 2 cores`
      })
    }
  } finally {
    await fabric.stop()
  }
  // ---- all-reduce bandwidth between two processes ---------------------------------------------------
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-bench-allreduce-'))
  const nodes: JoinedNode[] = []
  let driver: Fabric | undefined
  try {
    nodes.push(await joinNode(path.join(dir, 'n0')))
    nodes.push(await joinNode(path.join(dir, 'n1'), { bootstrap: nodes[0]!.addr }))
    driver = await Fabric.start({ address: nodes[0]!.addr })
    const deadline = Date.now() + 30_000
    while (driver.nodes().length < 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
    const col = await driver.load<Col>(await cachedBuild(path.join(here, 'guests', 'collective-bench.ts'), cacheRoot))
    const members = [await col.Member.options({ scheduling: 'spread' }).create(), await col.Member.options({ scheduling: 'spread' }).create()]
    await driver.collectiveGroup(members, { name: 'bench' })
    // Quick (the smoke run): the small size only.
    for (const mib of quick ? [4] : [4, 64]) {
      const elements = mib * 1024 * 1024 / 4
      const bytes = elements * 4
      const per = quick ? 2 : 4
      await driver.get(members.map(a => a.rounds.remote(elements, 1, 'bench')))
      const ms = await measure(async () => { await driver!.get(members.map(a => a.rounds.remote(elements, per, 'bench'))) }, { warmup: 0, rounds: quick ? 2 : 5 })
      const tcp = await measure(async () => await tcpExchange(bytes), { warmup: 1, rounds: quick ? 2 : 5 })
      const gbps = (xs: number[], n: number): Stats => summarize(xs.map(x => bytes * n / 1e9 / (x / 1000)))
      rowsOut.push({
        metric: `all-reduce ${mib} MiB, 2 processes`,
        unit: 'GB/s',
        value: gbps(ms, per),
        baseline: gbps(tcp, 1),
        baselineName: 'plain TCP socket pair, the same bytes each way',
        note: `${per} all-reduces (mean) per call, timed at the driver with the call; tensor bytes / time (NCCL's algbw)`
      })
    }
  } finally {
    await driver?.stop()
    await Promise.all(nodes.map(stopNode))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return rowsOut
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  console.log(table('train', rows))
  console.log(`wrote ${writeResults('train', rows)}`)
  process.exit(0)
}
