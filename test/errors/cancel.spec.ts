// The light cancel switch of the per-task paths (src/errors/cancel.ts): AbortSignal's behaviour
// for what those paths use, and a real AbortSignal made from it where an API needs one.
import assert from 'node:assert/strict'
import { Cancel, abortSignalOf } from '../../src/errors/index.js'

describe('errors/cancel', () => {
  it('calls each listener once, in order, with the reason set; removed and late listeners are not called', () => {
    const c = new Cancel()
    const calls: string[] = []
    const a = (): void => { calls.push(`a:${String((c.reason as Error).message)}`) }
    const b = (): void => { calls.push('b') }
    const gone = (): void => { calls.push('gone') }
    c.addEventListener('abort', a)
    c.addEventListener('abort', gone, { once: true })
    c.addEventListener('abort', b)
    c.removeEventListener('abort', gone)
    c.removeEventListener('abort', () => {}) // not registered: nothing happens
    assert.equal(c.aborted, false)
    c.throwIfAborted()
    c.abort(new Error('stop'))
    c.abort(new Error('again'))
    c.addEventListener('abort', () => { calls.push('late') })
    assert.deepEqual(calls, ['a:stop', 'b'])
    assert.equal(c.aborted, true)
    assert.throws(() => c.throwIfAborted(), /stop/)
  })

  it('a listener added twice runs once; one that throws does not stop the others, and its error is uncaught as with AbortSignal', async () => {
    const c = new Cancel()
    const calls: string[] = []
    const twice = (): void => { calls.push('twice') }
    c.addEventListener('abort', twice)
    c.addEventListener('abort', twice)
    c.addEventListener('abort', () => { throw new Error('listener broke') })
    c.addEventListener('abort', () => { calls.push('after') })
    const uncaught = new Promise<Error>(resolve => {
      const listeners = process.listeners('uncaughtException')
      process.removeAllListeners('uncaughtException')
      process.once('uncaughtException', (err) => {
        for (const l of listeners) process.on('uncaughtException', l)
        resolve(err)
      })
    })
    c.abort()
    assert.deepEqual(calls, ['twice', 'after'])
    assert.equal((await uncaught).message, 'listener broke')
  })

  it('aborts with an AbortError when given no reason, as AbortController does', () => {
    const c = new Cancel()
    c.abort()
    assert.equal((c.reason as DOMException).name, 'AbortError')
    const real = new AbortController()
    real.abort()
    assert.equal((real.signal.reason as DOMException).name, (c.reason as DOMException).name)
  })

  it('abortSignalOf: an AbortSignal as it is, a Cancel linked to a new one, none as a timeout', async () => {
    const real = new AbortController().signal
    assert.equal(abortSignalOf(real, 1000), real)
    const c = new Cancel()
    const linked = abortSignalOf(c, 1000)
    assert.ok(linked instanceof AbortSignal)
    assert.equal(linked.aborted, false)
    const why = new Error('cancelled')
    c.abort(why)
    assert.equal(linked.aborted, true)
    assert.equal(linked.reason, why)
    const done = new Cancel()
    done.abort(why)
    assert.equal(abortSignalOf(done, 1000).reason, why)
    const timed = abortSignalOf(undefined, 20)
    assert.equal(timed.aborted, false)
    await new Promise(resolve => setTimeout(resolve, 60))
    assert.equal(timed.aborted, true)
    assert.equal((timed.reason as DOMException).name, 'TimeoutError')
  })
})
