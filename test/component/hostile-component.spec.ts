// A component from an untrusted peer that tries to run JavaScript through the glue jco generates
// for it: jco writes core export names into the glue unescaped, so a name that closes the string
// runs code when the component is instantiated (in a pool worker: with Node's full API there).
import assert from 'node:assert/strict'
import { transpileBytes } from '@bytecodealliance/jco-transpile'
import { Worker } from 'node:worker_threads'
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { InvalidComponentError, inspectComponent, loadComponent } from '../../src/component/index.js'
import { guestComponent, replaceAll, tempDir } from './fixtures.js'

const POST_RETURN = 'cabi_post_fabric:core/guest@0.1.0#[static]actor.create'
// An expression in every place the glue reads the export (`exports1['...']`, also as an argument),
// padded to POST_RETURN's length so the binary's sizes and offsets stay valid.
const INJECTED = "x']||(globalThis.__fabricPwned=1)||[]['".padEnd(POST_RETURN.length, 'y')

const flag = (): unknown => (globalThis as { __fabricPwned?: unknown }).__fabricPwned

/** Instantiate transpiled glue in a plain worker thread with stub imports; returns its __fabricPwned. */
async function instantiateInWorker (jsUrl: string, modules: Record<string, WebAssembly.Module>): Promise<unknown> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const fn = new Proxy(function () {}, { get: () => undefined })
    const iface = new Proxy({}, { get: (_, k) => k === 'then' ? undefined : fn })
    const imports = new Proxy({}, { get: () => iface })
    import(workerData.jsUrl).then((m) => {
      try { m.instantiate((name) => workerData.modules[name], imports) } catch {}
      parentPort.postMessage(globalThis.__fabricPwned)
    }, (err) => parentPort.postMessage('import failed: ' + err.message))`
  const worker = new Worker(code, { eval: true, execArgv: [], workerData: { jsUrl, modules } })
  try {
    return await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
  } finally {
    await worker.terminate()
  }
}

describe('hostile component names', function () {
  this.timeout(120_000)

  it('jco-transpile still copies core export names into the glue unescaped (why validation refuses them)', async () => {
    const hostile = replaceAll(await guestComponent(), POST_RETURN, INJECTED)
    const { files } = await transpileBytes(hostile, { name: 'component', instantiation: { tag: 'sync' }, wasiShim: false })
    const glue = new TextDecoder().decode(files['component.js'])
    // If this fails, jco escapes names now: the core-name alphabet in inspect.ts may be relaxed.
    assert.ok(glue.includes(`['${INJECTED}']`), 'the injected name appears verbatim inside a string literal of the glue')
  })

  it('a component whose core export name injects JavaScript is refused before transpile, and nothing runs', async () => {
    const hostile = replaceAll(await guestComponent(), POST_RETURN, INJECTED)
    const { dir, cleanup } = await tempDir()
    try {
      let loaded
      try {
        loaded = await loadComponent(hostile, { cacheDir: dir })
      } catch (err) {
        assert.ok(err instanceof InvalidComponentError, String(err))
        assert.equal(err.reason, 'bad-name', err.message)
        assert.match(err.message, /core export name "x'\]\|\|\(globalThis\.__fabricPwned=1\)/)
      }
      if (loaded !== undefined) {
        // Before: it loaded, and instantiating it (as a pool worker does: a plain Node worker
        // thread) ran the injected statement there.
        assert.equal(await instantiateInWorker(loaded.jsUrl, loaded.modules), undefined, 'the glue ran code the component injected')
        assert.fail('the hostile component was loaded')
      }
      assert.equal(flag(), undefined)
    } finally {
      await cleanup()
    }
  })

  it('the core-name alphabet validation allows stays inert in the glue jco writes', async () => {
    // Every character the alphabet allows beyond letters and digits, in one core export name.
    const name = 'a_.:/@#$|-[]<>=+,% z'
    const bytes = await parse(`(component
      (core module $m (func (export ${JSON.stringify(name)}) (result i32) i32.const 7))
      (core instance $i (instantiate $m))
      (func (export "run") (result u32) (canon lift (core func $i ${JSON.stringify(name)}))))`)
    inspectComponent(bytes)
    const { files } = await transpileBytes(bytes, { name: 'component', instantiation: { tag: 'sync' }, wasiShim: false })
    const dir = await mkdtemp(join(tmpdir(), 'fabric-glue-'))
    try {
      await writeFile(join(dir, 'component.mjs'), files['component.js']!)
      const modules: Record<string, WebAssembly.Module> = {}
      for (const [file, data] of Object.entries(files)) if (file.endsWith('.wasm')) modules[file] = new WebAssembly.Module(data as Uint8Array<ArrayBuffer>)
      const code = `
        const { parentPort, workerData } = require('node:worker_threads')
        import(workerData.url).then((m) => parentPort.postMessage(m.instantiate((n) => workerData.modules[n], {}).run()),
          (err) => parentPort.postMessage('import failed: ' + err.message))`
      const worker = new Worker(code, { eval: true, execArgv: [], workerData: { url: pathToFileURL(join(dir, 'component.mjs')).href, modules } })
      const got = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
      await worker.terminate()
      assert.equal(got, 7)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
