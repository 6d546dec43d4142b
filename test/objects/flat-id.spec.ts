// Ids kept per ref and per pending task must be flat strings: a joined string's tree of pieces
// (randomUUID joins ~20) cost ~520 bytes per id kept (src/objects/flat-id.ts).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { flat, flatUuid, randomId } from '../../src/objects/flat-id.js'

/** Heap bytes per id for 100k ids kept. */
function perId (make: () => string): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with --expose-gc (the mocha config passes it)')
  gc()
  const before = process.memoryUsage().heapUsed
  const keep = Array.from({ length: 100_000 }, make)
  gc()
  const bytes = (process.memoryUsage().heapUsed - before) / keep.length
  assert.equal(new Set(keep).size, keep.length)
  return bytes
}

describe('objects/flat-id', () => {
  it('keeps the characters and the prefix', () => {
    assert.equal(flat('a' + 'b'.repeat(20)), 'a' + 'b'.repeat(20))
    assert.match(flatUuid('d-'), /^d-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    assert.match(randomId('d-'), /^d-[0-9a-f]{32}$/)
    assert.match(randomId(), /^[0-9a-f]{32}$/)
  })

  it('randomId: distinct across many refills of its pool, every hex digit in every place', () => {
    const ids = Array.from({ length: 20_000 }, () => randomId())
    assert.equal(new Set(ids).size, ids.length)
    for (let i = 0; i < 32; i++) assert.equal(new Set(ids.map(id => id[i])).size, 16, `place ${i}`)
  })

  it('a kept id costs a few dozen bytes, not the tree of a joined string', () => {
    const joined = perId(() => `d-${randomUUID()}`)
    const flattened = perId(() => flatUuid('d-'))
    assert.ok(flattened < 150, `a flat id kept ${flattened.toFixed(0)} bytes`)
    assert.ok(flattened * 3 < joined, `flat ${flattened.toFixed(0)} B vs joined ${joined.toFixed(0)} B per id`)
    const random = perId(() => randomId('d-'))
    assert.ok(random < 150, `a random id kept ${random.toFixed(0)} bytes`)
  })
})
