// Child process of the cold-start benchmark: in a fresh process with a warm disk cache, time
// loading each component (read, hash, compile) and its first call (`describe`: instantiate in a
// pool worker and call). With `--prewarm N` the pool first readies itself for the N most recently
// used components of the disk cache, as a node does at start (`loadRecentComponents` +
// `pool.prewarm`), and that time is reported on its own.
// Prints one JSON line: { prewarmMs?, prewarmed?, results: [{ path, loadMs, firstCallMs }] }.
import { loadComponent, loadRecentComponents } from '../src/component/index.js'
import { createExecPool } from '../src/exec/index.js'

const args = process.argv.slice(2)
const at = args.indexOf('--prewarm')
const prewarm = at < 0 ? 0 : Number(args.splice(at, 2)[1])
const [cacheDir, ...paths] = args
const pool = createExecPool({ workers: 1, cacheDir })
await pool.start()
let prewarmMs: number | undefined
let prewarmed: string[] | undefined
if (prewarm > 0) {
  const t0 = performance.now()
  const recent = await loadRecentComponents(prewarm, { cacheDir })
  await pool.prewarm(recent)
  prewarmMs = performance.now() - t0
  prewarmed = recent.map(c => c.cid)
}
const results: Array<{ path: string, loadMs: number, firstCallMs: number }> = []
for (const path of paths) {
  const t0 = performance.now()
  const c = await loadComponent(path!, { cacheDir })
  const t1 = performance.now()
  await pool.describe(c)
  const t2 = performance.now()
  results.push({ path: path!, loadMs: t1 - t0, firstCallMs: t2 - t1 })
}
await pool.stop()
process.stdout.write(JSON.stringify({ prewarmMs, prewarmed, results }) + '\n')
