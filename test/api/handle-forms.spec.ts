// A driver's handle objects among arguments are replaced by their forms wherever they sit in
// arrays and plain objects; values without handles are not copied.
import assert from 'node:assert/strict'
import { withHandleForms } from '../../src/api/handle-forms.js'
import { ObjectRef } from '../../src/objects/object-ref.js'

describe('api: handle forms among arguments', () => {
  const h1 = Object.freeze({ actorId: 'a1', incr: { remote: () => {} } })
  const h2 = Object.freeze({ actorId: 'a2', incr: { remote: () => {} } })
  const forms = new Map<object, { actorId: string }>([[h1, { actorId: 'a1@P' }], [h2, { actorId: 'a2@P' }]])
  const formOf = (v: object): { actorId: string } | undefined => forms.get(v)

  it('replaces handles alone, in arrays and in nested plain objects, leaving the input as it was', () => {
    assert.deepEqual(withHandleForms(h1, formOf), { actorId: 'a1@P' })
    const input = { by: 2, list: [h1, 3, { deeper: h2 }], name: 'x' }
    assert.deepEqual(withHandleForms(input, formOf), { by: 2, list: [{ actorId: 'a1@P' }, 3, { deeper: { actorId: 'a2@P' } }], name: 'x' })
    assert.equal(input.list[0], h1, 'the caller\'s value is not changed')
  })

  it('returns values without handles as they are, and does not look into refs, byte arrays or class instances', () => {
    const plain = { a: [1, 2, { b: 'c' }] }
    assert.equal(withHandleForms(plain, formOf), plain)
    const ref = new ObjectRef('x/o1')
    const bytes = new Uint8Array(4)
    assert.equal(withHandleForms(ref, formOf), ref)
    assert.equal(withHandleForms(bytes, formOf), bytes)
    class Box { constructor (readonly h: unknown) {} }
    const box = new Box(h1)
    assert.equal(withHandleForms(box, formOf), box)
    assert.equal(withHandleForms(null, formOf), null)
    assert.equal(withHandleForms('s', formOf), 's')
  })
})
