import assert from 'node:assert/strict'
import { readFile, readdir, stat, utimes, writeFile, mkdir } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { cidOfBytesSync, createCompiledCache, loadComponent, DEFAULT_DISK_CACHE_BYTES } from '../../src/component/index.js'
import { getTranspilerVersion, readCacheEntry, resolveCacheDir, trimDiskCache, writeCacheEntry, type CacheEntry } from '../../src/component/transpile-cache.js'
import { validateComponent } from '../../src/component/validate.js'
import { guestComponent, tempDir } from './fixtures.js'
import { fixtureComponent } from '../helpers/fixtures.js'

describe('component transpile cache', function () {
  this.timeout(120_000)

  it('resolves the directory: explicit, then $FABRIC_CACHE, then ~/.cache/fabric', () => {
    const saved = process.env.FABRIC_CACHE
    try {
      process.env.FABRIC_CACHE = '/tmp/from-env'
      assert.equal(resolveCacheDir('/tmp/explicit'), '/tmp/explicit')
      assert.equal(resolveCacheDir(), '/tmp/from-env')
      delete process.env.FABRIC_CACHE
      assert.equal(resolveCacheDir(), join(homedir(), '.cache', 'fabric'))
    } finally {
      if (saved === undefined) delete process.env.FABRIC_CACHE
      else process.env.FABRIC_CACHE = saved
    }
  })

  it('survives writers racing for the same entry and leaves no temporary directories', async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const bytes = await guestComponent()
      const cid = cidOfBytesSync(bytes)
      const world = await validateComponent(bytes)
      const entries = await Promise.all([1, 2, 3].map(async () => await writeCacheEntry(dir, cid, bytes, world)))
      for (const e of entries) assert.deepEqual(Object.keys(e.coreModules).sort(), Object.keys(entries[0].coreModules).sort())
      const entry = readCacheEntry(dir, cid)
      assert.ok(entry !== undefined)
      assert.equal(entry.meta.transpiler.version, getTranspilerVersion())
      assert.deepEqual(entry.meta.world, world)
      assert.deepEqual(await readdir(join(dir, 'components')), [cid])
    } finally {
      await cleanup()
    }
  })

  describe('bounded on disk', () => {
    let dir: string
    let cleanup: () => Promise<void>
    const written: Record<string, CacheEntry> = {}
    const bytes: Record<string, Uint8Array> = {}
    const entryBytes = (e: CacheEntry): number => Object.values(e.meta.files).reduce((n, f) => n + f.size, 0)
    const setUsed = async (e: CacheEntry, secondsAgo: number): Promise<void> => {
      const t = new Date(Date.now() - secondsAgo * 1000)
      await utimes(e.dir, t, t)
    }

    before(async () => {
      ({ dir, cleanup } = await tempDir())
      bytes.guest = await guestComponent()
      bytes.math = new Uint8Array(await readFile(await fixtureComponent('guests/as/math.ts', 'as')))
      bytes.kitchen = new Uint8Array(await readFile(await fixtureComponent('guests/ts/kitchen.ts')))
      for (const name of ['guest', 'math']) {
        written[name] = await writeCacheEntry(dir, cidOfBytesSync(bytes[name]!), bytes[name]!, await validateComponent(bytes[name]!))
      }
    })
    after(async () => await cleanup())

    it('is bounded by default', () => {
      assert.equal(DEFAULT_DISK_CACHE_BYTES, 2 * 1024 ** 3)
    })

    it('removes the least recently used entries past maxDiskBytes, never the one just written; a read counts as a use', async () => {
      written.kitchen = await writeCacheEntry(dir, cidOfBytesSync(bytes.kitchen!), bytes.kitchen!, await validateComponent(bytes.kitchen!))
      const cid = (name: string): string => written[name]!.meta.cid
      await setUsed(written.guest!, 30)
      await setUsed(written.math!, 20)
      await setUsed(written.kitchen!, 10)
      // A read of the guest makes it the most recently used: math, then kitchen, are older.
      assert.ok(readCacheEntry(dir, cid('guest')) !== undefined)
      const { before } = await trimDiskCache(dir, Number.MAX_SAFE_INTEGER)
      assert.ok(before > entryBytes(written.guest!) + entryBytes(written.kitchen!))
      // One byte over: the least recently used entry goes, and only it.
      assert.deepEqual((await trimDiskCache(dir, before - 1)).removed, [cid('math')])
      assert.deepEqual((await trimDiskCache(dir, 1, cid('guest'))).removed, [cid('kitchen')])
      assert.deepEqual(await readdir(join(dir, 'components')), [cid('guest')])
      // A write trims too, and keeps what it wrote even when that alone is over the bound.
      written.math = await writeCacheEntry(dir, cid('math'), bytes.math!, await validateComponent(bytes.math!), { maxDiskBytes: 1 })
      assert.deepEqual(await readdir(join(dir, 'components')), [cid('math')])
    })

    it('never breaks a component in use: its glue stays, and a worker started after the trim still imports it', async () => {
      const cache = createCompiledCache()
      const loaded = await loadComponent(bytes.guest!, { cacheDir: dir, cache })
      const trim = await trimDiskCache(dir, 0)
      assert.ok(trim.removed.includes(loaded.cid))
      assert.deepEqual(await readdir(join(dir, 'components')), [])
      assert.deepEqual(trim.glue, [], 'glue handed out by this process stays')
      const worker = new Worker(`import(${JSON.stringify(loaded.jsUrl)}).then((m) => require('node:worker_threads').parentPort.postMessage(typeof m.instantiate))`, { eval: true, execArgv: [] })
      const got = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
      await worker.terminate()
      assert.equal(got, 'function')
      // Loading it again (another cache) transpiles it again.
      const again = await loadComponent(bytes.guest!, { cacheDir: dir, cache: createCompiledCache() })
      assert.equal(again.cid, loaded.cid)
      assert.ok(readCacheEntry(dir, loaded.cid) !== undefined)
    })

    it('removes glue no entry refers to once unused for an hour, and only then', async () => {
      await mkdir(join(dir, 'glue'), { recursive: true })
      const orphan = join(dir, 'glue', `${'0'.repeat(64)}.mjs`)
      const fresh = join(dir, 'glue', `${'1'.repeat(64)}.mjs`)
      await writeFile(orphan, 'export {}')
      await writeFile(fresh, 'export {}')
      const old = new Date(Date.now() - 2 * 3600_000)
      await utimes(orphan, old, old)
      const trim = await trimDiskCache(dir, DEFAULT_DISK_CACHE_BYTES)
      assert.deepEqual(trim.glue, ['0'.repeat(64)])
      assert.ok((await readdir(join(dir, 'glue'))).includes(`${'1'.repeat(64)}.mjs`))
    })
  })
})
