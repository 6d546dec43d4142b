import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import {
  buildHostImports, createCompiledCache, defaultCompiledCache, loadComponent, DEFAULT_MEMORY_CACHE_ENTRIES,
  type CompiledComponent, type InstantiateComponent
} from '../../src/component/index.js'
import { createGpuScope } from '../../src/gpu/index.js'
import { guestComponent, tempDir } from './fixtures.js'
import { fixtureComponent } from '../helpers/fixtures.js'

const component = (cid: string): CompiledComponent => ({ cid, size: 1, world: { imports: [], exports: [] }, jsUrl: '', modules: {}, maxMemoryPages: 1 })
const tick = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

/** Compile nothing, but hold `modules` (key → bytes) as loadComponent would. */
function fakeLoad (cache: ReturnType<typeof createCompiledCache>, key: string, modules: Record<string, number>): Promise<CompiledComponent> {
  const held: string[] = []
  for (const [m, bytes] of Object.entries(modules)) {
    if (cache.module(m, held) === undefined) cache.addModule(m, new WebAssembly.Module(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)), bytes, held)
  }
  const p = Promise.resolve(component(key))
  cache.set(key, p, held)
  return p
}

async function run (c: CompiledComponent): Promise<Uint8Array> {
  const { instantiate } = await import(c.jsUrl) as { instantiate: InstantiateComponent }
  const { guest } = instantiate((name) => c.modules[name]!, buildHostImports({
    log: { log: () => {} },
    objects: { get: () => new Uint8Array(), put: () => '' },
    tasks: { submit: () => '', get: () => new Uint8Array(), wait: (ids) => ids },
    ...(({ imports, collectiveImports }) => ({ gpu: imports, collective: collectiveImports }))(createGpuScope({ readObject: () => new Uint8Array() }))
  }))
  return guest.call('echo', Uint8Array.of(7, 8))
}

describe('compiled component cache (memory)', function () {
  this.timeout(120_000)

  it('is bounded by default', () => {
    assert.equal(defaultCompiledCache().maxEntries, DEFAULT_MEMORY_CACHE_ENTRIES)
    assert.ok(defaultCompiledCache().maxBytes > 0)
  })

  it('evicts the least recently used entry past maxEntries', async () => {
    const cache = createCompiledCache({ maxEntries: 2 })
    await fakeLoad(cache, 'a', { ma: 10 })
    await fakeLoad(cache, 'b', { mb: 10 })
    assert.ok(cache.get('a') !== undefined, 'a is used: b is now the least recent')
    await fakeLoad(cache, 'c', { mc: 10 })
    await tick()
    assert.equal(cache.get('b'), undefined)
    assert.ok(cache.get('a') !== undefined && cache.get('c') !== undefined)
    assert.deepEqual(cache.stats(), { entries: 2, modules: 2, bytes: 20, evictions: 1 })
  })

  it('counts a module shared by entries once and frees it with the last of them; bounds bytes', async () => {
    const cache = createCompiledCache({ maxBytes: 250 })
    await fakeLoad(cache, 'a', { engine: 100, a: 10 })
    await fakeLoad(cache, 'b', { engine: 100, b: 10 })
    await tick()
    assert.deepEqual(cache.stats(), { entries: 2, modules: 3, bytes: 120, evictions: 0 })
    await fakeLoad(cache, 'c', { other: 200 })
    await tick()
    // 320 > 250: a goes (the engine stays, b holds it), then b (the engine goes with it).
    assert.deepEqual(cache.stats(), { entries: 1, modules: 1, bytes: 200, evictions: 2 })
    // One entry larger than the bound stays: it is the one just loaded.
    await fakeLoad(cache, 'd', { huge: 1000 })
    await tick()
    assert.deepEqual(cache.stats(), { entries: 1, modules: 1, bytes: 1000, evictions: 3 })
  })

  it('forgets a failed load and what it held', async () => {
    const cache = createCompiledCache()
    const held: string[] = []
    cache.addModule('m', new WebAssembly.Module(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)), 5, held)
    const failing = Promise.reject(new Error('disk full'))
    failing.catch(() => {})
    cache.set('x', failing, held)
    await tick()
    assert.deepEqual(cache.stats(), { entries: 0, modules: 0, bytes: 0, evictions: 0 })
  })

  it('loadComponent: an evicted component handed out before keeps working; loading it again compiles it again', async () => {
    const { dir, cleanup } = await tempDir()
    const cache = createCompiledCache({ maxEntries: 1 })
    try {
      const guest = await loadComponent(await guestComponent(), { cacheDir: dir, cache })
      assert.equal(await loadComponent(await guestComponent(), { cacheDir: dir, cache }), guest, 'cached')
      await loadComponent(await readFile(await fixtureComponent('guests/ts/kitchen.ts')), { cacheDir: dir, cache })
      await tick()
      assert.equal(cache.stats().entries, 1)
      assert.equal(cache.stats().evictions, 1)
      assert.deepEqual(await run(guest), Uint8Array.of(7, 8), 'the evicted component still instantiates and answers')
      const again = await loadComponent(await guestComponent(), { cacheDir: dir, cache })
      assert.notEqual(again, guest, 'compiled again')
      assert.equal(again.cid, guest.cid)
      assert.deepEqual(await run(again), Uint8Array.of(7, 8))
    } finally {
      cache.clear()
      await cleanup()
    }
  })
})
