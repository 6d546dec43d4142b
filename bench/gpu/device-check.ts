// The device check of the GPU bridge (run by bench/gpu/device-check.sh on a GPU machine): every op
// of the CUDA backend (and the CPU backend) against the JS reference, the typed errors, flat device
// memory over 10,000 create/drop cycles, the hand-worked known-answer cases (on every backend and the
// JS reference itself), then timings of matmul 4096² and a small MLP forward pass.
// Prints a table and writes device-check.json into --out. Exits 1 when a check fails or no device
// answers. Imports only src/gpu and the bench harness (no packages), so it bundles into one file for
// a bare machine.
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { checkCase, checkErrors, checkKnownAnswer, conformanceCases, knownAnswerCases, memoryGrowth, seededRandom, type CaseResult } from '../../src/gpu/conformance.js'
import type { Kernels } from '../../src/gpu/interface.js'
import { jsKernels } from '../../src/gpu/js-backend.js'
import { cpuKernels, cudaBytesInUse, cudaKernels, gpuInventory } from '../../src/gpu/native.js'
import { TensorOps, type HostTensor } from '../../src/gpu/ops.js'
import { summarize } from '../harness.js'

const outDir = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'bench/results'
const quick = process.argv.includes('--quick')

/** Run `fn` `warmup` times, then `rounds` times timed; ms per run (median, min, max). */
function time (fn: () => void, rounds: number, warmup = 1): { medianMs: number, minMs: number, maxMs: number, rounds: number } {
  for (let i = 0; i < warmup; i++) fn()
  const ms: number[] = []
  for (let i = 0; i < rounds; i++) {
    const t = performance.now()
    fn()
    ms.push(performance.now() - t)
  }
  const stats = summarize(ms)
  return { medianMs: stats.median, minMs: stats.min, maxMs: stats.max, rounds }
}

/**
 * The random cases' seed: fresh each run, printed so a failure can be replayed, fixed with
 * FABRIC_TEST_SEED=<n> as in the test suite (test/helpers/seed.ts, not imported: this file bundles
 * on its own).
 */
function chooseSeed (): { seed: number, fixed: boolean } {
  const value = process.env.FABRIC_TEST_SEED
  if (value === undefined || value.trim() === '') return { seed: (Date.now() % 0xffffffff) >>> 0, fixed: false }
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TypeError(`FABRIC_TEST_SEED must be an integer 0..4294967295 (as printed by an earlier run), got '${value}'`)
  return { seed: n, fixed: true }
}
const { seed, fixed: seedFixed } = chooseSeed()

/** Every known-answer case on `ops`: the failures, of how many. */
function knownAnswers (ops: TensorOps): { total: number, failed: CaseResult[] } {
  const results = knownAnswerCases().map(c => checkKnownAnswer(ops, c))
  return { total: results.length, failed: results.filter(r => !r.ok) }
}

const rand = (n: number, r: () => number): Float32Array => Float32Array.from({ length: n }, () => r() * 2 - 1)

interface BackendReport {
  backend: string
  cases: { total: number, failed: CaseResult[], worstByGroup: Record<string, number> }
  knownAnswers: { total: number, failed: CaseResult[] }
  errors: { total: number, failed: Array<{ name: string, message: string }> }
  memoryGrowthBytes: number
}

function conformance (kernels: Kernels, measure: () => number): BackendReport {
  const ops = new TensorOps(kernels)
  const ref = new TensorOps(jsKernels as Kernels)
  const random = seededRandom(seed)
  const results = conformanceCases().map(c => checkCase(ops, ref, c, random))
  const worstByGroup: Record<string, number> = {}
  for (const r of results) worstByGroup[r.group] = Math.max(worstByGroup[r.group] ?? 0, r.maxError)
  const errors = checkErrors(ops, ref)
  return {
    backend: kernels.description,
    cases: { total: results.length, failed: results.filter(r => !r.ok), worstByGroup },
    knownAnswers: knownAnswers(ops),
    errors: { total: errors.length, failed: errors.filter(e => !e.ok).map(e => ({ name: e.name, message: e.message })) },
    memoryGrowthBytes: memoryGrowth(ops, measure)
  }
}

