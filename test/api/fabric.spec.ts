import assert from 'node:assert/strict'
import { Fabric, ObjectRef, type GuestModule, type UntypedModule } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { skipBecause } from '../helpers/skip.js'
import { waitFor } from '../helpers/wait-for.js'
import { poolOf } from './embedded-pool.js'

// The same type `fabric build` writes into kitchen.d.ts, straight from the fixture's source.
type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>
type Any = UntypedModule

/** Poll the node while `work` runs; returns the most tasks seen running at once. */
async function peakRunning (fabric: Fabric, work: Promise<unknown>): Promise<number> {
  let peak = 0
  let done = false
  void work.finally(() => { done = true })
  while (!done) {
    peak = Math.max(peak, fabric.stats().tasks.running)
    await new Promise(resolve => setTimeout(resolve, 2))
  }
  await work
  return peak
}

describe('api/Fabric (embedded)', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let kitchenPath: string
  let nestedPath: string
  let sandboxPath: string
  let fabric: Fabric
  let m: Kitchen
  let n: Any

  before(async () => {
    cache = tempDir()
    ;[kitchenPath, nestedPath, sandboxPath] = await Promise.all([
      fixtureComponent('guests/ts/kitchen.ts'),
      fixtureComponent('guests/ts-nested/nested.ts'),
      fixtureComponent('guests/as-sandbox/sandbox.ts', 'as')
    ])
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, resources: { custom: { slot: 1 } }, log: () => {} })
    m = await fabric.load<Kitchen>(kitchenPath)
    n = await fabric.load(nestedPath)
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  describe('tasks', () => {
    it('returns refs at once and values through get, for one ref or many', async () => {
      const a = m.add.remote(1, 2)
      assert.ok(a instanceof ObjectRef)
      assert.equal(await fabric.get(a), 3)
      const refs = [m.add.remote(1, 1), m.add.remote(2, 2), m.sumSquares.remote(10)]
      assert.deepEqual(await fabric.get(refs), [2, 4, 285])
    })

    it('passes refs as arguments: the task waits for them and gets their values', async () => {
      const squares = [1, 2, 3].map(x => m.sumSquares.remote(x))
      const total = m.add.remote(squares[1]!, squares[2]!)
      assert.equal(await fabric.get(total), 1 + 5)
      const put = fabric.put(new Float64Array([1, 2, 3, 4]))
      assert.deepEqual(await fabric.get(m.stats.remote(put)), { n: 4, sum: 10, mean: 2.5 })
    })

    it('waits for refs nested in values and passes them as refs', async () => {
      const inner = n.square.remote(7)
      assert.equal(await fabric.get(n.open.remote({ inner })), 49)
      const echoed = await fabric.get(m.echo.remote([inner, { deep: inner }])) as unknown[]
      assert.ok(echoed[0] instanceof ObjectRef)
      assert.equal(await fabric.get(echoed[0] as ObjectRef<number>), 49)
    })

    it('streams a generator\'s values as refs', async () => {
      const seen: number[] = []
      for await (const ref of m.countTo.remote(5)) seen.push(await fabric.get(ref))
      assert.deepEqual(seen, [1, 2, 3, 4, 5])
    })

    it('streams values while the generator is still running', async () => {
      let first: number | undefined
      let runningAtFirst = 0
      for await (const ref of m.slowCount.remote(4, 3_000_000)) {
        const item = await fabric.get(ref)
        if (first === undefined) {
          first = item.i
          runningAtFirst = fabric.stats().tasks.running
        }
      }
      assert.equal(first, 1)
      assert.equal(runningAtFirst, 1, 'the first item arrived while the task still ran')
    })

    it('fails a get with the guest\'s typed error', async () => {
      await assert.rejects(fabric.get(m.fail.remote('boom')), (e: Error & { kind?: string }) => e.name === 'TaskError' && e.kind === 'application' && /boom/.test(e.message))
    })
  })

  describe('options', () => {
    it('cpus and custom resources limit what runs at once', async () => {
      // Two CPUs: two one-CPU tasks overlap; a two-CPU task runs alone; slot:1 serialises.
      const two = await peakRunning(fabric, fabric.get([1, 2, 3, 4].map(() => m.sumSquares.remote(3_000_000))))
      assert.equal(two, 2)
      const wide = await peakRunning(fabric, fabric.get([1, 2, 3].map(() => m.sumSquares.options({ cpus: 2 }).remote(3_000_000))))
      assert.equal(wide, 1)
      const slot = await peakRunning(fabric, fabric.get([1, 2, 3].map(() => m.sumSquares.options({ resources: { slot: 1 } }).remote(3_000_000))))
      assert.equal(slot, 1)
    })

    it('fails the ref of what no node can ever run, saying what is missing (as across nodes)', async () => {
      await assert.rejects(fabric.get(m.add.options({ gpus: 1 }).remote(1, 2)), (e: Error) => e.name === 'InfeasibleTaskError' && /gpus: needs 1, has 0/.test(e.message))
      await assert.rejects(fabric.get(m.add.options({ resources: { tpu: 2 } }).remote(1, 2)), /tpu: needs 2, has 0/)
      const stream = m.countTo.options({ gpus: 1 }).remote(3)[Symbol.asyncIterator]()
      await assert.rejects(stream.next(), { name: 'InfeasibleTaskError' })
      assert.throws(() => m.add.options({ cpus: -1 }), /cpus must be a non-negative number/)
    })

    it('gpus: a task asking for a GPU runs where one is offered', async () => {
      const gpuFabric = await Fabric.start({ workers: 1, cacheDir: cache.dir, resources: { gpus: 1 } })
      try {
        const g = await gpuFabric.load<Kitchen>(kitchenPath)
        assert.equal(await gpuFabric.get(g.add.options({ gpus: 1 }).remote(2, 2)), 4)
      } finally {
        await gpuFabric.stop()
      }
    })

    it('memoryMb raises the instance\'s memory cap', async () => {
      await assert.rejects(fabric.get(m.hog.remote(300)), { name: 'GuestOutOfMemoryError' })
      assert.equal(await fabric.get(m.hog.options({ memoryMb: 700 }).remote(300)), 300)
    })

    it('timeoutMs stops a runaway task with TaskTimeoutError', async () => {
      await assert.rejects(fabric.get(m.spin.options({ timeoutMs: 200 }).remote()), { name: 'TaskTimeoutError' })
    })

    it('retryExceptions retries application errors up to maxRetries; then RetriesExhaustedError with the cause', async () => {
      const one = await Fabric.start({ workers: 1, cacheDir: cache.dir })
      try {
        const f = await one.load(nestedPath)
        const k = await one.load<Kitchen>(kitchenPath)
        // No retry by default for application errors.
        await assert.rejects(one.get(f.flaky.remote(1)), { name: 'TaskError' })
        // The instance counted 1 call; two more failures, then success on the 4th call overall.
        assert.equal(await one.get(f.flaky.options({ retryExceptions: true, maxRetries: 3 }).remote(3)), 4)
        await assert.rejects(one.get(f.flaky.options({ retryExceptions: true, maxRetries: 1 }).remote(100)),
          (e: Error) => e.name === 'RetriesExhaustedError' && (e.cause as Error).name === 'TaskError' && /2 attempts/.test(e.message))
        // A list retries only the kinds named.
        await assert.rejects(one.get(k.failTyped.options({ retryExceptions: ['other'], maxRetries: 2 }).remote('quota')), { name: 'TaskError' })
        await assert.rejects(one.get(k.failTyped.options({ retryExceptions: ['quota'], maxRetries: 2 }).remote('quota')), { name: 'RetriesExhaustedError' })
      } finally {
        await one.stop()
      }
    })

    it('maxRetries resubmits a task whose worker died', async () => {
      const node = { pool: poolOf(fabric) }
      const killBusy = async (): Promise<void> => {
        for (let i = 0; i < 200; i++) {
          const busy = node.pool.slots.find(s => s.running !== undefined)
          if (busy !== undefined) {
            await busy.worker.terminate()
            return
          }
          await new Promise(resolve => setTimeout(resolve, 5))
        }
      }
      const noRetry = m.sumSquares.options({ maxRetries: 0 }).remote(1e9)
      await killBusy()
      await assert.rejects(fabric.get(noRetry), { name: 'WorkerCrashedError' })
      const oneRetry = m.sumSquares.options({ maxRetries: 1 }).remote(1e9)
      await killBusy()
      await new Promise(resolve => setTimeout(resolve, 300))
      await killBusy()
      await assert.rejects(fabric.get(oneRetry), (e: Error) => e.name === 'RetriesExhaustedError' && (e.cause as Error).name === 'WorkerCrashedError')
    })
  })

  describe('objects', () => {
    it('puts values and gets them back, typed arrays and maps intact', async () => {
      const value = { m: new Map([[1, 'a']]), f: new Float32Array([1.5]), s: 'x' }
      assert.deepEqual(await fabric.get(fabric.put(value)), value)
      const big = new Uint8Array(512 * 1024).fill(9)
      assert.deepEqual(await fabric.get(fabric.put(big)), big)
    })

    it('refuses a value that cannot be encoded, naming the argument', () => {
      assert.throws(() => fabric.put({ f: () => 1 }), (e: Error) => e.name === 'CodecError' && /function/.test(e.message))
      assert.throws(() => m.echo.remote((() => 1) as unknown as number), /argument 1: cannot encode a function/)
    })

    it('refuses a ref from another fabric', async () => {
      const other = await Fabric.start({ workers: 1, cacheDir: cache.dir })
      try {
        const foreign = other.put(1)
        await assert.rejects(fabric.get(foreign), { name: 'ForeignRefError' })
        assert.throws(() => m.add.remote(foreign as ObjectRef<number>, 1), { name: 'ForeignRefError' })
      } finally {
        await other.stop()
      }
    })

    it('get on a released object fails with ObjectReleasedError', async () => {
      const r = fabric.put('gone soon')
      assert.equal(await fabric.get(r), 'gone soon')
      fabric.free(r)
      await assert.rejects(fabric.get(r), { name: 'ObjectReleasedError' })
      const pending = m.sumSquares.remote(2_000_000)
      fabric.free(pending)
      await assert.rejects(fabric.get(pending), { name: 'ObjectReleasedError' })
    })

    it('get with a timeout fails with GetTimeoutError; the object is still there later', async () => {
      const slow = m.sumSquares.remote(20_000_000)
      await assert.rejects(fabric.get(slow, { timeoutMs: 20 }), { name: 'GetTimeoutError' })
      assert.equal(typeof await fabric.get(slow), 'number')
    })

    it('wait returns the ready refs in order, honouring numReturns and the timeout', async () => {
      const fast = m.add.remote(1, 1)
      const slow = m.sumSquares.remote(40_000_000)
      await fabric.get(fast)
      const first = await fabric.wait([slow, fast])
      assert.deepEqual(first.ready, [fast])
      assert.deepEqual(first.pending, [slow])
      const timed = await fabric.wait([slow, fast], { numReturns: 2, timeoutMs: 10 })
      assert.equal(timed.ready.length, 1)
      const all = await fabric.wait([slow, fast], { numReturns: 2 })
      assert.deepEqual(all.ready, [slow, fast])
      await assert.rejects(fabric.wait([fast], { numReturns: 2 }), /numReturns must be an integer from 0 to 1/)
    })

    it('releases objects nothing holds any more, so a long job\'s memory stays flat', async function () {
      if (typeof globalThis.gc !== 'function') skipBecause(this, 'needs node --expose-gc (npm test sets it in .mocharc.cjs)')
      const before = fabric.stats().refs
      // In a function of its own: an async function's frame would keep its last refs alive.
      const round = async (): Promise<void> => {
        const refs = Array.from({ length: 500 }, (_, i) => m.echo.remote(new Uint8Array(1024).fill(i)))
        await fabric.wait(refs, { numReturns: refs.length })
      }
      for (let i = 0; i < 5; i++) await round()
      for (let i = 0; i < 10 && fabric.stats().refs > before + 10; i++) {
        globalThis.gc!()
        await new Promise(resolve => setTimeout(resolve, 20))
      }
      assert.ok(fabric.stats().refs <= before + 10, `refs alive: ${fabric.stats().refs} (before: ${before})`)
    })
  })

  describe('failures', () => {
    it('a failed dependency fails its dependents with the cause chained', async () => {
      const bad = m.fail.remote('root cause')
      const dependent = m.add.remote(bad as unknown as ObjectRef<number>, 1)
      const second = m.add.remote(dependent, 1)
      await assert.rejects(fabric.get(second), (e: Error) =>
        e.name === 'DependencyFailedError' && (e.cause as Error).name === 'DependencyFailedError' &&
        ((e.cause as Error).cause as Error).name === 'TaskError' && /root cause/.test(((e.cause as Error).cause as Error).message))
    })

    it('cancel drops queued work and stops running work', async () => {
      const running = [m.spin.remote(), m.spin.remote()]
      // Both workers busy with a spin, so the next task stays queued.
      await waitFor(() => fabric.stats().tasks.running === 2, 'both spins running', 30_000)
      const queued = m.add.remote(1, 2)
      assert.equal(fabric.cancel(queued), true)
      await assert.rejects(fabric.get(queued), { name: 'TaskCancelledError' })
      assert.equal(fabric.stats().tasks.running, 2, 'cancelling a queued task left the running ones alone')
      for (const r of running) assert.equal(fabric.cancel(r), true)
      for (const r of running) await assert.rejects(fabric.get(r), { name: 'TaskCancelledError' })
      // The spins never return: only a real stop brings running back to 0.
      await waitFor(() => fabric.stats().tasks.running === 0, 'no task running after the cancel', 10_000)
      assert.equal(fabric.cancel(queued), false)
      assert.equal(await fabric.get(m.add.remote(2, 3)), 5)
    })
  })

  describe('actors', () => {
    it('keeps state across calls, in submission order', async () => {
      const c = await m.Counter.create(10)
      const refs = [1, 2, 3, 4].map(by => c.incr.remote(by))
      assert.deepEqual(await fabric.get(refs), [11, 13, 16, 20])
      assert.deepEqual(await fabric.get(c.get2.remote()), { n: 20, history: [11, 13, 16, 20] })
    })

    it('runs calls in order even when an earlier call waits for a ref', async () => {
      const c = await m.Counter.create(0)
      const slow = m.sumSquares.remote(2_000) // 2664667000
      const first = c.incr.remote(m.add.remote(slow, 0) as unknown as number)
      const second = c.incr.remote(1)
      assert.equal(await fabric.get(second), 2664667001)
      assert.equal(await fabric.get(first), 2664667000)
    })

    it('finds named actors, and kill ends them', async () => {
      const c = await m.Counter.options({ name: 'the-counter' }).create(1)
      const again = await fabric.getActor<{ incr: (by: number) => number }>('the-counter')
      assert.equal(again.actorId, c.actorId)
      assert.equal(await fabric.get(again.incr.remote(1)), 2)
      await assert.rejects(m.Counter.options({ name: 'the-counter' }).create(1), /already exists/)
      await fabric.kill(c)
      await assert.rejects(fabric.get(c.incr.remote(1)), { name: 'ActorDiedError' })
      await assert.rejects(fabric.getActor('the-counter'), { name: 'ActorNotFoundError' })
      // The name is free again.
      const d = await m.Counter.options({ name: 'the-counter' }).create(5)
      assert.equal(await fabric.get(d.incr.remote(0)), 5)
    })

    it('maxRestarts restarts a crashed actor; maxTaskRetries retries the call that crashed it', async () => {
      const s = await fabric.load(sandboxPath)
      const once = await s.Tally!.options({ maxRestarts: 1 }).create()
      assert.equal(await fabric.get(once.add!.remote(5)), 5)
      await assert.rejects(fabric.get(once.crash!.remote()), { name: 'GuestTrapError' })
      // Restarted: fresh state.
      assert.equal(await fabric.get(once.add!.remote(1)), 1)
      await assert.rejects(fabric.get(once.crash!.remote()), { name: 'GuestTrapError' })
      await assert.rejects(fabric.get(once.add!.remote(1)), { name: 'ActorDiedError' })

      const retried = await s.Tally!.options({ maxRestarts: 2, maxTaskRetries: 1 }).create()
      // The crashing call is retried once on the restarted actor, crashes again: out of retries.
      await assert.rejects(fabric.get(retried.crash!.remote()), { name: 'GuestTrapError' })
      assert.equal(await fabric.get(retried.add!.remote(3)), 3)
    })

    it('refuses maxConcurrency above 1 (not supported yet) and bad actor options', async () => {
      const c = await m.Counter.options({ maxConcurrency: 1 }).create(0)
      assert.deepEqual(await fabric.get([1, 1, 1].map(() => c.incr.remote(1))), [1, 2, 3])
      assert.throws(() => m.Counter.options({ maxConcurrency: 4 }), /maxConcurrency 4 is not supported yet: calls to one actor run one at a time/)
      assert.throws(() => m.Counter.options({ maxConcurrency: 0 }), /maxConcurrency must be an integer >= 1/)
      assert.throws(() => m.Counter.options({ maxRestarts: 1.5 }), /maxRestarts must be an integer/)
    })
  })

  describe('nested work from guests', () => {
    it('a guest fans out tasks and waits for them', async () => {
      assert.equal(await fabric.get(n.sumOfSquares.remote(20)), 2470)
    })

    it('a guest stores objects the driver can read', async () => {
      const ref = await fabric.get(n.keep.remote({ hello: 'world' })) as ObjectRef
      assert.ok(ref instanceof ObjectRef)
      assert.deepEqual(await fabric.get(ref), { hello: 'world' })
    })

    it('recursive fib(20) with nested tasks finishes on a 2-worker fabric without deadlock', async () => {
      const started = performance.now()
      assert.equal(await fabric.get(n.fib.remote(20)), 6765)
      const seconds = (performance.now() - started) / 1000
      console.log(`      (fib(20): 21,891 nested tasks in ${seconds.toFixed(1)} s)`)
    })
  })

  it('stop ends everything and is idempotent; calls after it fail clearly', async () => {
    const f = await Fabric.start({ workers: 1, cacheDir: cache.dir })
    const k = await f.load<Kitchen>(kitchenPath)
    const pending = k.spin.remote()
    const outcome = f.get(pending).then(() => 'resolved', (e: Error) => e.name)
    await f.stop()
    await f.stop()
    assert.equal(await outcome, 'FabricStoppedError')
    assert.throws(() => k.add.remote(1, 2), { name: 'FabricStoppedError' })
  })
})
