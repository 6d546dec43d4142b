import assert from 'node:assert/strict'
import { TaskQueue, shapeKey } from '../../src/scheduler/task-queue.js'
import { resources, type Resources } from '../../src/scheduler/resources.js'

interface T { name: string, demand: Resources, queueSeq: number }
const task = (name: string, r: Partial<Resources> = { cpus: 1 }): T => ({ name, demand: resources(r), queueSeq: 0 })
const drain = (q: TaskQueue<T>, free: Resources): string[] => {
  const out: string[] = []
  for (let t = q.take(free); t !== undefined; t = q.take(free)) out.push(t.name)
  return out
}

describe('scheduler/TaskQueue', () => {
  it('hands out tasks first in, first out', () => {
    const q = new TaskQueue<T>()
    for (const n of ['a', 'b', 'c']) q.push(task(n))
    assert.equal(q.length, 3)
    assert.deepEqual(drain(q, resources({ cpus: 8 })), ['a', 'b', 'c'])
    assert.equal(q.length, 0)
  })

  it('puts front pushes before everything queued, the latest first (depth first)', () => {
    const q = new TaskQueue<T>()
    q.push(task('a'))
    q.push(task('b'))
    q.push(task('x'), true)
    q.push(task('y'), true)
    assert.deepEqual(drain(q, resources({ cpus: 8 })), ['y', 'x', 'a', 'b'])
  })

  it('lets a task that fits pass one of another shape that does not', () => {
    const q = new TaskQueue<T>()
    q.push(task('gpu', { cpus: 1, gpus: 1 }))
    q.push(task('big', { cpus: 4 }))
    q.push(task('small'))
    assert.deepEqual(drain(q, resources({ cpus: 2 })), ['small'])
    assert.equal(q.length, 2)
    assert.deepEqual(drain(q, resources({ cpus: 4, gpus: 1 })), ['gpu', 'big'])
  })

  it('keeps order within a shape: a later task of a shape never passes an earlier one', () => {
    const q = new TaskQueue<T>()
    q.push(task('big1', { cpus: 4 }))
    q.push(task('small'))
    q.push(task('big2', { cpus: 4 }))
    const first = q.take(resources({ cpus: 4 }))
    assert.equal(first?.name, 'big1')
  })

  it('removes and moves tasks (stale places are skipped)', () => {
    const q = new TaskQueue<T>()
    const [a, b, c] = [task('a'), task('b'), task('c')]
    q.push(a)
    q.push(b)
    q.push(c)
    assert.equal(q.remove(b), true)
    assert.equal(q.remove(b), false)
    assert.equal(q.has(b), false)
    q.push(c, true) // moves c to the front
    assert.equal(q.length, 2)
    assert.deepEqual(drain(q, resources({ cpus: 8 })), ['c', 'a'])
  })

  it('counts queued tasks that need no CPU', () => {
    const q = new TaskQueue<T>()
    const z = task('z', { cpus: 0 })
    q.push(z)
    q.push(task('a'))
    assert.equal(q.cpuFreeCount, 1)
    assert.deepEqual(drain(q, resources({ cpus: 0 })), ['z'])
    assert.equal(q.cpuFreeCount, 0)
  })

  it('takes the next task in time independent of the queue depth', () => {
    const q = new TaskQueue<T>()
    const n = 200_000
    for (let i = 0; i < n; i++) q.push(task(String(i)))
    const free = resources({ cpus: 1 })
    const t0 = performance.now()
    let taken = 0
    while (q.take(free) !== undefined) taken++
    const ms = performance.now() - t0
    assert.equal(taken, n)
    // A walk per take would be ~2e10 steps; one look per shape is well under a second.
    assert.ok(ms < 2000, `took ${ms} ms`)
  })

  it('names the task a free shape would start, leaving it queued: of that shape, or a smaller one queued before it', () => {
    const q = new TaskQueue<T>()
    const one = shapeKey(resources({ cpus: 1 }))
    assert.equal(q.nextWithin(one), undefined)
    q.push(task('big', { cpus: 2 }))
    q.push(task('a'))
    q.push(task('half', { cpus: 0.5 }))
    assert.equal(q.nextWithin(one)?.name, 'a', 'a bigger shape queued first does not count')
    assert.equal(q.length, 3)
    q.push(task('half-first', { cpus: 0.5 }), true)
    assert.equal(q.nextWithin(one)?.name, 'half-first', 'a smaller shape queued before it comes first')
    assert.equal(q.nextWithin(shapeKey(resources({ cpus: 3 }))), undefined, 'no queued task of that shape')
    assert.deepEqual(drain(q, resources({ cpus: 1 })), ['half-first', 'a', 'half'])
    assert.equal(q.nextWithin(one), undefined)
  })

  it('names shapes by what they ask for, custom resources in any order alike', () => {
    assert.equal(shapeKey(resources({ cpus: 1, custom: { a: 1, b: 2 } })), shapeKey(resources({ cpus: 1, custom: { b: 2, a: 1 } })))
    assert.notEqual(shapeKey(resources({ cpus: 1 })), shapeKey(resources({ cpus: 2 })))
  })
})
