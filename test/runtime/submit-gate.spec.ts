// A driver's bound on calls started at once: the rest wait in order, cancel drops a waiting call
// without starting it and aborts a running one, and the bound follows the capacity it is given.
import assert from 'node:assert/strict'
import { SubmitGate, type GateEntry } from '../../src/runtime/submit-gate.js'
import type { Abortable } from '../../src/errors/index.js'

interface Started { arg: number, signal: Abortable, finish: (v: number) => void, fail: (e: Error) => void }

function harness (capacity: () => number, ended?: (entry: GateEntry<number, number>) => void): { gate: SubmitGate<number, number>, started: Started[] } {
  const started: Started[] = []
  const gate = new SubmitGate<number, number>((arg, signal) => new Promise<number>((resolve, reject) => {
    started.push({ arg, signal, finish: resolve, fail: reject })
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
  }), capacity, ended)
  return { gate, started }
}

const tick = async (): Promise<void> => await new Promise(resolve => setImmediate(resolve))

describe('runtime/submit-gate', () => {
  it('starts at most `capacity` calls; the rest start in submission order as others end', async () => {
    const { gate, started } = harness(() => 2)
    const results = [1, 2, 3, 4, 5].map(i => gate.submit(i).result)
    const all = Promise.allSettled(results)
    assert.deepEqual(started.map(s => s.arg), [1, 2])
    assert.deepEqual(gate.stats, { running: 2, waiting: 3 })
    started[1]!.finish(20)
    await tick()
    assert.deepEqual(started.map(s => s.arg), [1, 2, 3])
    started[0]!.fail(new Error('boom'))
    await tick()
    assert.deepEqual(started.map(s => s.arg), [1, 2, 3, 4])
    for (const s of started.slice(2)) s.finish(s.arg * 10)
    await tick()
    started[4]!.finish(50)
    const settled = await all
    assert.deepEqual(settled.map(s => s.status === 'fulfilled' ? s.value : (s.reason as Error).message), ['boom', 20, 30, 40, 50])
    assert.deepEqual(gate.stats, { running: 0, waiting: 0 })
  })

  it('cancel fails a waiting call at once and never starts it; a running one is aborted with the reason', async () => {
    const { gate, started } = harness(() => 1)
    const a = gate.submit(1)
    const b = gate.submit(2)
    const c = gate.submit(3)
    const failures = [assert.rejects(a.result, /stop/), assert.rejects(b.result, /not wanted/)]
    assert.equal(gate.cancel(b.entry, new Error('not wanted')), true)
    assert.equal(gate.cancel(a.entry, new Error('stop')), true)
    await Promise.all(failures)
    await tick()
    assert.deepEqual(started.map(s => s.arg), [1, 3], 'the cancelled waiting call was skipped')
    started[1]!.finish(3)
    assert.equal(await c.result, 3)
    assert.equal(gate.cancel(c.entry, new Error('late')), false, 'an ended call cannot be cancelled')
  })

  it('a start that throws fails its call and frees its place', async () => {
    let calls = 0
    const gate = new SubmitGate<number, number>((arg) => { calls++; if (arg === 1) throw new Error('bad start'); return Promise.resolve(arg) }, () => 1)
    const one = gate.submit(1)
    const two = gate.submit(2)
    await assert.rejects(one.result, /bad start/)
    assert.equal(await two.result, 2)
    assert.equal(calls, 2)
  })

  it('follows a capacity that grows, and keeps order over a long backlog', async () => {
    let cap = 1
    const { gate, started } = harness(() => cap)
    const results = Array.from({ length: 10_000 }, (_, i) => gate.submit(i).result)
    assert.equal(started.length, 1)
    cap = 3
    started[0]!.finish(0)
    await tick()
    assert.equal(started.length, 4, 'one ended, three start under the new capacity')
    for (let i = 1; i < 10_000; i++) {
      while (started.length <= i) await tick()
      started[i]!.finish(i)
    }
    const values = await Promise.all(results)
    assert.deepEqual(started.map(s => s.arg), values)
    assert.equal(values[9_999], 9_999)
  })
  it('tells `ended` of each entry once, before its result settles: ended, failed, aborted, or cancelled while waiting', async () => {
    const done: string[] = []
    const { gate, started } = harness(() => 2, e => { done.push(e.key!) })
    const submit = (key: string): { entry: GateEntry<number, number>, sawEnded: Promise<boolean> } => {
      const { result, entry } = gate.submit(key.charCodeAt(0))
      entry.key = key
      // Whether `ended` had been told when this result settled.
      const seen = (): boolean => done.includes(key)
      return { entry, sawEnded: result.then(seen, seen) }
    }
    const [a, b, c, w] = ['a', 'b', 'c', 'w'].map(submit)
    assert.equal(gate.cancel(w!.entry, new Error('not wanted')), true) // waiting: never starts
    assert.deepEqual(done, ['w'])
    started[0]!.finish(1)
    started[1]!.fail(new Error('boom'))
    await tick()
    assert.deepEqual(started.map(s => String.fromCharCode(s.arg)), ['a', 'b', 'c'])
    assert.equal(gate.cancel(c!.entry, new Error('stop')), true) // running: aborted
    assert.deepEqual(await Promise.all([a, b, c, w].map(x => x!.sawEnded)), [true, true, true, true])
    assert.deepEqual(done.sort(), ['a', 'b', 'c', 'w'])
    assert.equal(gate.cancel(a!.entry, new Error('late')), false)
    assert.deepEqual(gate.stats, { running: 0, waiting: 0 })
  })
})