/** matmul n×n on `kernels`: the kernel alone (inputs already on the backend) and with the read-back. */
function matmulTiming (kernels: Kernels, n: number, rounds: number) {
  const ops = new TensorOps(kernels)
  const r = seededRandom(42)
  const a = ops.fromFloat32([n, n], rand(n * n, r))
  const b = ops.fromFloat32([n, n], rand(n * n, r))
  const kernel = time(() => ops.matmul(a, b).release(), rounds)
  const withRead = time(() => {
    const c = ops.matmul(a, b)
    ops.read(c)
    c.release()
  }, Math.max(1, Math.floor(rounds / 2)))
  a.release(); b.release()
  return { n, kernel, gflops: 2 * n ** 3 / (kernel.medianMs / 1000) / 1e9, withReadMs: withRead.medianMs }
}

/** A small MLP: batch 512, 1024 → 4096 → 4096 → 1000 (gelu between, softmax out); weights resident. */
function mlpTiming (kernels: Kernels, rounds: number) {
  const ops = new TensorOps(kernels)
  const r = seededRandom(7)
  const dims = [1024, 4096, 4096, 1000]
  const batch = 512
  const layers = dims.slice(1).map((out, i) => ({
    w: ops.fromFloat32([out, dims[i]!], rand(out * dims[i]!, r).map(v => v / Math.sqrt(dims[i]!))),
    b: ops.fromFloat32([out], rand(out, r))
  }))
  const input = rand(batch * dims[0]!, r)
  let result: Float32Array = new Float32Array(0)
  const forward = (): void => {
    const made: HostTensor[] = []
    let h = ops.fromFloat32([batch, dims[0]!], input)
    made.push(h)
    layers.forEach((l, i) => {
      h = ops.linear(h, l.w, l.b)
      made.push(h)
      h = i < layers.length - 1 ? ops.unary('gelu', h) : ops.softmax(h)
      made.push(h)
    })
    result = ops.read(h)
    for (const t of made) t.release()
  }
  const t = time(forward, rounds)
  for (const l of layers) { l.w.release(); l.b.release() }
  const flops = 2 * batch * dims.slice(1).reduce((acc, out, i) => acc + out * dims[i]!, 0)
  return { shape: `batch ${batch}, ${dims.join(' → ')}`, forward: t, gflops: flops / (t.medianMs / 1000) / 1e9, result }
}

const inventory = gpuInventory()
const cuda = cudaKernels() as Kernels | undefined
const cpu = cpuKernels() as Kernels | undefined
console.log(`device check on ${os.hostname()} (${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}), Node ${process.version}`)
console.log(`cuda: ${cuda?.description ?? `none (${inventory.reason ?? ''})`}; cpu: ${cpu?.description ?? 'none'}`)
console.log(`random cases from seed ${seed}${seedFixed ? ', fixed by FABRIC_TEST_SEED' : `; replay with FABRIC_TEST_SEED=${seed}`}`)

// The random cases compare each backend with the JS reference: the reference must pass the worked answers itself.
const reference = knownAnswers(new TensorOps(jsKernels as Kernels))
console.log(`js reference: ${reference.total - reference.failed.length}/${reference.total} known answers`)
for (const f of reference.failed) console.log(`  FAIL known answer ${f.group} ${f.name}: ${f.message ?? ''}`)

