// Where the pool's worker code comes from. Fabric runs from its TypeScript sources, and Node 20's
// worker threads cannot load TypeScript (loader hooks do not reach a worker's entry), so the
// worker is bundled to one ES module with esbuild once, into the cache, keyed by its content.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildSync } from 'esbuild'
import { resolveCacheDir } from '../component/index.js'

const SOURCE = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)

let cached: URL | undefined

/** A URL a worker thread can be spawned from: the JS worker, or a cached bundle of the TS one. */
export function workerScript (cacheDir?: string): URL {
  if (!SOURCE.pathname.endsWith('.ts')) return SOURCE
  if (cached !== undefined) return cached
  const { outputFiles } = buildSync({
    entryPoints: [fileURLToPath(SOURCE)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent'
  })
  const code = outputFiles[0]!.contents
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16)
  const dir = path.join(resolveCacheDir(cacheDir), 'workers')
  const file = path.join(dir, `exec-worker-${hash}.mjs`)
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, code)
    fs.renameSync(tmp, file)
  }
  cached = pathToFileURL(file)
  return cached
}
