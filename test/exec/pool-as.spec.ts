import assert from 'node:assert/strict'
import { Worker } from 'node:worker_threads'
import { loadComponent, type CompiledComponent } from '../../src/component/index.js'
import { createExecPool, type ExecPool } from '../../src/exec/index.js'
import { encode, decode } from '../../src/objects/codec.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

describe('exec/pool (AssemblyScript guest)', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let guest: CompiledComponent
  let pool: ExecPool

  before(async () => {
    cache = tempDir()
    guest = await loadComponent(await fixtureComponent('guests/as-sandbox/sandbox.ts', 'as'), { cacheDir: cache.dir, memoryLimitMb: 64 })
    pool = createExecPool({ workers: 2, cacheDir: cache.dir, host: { log: () => {} } })
    await pool.start()
  })

  after(async () => {
    await pool?.stop()
    cache?.remove()
  })

  const call = async (name: string, ...args: unknown[]): Promise<unknown> => decode(await pool.call(guest, name, encode(args)))

  it('turns a trap into a GuestTrapError with the guest\'s message; the next call works', async () => {
    await assert.rejects(call('explode', 'on purpose'), (e: Error) => e.name === 'GuestTrapError' && /unreachable/.test(e.message) && /explode: on purpose/.test(e.message))
    assert.equal(await call('add', 2, 3), 5)
    assert.equal(pool.stats().respawns, 0, 'a trap discards the instance, not the worker')
  })

  it('turns stack exhaustion into a GuestTrapError', async () => {
    await assert.rejects(call('deep', 1), { name: 'GuestTrapError' })
    assert.equal(await call('add', 1, 1), 2)
  })

  it('stops a spinning AssemblyScript guest at its timeout; the next call succeeds within 1 s', async () => {
    await assert.rejects(pool.call(guest, 'spin', encode([]), { timeoutMs: 200 }), { name: 'TaskTimeoutError' })
    const t = performance.now()
    assert.equal(await call('add', 4, 5), 9)
    assert.ok(performance.now() - t < 1000)
  })

  it('fails a guest growing past its 64 MiB cap with a memory error', async () => {
    await assert.rejects(call('grow', 1000), (e: Error) => e.name === 'GuestOutOfMemoryError' && /64 MiB/.test(e.message))
    assert.equal(await call('grow', 8), 8)
  })

  it("a burst of one actor's calls goes to its worker in one message, runs in order; a trap mid-burst fails the calls after it", async () => {
    const a = await pool.createActor(guest, 'Tally', encode([]))
    const sent: string[] = []
    const post = Worker.prototype.postMessage
    Worker.prototype.postMessage = function (this: Worker, msg: unknown, transfer?: readonly Transferable[]) {
      sent.push((msg as { type?: string }).type ?? '?')
      post.call(this, msg, transfer as never)
    }
    try {
      const outs = await Promise.all(Array.from({ length: 20 }, async () => decode(await pool.invoke(a, 'add', encode([1])))))
      assert.deepEqual(outs, Array.from({ length: 20 }, (_, i) => i + 1))
      assert.ok(sent.includes('actor-batch') && sent.length < 20, `20 calls took ${sent.length} messages (${sent.join(', ')})`)
      const burst = await Promise.allSettled([pool.invoke(a, 'add', encode([1])), pool.invoke(a, 'crash', encode([])), pool.invoke(a, 'add', encode([1])), pool.invoke(a, 'add', encode([1]))])
      assert.equal(burst[0].status === 'fulfilled' && decode(burst[0].value), 21)
      assert.deepEqual(burst.slice(1).map(b => b.status === 'rejected' ? (b.reason as Error).name : 'ran'), ['GuestTrapError', 'ActorDiedError', 'ActorDiedError'])
    } finally {
      Worker.prototype.postMessage = post
    }
    assert.equal(pool.stats().queued, 0)
  })

  it('an actor whose method traps is gone; other actors live on', async () => {
    const a = await pool.createActor(guest, 'Tally', encode([]))
    const b = await pool.createActor(guest, 'Tally', encode([]))
    assert.equal(decode(await pool.invoke(a, 'add', encode([5]))), 5)
    assert.equal(decode(await pool.invoke(b, 'add', encode([1]))), 1)
    await assert.rejects(pool.invoke(a, 'crash', encode([])), { name: 'GuestTrapError' })
    await assert.rejects(pool.invoke(a, 'add', encode([1])), { name: 'ActorDiedError' })
    assert.equal(decode(await pool.invoke(b, 'add', encode([1]))), 2)
    await pool.destroyActor(b)
  })

  it('gives actor workers a larger JavaScript heap than task workers by default; workerHeapMb sets both', async () => {
    type Limits = Array<{ worker: { resourceLimits?: { maxOldGenerationSizeMb?: number } } }>
    const heaps = (p: ExecPool): { tasks: Array<number | undefined>, actors: Array<number | undefined> } => {
      const inner = p as unknown as { slots: Limits, actorWorkers: Limits }
      return {
        tasks: inner.slots.map(s => s.worker.resourceLimits?.maxOldGenerationSizeMb),
        actors: inner.actorWorkers.map(s => s.worker.resourceLimits?.maxOldGenerationSizeMb)
      }
    }
    const a = await pool.createActor(guest, 'Tally', encode([]))
    const got = heaps(pool)
    assert.deepEqual(got.tasks, [512, 512])
    assert.ok(got.actors.length > 0 && got.actors.every(mb => mb === 2048), `actor workers: ${got.actors.join(', ')}`)
    await pool.destroyActor(a)
    const small = createExecPool({ workers: 1, workerHeapMb: 96, cacheDir: cache.dir, host: { log: () => {} } })
    await small.start()
    try {
      const b = await small.createActor(guest, 'Tally', encode([]))
      assert.deepEqual(heaps(small), { tasks: [96], actors: [96] })
      await small.destroyActor(b)
    } finally {
      await small.stop()
    }
  })

  it('counts each instance\'s linear memory as it grows, and no longer once it is gone', async () => {
    const one = createExecPool({ workers: 1, actorWorkers: 1, cacheDir: cache.dir, host: { log: () => {} } })
    await one.start()
    try {
      const MiB = 1024 * 1024
      assert.equal(decode(await one.call(guest, 'add', encode([1, 1]))), 2)
      const warm = one.stats().memoryBytes
      assert.ok(warm > 0)
      // The warm instance grows by at least 8 MiB while the call runs: the reply counts it.
      assert.equal(decode(await one.call(guest, 'grow', encode([8]))), 8)
      assert.ok(one.stats().memoryBytes >= warm + 8 * MiB, `${one.stats().memoryBytes} after growing from ${warm}`)
      // A trap discards the instance: nothing of it is counted any more.
      await assert.rejects(one.call(guest, 'explode', encode(['gone'])), { name: 'GuestTrapError' })
      assert.equal(one.stats().memoryBytes, 0)
      // Each actor owns an instance: two count twice one; destroying them takes them off again.
      const a = await one.createActor(guest, 'Tally', encode([]))
      const perActor = one.stats().memoryBytes
      assert.ok(perActor > 0)
      const b = await one.createActor(guest, 'Tally', encode([]))
      assert.equal(one.stats().memoryBytes, 2 * perActor)
      await one.destroyActor(a)
      assert.equal(one.stats().memoryBytes, perActor)
      await one.destroyActor(b)
      assert.equal(one.stats().memoryBytes, 0)
    } finally {
      await one.stop()
    }
  })
})
