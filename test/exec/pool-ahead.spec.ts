// Calls sent ahead to busy workers (ExecPool.callAhead): they start on the worker the moment the
// call before them ends, and the pool takes them back, having run nothing, whenever waiting there
// could hold them up for good or for long.
import assert from 'node:assert/strict'
import { loadComponent } from '../../src/component/index.js'
import type { CompiledComponent } from '../../src/component/index.js'
import { createExecPool, type AheadOptions, type ExecPool, type HostServices } from '../../src/exec/index.js'
import { encode, decode } from '../../src/objects/codec.js'
import { ObjectRef } from '../../src/objects/object-ref.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { waitFor } from '../helpers/wait-for.js'

/** ~0.1-0.3 s of guest work on this machine. */
const LONG = 3_000_000

describe('exec/pool: calls sent ahead', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let kitchen: CompiledComponent
  const pools: ExecPool[] = []

  before(async () => {
    cache = tempDir()
    kitchen = await loadComponent(await fixtureComponent('guests/ts/kitchen.ts'), { cacheDir: cache.dir })
  })

  after(async () => {
    await Promise.all(pools.map(async p => await p.stop()))
    cache?.remove()
  })

  /** A started pool whose workers all have `kitchen` loaded; `host` may hold a guest's get open. */
  async function warmPool (workers: number, host: HostServices = {}): Promise<ExecPool> {
    const pool = createExecPool({ workers, cacheDir: cache.dir, host: { log: () => {}, ...host } })
    pools.push(pool)
    await pool.start()
    await Promise.all(Array.from({ length: workers }, async () => await pool.call(kitchen, 'sumSquares', encode([200_000]))))
    return pool
  }

  /** A get the test answers when it likes: `release` hands the guest its value. */
  function heldGet (): { host: HostServices, release: () => void, asked: () => boolean } {
    let asked = false
    let release!: () => void
    const open = new Promise<void>(resolve => { release = resolve })
    return {
      host: { objects: { put: async () => 'unused', get: async () => { asked = true; await open; return encode(7) } } },
      release: () => release(),
      asked: () => asked
    }
  }

  /** Ahead options recording what the pool tells the caller. */
  function told (events: string[], name: string, extra: Partial<AheadOptions> = {}): AheadOptions {
    return { handoff: 'k', tag: name, started: (after) => events.push(`${name} started after ${after}`), returned: () => events.push(`${name} returned`), ...extra }
  }

  const sum = (n: number): number => Array.from({ length: n }, (_, i) => i * i).reduce((a, b) => a + b, 0)

  it('starts a call sent ahead as the call before it ends: started hears that call first, before it settles', async () => {
    const pool = await warmPool(1)
    const events: string[] = []
    const first = pool.call(kitchen, 'sumSquares', encode([LONG]), { tag: 'a', handoff: 'k' }).then(out => { events.push('a settled'); return decode(out) })
    assert.equal(pool.aheadRoom(), 'k')
    const second = pool.callAhead(kitchen, 'add', encode([2, 3]), told(events, 'b'))
    assert.ok(second !== undefined, 'the busy worker took the call')
    assert.equal(pool.aheadRoom(), undefined, 'one call ahead per worker')
    assert.equal(pool.stats().queued, 1)
    assert.equal(decode(await second), 5)
    assert.equal(await first, sum(LONG))
    assert.deepEqual(events, ['b started after a', 'a settled'])
    assert.deepEqual([pool.stats().sentAhead, pool.stats().takenBack, pool.stats().busy], [1, 0, 0])
  })

  it('sends nothing ahead while a worker is idle, behind a call without a handoff key or of another key, or while calls queue', async () => {
    const two = await warmPool(2)
    const running = two.call(kitchen, 'sumSquares', encode([LONG]), { handoff: 'k' })
    assert.equal(two.aheadRoom(), undefined, 'a worker is idle: the call should just run there')
    assert.equal(two.callAhead(kitchen, 'add', encode([1, 1]), told([], 'x')), undefined)
    await running
    const one = await warmPool(1)
    const plain = one.call(kitchen, 'sumSquares', encode([LONG]))
    assert.equal(one.aheadRoom(), undefined, 'the running call hands nothing over')
    await plain
    const keyed = one.call(kitchen, 'sumSquares', encode([LONG]), { handoff: 'k' })
    assert.equal(one.callAhead(kitchen, 'add', encode([1, 1]), told([], 'y', { handoff: 'other' })), undefined, 'another key: other resources')
    const queued = one.call(kitchen, 'add', encode([1, 2]))
    assert.equal(one.aheadRoom(), undefined, 'a call waits in the pool queue')
    assert.equal(decode(await queued), 3)
    await keyed
    assert.equal(one.stats().sentAhead, 0)
  })

  it('takes a call back when the call before it blocks in a host get (it might wait for this one)', async () => {
    const held = heldGet()
    const pool = await warmPool(1, held.host)
    const events: string[] = []
    const fetching = pool.call(kitchen, 'fetch', encode([new ObjectRef('o1')]), { tag: 'a', handoff: 'k' })
    const ahead = pool.callAhead(kitchen, 'add', encode([1, 2]), told(events, 'b'))
    assert.ok(ahead !== undefined)
    await assert.rejects(ahead, { name: 'CallNotStartedError', message: /blocked in a host call/ })
    assert.deepEqual(events, ['b returned'])
    assert.ok(held.asked())
    assert.equal(pool.aheadRoom(), undefined, 'nothing goes behind a blocked call')
    held.release()
    assert.equal(decode(await fetching), 7)
    assert.deepEqual([pool.stats().sentAhead, pool.stats().takenBack], [1, 1])
    assert.equal(decode(await pool.call(kitchen, 'add', encode([2, 2]))), 4, 'the worker skipped the call it was sent')
  })

  it('takes a call back when another worker falls idle: it runs there instead of after a long call', async () => {
    const held = heldGet()
    const pool = await warmPool(2, held.host)
    const events: string[] = []
    const long = pool.call(kitchen, 'sumSquares', encode([LONG * 3]), { tag: 'long', handoff: 'k' })
    const other = pool.call(kitchen, 'fetch', encode([new ObjectRef('o1')]), { tag: 'other' })
    await waitFor(() => held.asked(), 'the other worker to block in its get')
    const ahead = pool.callAhead(kitchen, 'add', encode([3, 4]), told(events, 'c'))
    assert.ok(ahead !== undefined, 'sent behind the long call (the other has no handoff key)')
    held.release()
    assert.equal(decode(await other), 7)
    await assert.rejects(ahead, { name: 'CallNotStartedError', message: /fell idle/ })
    assert.deepEqual(events, ['c returned'])
    assert.equal(await long.then(decode), sum(LONG * 3))
  })

  it('a cancelled call sent ahead fails as cancelled, having run nothing; the call before it goes on', async () => {
    const pool = await warmPool(1)
    const events: string[] = []
    const first = pool.call(kitchen, 'sumSquares', encode([LONG]), { tag: 'a', handoff: 'k' })
    const ac = new AbortController()
    const ahead = pool.callAhead(kitchen, 'shout', encode(['x']), told(events, 'b', { signal: ac.signal }))
    assert.ok(ahead !== undefined)
    ac.abort()
    await assert.rejects(ahead, { name: 'TaskCancelledError' })
    assert.equal(decode(await first), sum(LONG))
    assert.deepEqual(events, [], 'neither started nor returned: the caller cancelled it')
    assert.equal(pool.stats().respawns, 0, 'no worker was replaced')
  })

  it('when the call before it times out (its worker replaced), the call sent ahead fails as not started', async () => {
    const pool = await warmPool(1)
    const events: string[] = []
    const spinning = pool.call(kitchen, 'spin', encode([]), { tag: 'a', handoff: 'k', timeoutMs: 300 })
    const ahead = pool.callAhead(kitchen, 'add', encode([1, 2]), told(events, 'b'))
    assert.ok(ahead !== undefined)
    await assert.rejects(spinning, { name: 'TaskTimeoutError' })
    await assert.rejects(ahead, { name: 'CallNotStartedError', message: /worker was replaced/ })
    assert.deepEqual(events, ['b returned'])
    assert.equal(decode(await pool.call(kitchen, 'add', encode([5, 5]))), 10)
  })

  it('runs thousands of calls sent ahead back to back, each once with its own result, also as calls are taken back meanwhile', async () => {
    // A caller like the runtime: a call goes to an idle worker when there is one, else ahead; one
    // taken back goes again. Every worker keeps one call running and one ahead, the next sent from
    // the turn that hears one end: the pool often sends a call ahead before the worker has claimed
    // the one before it, and idle workers take calls back, in any order with those claims.
    const pool = await warmPool(3)
    const N = 6000
    const results = new Array<number>(N)
    const todo = Array.from({ length: N }, (_, i) => N - 1 - i)
    let ran = 0
    let inFlight = 0
    const launch = (i: number): boolean => {
      const opts = { tag: `t${i}`, handoff: 'k' }
      const idle = pool.stats().busy < 3
      const p = idle ? pool.call(kitchen, 'add', encode([i, 1]), opts) : pool.callAhead(kitchen, 'add', encode([i, 1]), { ...opts, started: () => {} })
      if (p === undefined) return false
      inFlight++
      p.then(out => { results[i] = decode(out) as number; ran++ }, (err: Error) => {
        assert.equal(err.name, 'CallNotStartedError')
        todo.push(i)
      }).finally(() => { inFlight--; top() })
      return true
    }
    const top = (): void => {
      // Each caller stops short of the last worker now and then: it falls idle and takes back.
      const limit = Math.random() < 0.1 ? 4 : 6
      while (todo.length > 0 && inFlight < limit && launch(todo[todo.length - 1]!)) todo.pop()
    }
    top()
    await waitFor(() => ran === N, `${N} calls to finish`, 60_000)
    assert.deepEqual(results, Array.from({ length: N }, (_, i) => i + 1))
    const { sentAhead, takenBack } = pool.stats()
    assert.ok(sentAhead > N / 3 && takenBack > 0, `${sentAhead} of ${N} calls went ahead, ${takenBack} taken back`)
  })
})
