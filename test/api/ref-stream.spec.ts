// RefStream: the async iterable a connected driver feeds with a generator method's values as they
// arrive from the actor's node.
import assert from 'node:assert/strict'
import { RefStream } from '../../src/api/ref-stream.js'

describe('api/ref-stream', () => {
  it('gives the values in the order pushed, waiting for those not there yet, then ends', async () => {
    const s = new RefStream<number>()
    s.push(1)
    const it = s[Symbol.asyncIterator]()
    assert.deepEqual(await it.next(), { done: false, value: 1 })
    const later = it.next()
    s.push(2)
    assert.deepEqual(await later, { done: false, value: 2 })
    s.push(3)
    s.end()
    assert.deepEqual(await it.next(), { done: false, value: 3 })
    assert.deepEqual(await it.next(), { done: true, value: undefined })
    s.push(4)
    assert.deepEqual(await it.next(), { done: true, value: undefined }, 'nothing after the end')
  })

  it('throws the error it ended with, after the values pushed before it', async () => {
    const s = new RefStream<string>()
    s.push('a')
    s.end(new Error('mid-stream'))
    s.end(new Error('ignored: ended already'))
    const got: string[] = []
    await assert.rejects((async () => { for await (const v of s) got.push(v) })(), /^Error: mid-stream$/)
    assert.deepEqual(got, ['a'])
  })

  it('a reader leaving early closes it: queued values are dropped, later ones refused', async () => {
    const s = new RefStream<number>()
    s.push(1)
    s.push(2)
    for await (const v of s) {
      assert.equal(v, 1)
      break
    }
    assert.equal(s.closed, true)
    s.push(3)
    assert.deepEqual(await s[Symbol.asyncIterator]().next(), { done: true, value: undefined })
  })
})
