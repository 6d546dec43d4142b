// GPU-bridge benchmark: an n×n f32 matmul (n = 2048; 1024 with --quick; 256 where only the JS
// backend exists, as on a machine without a C++ compiler) called from a guest
// through the bridge (AssemblyScript and QuickJS), against the same kernel called directly from
// Node (the baseline) and against the guest's own AssemblyScript loop, all in one run. Where a
// CUDA device answers, the same rows again for a `gpus: 1` task.
//
// "Through the bridge" is the cost of one matmul call made by the guest on tensors it holds:
// a task doing R products minus the same task doing none, divided by R (what the task spends
// moving its inputs in is the data path, reported separately as the end-to-end row).
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type UntypedModule } from '../src/index.js'
import { cpuKernels, cudaKernels, gpuInventory, jsKernels, TensorOps, type Kernels } from '../src/gpu/index.js'
import { measure, summarize, table, writeResults, type Row, type Stats } from './harness.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const REPS = quick ? 8 : 10
const ROUNDS = quick ? 3 : 7
const cacheRoot = path.join(here, '..', '.cache', 'bench')

const gflops = (n: number, ms: number): number => 2 * n ** 3 / (ms / 1000) / 1e9
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => Math.random() - 0.5)

/**
 * Per-matmul GFLOP/s through the bridge (a task of R products minus the same task with none, over
 * R) and, in the same rounds so both see the same machine, of the kernel called directly from
 * Node on resident tensors (output allocated per call, as the bridge does).
 */
async function bridgeAndDirect (fabric: Fabric, fn: UntypedModule[string], kernels: Kernels, a: Float32Array, b: Float32Array, n: number, options: Record<string, unknown>): Promise<{ bridge: Stats, direct: Stats, endToEnd: Stats }> {
  const call = async (reps: number): Promise<number> => {
    const t = performance.now()
    await fabric.get(fn!.options(options).remote(a, b, n, reps))
    return performance.now() - t
  }
  const ops = new TensorOps(kernels)
  const ta = ops.fromFloat32([n, n], a)
  const tb = ops.fromFloat32([n, n], b)
  const directMs = (): number => {
    const t = performance.now()
    for (let i = 0; i < REPS; i++) ops.matmul(ta, tb).release()
    return (performance.now() - t) / REPS
  }
  await call(1)
  await call(0)
  directMs()
  const viaBridge: number[] = []
  const viaNode: number[] = []
  const e2e: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    viaNode.push(gflops(n, directMs()))
    const none = await call(0)
    const some = await call(REPS)
    viaBridge.push(gflops(n, Math.max(1e-3, (some - none) / REPS)))
    e2e.push(await call(1))
  }
  ta.release(); tb.release()
  return { bridge: summarize(viaBridge), direct: summarize(viaNode), endToEnd: summarize(e2e) }
}

export async function run (): Promise<Row[]> {
  const rows: Row[] = []
  const [asPath, qjsPath] = await Promise.all([
    cachedBuild(path.join(here, 'guests', 'gpu-as.ts'), cacheRoot, 'as'),
    cachedBuild(path.join(here, 'guests', 'gpu-qjs.ts'), cacheRoot)
  ])
  const cpu = cpuKernels() as Kernels | undefined
  const cuda = cudaKernels() as Kernels | undefined
  const fabric = await Fabric.start({ workers: 2, cacheDir: path.join(cacheRoot, 'transpiled'), log: () => {} })
  try {
    const as = await fabric.load(asPath)
    const qjs = await fabric.load(qjsPath)
    const host = cpu ?? (jsKernels as Kernels)
    const N = host.kind === 'js' ? 256 : quick ? 1024 : 2048
    const a = rand(N * N)
    const b = rand(N * N)
    const baselineName = `${host.description} called from Node`
    const viaAs = await bridgeAndDirect(fabric, as.bridgeMatmul, host, a, b, N, {})
    // QuickJS fragments its heap over repeated calls with 2 × 16 MiB arguments: give it room.
    const viaQjs = await bridgeAndDirect(fabric, qjs.bridgeMatmul, host, a, b, N, { memoryMb: 1024 })
    rows.push({ metric: `matmul ${N}² f32 from an AS guest through the bridge`, unit: 'GFLOP/s', value: viaAs.bridge, baseline: viaAs.direct, baselineName, target: '>= 0.8x direct', met: viaAs.bridge.median >= 0.8 * viaAs.direct.median })
    rows.push({ metric: `matmul ${N}² f32 from a QuickJS guest through the bridge`, unit: 'GFLOP/s', value: viaQjs.bridge, baseline: viaQjs.direct, baselineName, target: '>= 0.8x direct', met: viaQjs.bridge.median >= 0.8 * viaQjs.direct.median })
    rows.push({ metric: `task end to end: ${N}² inputs in, 1 matmul, product read back (AS)`, unit: 'ms', value: viaAs.endToEnd, note: `${(2 * N * N * 4 / 2 ** 20).toFixed(0)} MiB of arguments cross into the guest and the tensors; ${(N * N * 4 / 2 ** 20).toFixed(0)} MiB come back` })

    // The guest's own loop (SIMD, at full size: seconds per round).
    const loopMs = await measure(() => fabric.get(as.loopMatmul!.remote(a, b, N)), { warmup: 1, rounds: quick ? 2 : 3 })
    const loop = summarize(loopMs.map(t => gflops(N, t)))
    rows.push({ metric: `matmul ${N}² f32 as an AS loop inside the guest`, unit: 'GFLOP/s', value: loop })
    rows.push({
      metric: 'bridge (AS guest) vs the in-guest AS loop',
      unit: 'x',
      value: summarize([viaAs.bridge.median / loop.median]),
      target: '>= 10x',
      met: viaAs.bridge.median / loop.median >= 10,
      note: 'both include their own call overhead; the loop is timed end to end'
    })

    if (cuda !== undefined) {
      const viaDevice = await bridgeAndDirect(fabric, as.bridgeMatmul, cuda, a, b, N, { gpus: 1 })
      rows.push({ metric: `matmul ${N}² f32, gpus: 1 task, AS guest through the bridge (${cuda.description})`, unit: 'GFLOP/s', value: viaDevice.bridge, baseline: viaDevice.direct, baselineName: 'CUDA backend called from Node', target: '>= 0.8x direct', met: viaDevice.bridge.median >= 0.8 * viaDevice.direct.median })
    } else {
      process.stderr.write(`gpu: no CUDA rows: ${gpuInventory().reason ?? 'no CUDA backend'} (bench/gpu/device-check.sh checks GPU machines)\n`)
    }
  } finally {
    await fabric.stop()
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  console.log(table('gpu', rows))
  console.log(`wrote ${writeResults('gpu', rows)}`)
}
