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
    } finally {
      await cleanup()
    }
  })
})
