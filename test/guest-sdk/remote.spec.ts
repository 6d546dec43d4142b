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
import { LocalNode, resolveActorOptions } from '../../src/runtime/index.js'
import { guestCallActor } from '../../src/runtime/guest-actor-calls.js'

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
    // Unknown options are refused by name, as the driver refuses them; placement is the node's.
    await assert.rejects(fabric.get(m.addWith.remote({ colour: 'red' } as never, 1, 1)), /nested task 'add': unknown option colour \(known: cpus/)
    await assert.rejects(fabric.get(m.addWith.remote({ scheduling: 'spread' } as never, 1, 1)), /option scheduling is not supported for nested tasks yet/)
  })

  it('a generator called from a guest gives one ref to the array of its values', async () => {
    assert.equal(await fabric.get(m.sumCount.remote(4)), 10)
  })

  it('a generator actor method streams its values to the driver as refs, in order (the manifest lists it as streaming)', async () => {
    const t = await m.Tally.create()
    await fabric.get(t.add.remote(10))
    const got: number[] = []
    for await (const r of t.upTo.remote(3)) got.push(await fabric.get(r))
    assert.deepEqual(got, [11, 12, 13])
    assert.equal(await fabric.get(t.add.remote(1)), 11)
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
    assert.ok(err.diagnostics.some(d => d.line === 10 && /'string'.*'number/.test(d.message)), JSON.stringify(err.diagnostics))
    assert.ok(err.diagnostics.some(d => d.line === 11 && /decr/.test(d.message)), JSON.stringify(err.diagnostics))
  })
})

describe('guest-sdk: actor handles inside guests (actorHandle(id).method.remote())', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let componentPath: string

  before(async () => {
    cache = tempDir()
    componentPath = await fixtureComponent('guests/ts-remote/remote.ts')
  })

  after(() => cache?.remove())

  it('reaches the host\'s actors.call service with the actor id, method, arguments and options', async () => {
    const seen: Array<{ actorId: string, method: string, args: unknown, options: unknown, tag?: string }> = []
    let handleOut: unknown
    const pool = createExecPool({
      workers: 1,
      cacheDir: cache.dir,
      host: {
        objects: {
          get: async (id) => encode(Number(id.slice(1)) * 10),
          put: async () => { throw new Error('not used') }
        },
        actors: {
          call: async (actorId, method, args, options, ctx) => {
            seen.push({ actorId, method, args: decode(args), options: decode(options), tag: ctx.tag })
            return `r${seen.length}`
          }
        }
      }
    })
    await pool.start()
    try {
      const component = await loadComponent(componentPath, { cacheDir: cache.dir })
      assert.equal(decode(await pool.call(component, 'bump', encode(['a1x', 5]), { tag: 'caller' })), 10)
      assert.equal(decode(await pool.call(component, 'bumpWith', encode(['a1x', 6, 250]))), 20)
      assert.deepEqual(decode(await pool.call(component, 'bumpMany', encode(['a2y', 3]))), [30, 40, 50])
      handleOut = decode(await pool.call(component, 'handleOf', encode(['a3z'])))
      assert.equal(decode(await pool.call(component, 'bumpVia', encode([{ tally: { actorId: 'a4w' } }, 1]))), 60)
      await assert.rejects(pool.call(component, 'bumpVia', encode([{ tally: { id: 'a4w' } }, 1])), /actorHandle\(\) takes an actor's id .* got an object without an actorId string/)
    } finally {
      await pool.stop()
    }
    assert.deepEqual(seen[0], { actorId: 'a1x', method: 'add', args: [5], options: {}, tag: 'caller' })
    assert.deepEqual(handleOut, { actorId: 'a3z' })
    assert.deepEqual(seen[1], { actorId: 'a1x', method: 'add', args: [6], options: { timeoutMs: 250 }, tag: undefined })
    assert.deepEqual(seen.slice(2).map(s => s.args), [[1], [2], [3], [1]])
    assert.equal(seen[5]?.actorId, 'a4w')
  })

  it('a host without the service refuses the call as unsupported, naming what is missing', async () => {
    const pool = createExecPool({ workers: 1, cacheDir: cache.dir })
    await pool.start()
    try {
      const component = await loadComponent(componentPath, { cacheDir: cache.dir })
      await assert.rejects(pool.call(component, 'bump', encode(['a1x', 5])), /calling actors from guests is not available on this host/)
    } finally {
      await pool.stop()
    }
  })

  it('guestCallActor queues the call on a real node\'s actor, refs as dependencies, and refuses bad input by name', async () => {
    const node = new LocalNode({ workers: 1, cacheDir: cache.dir })
    await node.start()
    try {
      const { component } = await node.load(componentPath)
      const actorId = await node.createActor(component, 'Tally', [], resolveActorOptions({}, 'Tally'))
      const five = node.put(encode(5), [])
      const first = guestCallActor(node, actorId, 'add', encode([new ObjectRef(five)]), encode({}))
      const second = guestCallActor(node, actorId, 'add', encode([2]), encode({ timeoutMs: 5000 }))
      assert.equal(decode(await node.get(first)), 5)
      assert.equal(decode(await node.get(second)), 7)
      assert.throws(() => guestCallActor(node, actorId, 'add', encode([1]), encode({ cpus: 2 })), /unknown option cpus \(an actor call takes timeoutMs/)
      assert.throws(() => guestCallActor(node, actorId, 'add', encode([1]), encode({ timeoutMs: -1 })), /timeoutMs must be a non-negative number, got -1/)
      assert.throws(() => guestCallActor(node, actorId, 'add', encode(1), encode({})), /arguments must be a CBOR array/)
      assert.throws(() => guestCallActor(node, '', 'add', encode([1]), encode({})), /actor id is empty/)
      const gone = guestCallActor(node, 'a-no-such-actor', 'add', encode([1]), encode({}))
      await assert.rejects(node.get(gone), /not alive/)
    } finally {
      await node.stop()
    }
  })

  it('on an embedded fabric: a task and another actor call an actor whose id the driver passed', async function () {
    // One worker: both actors share one actor worker, so the actor-to-actor call needs lending.
    const fabric = await Fabric.start({ workers: 1, cacheDir: cache.dir, log: () => {} })
    try {
      const m = await fabric.load<Remote>(componentPath)
      const t = await m.Tally.create()
      const first = await fabric.get(m.bump.remote(t.actorId, 5)).catch((err: Error) => err)
      assert.equal(first, 5)
      assert.deepEqual(await fabric.get(m.bumpMany.remote(t.actorId, 3)), [6, 8, 11])
      const other = await m.Tally.create()
      assert.equal(await fabric.get(other.addTo.remote(t.actorId, 100)), 111)
      assert.equal(await fabric.get(t.add.remote(0)), 111)
      // Handles as results and arguments: { actorId } inside values.
      assert.deepEqual(await fabric.get(m.handleOf.remote(t.actorId)), { actorId: t.actorId })
      assert.equal(await fabric.get(m.bumpVia.remote({ tally: { actorId: t.actorId } }, 1)), 112)
      assert.equal(await fabric.get(m.forward.remote(t.actorId, 1)), 113)
    } finally {
      await fabric.stop()
    }
  })
})
