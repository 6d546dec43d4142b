import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { HOST_TYPES_DIR, generateWitTypes, writeWitTypes } from '../../scripts/gen-wit-types.js'
import { tempDir } from './fixtures.js'

async function listFiles (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort()
}

describe('component host types', function () {
  this.timeout(60_000)

  it('match wit/ (WIT changed: run npm run gen:wit)', async () => {
    const { dir, cleanup } = await tempDir('fabric-host-types-')
    try {
      const written = await writeWitTypes(dir)
      assert.deepEqual(await listFiles(dir), written)
      const committed = await listFiles(HOST_TYPES_DIR)
      assert.deepEqual(committed, written, 'WIT changed: run npm run gen:wit (tsx scripts/gen-wit-types.ts) and commit src/component/host-types/')
      for (const path of written) {
        const [want, have] = await Promise.all([readFile(join(dir, path), 'utf8'), readFile(join(HOST_TYPES_DIR, path), 'utf8')])
        assert.equal(have, want, `WIT changed: ${path} is out of date; run npm run gen:wit (tsx scripts/gen-wit-types.ts)`)
      }
    } finally {
      await cleanup()
    }
  })

  it('type the sync-instantiated import object of every fabric:core interface', async () => {
    const world = (await generateWitTypes())['guest-world.d.ts']
    for (const iface of ['log', 'objects', 'tasks', 'types']) assert.match(world, new RegExp(`'fabric:core/${iface}@0\\.1\\.0': typeof`))
  })
})
