import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { cidOfBytesSync } from '../../src/component/index.js'
import { getTranspilerVersion, readCacheEntry, resolveCacheDir, writeCacheEntry } from '../../src/component/transpile-cache.js'
import { validateComponent } from '../../src/component/validate.js'
import { guestComponent, tempDir } from './fixtures.js'

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
})
