// Child process of the cold-start benchmark: in a fresh process with a warm disk cache, time
// loading each component (read, hash, compile) and its first call (`describe`: instantiate in a
// pool worker and call).
// Prints one JSON line: { results: [{ path, loadMs, firstCallMs }] }.
import { loadComponent } from '../src/component/index.js'
import { createExecPool } from '../src/exec/index.js'

const [cacheDir, ...paths] = process.argv.slice(2)
const pool = createExecPool({ workers: 1, cacheDir })
await pool.start()
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
process.stdout.write(JSON.stringify({ results }) + '\n')
