import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { patchGlue } from '../../src/component/glue-patch.js'
import { cidOfBytesSync } from '../../src/component/index.js'
import { readCacheEntry, writeCacheEntry } from '../../src/component/transpile-cache.js'
import { validateComponent } from '../../src/component/validate.js'
import { guestComponent, tempDir } from './fixtures.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Run glue-like `code` with `promising` as WebAssembly.promising (undefined: no JSPI); returns its locals. */
function run (code: string, promising: ((f: unknown) => unknown) | undefined): Record<string, unknown> {
  const wasm = { ...WebAssembly, promising }
  // The glue's free `WebAssembly` is the parameter here: a stand-in with or without JSPI.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('WebAssembly', `const exports1 = { f: 'sync-f', 'g#h': 'sync-g' }; let a, b; ${code}; return { a, b }`)(wasm) as Record<string, unknown>
}

const PROBES = `
try {
  a = WebAssembly.promising(exports1.f);
} catch(err) {
  a = exports1.f;
}
try {
  b = WebAssembly.promising(exports1['g#h']);
} catch(err) {
  b = exports1['g#h'];
}`

describe('component glue patch', () => {
  it('turns the JSPI probes into calls that neither throw nor change what is assigned', () => {
    const patched = dec(patchGlue(enc(PROBES)))
    assert.doesNotMatch(patched.split('// Added by fabric')[0]!, /WebAssembly\.promising|try|catch/)
    // Without JSPI: the fallbacks, as the original's catch assigns them.
    assert.deepEqual(run(patched, undefined), run(PROBES, undefined))
    assert.deepEqual(run(patched, undefined), { a: 'sync-f', b: 'sync-g' })
    // With JSPI: what WebAssembly.promising returns; and its own failures still fall back.
    const promising = (f: unknown): unknown => `promising(${String(f)})`
    assert.deepEqual(run(patched, promising), run(PROBES, promising))
    assert.deepEqual(run(patched, promising), { a: 'promising(sync-f)', b: 'promising(sync-g)' })
    const refuses = (): never => { throw new TypeError('not a wasm function') }
    assert.deepEqual(run(patched, refuses), run(PROBES, refuses))
  })

  it('sends any other use through a helper that throws the same way without JSPI', () => {
    const code = `try { a = WebAssembly.promising(exports1.f) } catch (e) { b = e instanceof TypeError }`
    const patched = dec(patchGlue(enc(code)))
    assert.match(patched, /a = __fabricPromising\(exports1\.f\)/)
    assert.deepEqual(run(patched, undefined), run(code, undefined))
    assert.deepEqual(run(patched, undefined), { a: undefined, b: true })
    // A probe whose fallback differs from what it probed is not rewritten to the no-throw form.
    const other = `try { a = WebAssembly.promising(exports1.f); } catch(err) { a = exports1['g#h']; }`
    assert.deepEqual(run(dec(patchGlue(enc(other))), undefined), { a: 'sync-g', b: undefined })
  })

  it('builds the arguments of jco\'s debug-log calls only when JCO_DEBUG was set at import', () => {
    const code = `
      const _debugLog = (...args) => { logged.push(args) }
      function call (x) {
        _debugLog('[call] enter', { built: built++ })
        switch (x) {
          default:
          _debugLog('[call] default', { built: built++ })
        }
        return x + 1
      }
      const r = call(1)`
    const glue = (source: string, env: Record<string, string>): { r: number, built: number, logged: unknown[][] } =>
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      new Function('globalThis', `const logged = []; let built = 0; ${source}; return { r, built, logged }`)({ process: { env } }) as { r: number, built: number, logged: unknown[][] }
    const patched = dec(patchGlue(enc(code)))
    assert.equal(patched.match(/__fabricJcoDebug && _debugLog\(/g)?.length, 2)
    assert.deepEqual(glue(patched, {}), { r: 2, built: 0, logged: [] })
    assert.deepEqual(glue(patched, { JCO_DEBUG: '1' }), glue(code, {}))
    assert.equal(glue(code, {}).built, 2)
    // Twice in a row: the same result (no state kept between calls).
    assert.equal(dec(patchGlue(enc(code))), patched)
  })

  it('leaves glue without probes byte for byte as it was', () => {
    const js = enc('export function instantiate () { return 1 }')
    assert.equal(patchGlue(js), js)
  })

  it('is applied to the glue stored in the transpile cache', async function () {
    this.timeout(120_000)
    const { dir, cleanup } = await tempDir()
    try {
      const bytes = await guestComponent()
      const entry = await writeCacheEntry(dir, cidOfBytesSync(bytes), bytes, await validateComponent(bytes))
      assert.equal(readCacheEntry(dir, entry.meta.cid)?.jsUrl, entry.jsUrl)
      const glue = await readFile(new URL(entry.jsUrl), 'utf8')
      const [body] = glue.split('// Added by fabric')
      assert.match(body!, /__fabricPromisingOr\(/)
      assert.doesNotMatch(body!, /WebAssembly\.promising\(/)
      assert.doesNotMatch(body!, /^[ \t]*_debugLog\(/m)
    } finally {
      await cleanup()
    }
  })
})
