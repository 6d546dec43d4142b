// End to end, as a stranger installs Fabric: `npm pack` this repository, make a new project with
// `fabric init --from <tarball>`, run the project's own two commands (`npm install`, `npm start`),
// then in the same project build a guest whose task calls nested tasks (`fib.remote(n - 1)`,
// `npx fabric build`) and run
// a plain `node driver.mjs` (no tsx, no loader) that starts an embedded fabric. One pack and one
// install (offline-preferring, from the npm cache that `npm ci` filled) serve every case.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { tempDir, REPO } from '../helpers/fixtures.js'

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx'

interface Ran { code: number | null, stdout: string, stderr: string, ms: number }

/**
 * Runs a command to its end (killed after `timeoutMs`) and returns its output. The environment
 * leaves out the outer npm's lifecycle variables (this spec runs under `npm test`), so the inner
 * npm sees its own project, and anything that would load TypeScript into plain node.
 */
function run (command: string, args: string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}): Promise<Ran> {
  const base = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !/^npm_(lifecycle_|package_|command$)/.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD'))
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...base, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null
      resolve({ code, stdout, stderr, ms: Date.now() - started })
    })
  })
}

function assertOk (what: string, r: Ran): void {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}${r.code === null ? ', killed at its timeout' : ''}) after ${r.ms} ms\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`)
}

const INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund']

describe('e2e: the npm package, installed into a new project', function () {
  this.timeout(180_000)
  let tmp: ReturnType<typeof tempDir>
  let tarball: string
  let packed: string[]
  let app: string
  let env: Record<string, string>
  const took: string[] = []

  before(async function () {
    this.timeout(900_000)
    tmp = tempDir('fabric-package-')
    env = { FABRIC_CACHE: path.join(tmp.dir, 'fabric-cache') }

    // `npm pack` runs `prepare` (the dist/ build) first, as `npm publish` would.
    const pack = await run(NPM, ['pack', '--json', '--pack-destination', tmp.dir], REPO, 600_000)
    assertOk('npm pack', pack)
    took.push(`pack ${(pack.ms / 1000).toFixed(0)} s`)
    const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>
    tarball = path.join(tmp.dir, info[0]!.filename)
    packed = info[0]!.files.map(f => f.path)

    // The project, made by the checkout's `fabric init` with the tarball as its dependency.
    app = path.join(tmp.dir, 'app')
    const init = await run(process.execPath, [path.join(REPO, 'bin', 'fabric.js'), 'init', app, '--from', `file:${tarball}`], REPO, 60_000)
    assertOk('fabric init', init)

    // The project's first command (its README's `npm install`).
    const install = await run(NPM, ['install', ...INSTALL_FLAGS], app, 600_000, env)
    assertOk('npm install', install)
    took.push(`install ${(install.ms / 1000).toFixed(0)} s`)
  })

  after(function () {
    if (took.length > 0) console.log(`      (${took.join(', ')})`)
    tmp?.remove()
  })

  it('packs what an install needs: built JS and types, the native addon sources, wit, the guest SDK, templates', () => {
    for (const file of ['package.json', 'bin/fabric.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js',
      'dist/src/exec/worker.js', 'dist/src/component/transpile-worker.mjs', 'dist/src/jobs/orphan-guard.mjs', 'dist/src/dashboard/web-bundle/app.js', 'dist/src/libs/data/ops.wasm', 'dist/src/libs/data/kernels.wasm', 'dist/src/libs/tune/index.js', 'dist/src/libs/serve/index.js', 'dist/guest-sdk/src/index.d.ts', 'dist/guest-sdk/src/build/index.js',
      'guest-sdk/src/index.ts', 'guest-sdk/src/runtime.ts', 'guest-sdk/as/index.ts', 'wit/fabric.wit', 'scripts/build-native.mjs', 'scripts/cuda-home.sh', 'binding.gyp',
      'src/gpu/native/addon.cc', 'templates/starter/package.template.json', 'README.md', 'LICENSE', 'docs/using-fabric.md']) {
      assert.ok(packed.includes(file), `the tarball lacks ${file}`)
    }
    const stray = packed.filter(f => f.startsWith('dist/build/') || f.startsWith('test/') || f.startsWith('node_modules/') || f.endsWith('.node'))
    assert.deepEqual(stray, [], 'machine-specific or test files in the tarball')
  })

  it('installs as a dependency: exports resolve to dist/, the native addon is built there, no TypeScript loader needed', async () => {
    const pkg = path.join(app, 'node_modules', 'wasm-fabric')
    assert.ok(fs.existsSync(path.join(pkg, 'dist', 'src', 'index.js')))
    if (fs.existsSync(path.join(REPO, 'build', 'Release', 'fabric_gpu.node'))) {
      // This machine has a compiler (the checkout built its addon): the installed package must have too.
      assert.ok(fs.existsSync(path.join(pkg, 'dist', 'build', 'Release', 'fabric_gpu.node')), 'the install script did not build the native addon')
    }
    const where = await run(process.execPath, ['--input-type=module', '-e',
      "console.log(import.meta.resolve('wasm-fabric'), import.meta.resolve('wasm-fabric/guest'), import.meta.resolve('wasm-fabric/build'))"], app, 30_000)
    assertOk('resolving the exports', where)
    const urls = where.stdout.trim().split(' ')
    assert.deepEqual(urls.map(u => path.relative(pkg, new URL(u).pathname)), ['dist/src/index.js', 'dist/guest-sdk/src/index.js', 'dist/guest-sdk/src/build/index.js'])
  })

  it('the `fabric init` project passes its own second command (`npm start`)', async () => {
    const start = await run(NPM, ['start'], app, 170_000, env)
    assertOk('npm start', start)
    took.push(`npm start ${(start.ms / 1000).toFixed(0)} s`)
    assert.match(start.stdout, /built build\/tasks\.wasm/)
    assert.match(start.stdout, /^3² \+ 4² = 25$/m)
    assert.match(start.stdout, /^fib\(12\) = 144$/m)
    // The driver is typed by the .d.ts the build wrote: the project's own type check passes.
    assertOk('npm run typecheck', await run(NPM, ['run', 'typecheck'], app, 120_000, env))
  })

  it('`npx fabric build` a guest with nested tasks, then a plain `node driver.mjs` runs it on an embedded fabric', async () => {
    fs.mkdirSync(path.join(app, 'guests'), { recursive: true })
    fs.writeFileSync(path.join(app, 'guests', 'fib.ts'), [
      "import { task, get } from 'wasm-fabric/guest'",
      '',
      '// Each call below 2 submits two nested tasks from inside the sandbox and waits for them.',
      'export const fib = task((n: number): number => n < 2 ? n : get(fib.remote(n - 1)) + get(fib.remote(n - 2)))',
      'export const square = task((x: number) => x * x)',
      ''
    ].join('\n'))
    const build = await run(NPX, ['fabric', 'build', 'guests/fib.ts', '-o', 'build/fib.wasm'], app, 170_000, env)
    assertOk('npx fabric build', build)
    assert.ok(fs.existsSync(path.join(app, 'build', 'fib.wasm')) && fs.existsSync(path.join(app, 'build', 'fib.d.ts')))
    assert.match(fs.readFileSync(path.join(app, 'build', 'fib.d.ts'), 'utf8'), /from 'wasm-fabric'/)

    fs.writeFileSync(path.join(app, 'driver.mjs'), [
      "import { Fabric } from 'wasm-fabric'",
      "import { data } from 'wasm-fabric/data'",
      '',
      'const fabric = await Fabric.start()',
      'try {',
      "  const m = await fabric.load('build/fib.wasm')",
      '  const fibs = await Promise.all([10, 15].map(n => fabric.get(m.fib.remote(n))))',
      '  console.log(`fib ${fibs.join(\' \')}`)',
      '  console.log(`squares ${await fabric.get([1, 2, 3].map(x => m.square.remote(x)))}`)',
      '  // The data library runs on its prebuilt ops component (no guest toolchain needed).',
      "  console.log(`data ${JSON.stringify(await data(fabric).fromItems([3, 1, 2]).map(m.square).takeAll())} ${await data(fabric).range(1000).count()}`)",
      '} finally {',
      '  await fabric.stop()',
      '}',
      ''
    ].join('\n'))
    const driver = await run(process.execPath, ['driver.mjs'], app, 120_000, env)
    assertOk('node driver.mjs', driver)
    assert.match(driver.stdout, /^fib 55 610$/m)
    assert.match(driver.stdout, /^squares 1,4,9$/m)
    assert.match(driver.stdout, /^data \[9,1,4\] 1000$/m)
  })

  it('`fabric init` refuses a folder that holds files and a name npm would refuse, saying what to do', async () => {
    const cli = path.join(REPO, 'bin', 'fabric.js')
    const busy = await run(process.execPath, [cli, 'init', app], REPO, 60_000)
    assert.equal(busy.code, 1)
    assert.match(busy.stderr, /is not empty: give fabric init a new or empty folder/)
    const badName = await run(process.execPath, [cli, 'init', path.join(tmp.dir, 'other'), '--name', 'Not A Name'], REPO, 60_000)
    assert.equal(badName.code, 1)
    assert.match(badName.stderr, /'Not A Name' is not a valid npm package name/)
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'other', 'package.json')))
  })

  it('`fabric build` without the guest toolchain (a driver-only install) names exactly what to install', async () => {
    // Hide one optional peer dependency as a driver-only install lacks it; put it back after.
    const dir = path.join(app, 'node_modules', 'componentize-qjs')
    const hidden = `${dir}.hidden`
    fs.renameSync(dir, hidden)
    try {
      const build = await run(NPX, ['fabric', 'build', 'guests/fib.ts', '-o', 'build/again.wasm'], app, 60_000, env)
      assert.equal(build.code, 1, build.stdout + build.stderr)
      assert.match(build.stderr, /the guest toolchain is not installed: componentize-qjs /)
      assert.match(build.stderr, /npm install --save-dev componentize-qjs@\d+\.\d+\.\d+/)
      assert.ok(!fs.existsSync(path.join(app, 'build', 'again.wasm')))
    } finally {
      fs.renameSync(hidden, dir)
    }
  })
})
