// The driver conformance suite: every test here runs unchanged against both faces of the driver
// contract (FabricDriver): an embedded fabric and a driver connected to three `fabric join`
// processes. A difference between the faces is a failure here.
import assert from 'node:assert/strict'
import { ObjectRef, type FabricDriver, type GuestModule, type UntypedModule } from '../../../src/index.js'
import { fixtureComponent } from '../../helpers/fixtures.js'
import { skipBecause } from '../../helpers/skip.js'
import { connectedFace, embeddedFace, type Face } from './faces.js'

type Kitchen = GuestModule<typeof import('../../fixtures/guests/ts/kitchen.js')>
type Streams = GuestModule<typeof import('../../fixtures/guests/ts-streams/streams.js')>
type Counter = { incr: (by: number) => number }

const gc = (globalThis as { gc?: () => void }).gc

/** Bytes that are large (stored by CID, not inline) and recognisable. */
function bytes (size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff
  return b
}

/** Poll `check` until true (GC and gossip are not synchronous), or fail saying what was waited for. */
async function eventually (check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`)
    gc?.()
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** A count once garbage from earlier tests is gone: the same over two looks `pause` ms apart, after a collection. */
async function settledCount (count: () => number, pause = 150): Promise<number> {
  let last = -1
  for (let i = 0; i < 50; i++) {
    gc?.()
    await new Promise(resolve => setTimeout(resolve, pause))
    const now = count()
    if (now === last) return now
    last = now
  }
  return last
}

for (const face of [embeddedFace(), connectedFace()] as Face[]) {
  describe(`driver conformance: ${face.name}`, function () {
    this.timeout(120_000)
    let fabric: FabricDriver
    let m: Kitchen
    let n: UntypedModule
    let s: Streams

    before(async function () {
      this.timeout(180_000)
      const [kitchen, nested, streams] = await Promise.all([fixtureComponent('guests/ts/kitchen.ts'), fixtureComponent('guests/ts-nested/nested.ts'), fixtureComponent('guests/ts-streams/streams.ts')])
      fabric = await face.start()
      m = await fabric.load<Kitchen>(kitchen)
      n = await fabric.load(nested)
      s = await fabric.load<Streams>(streams)
    })

    after(async () => {
      await face.stop()
    })

    describe('tasks and objects', () => {
      it('returns refs at once; get of one ref, and of a tuple typed position by position', async () => {
        const a = m.add.remote(1, 2)
        assert.ok(a instanceof ObjectRef)
        assert.equal(await fabric.get(a), 3)
        const [sum, loud] = await fabric.get([m.add.remote(2, 2), m.shout.remote('hi')])
        const typed: [number, string] = [sum, loud]
        assert.deepEqual(typed, [4, 'HI'])
      })

      it('passes refs as arguments: whole refs arrive as values, and chains of refs work', async () => {
        const squares = [1, 2, 3].map(x => m.sumSquares.remote(x))
        assert.equal(await fabric.get(m.add.remote(squares[1]!, squares[2]!)), 1 + 5)
        assert.equal(await fabric.get(m.add.remote(m.add.remote(1, 2), m.add.remote(3, 4))), 10)
      })

      it('passes refs nested in values as refs, both ways (a guest gets them; results hold them)', async () => {
        const inner = fabric.put({ word: 'inside' })
        assert.deepEqual(await fabric.get(n.open!.remote({ inner }) as ObjectRef<unknown>), { word: 'inside' })
        const back = await fabric.get(m.echo.remote({ inner }) as ObjectRef<{ inner: ObjectRef<{ word: string }> }>)
        assert.ok(back.inner instanceof ObjectRef)
        assert.deepEqual(await fabric.get(back.inner), { word: 'inside' })
        const made = await fabric.get(m.stash.remote([1, 2, 3]) as ObjectRef<ObjectRef<number[]>>)
        assert.deepEqual(await fabric.get(made), [1, 2, 3])
      })

      it('puts small and large values; a large one reaches a task and comes back intact', async () => {
        assert.deepEqual(await fabric.get(fabric.put({ a: [1, 2], m: new Map([['k', 1]]) })), { a: [1, 2], m: new Map([['k', 1]]) })
        const big = bytes(300 * 1024, 7)
        const ref = fabric.put(big)
        assert.deepEqual(await fabric.get(ref), big)
        assert.deepEqual(await fabric.get(m.echo.remote(ref) as ObjectRef<Uint8Array>), big)
        const box = fabric.put({ inner: ref })
        assert.deepEqual(await fabric.get(n.open!.remote(box) as ObjectRef<Uint8Array>), big)
      })

      it('streams a generator\'s values as refs, in order', async () => {
        const got: number[] = []
        for await (const r of m.countTo.remote(4)) got.push(await fabric.get(r))
        assert.deepEqual(got, [1, 2, 3, 4])
      })

      it('wait returns the ready refs in the order given, honouring numReturns and the timeout', async () => {
        const slow = m.sumSquares.remote(3e8)
        const fast = m.add.remote(1, 1)
        const first = await fabric.wait([slow, fast])
        assert.deepEqual([first.ready, first.pending], [[fast], [slow]])
        const timed = await fabric.wait([slow, fast], { numReturns: 2, timeoutMs: 10 })
        assert.deepEqual(timed.ready, [fast])
        await assert.rejects(fabric.wait([fast], { numReturns: 2 }), /numReturns must be an integer from 0 to 1/)
        fabric.cancel(slow)
      })

      it('get with a timeout fails with GetTimeoutError; the object is still there later', async () => {
        const slow = m.sumSquares.remote(2e8)
        await assert.rejects(fabric.get(slow, { timeoutMs: 20 }), { name: 'GetTimeoutError' })
        assert.equal(typeof await fabric.get(slow), 'number')
      })

      it('cancel stops running work: get throws TaskCancelledError', async () => {
        const running = m.spin.remote()
        await new Promise(resolve => setTimeout(resolve, 300))
        assert.equal(fabric.cancel(running), true)
        await assert.rejects(fabric.get(running), { name: 'TaskCancelledError' })
        assert.equal(fabric.cancel(running), false)
      })

      it('free releases an object now: a later get fails with ObjectReleasedError', async () => {
        const ref = m.echo.remote(bytes(200 * 1024, 1))
        await fabric.get(ref)
        fabric.free(ref)
        await assert.rejects(fabric.get(ref), { name: 'ObjectReleasedError' })
      })

      it('wait counts a failed task as done; get of an array throws the first failure', async () => {
        const bad = m.fail.remote('waited')
        const { ready } = await fabric.wait([bad], { timeoutMs: 30_000 })
        assert.deepEqual(ready, [bad])
        await assert.rejects(fabric.get([m.add.remote(1, 1), bad]), /waited/)
      })

      it('refuses, at once, a ref this fabric did not make (ForeignRefError)', () => {
        const stranger = new ObjectRef<number>('stranger-00000000')
        assert.throws(() => m.add.remote(stranger, 1), { name: 'ForeignRefError' })
        assert.throws(() => fabric.put({ inner: stranger }), { name: 'ForeignRefError' })
      })

      it('refuses values that are not data and things that are not refs, saying which', () => {
        assert.throws(() => m.echo.remote((() => 1) as never), (e: Error) => e.name === 'CodecError' && /^echo\.remote: argument 1: /.test(e.message))
        assert.throws(() => fabric.put({ f: () => 1 }), (e: Error) => e.name === 'CodecError' && /^put: /.test(e.message))
        assert.throws(() => fabric.free({ id: 'x' } as never), /expected an ObjectRef/)
      })
    })

    describe('errors and retries', () => {
      it('fails a get with the guest\'s typed error', async () => {
        await assert.rejects(fabric.get(m.fail.remote('boom')), (e: Error) => e.name === 'TaskError' && /boom/.test(e.message))
      })

      it('a failed dependency fails its dependents with the cause chained', async () => {
        const bad = m.fail.remote('deep')
        await assert.rejects(fabric.get(m.add.remote(bad as never, 1)), (e: Error) => e.name === 'DependencyFailedError' && /deep/.test(String((e.cause as Error | undefined)?.message)))
      })

      it('retryExceptions retries application errors up to maxRetries, then RetriesExhaustedError with the cause', async () => {
        await assert.rejects(fabric.get(m.failTyped.options({ retryExceptions: true, maxRetries: 2 }).remote('flaky')),
          (e: Error) => e.name === 'RetriesExhaustedError' && (e.cause as Error).name === 'TaskError')
        await assert.rejects(fabric.get(m.failTyped.options({ retryExceptions: ['other'], maxRetries: 2 }).remote('flaky')), { name: 'TaskError' })
      })

      it('timeoutMs stops a runaway task with TaskTimeoutError', async () => {
        await assert.rejects(fabric.get(m.spin.options({ timeoutMs: 200, maxRetries: 0 }).remote()), { name: 'TaskTimeoutError' })
      })
    })

    describe('options (one check for both faces)', () => {
      it('refuses unknown options, listing the known ones', () => {
        assert.throws(() => m.add.options({ cpu: 1 } as never), (e: Error) => e.name === 'TypeError' && e.message === "task 'add': unknown option cpu (known: cpus, gpus, memoryMb, resources, maxRetries, retryExceptions, timeoutMs, scheduling, labelSelector, softLabelSelector, placementGroup, memo)")
        assert.throws(() => m.Counter.options({ maxRetries: 1 } as never), /actor 'Counter': unknown option maxRetries \(known: cpus, gpus, memoryMb, resources, timeoutMs, scheduling, labelSelector, softLabelSelector, placementGroup, name, namespace, lifetime, maxRestarts, maxTaskRetries, maxConcurrency, durable, checkpointEvery, snapshotReplicas\)/)
        assert.throws(() => m.add.options({ cpus: -1 }), /option cpus must be a non-negative number, got -1/)
      })

      it('accepts every scheduling form, refuses anything else', async () => {
        const [node] = fabric.nodes()
        assert.ok(node !== undefined && node.id.length > 0 && node.cpus.total > 0)
        for (const scheduling of ['default', 'spread', { nodeAffinity: node.id }, { nodeAffinity: 'nowhere', soft: true }] as const) {
          assert.equal(await fabric.get(m.add.options({ scheduling }).remote(1, 1)), 2, JSON.stringify(scheduling))
        }
        assert.throws(() => m.add.options({ scheduling: 'pack' as never }), /option scheduling must be 'default', 'spread' or \{ nodeAffinity/)
        assert.throws(() => m.add.options({ scheduling: { nodeAffinity: node.id, hard: true } as never }), /option scheduling must be/)
      })

      it('a hard nodeAffinity to a node not in the fabric fails the call with InfeasibleTaskError', async () => {
        await assert.rejects(fabric.get(m.add.options({ scheduling: { nodeAffinity: 'nowhere' } }).remote(1, 1)),
          (e: Error) => e.name === 'InfeasibleTaskError' && e.message === "task 'add' must run on node nowhere (nodeAffinity), which is not in this caller's view of the fabric")
      })

      it('what no node can ever run fails its ref with InfeasibleTaskError', async () => {
        await assert.rejects(fabric.get(m.add.options({ resources: { tpu: 2 } }).remote(1, 2)), (e: Error) => e.name === 'InfeasibleTaskError' && /tpu/.test(e.message))
      })

      it('labels: hard ones no node has fail the ref (saying which), soft ones only prefer, bad ones are refused', async () => {
        // Neither face's nodes have labels.
        await assert.rejects(fabric.get(m.add.options({ labelSelector: { zone: 'eu' } }).remote(1, 1)),
          (e: Error) => e.name === 'InfeasibleTaskError' && /labels task 'add' needs \(zone=eu\)/.test(e.message))
        assert.equal(await fabric.get(m.add.options({ labelSelector: { zone: '!eu' } }).remote(1, 1)), 2)
        assert.equal(await fabric.get(m.add.options({ softLabelSelector: { zone: 'eu' } }).remote(2, 2)), 4)
        await assert.rejects(m.Counter.options({ labelSelector: { gpu: 'h100' } }).create(0), { name: 'InfeasibleTaskError' })
        assert.throws(() => m.add.options({ labelSelector: { zone: 3 } as never }), /option labelSelector must map label names to values/)
        assert.throws(() => m.add.options({ labelSelector: { a: 'b' }, softLabelSelector: { a: 'b' } }), /not both/)
      })

      it('refuses maxConcurrency above 1: not supported yet', () => {
        assert.throws(() => m.Counter.options({ maxConcurrency: 2 }), /actor 'Counter': option maxConcurrency 2 is not supported yet: calls to one actor run one at a time/)
      })
    })

    describe('actors', () => {
      it('keeps state across calls, in submission order', async () => {
        const c = await m.Counter.create(10)
        assert.deepEqual(await fabric.get([c.incr.remote(1), c.incr.remote(2), c.incr.remote(3)]), [11, 13, 16])
      })

      it('takes refs as constructor and call arguments (whole and nested), as values', async () => {
        const c = await m.Counter.create(m.add.remote(2, 3) as never) as unknown as { incr: { remote: (by: unknown) => ObjectRef<number> } }
        assert.equal(await fabric.get(c.incr.remote(fabric.put(10))), 15)
        assert.equal(await fabric.get(c.incr.remote(m.add.remote(1, 1))), 17)
        const shelf = await (n.Shelf as unknown as { create: (v: unknown) => Promise<Record<string, { remote: (...a: unknown[]) => ObjectRef }>> }).create({ inner: fabric.put('first') })
        assert.ok(shelf.actorId !== undefined)
      })

      it('refs given to an actor travel by reference: the driver pulls nothing to pass them on', async () => {
        type Shelf = Record<'stash' | 'read' | 'add', { remote: (...a: unknown[]) => ObjectRef }>
        const big = bytes(300 * 1024, 11)
        const made = m.echo.remote(big) // a large result: it stays where it was made
        await fabric.wait([made])
        const before = face.driverPulls()
        const shelf = await (n.Shelf as unknown as { create: (v: unknown) => Promise<Shelf> }).create({ inner: made })
        const calls = [shelf.read.remote(0), shelf.stash.remote(made), shelf.add.remote({ inner: made })]
        await fabric.wait(calls, { numReturns: calls.length })
        assert.equal(face.driverPulls() - before, 0, 'pulled by the driver')
        const [read, stashed, count] = await fabric.get(calls)
        assert.deepEqual(read, big)
        assert.deepEqual(await fabric.get(stashed as ObjectRef<Uint8Array>), big)
        assert.equal(count, 2)
      })

      it('finds named actors; kill ends them and frees the name', async () => {
        const c = await m.Counter.options({ name: 'conformance-counter' }).create(1)
        const again = await fabric.getActor<Counter>('conformance-counter')
        assert.equal(await fabric.get(again.incr.remote(1)), 2)
        await assert.rejects(m.Counter.options({ name: 'conformance-counter' }).create(1), /already exists/)
        assert.equal(await fabric.isActorAlive(c), true)
        await fabric.kill(c)
        assert.equal(await fabric.isActorAlive(c), false)
        await assert.rejects(fabric.get(c.incr.remote(1)), { name: 'ActorDiedError' })
        await assert.rejects(fabric.getActor('conformance-counter'), { name: 'ActorNotFoundError' })
        const d = await m.Counter.options({ name: 'conformance-counter' }).create(5)
        assert.equal(await fabric.get(d.incr.remote(0)), 5)
        await fabric.kill(d)
      })
    })

    describe('actor methods that are generators', () => {
      /** The values behind a stream of refs, in order. */
      async function drain<T> (stream: AsyncIterable<ObjectRef<T>>): Promise<T[]> {
        const out: T[] = []
        for await (const r of stream) out.push(await fabric.get(r))
        return out
      }

      it('stream their values as refs, each arriving while the method still runs', async () => {
        const feed = await s.Feed.create()
        const gate = await s.Gate.create()
        // Typed as a generator task is: an async stream of refs to the yielded values.
        const stream: AsyncIterable<ObjectRef<string>> = feed.gated.remote(gate, 100_000)
        const it = stream[Symbol.asyncIterator]()
        const first = await it.next()
        assert.equal(first.done, false)
        assert.equal(await fabric.get(first.value as ObjectRef<string>), 'before')
        // The method is still running, polling the gate: only a value that came early lets us open it.
        assert.equal(await fabric.get(gate.open.remote()), true)
        const second = await it.next()
        assert.equal(await fabric.get(second.value as ObjectRef<string>), 'after')
        assert.deepEqual(await it.next(), { done: true, value: undefined })
        assert.deepEqual(await drain(feed.items.remote(3)), [{ i: 1, seen: 1 }, { i: 2, seen: 1 }, { i: 3, seen: 1 }])
      })

      it('keep their place in the actor\'s call order among plain calls', async () => {
        const feed = await s.Feed.create()
        const a = feed.note.remote('a')
        const first = feed.items.remote(2)
        const b = feed.note.remote('b')
        const second = feed.items.remote(1)
        const c = feed.note.remote('c')
        // Read in another order than made: the calls ran in the order made all the same.
        assert.deepEqual(await drain(second), [{ i: 1, seen: 4 }])
        assert.deepEqual(await fabric.get([c, b, a]), [5, 3, 1])
        assert.deepEqual(await drain(first), [{ i: 1, seen: 2 }, { i: 2, seen: 2 }])
        assert.deepEqual(await fabric.get(feed.history.remote()), ['a', 'items(2)', 'b', 'items(1)', 'c'])
      })

      it('an error mid-stream ends the iteration with it, after the values yielded; the actor lives on (until killed)', async () => {
        const feed = await s.Feed.create()
        const got: number[] = []
        await assert.rejects((async () => {
          for await (const r of feed.failAfter.remote(2, 'mid-stream')) got.push(await fabric.get(r))
        })(), (e: Error) => e.name === 'TaskError' && /mid-stream/.test(e.message))
        assert.deepEqual(got, [1, 2])
        assert.equal(await fabric.get(feed.note.remote('after')), 2)
        // A killed actor's stream ends at once with ActorDiedError.
        await fabric.kill(feed)
        await assert.rejects(drain(feed.items.remote(1)), { name: 'ActorDiedError' })
      })

      it('values holding refs come as refs the driver can get', async () => {
        const feed = await s.Feed.create()
        const boxes = await drain(feed.boxes.remote(3))
        assert.ok(boxes.every(b => b.ref instanceof ObjectRef))
        assert.deepEqual(await fabric.get(boxes.map(b => b.ref)), [10, 20, 30])
      })

      it('a guest calling one (actorHandle(x).method.remote()) gets one ref to the array of its values', async () => {
        const feed = await s.Feed.create()
        // Across nodes, from a task on another node than the actor's (its call goes over /fabric/actor/1).
        const elsewhere = fabric.nodes().find(node => !feed.actorId.endsWith(`@${node.id}`))!
        assert.deepEqual(await fabric.get(s.collect.options({ scheduling: { nodeAffinity: elsewhere.id } }).remote(feed, 2)), [{ i: 1, seen: 1 }, { i: 2, seen: 1 }])
        assert.deepEqual(await drain(feed.items.remote(1)), [{ i: 1, seen: 2 }])
      })

      it('a stream left early lets go of the values not read (the method runs to its end)', async function () {
        if (gc === undefined) skipBecause(this, 'needs node --expose-gc (npm test sets it in .mocharc.cjs)')
        const feed = await s.Feed.create()
        const before = await settledCount(() => face.heldRefs(fabric))
        await (async () => {
          for await (const r of feed.items.remote(50)) {
            assert.deepEqual(await fabric.get(r), { i: 1, seen: 1 })
            break
          }
        })()
        // The generator ran to its end: the next call sees its log entry.
        assert.deepEqual(await fabric.get(feed.history.remote()), ['items(50)'])
        await eventually(() => face.heldRefs(fabric) <= before, `held refs back to ${before} (now ${face.heldRefs(fabric)})`)
      })

      it('a handle found again (getActor, actorHandle) streams them too', async () => {
        const feed = await s.Feed.options({ name: 'conformance-feed' }).create()
        type Feed = InstanceType<typeof import('../../fixtures/guests/ts-streams/streams.js').Feed>
        const byName = await fabric.getActor<Feed>('conformance-feed')
        assert.deepEqual(await drain(byName.items.remote(1)), [{ i: 1, seen: 1 }])
        const byId = await fabric.actorHandle<Feed>(feed.actorId)
        assert.deepEqual(await drain(byId.items.remote(1)), [{ i: 1, seen: 2 }])
        await fabric.kill(feed)
      })
    })

    describe('release on garbage collection', () => {
      it('refs the program drops are released, with what the fabric keeps for them', async function () {
        if (gc === undefined) skipBecause(this, 'needs node --expose-gc (npm test sets it in .mocharc.cjs)')
        const refsBefore = await settledCount(() => face.heldRefs(fabric))
        const storedBefore = await settledCount(() => face.storedObjects(fabric), 600)
        await (async () => {
          const refs = Array.from({ length: 12 }, (_, i) => m.echo.remote(bytes(150 * 1024, i)))
          await fabric.wait(refs, { numReturns: refs.length })
          assert.ok(face.heldRefs(fabric) >= refsBefore + 12, `${face.heldRefs(fabric)} refs held, ${refsBefore} before`)
          // The results are large: the fabric stores them (a node across nodes, as last gossiped).
          await eventually(() => face.storedObjects(fabric) >= storedBefore + 12, `12 more stored objects than ${storedBefore} (now ${face.storedObjects(fabric)})`)
          assert.equal(refs.length, 12) // the refs live until here
        })()
        await eventually(() => face.heldRefs(fabric) <= refsBefore, `held refs back to ${refsBefore} (now ${face.heldRefs(fabric)})`)
        await eventually(() => face.storedObjects(fabric) <= storedBefore, `stored objects back to ${storedBefore} (now ${face.storedObjects(fabric)})`)
      })

      it('keeps a dropped ref alive while a value holding it, or a pending task taking it, needs it', async function () {
        if (gc === undefined) skipBecause(this, 'needs node --expose-gc (npm test sets it in .mocharc.cjs)')
        const big = bytes(200 * 1024, 3)
        const { box, later } = (() => {
          const inner = fabric.put(big)
          const made = m.echo.remote(big)
          return { box: fabric.put({ inner }), later: m.echo.remote(made) }
        })()
        for (let i = 0; i < 5; i++) { gc!(); await new Promise(resolve => setTimeout(resolve, 50)) }
        const opened = await fabric.get(box)
        assert.deepEqual(await fabric.get(opened.inner), big)
        assert.deepEqual(await fabric.get(later), big)
      })
    })
  })
}
