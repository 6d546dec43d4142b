// One shape of the scale benchmark (bench/scale.bench.ts) in a fresh process, so its RSS growth is
// its own: N no-op tasks submitted in one loop then got (embedded, or through Fabric.connect), N
// actors created then called once, or the plain worker pool with N calls outstanding. Prints one
// JSON line: the rate of each round and the peak RSS growth over the process's RSS before.
//
// `node --import tsx bench/scale-child.ts <tasks|actors|pool> <n> <rounds> <qjs|as> [address]`
import path from 'node:path'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { fileURLToPath } from 'node:url'
import { encode } from 'cborg'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type GuestModule, type ObjectRef } from '../src/index.js'
import { JsPool } from './baseline/js-pool.js'

type RayGuest = GuestModule<typeof import('./guests/ray-qjs.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const cacheRoot = path.join(here, '..', '.cache', 'bench')
const [mode, nArg, roundsArg, lang, address] = process.argv.slice(2)
const n = Number(nArg)
const rounds = Number(roundsArg ?? 1)
const WORKERS = 2

v8.setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Peak RSS while `fn` runs, sampled every 20 ms (and at its end). */
async function peakRss<T> (fn: () => Promise<T>): Promise<{ out: T, peak: number }> {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 20)
  try {
    const out = await fn()
    peak = Math.max(peak, process.memoryUsage.rss())
    return { out, peak }
  } finally {
    clearInterval(timer)
  }
}

async function main (): Promise<{ rates: number[], rssGrowthMb: number }> {
  const rates: number[] = []
  if (mode === 'pool') {
    const pool = new JsPool(WORKERS)
    await pool.start()
    const args = encode([])
    await Promise.all(Array.from({ length: 1000 }, async () => await pool.call('noop', args)))
    gc()
    const before = process.memoryUsage.rss()
    let growth = 0
    for (let r = 0; r < rounds; r++) {
      const t = performance.now()
      const { peak } = await peakRss(async () => {
        const ps: Array<Promise<Uint8Array>> = []
        for (let i = 0; i < n; i++) ps.push(pool.call('noop', args))
        return await Promise.all(ps)
      })
      rates.push(n / ((performance.now() - t) / 1000))
      if (r === 0) growth = peak - before
    }
    await pool.stop()
    return { rates, rssGrowthMb: growth / 2 ** 20 }
  }
  const wasm = lang === 'as'
    ? await cachedBuild(path.join(here, 'guests', 'scale-as.ts'), cacheRoot, 'as')
    : await cachedBuild(path.join(here, 'guests', 'ray-qjs.ts'), cacheRoot)
  const fabric = await Fabric.start(address === undefined
    ? { address: 'local', workers: WORKERS, cacheDir: path.join(cacheRoot, 'transpiled'), log: () => {} }
    : { address })
  try {
    // Both guests export noop() and a Sink actor with add(x): one type serves them.
    const m = await fabric.load<Pick<RayGuest, 'noop' | 'Sink'>>(wasm)
    // Warm the workers and the JIT before measuring.
    await fabric.get(Array.from({ length: 1000 }, () => m.noop.remote()))
    if (mode === 'actors') {
      const warm = await m.Sink.create()
      await fabric.get(warm.add.remote(1))
      await fabric.kill(warm)
    }
    gc()
    const before = process.memoryUsage.rss()
    let growth = 0
    for (let r = 0; r < rounds; r++) {
      const t = performance.now()
      let ms = 0
      const { peak } = await peakRss(async () => {
        if (mode === 'tasks') {
          const refs: Array<ObjectRef<number>> = []
          for (let i = 0; i < n; i++) refs.push(m.noop.remote())
          const values = await fabric.get(refs)
          ms = performance.now() - t
          if (values.length !== n || values.some(v => v !== 0)) throw new Error('wrong results')
          return
        }
        const actors = await Promise.all(Array.from({ length: n }, async () => await m.Sink.create()))
        const values = await fabric.get(actors.map(a => a.add.remote(1)))
        ms = performance.now() - t
        if (values.some(v => v !== 1)) throw new Error('wrong results')
        // The peak is taken with every actor alive (sampled before this returns); they go after.
        return actors
      }).then(async ({ out, peak }) => {
        if (out !== undefined) await Promise.all(out.map(async a => { await fabric.kill(a) }))
        return { peak }
      })
      rates.push(n / (ms / 1000))
      if (r === 0) growth = peak - before
      gc()
    }
    return { rates, rssGrowthMb: growth / 2 ** 20 }
  } finally {
    await fabric.stop()
  }
}

process.stdout.write(JSON.stringify(await main()) + '\n')
process.exit(0)
