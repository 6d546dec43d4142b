// The cost of operating a fabric (issue 14): ray's single_client_tasks_async shape (1000 no-op
// tasks, then get them all) on two embedded fabrics in the same run, one with a feature on and one
// with it off, rounds interleaved so drift hits both alike, in two pairs (the fabric with it on
// started second, then first) so start order cancels out. Features: metrics (`metricsPort`, a
// scraper reading /metrics every second meanwhile); state tracking (the finished-task history the
// state API lists, `taskHistory`, against none, with the node's rows read every second meanwhile);
// and both against neither. Also: the cost of one latency-histogram observation and of one scrape.
//
// `npx tsx bench/run.ts metrics [--quick]` or `npx tsx bench/metrics.bench.ts [--quick]`.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Registry } from 'prom-client'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type GuestModule } from '../src/index.js'
import { taskLatency } from '../src/metrics/index.js'
import { summarize, table, writeResults, type Row } from './harness.js'

type RayGuest = GuestModule<typeof import('./guests/ray-qjs.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 4 : 60
const WARMUP = quick ? 2 : 4
const WORKERS = 2
const BATCH = 1000
const cacheRoot = path.join(here, '..', '.cache', 'bench')
const cacheDir = path.join(cacheRoot, 'transpiled')

/** What a comparison turns on (and the reading an operator would do meanwhile). */
interface Feature { metrics: boolean, history: boolean }

/** One pair of fabrics, `feature` off and on (the one with it on started first when `onFirst`), measured interleaved. */
async function pair (wasm: Uint8Array | string, feature: Feature, onFirst: boolean, rounds: number): Promise<{ off: number[], on: number[], scrapeMs: number[] }> {
  const start = async (enabled: boolean): Promise<Fabric> => await Fabric.start({
    workers: WORKERS,
    cacheDir,
    log: () => {},
    taskHistory: enabled && feature.history ? 10_000 : 0,
    ...(enabled && feature.metrics ? { metricsPort: 0 } : {})
  })
  const first = await start(onFirst)
  const second = await start(!onFirst)
  const [on, off] = onFirst ? [first, second] : [second, first]
  const scrapeMs: number[] = []
  const scraper = setInterval(() => {
    if (feature.history) {
      // What `fabric list tasks` asks a node for (its rows: live tasks and the history).
      on.embedded!.list('tasks')
    }
    if (!feature.metrics) return
    const t = performance.now()
    fetch(on.metricsUrl!).then(async r => { await r.text(); scrapeMs.push(performance.now() - t) }, () => {})
  }, 1000)
  try {
    const mOff = await off.load<RayGuest>(wasm)
    const mOn = await on.load<RayGuest>(wasm)
    const batch = async (f: Fabric, m: RayGuest): Promise<number> => {
      const t = performance.now()
      await f.get(Array.from({ length: BATCH }, () => m.noop.remote()))
      return BATCH / ((performance.now() - t) / 1000)
    }
    for (let i = 0; i < WARMUP; i++) { await batch(off, mOff); await batch(on, mOn) }
    const a: number[] = []
    const b: number[] = []
    for (let i = 0; i < rounds; i++) {
      // Alternate which goes first: neither always runs right after a GC of the other's garbage.
      if (i % 2 === 0) { a.push(await batch(off, mOff)); b.push(await batch(on, mOn)) } else { b.push(await batch(on, mOn)); a.push(await batch(off, mOff)) }
    }
    return { off: a, on: b, scrapeMs }
  } finally {
    clearInterval(scraper)
    await Promise.all([off.stop(), on.stop()])
  }
}

export async function run (): Promise<Row[]> {
  const wasm = await cachedBuild(path.join(here, 'guests', 'ray-qjs.ts'), cacheRoot)
  const rows: Row[] = []
  const scrapeMs: number[] = []
  const features: Array<{ name: string, off: string, feature: Feature, meanwhile: string }> = [
    { name: 'metrics on', off: 'metrics off', feature: { metrics: true, history: false }, meanwhile: 'a scrape every second meanwhile' },
    { name: 'state tracking on', off: 'no task history', feature: { metrics: false, history: true }, meanwhile: 'a task history of 10,000 against none; the node\'s task rows read every second meanwhile' },
    { name: 'metrics and state tracking on', off: 'both off', feature: { metrics: true, history: true }, meanwhile: 'both, with their readers' }
  ]
  for (const f of features) {
    // Two pairs, the fabric with the feature started first in one and second in the other: a second
    // fabric in the process measured up to ~10% apart from the first with both alike (A/A runs).
    const runs = [await pair(wasm, f.feature, false, ROUNDS), await pair(wasm, f.feature, true, ROUNDS)]
    const value = summarize(runs.flatMap(r => r.on))
    const baseline = summarize(runs.flatMap(r => r.off))
    const overhead = 1 - value.median / baseline.median
    const perPair = runs.map(r => `${((1 - summarize(r.on).median / summarize(r.off).median) * 100).toFixed(1)}%`).join(' / ')
    rows.push({
      metric: `single_client_tasks_async, ${f.name}`, unit: 'ops/s', value, baseline, baselineName: f.off,
      target: '<= 5% overhead', met: overhead <= 0.05,
      note: `overhead ${(overhead * 100).toFixed(1)}% by medians (per pair, started second / first: ${perPair}); ${BATCH} tasks per round, ${ROUNDS} rounds per fabric per pair, interleaved; ${f.meanwhile}`
    })
    scrapeMs.push(...runs.flatMap(r => r.scrapeMs))
  }
  if (scrapeMs.length > 0) rows.push({ metric: 'one scrape of /metrics (embedded node)', unit: 'ms', value: summarize(scrapeMs), note: `${scrapeMs.length} fetches of the whole exposition while tasks run` })

  // One histogram observation, alone (what each task adds, with one Date.now()).
  const observe = taskLatency(new Registry())
  const n = quick ? 200_000 : 2_000_000
  const ns: number[] = []
  for (let r = 0; r < 5; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) observe(i % 2 === 0 ? 'task' : 'actor-call', (i % 1000) / 1000, 'finished')
    ns.push((performance.now() - t) * 1e6 / n)
  }
  rows.push({ metric: 'latency histogram: one observation', unit: 'ns', value: summarize(ns), note: `${n} observations per round` })
  process.stdout.write(rows.map(r => `- ${r.metric}: ${r.note ?? ''}`).join('\n') + '\n\n')
  return rows
}

// Run directly: `npx tsx bench/metrics.bench.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  process.stdout.write(table('metrics', rows) + '\n')
  process.stdout.write(`\nwrote ${writeResults('metrics', rows)}\n`)
}
