// End to end: `fabric build` as a user runs it (bin/fabric.js in a separate process, from the
// directory of the guest): the component and its .d.ts land where -o says, the component runs
// on an embedded fabric, and bad input fails with one clear line and exit 1.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { Fabric, type ObjectRef, type UntypedModule } from '../../src/index.js'
import { PACKAGE_NAME } from '../../guest-sdk/src/build/paths.js'
import { tempDir } from '../helpers/fixtures.js'
import { ROOT } from './cluster.js'

const BIN = path.join(ROOT, 'bin', 'fabric.js')

/** Run `fabric <args>` in `cwd`; its exit code and output. */
async function fabricCli (args: string[], cwd: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const t = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`fabric ${args.join(' ')} did not finish in 90 s: ${stdout}${stderr}`)) }, 90_000)
    proc.once('exit', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }) })
  })
}

describe('e2e: fabric build (the command)', function () {
  this.timeout(180_000)
  let tmp: ReturnType<typeof tempDir>

  before(() => {
    tmp = tempDir('fabric-build-')
    fs.writeFileSync(path.join(tmp.dir, 'guest.ts'), [
      `import { task, actor } from '${PACKAGE_NAME}/guest'`,
      'export const triple = task((x: number) => 3 * x)',
      'export class Tally extends actor {',
      '  n = 0',
      '  add (by: number) { this.n += by; return this.n }',
      '}',
      ''
    ].join('\n'))
    fs.writeFileSync(path.join(tmp.dir, 'broken.ts'), `import { task } from '${PACKAGE_NAME}/guest'\nexport const f = task((x: number) => x +)\n`)
  })

  after(() => tmp?.remove())

  it('builds a guest into a component and its .d.ts where -o says; the component runs', async () => {
    const r = await fabricCli(['build', 'guest.ts', '-o', 'out/guest.wasm'], tmp.dir)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /^built out\/guest\.wasm \([\d.]+ KiB\) in [\d.]+ s, types in out\/guest\.d\.ts\n$/)
    const wasm = fs.readFileSync(path.join(tmp.dir, 'out', 'guest.wasm'))
    // A component, not a core module: '\0asm', then version 0x0d and layer 1.
    assert.deepEqual([...wasm.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00])
    // The .d.ts types the module from the guest's own declarations, written beside it.
    const dts = fs.readFileSync(path.join(tmp.dir, 'out', 'guest.d.ts'), 'utf8')
    const from = /import type \* as Guest from "(\.\/[^"]+)\.js"/.exec(dts)?.[1]
    assert.ok(from !== undefined, dts)
    const declared = fs.readFileSync(path.join(tmp.dir, 'out', `${from}.d.ts`), 'utf8')
    assert.match(declared, /triple/)
    assert.match(declared, /Tally/)
    const fabric = await Fabric.start({ address: 'local', workers: 1 })
    try {
      const m = await fabric.load<UntypedModule>(path.join(tmp.dir, 'out', 'guest.wasm'))
      assert.equal(await fabric.get(m.triple!.remote(14) as ObjectRef<number>), 42)
    } finally {
      await fabric.stop()
    }
  })

  it('--no-types writes no .d.ts', async () => {
    const r = await fabricCli(['build', 'guest.ts', '-o', 'bare/guest.wasm', '--no-types'], tmp.dir)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.ok(fs.existsSync(path.join(tmp.dir, 'bare', 'guest.wasm')))
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'bare', 'guest.d.ts')))
  })

  it('bad input: a syntax error, a missing file, an unknown --lang each fail with a line saying what, exit 1', async () => {
    const broken = await fabricCli(['build', 'broken.ts', '-o', 'out/broken.wasm'], tmp.dir)
    assert.equal(broken.code, 1, broken.stdout + broken.stderr)
    assert.match(broken.stderr, /^fabric build: .*broken\.ts/m)
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'out', 'broken.wasm')))
    const missing = await fabricCli(['build', 'nope.ts'], tmp.dir)
    assert.equal(missing.code, 1, missing.stdout + missing.stderr)
    assert.match(missing.stderr, /^fabric build: .*nope\.ts/m)
    const lang = await fabricCli(['build', 'guest.ts', '--lang', 'rust'], tmp.dir)
    assert.equal(lang.code, 1, lang.stdout + lang.stderr)
    assert.match(lang.stderr, /unknown --lang 'rust': use 'ts' or 'as'/)
  })
})
