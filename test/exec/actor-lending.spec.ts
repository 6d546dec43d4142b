import assert from 'node:assert/strict'
import { loadComponent, type CompiledComponent } from '../../src/component/index.js'
import { createExecPool, type ActorRef, type ExecPool } from '../../src/exec/index.js'
import { encode, decode } from '../../src/objects/codec.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

// Actors calling actors that share their worker thread: the waiting actor's worker runs the
// other actor's call inside its wait instead of deadlocking (one actor worker holds them all here).
describe('exec/pool: an actor waiting for another actor of its worker', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let component: CompiledComponent
  let pool: ExecPool
  const actors = new Map<string, ActorRef>()
  const results = new Map<string, Promise<Uint8Array>>()
  let calls = 0

  before(async () => {
    cache = tempDir()
    component = await loadComponent(await fixtureComponent('guests/ts-remote/remote.ts'), { cacheDir: cache.dir })
    pool = createExecPool({
      workers: 1,
      actorWorkers: 1,
      cacheDir: cache.dir,
      host: {
        // A guest's actor call becomes a pool call at once; its result is what objects.get waits for.
        actors: {
          call: async (actorId, method, args) => {
            const id = `r${++calls}`
            const p = pool.invoke(actors.get(actorId)!, method, args)
            p.catch(() => {})
            results.set(id, p)
            return id
          }
        },
        objects: {
          get: async (id) => await results.get(id)!,
          put: async () => { throw new Error('not used') }
        }
      }
    })
    await pool.start()
  })

  after(async () => {
    await pool?.stop()
    cache?.remove()
  })

  const create = async (): Promise<ActorRef> => {
    const a = await pool.createActor(component, 'Tally', encode([]))
    actors.set(a.actorId, a)
    return a
  }
  const invoke = async (a: ActorRef, method: string, ...args: unknown[]): Promise<unknown> => decode(await pool.invoke(a, method, encode(args)))

  it('runs the other actor\'s call inside the wait: no deadlock, the right answer', async () => {
    const a = await create()
    const b = await create()
    assert.equal(pool.stats().actorWorkers, 1)
    const answer = await Promise.race([
      invoke(b, 'addTo', a.actorId, 3),
      new Promise(resolve => setTimeout(() => resolve('deadlocked'), 10_000))
    ])
    assert.equal(answer, 3)
    assert.equal(await invoke(a, 'add', 0), 3)
    assert.equal(await invoke(b, 'add', 0), 0)
  })

  it('keeps each actor\'s calls in submission order, also those queued behind a lent one', async () => {
    const a = await create()
    const b = await create()
    const c = await create()
    // b runs first and waits for its call on a, which queues behind these: they all run inside b's wait, in order.
    const viaB = invoke(b, 'addTo', a.actorId, 1)
    const direct = [invoke(a, 'add', 10), invoke(c, 'add', 5), invoke(a, 'add', 100)]
    assert.deepEqual(await Promise.all(direct), [10, 5, 110])
    assert.equal(await viaB, 111)
  })

  it('lends again one level up: a waits on b, which waits on c, all on one worker', async () => {
    const a = await create()
    const b = await create()
    const c = await create()
    await invoke(c, 'add', 7)
    const answer = await Promise.race([
      invoke(a, 'relay', b.actorId, c.actorId, 1),
      new Promise(resolve => setTimeout(() => resolve('deadlocked'), 10_000))
    ])
    assert.equal(answer, 8)
    assert.deepEqual(await Promise.all([invoke(a, 'add', 0), invoke(b, 'add', 0), invoke(c, 'add', 0)]), [0, 0, 8])
  })

  it('a lent call that fails fails alone: the waiting actor gets the error, both actors live on', async () => {
    const a = await create()
    const b = await create()
    // a.relay -> b.addTo (lent) -> a call on an actor that does not exist: b's call fails, then a's.
    await assert.rejects(invoke(a, 'relay', b.actorId, 'no-such-actor', 1), (err: Error) => err.name === 'TaskError')
    assert.equal(await invoke(a, 'add', 2), 2)
    assert.equal(await invoke(b, 'add', 3), 3)
    assert.equal(await invoke(b, 'addTo', a.actorId, 1), 3)
  })
})
