// The page's files: index.html, app.js and app.css. An installed package serves the bundle that
// `npm run build` wrote beside this module (dist/src/dashboard/web-bundle/); running from source,
// the frontend (web/, Preact and uPlot) is bundled with esbuild on first use and cached by the hash
// of everything that goes into it, so a test suite or a restarted node builds it once.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { resolveCacheDir } from '../component/index.js'

/** The page's files, by the name they are served under. */
export interface WebAssets {
  'index.html': Buffer
  'app.js': Buffer
  'app.css': Buffer
}

export const ASSET_NAMES = ['index.html', 'app.js', 'app.css'] as const

const HERE = path.dirname(fileURLToPath(import.meta.url))
/** The frontend's sources (shipped in the package's src/; dev dependencies needed to bundle them). */
export const WEB_SOURCE = path.resolve(HERE, 'web')
const PREBUILT = path.resolve(HERE, 'web-bundle')

/** Thrown when the page cannot be served: no prebuilt bundle and no way to build one. */
export class DashboardAssetsError extends Error {
  override name = 'DashboardAssetsError'
  constructor (message = 'the dashboard page is not built', options?: ErrorOptions) {
    super(message, options)
  }
}

function readDir (dir: string): WebAssets {
  return Object.fromEntries(ASSET_NAMES.map(n => [n, fs.readFileSync(path.join(dir, n))])) as unknown as WebAssets
}

/** Every file under `dir`, sorted (the bundle's inputs of our own, and a few more). */
function sources (dir: string): string[] {
  const out: string[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...sources(p))
    else out.push(p)
  }
  return out.sort()
}

/** The versions of the packages the bundle takes in: a new one makes a new bundle. */
function packageVersions (): string {
  const require = createRequire(import.meta.url)
  return ['esbuild/package.json', 'preact/package.json', 'uplot/package.json']
    .map(p => `${p}@${(JSON.parse(fs.readFileSync(require.resolve(p), 'utf8')) as { version: string }).version}`).join(',')
}

/**
 * Bundle the frontend in `webDir` (entry main.tsx, page index.html) into the three served files.
 *
 * @throws DashboardAssetsError when esbuild or the frontend's packages are missing or the sources do not build
 */
export async function bundleWeb (webDir = WEB_SOURCE): Promise<WebAssets> {
  let esbuild: typeof import('esbuild')
  try {
    esbuild = await import('esbuild')
  } catch (err) {
    throw new DashboardAssetsError(`cannot bundle the dashboard page: esbuild is missing (${(err as Error).message})`, { cause: err })
  }
  // esbuild's service process does not hold the event loop open (see exec/worker-script.ts).
  const keepAlive = setInterval(() => {}, 60_000)
  try {
    const { outputFiles } = await esbuild.build({
      entryPoints: { app: path.join(webDir, 'main.tsx') },
      bundle: true,
      write: false,
      outdir: '/out',
      format: 'esm',
      platform: 'browser',
      target: ['chrome110', 'firefox110', 'safari16'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent'
    })
    const file = (ext: string): Buffer => {
      const f = outputFiles.find(o => o.path.endsWith(ext))
      if (f === undefined) throw new DashboardAssetsError(`bundling the dashboard page made no ${ext} file`)
      return Buffer.from(f.contents)
    }
    return { 'index.html': fs.readFileSync(path.join(webDir, 'index.html')), 'app.js': file('.js'), 'app.css': file('.css') }
  } catch (err) {
    if ((err as Error).name === 'DashboardAssetsError') throw err
    throw new DashboardAssetsError(`cannot bundle the dashboard page (are the dev dependencies preact and uplot installed? \`npm run build\` ships a bundle): ${(err as Error).message.split('\n').slice(0, 4).join(' ')}`, { cause: err })
  } finally {
    clearInterval(keepAlive)
  }
}

/** Write the bundle to `outDir` (`npm run build` does, into dist/). */
export async function writeWebBundle (outDir: string, webDir = WEB_SOURCE): Promise<void> {
  const assets = await bundleWeb(webDir)
  fs.mkdirSync(outDir, { recursive: true })
  for (const n of ASSET_NAMES) fs.writeFileSync(path.join(outDir, n), assets[n])
}

let building: Promise<WebAssets> | undefined

/**
 * The page's files: the prebuilt bundle when there is one, else a cached bundle of the sources
 * (built now if the cache has none for their hash).
 *
 * @throws DashboardAssetsError when neither is possible
 */
export async function loadWebAssets (cacheDir?: string): Promise<WebAssets> {
  if (fs.existsSync(path.join(PREBUILT, 'app.js'))) return readDir(PREBUILT)
  if (!fs.existsSync(path.join(WEB_SOURCE, 'main.tsx'))) throw new DashboardAssetsError(`the dashboard page is not built: no ${PREBUILT} and no sources in ${WEB_SOURCE} (run \`npm run build\`)`)
  const hash = createHash('sha256')
  try {
    hash.update(packageVersions())
  } catch (err) {
    throw new DashboardAssetsError(`cannot bundle the dashboard page: a package it needs is missing (preact and uplot are dev dependencies; \`npm run build\` ships a bundle): ${(err as Error).message.split('\n')[0]}`, { cause: err })
  }
  // The page imports a few of the server's own modules (the task states): the whole folder counts.
  for (const f of sources(HERE)) hash.update(`\0${path.relative(HERE, f)}\0`).update(fs.readFileSync(f))
  const dir = path.join(resolveCacheDir(cacheDir), 'dashboard', hash.digest('hex').slice(0, 16))
  if (fs.existsSync(path.join(dir, 'app.js'))) return readDir(dir)
  building ??= bundleWeb().finally(() => { building = undefined })
  const assets = await building
  // Written to a temp folder and renamed: a reader never sees half a bundle.
  const tmp = `${dir}.${process.pid}.${Date.now()}.tmp`
  try {
    fs.mkdirSync(tmp, { recursive: true })
    for (const n of ASSET_NAMES) fs.writeFileSync(path.join(tmp, n), assets[n])
    fs.renameSync(tmp, dir)
  } catch {
    // Another process put it there first, or the cache is not writable: the bundle in hand serves.
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  return assets
}
