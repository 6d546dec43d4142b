import assert from 'node:assert/strict'
import { createGpuScope } from '../../src/gpu/index.js'
import { execFile } from 'node:child_process'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  ComponentNotFoundError, InvalidComponentError, buildHostImports, cidOfBytesSync, createCompiledCache, loadComponent, loadRecentComponents, verifyCid,
  type CacheMeta, type CompiledComponent, type InstantiateComponent
} from '../../src/component/index.js'
import { readCacheEntry } from '../../src/component/transpile-cache.js'
import { FIXTURES, guestComponent, otherWorldComponent, tempDir } from './fixtures.js'
import { fixtureComponent } from '../helpers/fixtures.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

async function readMeta (cacheDir: string, cid: string): Promise<CacheMeta> {
  return JSON.parse(await readFile(join(cacheDir, 'components', cid, 'meta.json'), 'utf8')) as CacheMeta
}

describe('loadComponent', function () {
  this.timeout(120_000)
  let cacheDir: string
  let cleanup: () => Promise<void>
  let bytes: Uint8Array
  let wasmPath: string

  before(async () => {
    ({ dir: cacheDir, cleanup } = await tempDir())
    bytes = await guestComponent()
    wasmPath = join(cacheDir, 'guest.wasm')
    await writeFile(wasmPath, bytes)
  })
  after(async () => await cleanup())

  let first: CompiledComponent
  it('loads a valid QuickJS guest, named by the CID of its bytes', async () => {
    first = await loadComponent(bytes, { cacheDir })
    assert.equal(first.cid, cidOfBytesSync(bytes))
    assert.ok(verifyCid(first.cid, bytes))
    assert.equal(first.size, bytes.length)
    assert.equal(first.maxMemoryPages, 4096)
    assert.ok(first.world.exports.includes('fabric:core/guest@0.1.0'))
    assert.ok(Object.keys(first.modules).length > 1)
    for (const m of Object.values(first.modules)) assert.ok(m instanceof WebAssembly.Module)
    // The glue is stored once by content (every QuickJS component has the same) and shared.
    assert.match(first.jsUrl, /^file:.*\/glue\/[0-9a-f]{64}\.mjs$/)
  })

  it('runs: the transpiled module instantiates with typed host imports and answers calls', async () => {
    const logs: string[] = []
    const imports = buildHostImports({
      log: { log: (level, message) => { logs.push(`${level}: ${message}`) } },
      objects: { get: () => new Uint8Array(), put: () => '' },
      tasks: { submit: () => '', get: () => new Uint8Array(), wait: (ids) => ids },
      ...(({ imports, collectiveImports }) => ({ gpu: imports, collective: collectiveImports }))(createGpuScope({ readObject: () => new Uint8Array() }))
    })
    const { instantiate } = await import(first.jsUrl) as { instantiate: InstantiateComponent }
    const { guest } = instantiate((name) => first.modules[name], imports)
    assert.deepEqual(guest.describe(), { sdk: 'test', tasks: [{ name: 'echo', streaming: false, memo: false }], actors: [{ name: 'Echo', methods: ['echo'], streaming: [] }] })
    assert.deepEqual(guest.call('echo', Uint8Array.of(1, 2, 3)), Uint8Array.of(1, 2, 3))
    const actor = guest.Actor.create('Echo', new Uint8Array())
    assert.deepEqual(actor.invoke('echo', Uint8Array.of(9)), Uint8Array.of(9))
  })

  it('compiles once per process: path, bytes and concurrent loads share one result', async () => {
    assert.equal(await loadComponent(wasmPath, { cacheDir }), first)
    const [a, b] = await Promise.all([loadComponent(bytes, { cacheDir, memoryLimitMb: 64 }), loadComponent(wasmPath, { cacheDir, memoryLimitMb: 64 })])
    assert.equal(a, b)
    assert.notEqual(a, first, 'another memory cap is another compile')
    assert.equal(a.maxMemoryPages, 1024)
    assert.equal(a.cid, first.cid)
  })

  it('loads from the disk cache in a fresh process without transpiling again', async () => {
    const before = await readMeta(cacheDir, first.cid)
    const samples: Array<{ importMs: number, loadMs: number, cid: string, modules: number }> = []
    for (let i = 0; i < 3; i++) {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', join(FIXTURES, 'measure-load.ts'), wasmPath, cacheDir], { cwd: ROOT })
      samples.push(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as (typeof samples)[number])
    }
    for (const s of samples) {
      assert.equal(s.cid, first.cid)
      assert.equal(s.modules, Object.keys(first.modules).length)
    }
    assert.equal((await readMeta(cacheDir, first.cid)).created, before.created, 'the entry was reused, not rewritten')
    const loads = samples.map((s) => s.loadMs).sort((x, y) => x - y)
    console.log(`      cached cold load in a fresh process: ${loads.map((ms) => ms.toFixed(1)).join(', ')} ms (import of the area ${samples[0].importMs.toFixed(0)} ms under tsx)`)
    // A transpile alone takes ~600 ms; the cached path reads, hashes and compiles (~40 ms here).
    assert.ok(loads[0] < 300, `cached load took ${loads[0]} ms`)
  })

  it('rebuilds a corrupted cache entry', async () => {
    const dir = join(cacheDir, 'components', first.cid)
    const meta = await readMeta(cacheDir, first.cid)
    const biggest = Object.entries(meta.files).sort((x, y) => y[1].size - x[1].size)[0][0]
    const data = await readFile(join(dir, biggest))
    data[data.length >> 1] ^= 0xff
    await writeFile(join(dir, biggest), data)
    assert.equal(readCacheEntry(cacheDir, first.cid), undefined, 'a flipped byte is detected')

    const again = await loadComponent(bytes, { cacheDir, memoryLimitMb: 32 })
    assert.equal(again.cid, first.cid)
    const rebuilt = await readMeta(cacheDir, first.cid)
    assert.notEqual(rebuilt.created, meta.created)
    assert.ok(readCacheEntry(cacheDir, first.cid) !== undefined)
  })

  it('rebuilds a partial entry and one from another transpiler version', async () => {
    const dir = join(cacheDir, 'components', first.cid)
    await rm(join(dir, 'component.core2.wasm'))
    assert.equal(readCacheEntry(cacheDir, first.cid), undefined)
    await loadComponent(bytes, { cacheDir, memoryLimitMb: 33 })
    assert.ok(readCacheEntry(cacheDir, first.cid) !== undefined)

    const meta = await readMeta(cacheDir, first.cid)
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ ...meta, transpiler: { ...meta.transpiler, version: '0.0.1' } }))
    assert.equal(readCacheEntry(cacheDir, first.cid), undefined)
    await loadComponent(bytes, { cacheDir, memoryLimitMb: 34 })
    assert.equal((await readMeta(cacheDir, first.cid)).transpiler.version, meta.transpiler.version)
  })

  it('shares the glue and the compiled QuickJS engine between QuickJS components', async () => {
    const other = await loadComponent(await fixtureComponent('guests/ts/kitchen.ts'), { cacheDir })
    assert.notEqual(other.cid, first.cid)
    assert.equal(other.jsUrl, first.jsUrl)
    const shared = Object.keys(first.modules).filter(name => first.modules[name] === other.modules[name])
    assert.ok(shared.length >= 1, 'no core module is shared')
    assert.ok(Object.keys(first.modules).some(name => first.modules[name] !== other.modules[name]), 'the snapshot modules must differ')
  })

  it('applies the memory limit: a QuickJS guest needs more than 1 MiB to start', async () => {
    await assert.rejects(loadComponent(bytes, { cacheDir, memoryLimitMb: 1 }), (err: unknown) =>
      err instanceof InvalidComponentError && err.reason === 'memory-too-large' && /over the limit of 16 pages/.test(err.message))
  })

  it('names the path of a missing file', async () => {
    const missing = join(cacheDir, 'nope.wasm')
    await assert.rejects(loadComponent(missing, { cacheDir }), (err: unknown) =>
      err instanceof ComponentNotFoundError && err.message.includes(missing) && /no such file/.test(err.message))
  })

  it('refuses invalid components without caching them', async () => {
    const other = await otherWorldComponent()
    await assert.rejects(loadComponent(other, { cacheDir }), (err: unknown) => err instanceof InvalidComponentError && err.reason === 'wrong-world')
    assert.equal(readCacheEntry(cacheDir, cidOfBytesSync(other)), undefined)
    await assert.rejects(loadComponent(new Uint8Array(), { cacheDir }), (err: unknown) => err instanceof InvalidComponentError && err.reason === 'empty')
  })
})

