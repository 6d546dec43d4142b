// Tasks sent ahead to busy workers (TaskRunner.sendAhead): the next task of a worker's shape waits
// on that worker and starts there on the resources of the task before it; the resources add up
// at every point, a guest waiting for its own children is not held up by them, and a cancel
// reaches a task sent ahead.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { LocalNode, resolveTaskOptions, type ArgSpec } from '../../src/runtime/index.js'
import { decode, encode } from '../../src/objects/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { waitFor } from '../helpers/wait-for.js'

const value = (v: unknown): ArgSpec => ({ kind: 'value', bytes: encode(v), refs: [] })
const opts = (o: Record<string, unknown> = {}): ReturnType<typeof resolveTaskOptions> => resolveTaskOptions(o, 't')

describe('runtime: tasks sent ahead to busy workers', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  const nodes: LocalNode[] = []

  before(() => { cache = tempDir() })
  after(async () => {
    await Promise.all(nodes.map(async n => await n.stop()))
    cache?.remove()
  })

  async function node (workers: number): Promise<LocalNode> {
    const n = new LocalNode({ workers, resources: { cpus: workers }, cacheDir: cache.dir, log: () => {} })
    nodes.push(n)
    await n.start()
    return n
  }

  /** Free CPUs of `n` never exceed its total nor go below 0 while `work` runs; checked every turn. */
  async function watchCpus<T> (n: LocalNode, work: Promise<T>): Promise<T> {
    const total = n.stats().resources.total.cpus
    let done = false
    let low = Infinity
    let high = -Infinity
    const watch = (async () => {
      while (!done) {
        const free = n.stats().resources.available.cpus
        low = Math.min(low, free)
        high = Math.max(high, free)
        await new Promise(resolve => setImmediate(resolve))
      }
    })()
    try {
      return await work
    } finally {
      done = true
      await watch
      assert.ok(low >= 0 && high <= total, `free CPUs ranged ${low}..${high} of ${total}`)
    }
  }

  it('runs 2,000 tasks on 2 workers, each once with its own result, most of them sent ahead; every CPU is free at the end', async () => {
    const n = await node(2)
    const { component } = await n.load(fs.readFileSync(await fixtureComponent('guests/ts/kitchen.ts')))
    const ids = Array.from({ length: 2000 }, (_, i) => n.submit({ component, name: 'add', args: [value(i), value(1)], options: opts(), streaming: false }))
    const out = await watchCpus(n, Promise.all(ids.map(async id => decode(await n.get(id)))))
    assert.deepEqual(out, Array.from({ length: 2000 }, (_, i) => i + 1))
    const pool = n.poolStats()
    assert.ok(pool.sentAhead > 1000, `${pool.sentAhead} of 2000 went ahead`)
    const s = n.stats()
    assert.deepEqual([s.tasks.running, s.tasks.queued, s.tasks.finished, s.resources.available.cpus], [0, 0, 2000, 2])
    for (const id of ids) n.release(id)
  })

  it('a task waiting for its own children is not held up by one sent ahead behind it: taken back as it blocks, run inline', async () => {
    const n = await node(1)
    const { component } = await n.load(fs.readFileSync(await fixtureComponent('guests/ts/memo.ts')))
    const ids = Array.from({ length: 40 }, (_, i) => n.submit({ component, name: 'outer', args: [value(i)], options: opts(), streaming: false }))
    // Not watched: a blocked guest lends its CPU and takes it back as it resumes, whether or not
    // another task took it meanwhile (free CPUs dip below 0 then, with or without sending ahead).
    const out = await Promise.all(ids.map(async id => decode(await n.get(id))))
    assert.deepEqual(out, Array.from({ length: 40 }, (_, i) => i * 10 + (i + 1) * 10))
    const pool = n.poolStats()
    assert.ok(pool.sentAhead > 0 && pool.takenBack > 0, `sent ahead ${pool.sentAhead}, taken back ${pool.takenBack}`)
    assert.equal(n.stats().resources.available.cpus, 1)
    for (const id of ids) n.release(id)
  })

  it('cancels a task sent ahead before it starts; the task before it goes on, its worker kept', async () => {
    const n = await node(1)
    const { component } = await n.load(fs.readFileSync(await fixtureComponent('guests/ts/kitchen.ts')))
    await n.get(n.submit({ component, name: 'add', args: [value(0), value(0)], options: opts(), streaming: false }))
    const long = n.submit({ component, name: 'sumSquares', args: [value(6_000_000)], options: opts(), streaming: false })
    const next = n.submit({ component, name: 'add', args: [value(1), value(2)], options: opts(), streaming: false })
    const row = (): Record<string, unknown> | undefined => n.stateRows('tasks').find(r => r.id === next)
    await waitFor(() => /sent ahead/.test(String(row()?.reason)), 'the second task to be sent ahead')
    assert.equal(row()?.state, 'waiting-for-resources')
    assert.equal(n.stats().tasks.queued, 1, 'a task sent ahead counts as queued')
    assert.equal(n.cancel(next), true)
    await assert.rejects(n.get(next), { name: 'TaskCancelledError' })
    assert.equal(typeof decode(await n.get(long)), 'number')
    assert.deepEqual([n.poolStats().respawns, n.stats().resources.available.cpus, n.stats().tasks.queued], [0, 1, 0])
    for (const id of [long, next]) n.release(id)
  })
})