const reports: BackendReport[] = []
if (cuda !== undefined) reports.push(conformance(cuda, cudaBytesInUse))
if (cpu !== undefined) reports.push(conformance(cpu, () => { (globalThis as { gc?: () => void }).gc?.(); return process.memoryUsage().arrayBuffers }))
for (const r of reports) {
  console.log(`\n${r.backend}: ${r.cases.total - r.cases.failed.length}/${r.cases.total} cases within bounds, ${r.knownAnswers.total - r.knownAnswers.failed.length}/${r.knownAnswers.total} known answers, ${r.errors.total - r.errors.failed.length}/${r.errors.total} typed errors, memory +${(r.memoryGrowthBytes / 2 ** 20).toFixed(2)} MiB over 10,000 cycles`)
  console.log('  worst relative error by op: ' + Object.entries(r.cases.worstByGroup).map(([g, e]) => `${g} ${e.toExponential(1)}`).join(', '))
  for (const f of r.cases.failed) console.log(`  FAIL ${f.group} ${f.name}: ${f.maxError.toExponential(2)} > ${f.tol} ${f.message ?? ''}`)
  for (const f of r.knownAnswers.failed) console.log(`  FAIL known answer ${f.group} ${f.name}: ${f.message ?? ''}`)
  for (const f of r.errors.failed) console.log(`  FAIL error ${f.name}: ${f.message}`)
}

const timings: Record<string, unknown> = {}
if (cuda !== undefined) {
  timings.cudaMatmul4096 = matmulTiming(cuda, 4096, quick ? 3 : 10)
  timings.cudaMlp = mlpTiming(cuda, quick ? 3 : 10)
}
if (cpu !== undefined) {
  timings.cpuMatmul2048 = matmulTiming(cpu, 2048, quick ? 1 : 3)
  timings.cpuMlp = mlpTiming(cpu, quick ? 1 : 3)
}
const row = (name: string, v: { kernel?: { medianMs: number, minMs: number, maxMs: number }, forward?: { medianMs: number, minMs: number, maxMs: number }, gflops: number } | undefined): void => {
  if (v === undefined) return
  const t = v.kernel ?? v.forward!
  console.log(`| ${name.padEnd(34)} | ${t.medianMs.toFixed(2).padStart(9)} | ${t.minMs.toFixed(2).padStart(9)} | ${t.maxMs.toFixed(2).padStart(9)} | ${v.gflops.toFixed(0).padStart(8)} |`)
}
console.log('\n| timing | median ms | min ms | max ms | GFLOP/s |\n|---|---:|---:|---:|---:|')
row('cuda matmul 4096² f32', timings.cudaMatmul4096 as never)
row('cuda MLP forward', timings.cudaMlp as never)
row('cpu matmul 2048² f32', timings.cpuMatmul2048 as never)
row('cpu MLP forward', timings.cpuMlp as never)
let mlpAgreement: number | undefined
if (timings.cudaMlp !== undefined && timings.cpuMlp !== undefined) {
  const a = (timings.cudaMlp as { result: Float32Array }).result
  const b = (timings.cpuMlp as { result: Float32Array }).result
  mlpAgreement = 0
  for (let i = 0; i < a.length; i++) mlpAgreement = Math.max(mlpAgreement, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-6))
  console.log(`MLP output, cuda vs cpu: worst relative difference ${mlpAgreement.toExponential(2)}`)
}
for (const k of ['cudaMlp', 'cpuMlp']) if (timings[k] !== undefined) delete (timings[k] as { result?: unknown }).result

const failed = cuda === undefined || reference.failed.length > 0 || reports.some(r => r.cases.failed.length > 0 || r.knownAnswers.failed.length > 0 || r.errors.failed.length > 0 || r.memoryGrowthBytes > 32 * 2 ** 20)
mkdirSync(outDir, { recursive: true })
const file = path.join(outDir, 'device-check.json')
writeFileSync(file, JSON.stringify({
  date: new Date().toISOString(),
  machine: { host: os.hostname(), cpu: os.cpus()[0]?.model, cpus: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  inventory,
  seed,
  reference: { backend: 'js', knownAnswers: reference },
  backends: reports,
  timings,
  mlpAgreement,
  ok: !failed
}, null, 2))
console.log(`\nwrote ${file}: ${failed ? 'FAILED' : 'all checks passed'}`)
process.exitCode = failed ? 1 : 0
