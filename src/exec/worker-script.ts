// Where worker-thread code comes from. Fabric runs from its TypeScript sources, and Node 20's
// worker threads cannot load TypeScript (loader hooks do not reach a worker's entry), so a
// worker's TypeScript entry is bundled to one ES module with esbuild once, into the cache, keyed
// by its content. Packages stay external, imported by absolute URL: the worker loads them natively
// (which also spares it the TypeScript loader's cost on large packages such as AssemblyScript's
// compiler) from wherever they are installed.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { resolveCacheDir } from '../component/index.js'

const cached = new Map<string, Promise<URL>>()

// Bare imports (`assemblyscript/asc`) become absolute file URLs resolved from the source's folder,
// so the bundle can live anywhere.
const externalPackages: Plugin = {
  name: 'external-packages',
  setup (b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:') || args.pluginData === 'inner') return undefined
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'inner' })
      if (r.errors.length > 0) return { errors: r.errors }
      return { path: pathToFileURL(r.path).href, external: true }
    })
  }
}

async function bundle (source: URL, cacheDir?: string): Promise<URL> {
  // esbuild's service process does not hold the event loop open: a program whose only pending
  // work is this bundle would exit mid-await (status 13) without this.
  const keepAlive = setInterval(() => {}, 60_000)
  const { outputFiles } = await build({
    entryPoints: [fileURLToPath(source)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [externalPackages],
    logLevel: 'silent'
  }).finally(() => clearInterval(keepAlive))
  const code = outputFiles[0]!.contents
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16)
  const dir = path.join(resolveCacheDir(cacheDir), 'workers')
  const file = path.join(dir, `${path.basename(source.pathname, '.ts')}-${hash}.mjs`)
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, code)
    fs.renameSync(tmp, file)
  }
  return pathToFileURL(file)
}

/**
 * A URL a worker thread can be spawned from: `source` itself when it is JavaScript, else a cached
 * bundle of it.
 *
 * @example
 * new Worker(await workerScript(new URL('./my-worker.ts', import.meta.url)), { execArgv: [] })
 */
export function workerScript (source: URL, cacheDir?: string): Promise<URL> {
  if (!source.pathname.endsWith('.ts')) return Promise.resolve(source)
  const key = `${source.href}\0${cacheDir ?? ''}`
  let p = cached.get(key)
  if (p === undefined) {
    p = bundle(source, cacheDir)
    p.catch(() => cached.delete(key))
    cached.set(key, p)
  }
  return p
}
