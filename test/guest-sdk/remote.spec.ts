import assert from 'node:assert/strict'
import path from 'node:path'
import { Fabric, type GuestModule } from '../../src/index.js'
import { loadComponent } from '../../src/component/index.js'
import { createExecPool } from '../../src/exec/index.js'
import { encode, decode } from '../../src/objects/codec.js'
import { ObjectRef } from '../../src/objects/object-ref.js'
import { buildComponent, BuildError } from '../../guest-sdk/src/build/index.js'
import { declareTypeScriptGuest } from '../../guest-sdk/src/build/declarations.js'
import { fixtureComponent, FIXTURES, tempDir } from '../helpers/fixtures.js'

type Remote = GuestModule<typeof import('../fixtures/guests/ts-remote/remote.js')>

describe('guest-sdk: task.remote() inside guests', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let componentPath: string
  let fabric: Fabric
  let m: Remote

  before(async () => {
    cache = tempDir()
    componentPath = await fixtureComponent('guests/ts-remote/remote.ts')
    fabric = await Fabric.start({ workers: 2, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Remote>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('fib through fib.remote(n - 1) gives the right answer on an embedded fabric', async () => {
    assert.equal(await fabric.get(m.fib.remote(15)), 610)
  })

  it('calls .remote() from an actor method too', async () => {
    const t = await m.Tally.create()
    assert.equal(await fabric.get(t.fibOf.remote(10)), 55)
  })

  it('passes refs made by .remote() as arguments of another .remote(), beside the untyped submit', async () => {
    assert.equal(await fabric.get(m.addRefs.remote(2, 3)), 5)
    assert.equal(await fabric.get(m.addUntyped.remote(4, 5)), 9)
  })

  it('.options({ cpus: 0 }) runs; bad options are refused by the host with what was wrong', async () => {
    assert.equal(await fabric.get(m.addWith.remote({ cpus: 0 }, 2, 3)), 5)
    await assert.rejects(fabric.get(m.addWith.remote({ cpus: -1 }, 1, 1)), /nested task 'add': option cpus must be a non-negative number, got -1/)
    await assert.rejects(fabric.get(m.addWith.remote({ resources: { ssd: -2 } }, 1, 1)), /resource 'ssd' must be a non-negative number/)
  })

  it('a generator called from a guest gives one ref to the array of its values', async () => {
    assert.equal(await fabric.get(m.sumCount.remote(4)), 10)
  })

  it('a task that is not exported says so when called with .remote()', async () => {
    await assert.rejects(fabric.get(m.callHidden.remote()), /not exported from the component's entry/)
  })

  it('.options() reaches the host import as the guest gave them, with the task\'s export name and ref arguments', async () => {
    const seen: Array<{ component: string, name: string, args: unknown, options: unknown }> = []
    const pool = createExecPool({
      workers: 1,
      cacheDir: cache.dir,
      host: {
        objects: {
          get: async (id) => { assert.equal(id, 'tnested'); return encode(42) },
          put: async () => { throw new Error('not used') }
        },
        tasks: {
          submit: async (component, name, args, options) => {
            seen.push({ component, name, args: decode(args), options: decode(options) })
            return 'tnested'
          },
          get: async (id) => { assert.equal(id, 'tnested'); return encode(42) },
          wait: async (ids) => ids
        }
      }
    })
    await pool.start()
    try {
      const component = await loadComponent(componentPath, { cacheDir: cache.dir })
      assert.equal(decode(await pool.call(component, 'addWith', encode([{ cpus: 0, resources: { slot: 1 } }, 2, 3]))), 42)
      assert.equal(decode(await pool.call(component, 'addRefs', encode([2, 3]))), 42)
    } finally {
      await pool.stop()
    }
    assert.deepEqual(seen[0], { component: '', name: 'add', args: [2, 3], options: { cpus: 0, resources: { slot: 1 } } })
    assert.deepEqual(seen[1], { component: '', name: 'add', args: [2, 0], options: {} })
    assert.deepEqual(seen[2], { component: '', name: 'add', args: [new ObjectRef('tnested'), 3], options: {} })
  })

  it('.remote() in a module\'s top-level code fails the build: names are not known yet', async () => {
    const err = await buildComponent({ entry: path.join(FIXTURES, 'guests/ts-bad/remote-at-load.ts'), out: path.join(cache.dir, 'at-load.wasm') }).catch((e: unknown) => e)
    assert.ok(err instanceof BuildError, String(err))
    assert.match(err.message, /name is not known yet/)
  })

  it('types .remote(): a wrong argument type is a build error at its line', () => {
    const err = (() => {
      try {
        declareTypeScriptGuest(path.join(FIXTURES, 'guests/ts-bad/remote-wrong-type.ts'))
      } catch (e) {
        return e
      }
    })()
    assert.ok(err instanceof BuildError, String(err))
    assert.ok(err.diagnostics.some(d => d.line === 5 && /'string'.*'number/.test(d.message)), JSON.stringify(err.diagnostics))
  })
})
