import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { loadComponent } from '../../src/component/index.js'
import type { CompiledComponent } from '../../src/component/index.js'
import { createExecPool, type ExecPool } from '../../src/exec/index.js'
import { workerProfArgs } from '../../src/exec/pool.js'
import { encode, decode } from '../../src/objects/codec.js'
import { ObjectRef } from '../../src/objects/object-ref.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { peakRss } from '../helpers/rss.js'
import { waitFor } from '../helpers/wait-for.js'

describe('exec/pool (QuickJS guest)', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let kitchen: CompiledComponent
  let pool: ExecPool
  const logs: string[] = []

  before(async () => {
    cache = tempDir()
    kitchen = await loadComponent(await fixtureComponent('guests/ts/kitchen.ts'), { cacheDir: cache.dir })
    pool = createExecPool({ workers: 2, cacheDir: cache.dir, host: { log: (level, message) => logs.push(`${level}:${message}`) } })
    await pool.start()
  })

  after(async () => {
    await pool?.stop()
    cache?.remove()
  })

  const call = async (name: string, ...args: unknown[]): Promise<unknown> => decode(await pool.call(kitchen, name, encode(args)))

  it('describes the tasks and actor classes of a component', async () => {
    const m = await pool.describe(kitchen)
    assert.equal(m.sdk, 'fabric-qjs/0.1.0')
    assert.deepEqual(m.tasks.map(t => t.name).sort(), ['add', 'countTo', 'echo', 'fail', 'failTyped', 'fetch', 'hog', 'readId', 'shout', 'slowCount', 'spin', 'stash', 'stashWithId', 'stats', 'sumSquares'])
    assert.equal(m.tasks.find(t => t.name === 'countTo')?.streaming, true)
    assert.deepEqual(m.actors, [{ name: 'Counter', methods: ['get2', 'incr'], streaming: [] }])
  })

  it('computes results of several tasks', async () => {
    assert.equal(await call('add', 2, 3), 5)
    assert.equal(await call('sumSquares', 1000), 332833500)
    assert.deepEqual(await call('stats', new Float64Array([1, 2, 3, 4])), { n: 4, sum: 10, mean: 2.5 })
    assert.deepEqual(await call('countTo', 4), [1, 2, 3, 4])
  })

  it('round-trips every CBOR type through a guest', async () => {
    const value = {
      int: -12345,
      float: 0.1,
      big: 2n ** 64n + 1n,
      text: 'unicode ✓ 日本',
      list: [1, [2, [3]], 'x', null, false],
      nested: { deep: { deeper: { deepest: [1.5] } } },
      map: new Map<unknown, unknown>([[1, 'a'], ['b', new Map([[2, 3]])]]),
      bytes: new Uint8Array([1, 2, 3, 250]),
      f32: new Float32Array([0.5, -1.25]),
      f64: new Float64Array([Math.E, 1e300]),
      i32: new Int32Array([-2147483648, 7]),
      ref: new ObjectRef('bafkreiref')
    }
    const out = await call('echo', value) as typeof value
    assert.deepEqual(out, value)
    assert.ok(out.f32 instanceof Float32Array && out.ref instanceof ObjectRef && out.map instanceof Map)
  })

  it('passes 1 MiB arguments and results', async () => {
    const big = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff)
    assert.deepEqual(await call('echo', big), big)
  })

  it('forwards guest log lines to the host', async () => {
    assert.equal(await call('shout', 'hey'), 'HEY')
    assert.ok(logs.some(l => l === 'info:shouting hey'), logs.join('\n'))
  })

  it('serves host imports while the guest blocks, and passes host errors back typed', async () => {
    const store = new Map<string, Uint8Array>()
    let blocked = 0
    const p = createExecPool({
      workers: 1,
      cacheDir: cache.dir,
      host: {
        objects: {
          put: async (data) => {
            await new Promise(resolve => setTimeout(resolve, 5)) // real async work on the main thread
            const id = `obj-${store.size + 1}`
            store.set(id, data)
            return id
          },
          get: async (id) => {
            const data = store.get(id)
            if (data === undefined) throw Object.assign(new Error(`no object ${id}`), { kind: 'not-found' })
            return data
          }
        },
        onBlocked: (isBlocked) => { if (isBlocked) blocked++ }
      }
    })
    await p.start()
    try {
      const ref = decode(await p.call(kitchen, 'stash', encode([{ big: new Float64Array([1, 2, 3]) }]))) as ObjectRef
      assert.ok(ref instanceof ObjectRef)
      assert.deepEqual(decode(store.get(ref.id)!), { big: new Float64Array([1, 2, 3]) })
      assert.deepEqual(decode(await p.call(kitchen, 'fetch', encode([ref]))), { big: new Float64Array([1, 2, 3]) })
      await assert.rejects(p.call(kitchen, 'fetch', encode([new ObjectRef('missing')])),
        (e: Error & { kind?: string }) => e.name === 'TaskError' && e.kind === 'not-found' && /no object missing/.test(e.message))
      assert.equal(blocked, 3)
    } finally {
      await p.stop()
    }
    // A pool without an objects service answers `unsupported`.
    await assert.rejects(call('stash', 1), (e: Error & { kind?: string }) => e.kind === 'unsupported')
  })

  it('keeps actor state across calls, in submission order', async () => {
    const actor = await pool.createActor(kitchen, 'Counter', encode([10]))
    const results = await Promise.all([1, 2, 3, 4, 5].map(async by => decode(await pool.invoke(actor, 'incr', encode([by])))))
    assert.deepEqual(results, [11, 13, 16, 20, 25])
    assert.deepEqual(decode(await pool.invoke(actor, 'get2', encode([]))), { n: 25, history: [11, 13, 16, 20, 25] })
    const other = await pool.createActor(kitchen, 'Counter', encode([]))
    assert.equal(decode(await pool.invoke(other, 'incr', encode([1]))), 1)
    await pool.destroyActor(actor)
    await assert.rejects(pool.invoke(actor, 'incr', encode([1])), { name: 'ActorDiedError' })
    await pool.destroyActor(other)
  })

  it('turns guest exceptions into typed TaskErrors and keeps the instance', async () => {
    await assert.rejects(call('fail', 'boom'), (e: Error & { kind?: string }) => e.name === 'TaskError' && e.kind === 'application' && /Error: boom/.test(e.message))
    await assert.rejects(call('failTyped', 'quota'), (e: Error & { kind?: string, retryable?: boolean }) => e.kind === 'quota' && e.retryable === true)
    await assert.rejects(call('nope'), (e: Error & { kind?: string }) => e.kind === 'unknown-task' && /no task 'nope'/.test(e.message))
    await assert.rejects(pool.createActor(kitchen, 'Nope', encode([])), (e: Error & { kind?: string }) => e.kind === 'unknown-actor')
    await assert.rejects(pool.call(kitchen, 'add', new Uint8Array([0xff])), (e: Error & { kind?: string }) => e.kind === 'bad-argument')
    assert.equal(await call('add', 1, 1), 2)
  })

  it('stops a guest that loops forever at its timeout; the next call succeeds within 1 s', async () => {
    const started = performance.now()
    await assert.rejects(pool.call(kitchen, 'spin', encode([]), { timeoutMs: 300 }), { name: 'TaskTimeoutError' })
    const stopped = performance.now()
    assert.ok(stopped - started < 1000, `timeout took ${stopped - started} ms`)
    assert.equal(await call('add', 20, 22), 42)
    assert.ok(performance.now() - stopped < 1000, `next call took ${performance.now() - stopped} ms`)
    // With every worker spinning, the pool still recovers.
    await Promise.allSettled([1, 2].map(() => pool.call(kitchen, 'spin', encode([]), { timeoutMs: 200 })))
    const t = performance.now()
    assert.equal(await call('add', 1, 2), 3)
    assert.ok(performance.now() - t < 1000, `call after two timeouts took ${performance.now() - t} ms`)
  })

  it('cancels running and queued calls through an AbortSignal', async () => {
    // Running: the spinning call holds a worker before the abort; its worker is replaced (a guest
    // spinning in wasm is stopped only by terminating its worker) and the slot is free again.
    await waitFor(() => pool.stats().busy === 0, 'an idle pool')
    const { respawns } = pool.stats()
    const ac = new AbortController()
    const running = pool.call(kitchen, 'spin', encode([]), { signal: ac.signal })
    const outcome = running.then(() => 'resolved', (e: Error) => e.name)
    await waitFor(() => pool.stats().busy === 1 && pool.stats().queued === 0, 'the spinning call to run on a worker')
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(await Promise.race([outcome, 'pending']), 'pending', 'the spinning call ended by itself')
    const abortedAt = performance.now()
    ac.abort()
    assert.equal(await outcome, 'TaskCancelledError')
    assert.ok(performance.now() - abortedAt < 1000, `cancel took ${(performance.now() - abortedAt).toFixed(0)} ms`)
    assert.equal(pool.stats().respawns, respawns + 1, 'the worker running the guest was replaced')
    assert.equal(pool.stats().busy, 0)
    // Queued (here: aborted before it is submitted): refused without running.
    const pre = new AbortController()
    pre.abort()
    await assert.rejects(pool.call(kitchen, 'add', encode([1, 2]), { signal: pre.signal }), { name: 'TaskCancelledError' })
    assert.equal(pool.stats().respawns, respawns + 1)
    assert.equal(await call('add', 2, 2), 4)
  })

  it('a task timeout does not kill actors', async () => {
    const actor = await pool.createActor(kitchen, 'Counter', encode([0]))
    await pool.invoke(actor, 'incr', encode([5]))
    await Promise.allSettled([1, 2].map(() => pool.call(kitchen, 'spin', encode([]), { timeoutMs: 100 })))
    assert.equal(decode(await pool.invoke(actor, 'incr', encode([1]))), 6)
    await pool.destroyActor(actor)
  })

  it('fails a guest that allocates without bound with a memory error; host RSS grows by less than 512 MiB', async () => {
    // The bound is on what the runaway guest adds (its 256 MiB cap plus copies), not on the whole
    // test process, whose RSS depends on every test before this one.
    const { before, peak } = await peakRss(async () => {
      await assert.rejects(call('hog', 100_000), (e: Error) => e.name === 'GuestOutOfMemoryError' && /256 MiB/.test(e.message))
    })
    assert.ok(peak - before < 512, `RSS grew by ${Math.round(peak - before)} MiB (from ${Math.round(before)} MiB)`)
    assert.equal(await call('add', 3, 4), 7)
  })

  it('FABRIC_WORKER_PROF_DIR: each worker writes a CPU profile there when it ends', async () => {
    const prof = tempDir('fabric-worker-prof-')
    process.env.FABRIC_WORKER_PROF_DIR = prof.dir
    try {
      const p = createExecPool({ workers: 1, cacheDir: cache.dir })
      await p.start()
      assert.equal(decode(await p.call(kitchen, 'add', encode([2, 3]))), 5)
      await p.stop()
      await waitFor(() => fs.readdirSync(prof.dir).some(f => f.endsWith('.cpuprofile')), 'a worker profile')
      const file = fs.readdirSync(prof.dir).find(f => f.endsWith('.cpuprofile'))!
      assert.ok(Array.isArray((JSON.parse(fs.readFileSync(path.join(prof.dir, file), 'utf8')) as { nodes?: unknown }).nodes))
      process.env.FABRIC_WORKER_PROF_DIR = 'relative/dir'
      assert.throws(() => workerProfArgs(process.env.FABRIC_WORKER_PROF_DIR), /must be an absolute path/)
    } finally {
      delete process.env.FABRIC_WORKER_PROF_DIR
      prof.remove()
    }
  })

  it('prewarm readies every worker and keeps no instance; a failing prewarm is skipped', async () => {
    const p = createExecPool({ workers: 2, cacheDir: cache.dir })
    await p.start()
    try {
      const loaded = (): boolean[] => (p as unknown as { slots: Array<{ loaded: Set<string> }> }).slots.map(s => [...s.loaded].some(k => k.startsWith(kitchen.cid)))
      assert.deepEqual(loaded(), [false, false])
      const missing = { ...kitchen, cid: 'bafkreimissingglue', jsUrl: new URL('file:///nonexistent/fabric-glue.mjs').href }
      assert.deepEqual(await p.prewarm([kitchen, missing]), [kitchen.cid], 'only what a worker readied')
      assert.deepEqual(loaded(), [true, true], 'each worker imported the component')
      assert.equal(p.stats().memoryBytes, 0, 'the prewarm instances were dropped')
      assert.equal(p.stats().respawns, 0)
      assert.equal(decode(await p.call(kitchen, 'add', encode([2, 3]))), 5)
      assert.ok(p.stats().memoryBytes > 0, 'a call keeps its warm instance')
    } finally {
      await p.stop()
    }
    await assert.rejects(p.prewarm([kitchen]), { name: 'PoolStoppedError' })
  })

  it('refuses work after stop, and stop is idempotent', async () => {
    const p = createExecPool({ workers: 1, cacheDir: cache.dir })
    await p.start()
    assert.equal(decode(await p.call(kitchen, 'add', encode([1, 2]))), 3)
    const queued = p.call(kitchen, 'spin', encode([]))
    const outcome = queued.then(() => 'resolved', (e: Error) => e.name)
    await p.stop()
    await p.stop()
    assert.equal(await outcome, 'PoolStoppedError')
    await assert.rejects(p.call(kitchen, 'add', encode([1, 2])), { name: 'PoolStoppedError' })
    assert.equal(p.stats().busy, 0)
  })
})
