// `npm run build`, also run by `prepare`, which npm runs after `npm ci`/`npm install` in a checkout and
// before `npm pack`/`npm publish` (a `prepack` script as well would build twice):
// compiles src/ and guest-sdk/src/ to JavaScript and .d.ts in dist/ (dist/src/..., dist/guest-sdk/src/...),
// then copies what the compiled code loads at run time beside it (and builds what it serves: the
// dashboard's page, the data library's ops component): the plain-JS worker entries
// (*.mjs), the generated and hand-written .d.ts files (tsc does not copy them), and the native addon
// when `npm install` built one (src/gpu/native.ts looks for it two folders above itself); and bundles
// the dashboard's page (esbuild) into dist/src/dashboard/web-bundle/.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = path.join(root, 'dist')
const started = Date.now()

let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {
  console.error('fabric build: the TypeScript compiler is missing: run `npm install` (typescript is a dev dependency)')
  process.exit(1)
}

fs.rmSync(dist, { recursive: true, force: true })
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root })
if (r.status !== 0) {
  console.error('fabric build: tsc failed (see above); dist/ is incomplete')
  process.exit(r.status ?? 1)
}

/** Copies the files under `dir` that tsc does not emit (declarations, plain JS modules). */
function copyAssets (dir) {
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name)
    if (e.isDirectory()) copyAssets(rel)
    else if (/\.(d\.ts|mjs|cjs)$/.test(e.name)) {
      fs.mkdirSync(path.dirname(path.join(dist, rel)), { recursive: true })
      fs.copyFileSync(path.join(root, rel), path.join(dist, rel))
    }
  }
}
copyAssets('src')
copyAssets('guest-sdk/src')

// The dashboard's page (src/dashboard/web: Preact, uPlot, dev dependencies) bundled once here, so the
// installed package serves it without them: dist/src/dashboard/web-bundle/ is where the compiled
// server looks first (src/dashboard/web-assets.ts).
const { writeWebBundle } = await import(new URL('../dist/src/dashboard/web-assets.js', import.meta.url).href)
try {
  await writeWebBundle(path.join(dist, 'src', 'dashboard', 'web-bundle'), path.join(root, 'src', 'dashboard', 'web'))
} catch (err) {
  console.error(`fabric build: ${err.message}`)
  process.exit(1)
}

// The data library's own guest components (src/libs/data/guest/ops.ts, QuickJS; and the record
// kernels, src/libs/data/kernels/records.ts, AssemblyScript), built once here so an installed
// package needs no guest toolchain (src/libs/data/ops-component.ts looks beside itself first).
// Without the toolchain the package still builds: the library then builds them on first use.
// The rl library's guest (src/libs/rl/guest/rl.ts: CartPole, the PPO actors) likewise.
for (const [lib, name, source, lang] of [['data', 'ops', 'guest/ops.ts', 'ts'], ['data', 'kernels', 'kernels/records.ts', 'as'], ['rl', 'rl', 'guest/rl.ts', 'ts']]) {
  try {
    const { buildComponent } = await import(new URL('../dist/guest-sdk/src/build/index.js', import.meta.url).href)
    await buildComponent({ entry: path.join(root, 'src', 'libs', lib, ...source.split('/')), out: path.join(dist, 'src', 'libs', lib, `${name}.wasm`), lang })
  } catch (err) {
    console.error(`fabric build: the ${lib} library's ${name} component was not prebuilt (${err.message.split('\n')[0]}); it is built on first use where the guest toolchain is installed`)
  }
}

// The addon: built at install into build/Release; dist/src/gpu/native.js resolves dist/build/Release.
// Never into a tarball: it is built for this machine's CPU (-march=native); the package's own
// `install` builds it where it is installed (scripts/build-native.mjs). package.json's `files` leaves
// dist/build out as well.
const packing = process.env.npm_command === 'pack' || process.env.npm_command === 'publish'
const addon = path.join(root, 'build', 'Release', 'fabric_gpu.node')
if (!packing && fs.existsSync(addon)) {
  fs.mkdirSync(path.join(dist, 'build', 'Release'), { recursive: true })
  fs.copyFileSync(addon, path.join(dist, 'build', 'Release', 'fabric_gpu.node'))
}
console.log(`fabric: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`)
