import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { buildComponent, BuildError } from '../../guest-sdk/src/build/index.js'
import { bundleGuest, worldOf } from '../../guest-sdk/src/build/build-qjs.js'
import { fixtureComponent, FIXTURES, REPO } from '../helpers/fixtures.js'

/** Type-check driver sources against the generated .d.ts, as a user's `tsc --noEmit` would. */
function typecheck (files: Record<string, string>, dir: string): ts.Diagnostic[] {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text)
  const program = ts.createProgram(Object.keys(files).map(f => path.join(dir, f)), {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    typeRoots: [path.join(REPO, 'node_modules', '@types')],
    skipLibCheck: true
  })
  return [...ts.getPreEmitDiagnostics(program)]
}

describe('guest-sdk/build (TypeScript on QuickJS)', function () {
  this.timeout(120_000)
  let component: string
  let work: string

  before(async () => {
    component = await fixtureComponent('guests/ts/kitchen.ts')
    // Inside the repository, so that `import ... from 'fabric'` resolves to this package.
    work = fs.mkdtempSync(path.join(REPO, '.cache', 'driver-'))
  })

  after(() => {
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true })
  })

  it('writes a component, a .d.ts and the declarations beside it', () => {
    const base = component.replace(/\.wasm$/, '')
    const bytes = fs.readFileSync(component)
    assert.deepEqual([...bytes.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00], 'component header')
    const dts = fs.readFileSync(`${base}.d.ts`, 'utf8')
    assert.match(dts, /export type Module = GuestModule<typeof Guest>/)
    assert.match(fs.readFileSync(path.join(`${base}.types`, 'kitchen.d.ts'), 'utf8'), /declare class Counter extends actor/)
  })

  it('types a driver that uses the component, and rejects a wrong argument type', () => {
    const spec = path.relative(work, component).split(path.sep).join('/').replace(/\.wasm$/, '.js')
    const header = [
      "import type { ObjectRef } from 'wasm-fabric'",
      `import type { Module } from '${spec.startsWith('.') ? spec : './' + spec}'`,
      'declare const m: Module',
      ''
    ].join('\n')
    const good = header + [
      'const sum: ObjectRef<number> = m.add.remote(1, 2)',
      'const again: ObjectRef<number> = m.add.remote(sum, 3)',
      'const st = m.stats.remote(new Float64Array(3))',
      'const mean: ObjectRef<{ n: number, sum: number, mean: number }> = st',
      'const stream: AsyncIterable<ObjectRef<number>> = m.countTo.remote(3)',
      'const s2 = m.add.options({ cpus: 1, timeoutMs: 5, maxRetries: 2 }).remote(1, 2)',
      'async function actors (): Promise<void> {',
      '  const c = await m.Counter.create(5)',
      '  const n: ObjectRef<number> = c.incr.remote(2)',
      '  const h = c.get2.remote()',
      '  void n; void h',
      '}',
      'export { again, mean, stream, s2, actors }',
      ''
    ].join('\n')
    const goodErrors = typecheck({ 'good.ts': good }, work)
    assert.deepEqual(goodErrors.map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [])

    const bad = header + [
      "export const r = m.add.remote('two', 2)",
      ''
    ].join('\n')
    const badErrors = typecheck({ 'bad.ts': bad }, work)
    assert.equal(badErrors.length, 1, badErrors.map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'))
    const d = badErrors[0]!
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start!)
    assert.equal(line + 1, 4)
    assert.match(ts.flattenDiagnosticMessageText(d.messageText, '\n'), /'string' is not assignable to parameter of type 'number/)

    const badActor = header + [
      'export async function f (): Promise<void> {',
      '  const c = await m.Counter.create(5)',
      "  c.incr.remote('x')",
      '  // @ts-expect-error no such method',
      '  c.decr.remote(1)',
      '}',
      ''
    ].join('\n')
    const actorErrors = typecheck({ 'bad-actor.ts': badActor }, work)
    assert.equal(actorErrors.length, 1)
    assert.equal(actorErrors[0]!.file!.getLineAndCharacterOfPosition(actorErrors[0]!.start!).line + 1, 6)
  })

  it('targets the world without gpu unless the guest uses tensors (smaller components, faster cold start)', async () => {
    const plain = await bundleGuest(path.join(FIXTURES, 'guests/ts/kitchen.ts'))
    const tensors = await bundleGuest(path.join(FIXTURES, 'guests/ts-gpu/mlp.ts'))
    assert.equal(worldOf(plain), 'plain-guest-world')
    assert.equal(worldOf(tensors), 'guest-world')
  })

  it('points type errors at the user\'s file and line', async () => {
    const err = await buildComponent({ entry: path.join(FIXTURES, 'guests/ts-bad/type-error.ts'), out: path.join(work, 'x.wasm') }).catch((e: unknown) => e)
    assert.ok(err instanceof BuildError)
    assert.match(err.message, /type-error\.ts:5:\d+: .*'toUpperCase' does not exist on type 'number'/)
    assert.equal(err.diagnostics[0]!.line, 5)
    assert.ok(!fs.existsSync(path.join(work, 'x.wasm')))
  })

  it('refuses Node built-ins with the importing line', async () => {
    const err = await buildComponent({ entry: path.join(FIXTURES, 'guests/ts-bad/uses-fs.ts'), out: path.join(work, 'y.wasm'), noTypes: true }).catch((e: unknown) => e)
    assert.ok(err instanceof BuildError)
    assert.match(err.message, /no Node built-ins/)
    assert.match(err.message, /uses-fs\.ts:2:\d+: Could not resolve "node:fs"/)
  })

  it('reports an exception thrown by the guest\'s top-level code', async () => {
    const err = await buildComponent({ entry: path.join(FIXTURES, 'guests/ts-bad/throws-at-load.ts'), out: path.join(work, 'z.wasm') }).catch((e: unknown) => e)
    assert.ok(err instanceof BuildError)
    assert.match(err.message, /configuration missing/)
  })

  it('says when the entry does not exist', async () => {
    await assert.rejects(buildComponent({ entry: path.join(work, 'nope.ts') }), /entry file not found/)
  })
})
