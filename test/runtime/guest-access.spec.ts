// A guest names only refs it was given, made or received (issue 13: a guest read another driver's
// ref by guessing its sequential id). Embedded, with the kitchen guest: `stashWithId` leaks the id
// of a ref it made as a plain string; `readId` reads whatever id it is handed.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule, type ObjectRef } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>

describe('runtime: what a guest may read (guest-access)', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let m: Kitchen

  before(async () => {
    cache = tempDir()
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Kitchen>(await fixtureComponent('guests/ts/kitchen.ts'))
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('a guest cannot read a ref by an id it was not given (PermissionDeniedError, kind permission-denied), small or large', async () => {
    for (const value of ['secret', 'x'.repeat(300_000)]) {
      const { ref, id } = await fabric.get(m.stashWithId.remote(value)) as { ref: ObjectRef<string>, id: string }
      assert.equal(await fabric.get(ref), value, 'the driver that holds the ref reads it')
      await assert.rejects(fabric.get(m.readId.remote(id)), (err: Error & { kind?: string }) => {
        assert.equal(err.kind, 'permission-denied', `${err.name}: ${err.message}`)
        assert.match(err.message, /was not given to this task, made by it, or found in a value it read/)
        return true
      })
      // Given the ref, a guest reads it.
      assert.equal(await fabric.get(m.fetch.remote(m.stash.remote(value) as never)), value)
    }
  })

  it('a guest may read refs it made and refs inside values it read', async () => {
    // stash puts (made) and returns the ref; fetch gets it by the ref it was given.
    const made = m.stash.remote({ n: 1 }) as ObjectRef<ObjectRef<{ n: number }>>
    assert.deepEqual(await fabric.get(await fabric.get(made)), { n: 1 })
  })

  it('ids guessed next to a real one are all refused, whether or not a ref has them', async () => {
    const { id } = await fabric.get(m.stashWithId.remote('guarded')) as { ref: ObjectRef<string>, id: string }
    // Guessing the next ids of the table: every one the guest was not given is refused.
    const prefix = id.slice(0, id.lastIndexOf('/') + 2)
    const n = parseInt(id.slice(prefix.length), 36)
    for (const guess of [n - 1, n, n + 1].map(k => `${prefix}${k.toString(36)}`)) {
      await assert.rejects(fabric.get(m.readId.remote(guess)), (err: Error & { kind?: string }) => err.kind === 'permission-denied')
    }
  })
})
