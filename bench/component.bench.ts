// Component benchmarks: cold start of a cached component, warm round trips through the pool
// (16 B and 1 MiB, QuickJS and AssemblyScript) against plain JavaScript through a worker pool of
// the same kind, and a 10M-iteration loop on both guest paths.
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { loadComponent, type CompiledComponent } from '../src/component/index.js'
import { createExecPool, type ExecPool } from '../src/exec/index.js'
import { encode, decode } from '../src/objects/codec.js'
import { JsPool } from './baseline/js-pool.js'
import { measure, summarize, table, writeResults, type Row } from './harness.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 5 : 15
const cacheRoot = path.join(here, '..', '.cache', 'bench')
const cacheDir = path.join(cacheRoot, 'transpiled')

async function roundTrip (call: (args: Uint8Array) => Promise<Uint8Array>, payload: number, perRound: number): Promise<number[]> {
  const args = encode([new Uint8Array(payload).fill(7)])
  const samples = await measure(async () => {
    for (let i = 0; i < perRound; i++) await call(args)
  }, { warmup: 3, rounds: ROUNDS })
  return samples.map(ms => (ms * 1000) / perRound) // µs per call
}

export async function run (): Promise<Row[]> {
  const rows: Row[] = []
  const qjsPath = await cachedBuild(path.join(here, 'guests', 'bench-qjs.ts'), cacheRoot)
  const asPath = await cachedBuild(path.join(here, 'guests', 'bench-as.ts'), cacheRoot, 'as')
  const otherQjs = await cachedBuild(path.join(here, '..', 'examples', 'guests', 'pi.ts'), cacheRoot)

  // Cold start: fresh processes, disk cache warm (the loads below fill it).
  const qjs = await loadComponent(qjsPath, { cacheDir })
  const as = await loadComponent(asPath, { cacheDir })
  await loadComponent(otherQjs, { cacheDir })
  const cold = { first: [] as number[], shared: [] as number[], as: [] as number[], load: [] as number[], call: [] as number[] }
  // Per child: the AS guest, then a first QuickJS component, then a second one (which finds the
  // QuickJS engine module compiled already).
  for (let i = 0; i < (quick ? 3 : 9); i++) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'cold-start-child.ts'), cacheDir, asPath, qjsPath, otherQjs], { encoding: 'utf8' })
    const { results } = JSON.parse(out.trim().split('\n').pop()!) as { results: Array<{ loadMs: number, firstCallMs: number }> }
    cold.as.push(results[0]!.loadMs + results[0]!.firstCallMs)
    cold.first.push(results[1]!.loadMs + results[1]!.firstCallMs)
    cold.shared.push(results[2]!.loadMs + results[2]!.firstCallMs)
    cold.load.push(results[1]!.loadMs)
    cold.call.push(results[1]!.firstCallMs)
  }
  const coldFirst = summarize(cold.first)
  rows.push({ metric: 'cold start, QuickJS, cached, bare pool (load + instantiate + first call)', unit: 'ms', value: coldFirst, target: '<= 20 ms', met: coldFirst.median <= 20, note: `load ${summarize(cold.load).median.toFixed(1)} ms + first call ${summarize(cold.call).median.toFixed(1)} ms; no prewarm (createExecPool alone)` })
  const coldShared = summarize(cold.shared)
  rows.push({ metric: 'cold start, another QuickJS component (engine compiled)', unit: 'ms', value: coldShared, target: '<= 20 ms', met: coldShared.median <= 20 })
  rows.push({ metric: 'cold start, AssemblyScript, cached', unit: 'ms', value: summarize(cold.as) })

  // What a node does at start (`fabric join --prewarm`, NodeInit.prewarm): ready the pool for the
  // most recently used component of the disk cache (the second QuickJS guest above, used last),
  // then the first QuickJS component's cold start. The engine is the other's: only it is warm.
  const otherCid = (await loadComponent(otherQjs, { cacheDir })).cid
  const warmed = { prewarm: [] as number[], first: [] as number[], load: [] as number[], call: [] as number[], itself: [] as number[] }
  for (let i = 0; i < (quick ? 3 : 9); i++) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'cold-start-child.ts'), '--prewarm', '1', cacheDir, qjsPath, otherQjs], { encoding: 'utf8' })
    const r = JSON.parse(out.trim().split('\n').pop()!) as { prewarmMs: number, prewarmed: string[], results: Array<{ loadMs: number, firstCallMs: number }> }
    if (r.prewarmed.length !== 1 || r.prewarmed[0] !== otherCid) throw new Error(`the child prewarmed ${r.prewarmed.join(', ')}, not the second QuickJS component ${otherCid}`)
    warmed.prewarm.push(r.prewarmMs)
    warmed.first.push(r.results[0]!.loadMs + r.results[0]!.firstCallMs)
    warmed.load.push(r.results[0]!.loadMs)
    warmed.call.push(r.results[0]!.firstCallMs)
    warmed.itself.push(r.results[1]!.loadMs + r.results[1]!.firstCallMs)
  }
  const warmFirst = summarize(warmed.first)
  rows.push({ metric: 'cold start, QuickJS, cached, node prewarmed at start (another component)', unit: 'ms', value: warmFirst, target: '<= 20 ms', met: warmFirst.median <= 20, note: `load ${summarize(warmed.load).median.toFixed(1)} ms + first call ${summarize(warmed.call).median.toFixed(1)} ms` })
  rows.push({ metric: 'cold start, the prewarmed QuickJS component itself', unit: 'ms', value: summarize(warmed.itself) })
  rows.push({ metric: 'prewarm at node start, 1 component, 1 worker (background)', unit: 'ms', value: summarize(warmed.prewarm) })

  // Warm round trips.
  const pool: ExecPool = createExecPool({ workers: 2, cacheDir })
  const js = new JsPool(2)
  await pool.start()
  await js.start()
  try {
    const call = (c: CompiledComponent) => (args: Uint8Array) => pool.call(c, 'echo', args)
    const base16 = summarize(await roundTrip(args => js.call('echo', args), 16, 2000))
    for (const [name, c] of [['QuickJS', qjs], ['AssemblyScript', as]] as const) {
      const v = summarize(await roundTrip(call(c), 16, 2000))
      rows.push({ metric: `warm round trip 16 B, ${name}`, unit: 'µs', value: v, baseline: base16, baselineName: 'plain JS pool', target: '<= 1.2x', met: v.median <= 1.2 * base16.median })
    }
    const base1m = summarize(await roundTrip(args => js.call('echo', args), 1 << 20, 20))
    for (const [name, c] of [['QuickJS', qjs], ['AssemblyScript', as]] as const) {
      rows.push({ metric: `warm round trip 1 MiB, ${name}`, unit: 'µs', value: summarize(await roundTrip(call(c), 1 << 20, 20)), baseline: base1m, baselineName: 'plain JS pool' })
    }

    // Compute: the same 10M-iteration loop.
    const N = 10_000_000
    const loop = async (f: () => Promise<Uint8Array>): Promise<number[]> => measure(f, { warmup: 1, rounds: quick ? 3 : 7 })
    const want = decode(await js.call('sumSquares', encode([N])))
    const gotQ = decode(await pool.call(qjs, 'sumSquares', encode([N])))
    const gotA = decode(await pool.call(as, 'sumSquares', encode([N])))
    if (gotQ !== want || gotA !== want) throw new Error(`sumSquares disagrees: js ${String(want)}, qjs ${String(gotQ)}, as ${String(gotA)}`)
    const tJs = summarize(await loop(() => js.call('sumSquares', encode([N]))))
    const tQ = summarize(await loop(() => pool.call(qjs, 'sumSquares', encode([N]))))
    const tA = summarize(await loop(() => pool.call(as, 'sumSquares', encode([N]))))
    rows.push({ metric: 'sumSquares 10M, QuickJS', unit: 'ms', value: tQ, baseline: tJs, baselineName: 'plain JS pool' })
    rows.push({ metric: 'sumSquares 10M, AssemblyScript', unit: 'ms', value: tA, baseline: tJs, baselineName: 'plain JS pool' })
    const speedup = tQ.median / tA.median
    rows.push({ metric: 'AssemblyScript speed-up over QuickJS (10M loop)', unit: 'x', value: summarize([speedup]), target: '>= 50x', met: speedup >= 50 })
  } finally {
    await pool.stop()
    await js.stop()
  }
  return rows
}

// Run directly: `npx tsx bench/component.bench.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  process.stdout.write(table('component', rows) + '\n')
  process.stdout.write(`\nwrote ${writeResults('component', rows)}\n`)
}