describe('loadRecentComponents', function () {
  this.timeout(120_000)
  let cacheDir: string
  let cleanup: () => Promise<void>
  let guest: CompiledComponent
  let kitchen: CompiledComponent

  before(async () => {
    ({ dir: cacheDir, cleanup } = await tempDir())
    guest = await loadComponent(await guestComponent(), { cacheDir })
    // A second use later than the first: the order below is by use, not by when an entry was written.
    await new Promise(resolve => setTimeout(resolve, 20))
    kitchen = await loadComponent(await fixtureComponent('guests/ts/kitchen.ts'), { cacheDir })
  })
  after(async () => await cleanup())

  const mtime = async (cid: string): Promise<number> => (await stat(join(cacheDir, 'components', cid))).mtimeMs

  it('compiles the most recently used entries from the disk cache alone, most recent first, keeping their order', async () => {
    const cache = createCompiledCache()
    const before = [await mtime(guest.cid), await mtime(kitchen.cid)]
    assert.ok(before[1]! > before[0]!)
    const recent = await loadRecentComponents(5, { cacheDir, cache })
    assert.deepEqual(recent.map(c => c.cid), [kitchen.cid, guest.cid])
    assert.equal(recent[0]!.jsUrl, kitchen.jsUrl)
    assert.deepEqual(Object.keys(recent[0]!.modules).sort(), Object.keys(kitchen.modules).sort())
    assert.ok(await mtime(kitchen.cid) > await mtime(guest.cid), 'the most recent entry stays the most recent')
    // A prewarm is not a use: each entry keeps its last use (to the millisecond utimes keeps).
    assert.ok(Math.abs(await mtime(guest.cid) - before[0]!) < 1 && Math.abs(await mtime(kitchen.cid) - before[1]!) < 1)
    assert.deepEqual((await loadRecentComponents(1, { cacheDir, cache })).map(c => c.cid), [kitchen.cid])
    assert.deepEqual(await loadRecentComponents(0, { cacheDir, cache }), [])
  })

  it('leaves its modules compiled for a later load of any component sharing them', async () => {
    const cache = createCompiledCache()
    const [warm] = await loadRecentComponents(1, { cacheDir, cache })
    const again = await loadComponent(await fixtureComponent('guests/ts/kitchen.ts'), { cacheDir, cache })
    for (const name of Object.keys(again.modules)) assert.equal(again.modules[name], warm!.modules[name], `${name} was compiled again`)
    const other = await loadComponent(await guestComponent(), { cacheDir, cache })
    assert.ok(Object.keys(other.modules).some(name => other.modules[name] === warm!.modules[name]), 'the shared engine was compiled again')
  })

  it('skips damaged entries and finds nothing in an empty or missing cache', async () => {
    const cache = createCompiledCache()
    const file = join(cacheDir, 'components', kitchen.cid, 'component.core.wasm')
    const original = await readFile(file)
    await writeFile(file, Buffer.from('damaged'))
    try {
      assert.deepEqual((await loadRecentComponents(2, { cacheDir, cache })).map(c => c.cid), [guest.cid])
      // The newest is unusable: the next one is taken in its place.
      assert.deepEqual((await loadRecentComponents(1, { cacheDir, cache: createCompiledCache() })).map(c => c.cid), [guest.cid])
    } finally {
      await writeFile(file, original)
    }
    assert.deepEqual(await loadRecentComponents(3, { cacheDir: join(cacheDir, 'nowhere'), cache }), [])
  })
})
