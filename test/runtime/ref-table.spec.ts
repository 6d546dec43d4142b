// The owner's table keeps small values compactly (a million small results must not cost a
// million ArrayBuffers), and a task's cancel switch tells the one pool call listening on it.
import assert from 'node:assert/strict'
import { encode } from 'cborg'
import { inlineBytes, isInline, packInline, RefTable } from '../../src/runtime/ref-table.js'
import { TaskCancel } from '../../src/runtime/task-cancel.js'

describe('runtime/ref-table: small values kept compactly', () => {
  it('packs values up to 64 bytes into strings and gives the same bytes back, every byte value included', () => {
    const cases = [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(255), encode(42), encode('hello'), Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff), Uint8Array.from({ length: 256 }, (_, i) => i).subarray(0, 64)]
    for (const bytes of cases) {
      const packed = packInline(bytes)
      assert.equal(typeof packed, 'string', `${bytes.byteLength} bytes`)
      assert.equal(isInline(packed), true)
      assert.deepEqual([...inlineBytes(packed)], [...bytes])
    }
  })

  it('keeps larger values as bytes, and a packed value does not alias the caller\'s buffer', () => {
    const big = new Uint8Array(65).fill(7)
    assert.equal(packInline(big), big)
    const small = Uint8Array.of(1, 2, 3)
    const packed = packInline(small)
    small[0] = 9
    assert.deepEqual([...inlineBytes(packed)], [1, 2, 3])
    const out = inlineBytes(packed)
    out[1] = 9
    assert.deepEqual([...inlineBytes(packed)], [1, 2, 3])
  })

  it('tells inline values from stored ones', () => {
    assert.equal(isInline({ cid: 'bafy', size: 10 }), false)
    assert.equal(isInline(new Uint8Array(100)), true)
  })

  it('a settled ref holds its packed value and gives it up when the last holder lets go', () => {
    const deleted: string[] = []
    const table = new RefTable('n1', e => deleted.push(e.id))
    const e = table.create('t')
    e.holders++
    table.settle(e, { value: packInline(encode(7)), nested: [] })
    assert.equal(e.state, 'ready')
    assert.deepEqual([...inlineBytes(e.value as string)], [...encode(7)])
    table.release(e.id)
    assert.deepEqual(deleted, [e.id])
    assert.equal(table.get(e.id), undefined)
  })
})

describe('runtime/task-cancel', () => {
  it('tells its one listener once, and a removed listener not at all', () => {
    const c = new TaskCancel()
    let calls = 0
    const fn = (): void => { calls++ }
    c.addEventListener('abort', fn)
    c.abort()
    c.abort()
    assert.equal(c.aborted, true)
    assert.equal(calls, 1)
    const d = new TaskCancel()
    d.addEventListener('abort', fn)
    d.removeEventListener('abort', fn)
    d.abort()
    assert.equal(calls, 1)
  })

  it('refuses a second, different listener (one pool call per attempt)', () => {
    const c = new TaskCancel()
    c.addEventListener('abort', () => {})
    assert.throws(() => c.addEventListener('abort', () => {}), /one listener per task attempt/)
  })
})
