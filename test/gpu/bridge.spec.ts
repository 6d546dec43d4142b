// The per-instance handle table behind the gpu import, driven the way jco drives it: static
// constructors, methods, borrowed arguments, [Symbol.dispose] on drop; failures as task-errors.
import assert from 'node:assert/strict'
import { createGpuScope } from '../../src/gpu/index.js'
import { encode } from '../../src/objects/index.js'

interface WitTensor { shape: () => Uint32Array, read: () => Uint8Array, [Symbol.dispose]: () => void }
interface WitTensorClass { fromBytes: (s: Uint32Array, d: string, b: Uint8Array) => WitTensor, fromObject: (id: string, s?: Uint32Array) => WitTensor }

const bytes = (xs: number[]): Uint8Array => new Uint8Array(Float32Array.from(xs).buffer)
const floats = (b: Uint8Array): number[] => Array.from(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4))

function scope (objects: Record<string, Uint8Array> = {}, maxBytes?: number) {
  const s = createGpuScope({
    preference: 'js',
    maxBytes,
    readObject: (id) => {
      const o = objects[id]
      if (o === undefined) throw { kind: 'not-found', message: `no object ${id}`, retryable: false } // eslint-disable-line no-throw-literal
      return o
    }
  })
  const g = s.imports as unknown as Record<string, (...a: unknown[]) => WitTensor> & { Tensor: WitTensorClass, backend: () => string }
  return { s, g, T: g.Tensor }
}

/** The task-error record a host function threw. */
function taskError (fn: () => unknown): { kind: string, message: string, retryable: boolean } {
  try {
    fn()
  } catch (err) {
    return err as { kind: string, message: string, retryable: boolean }
  }
  assert.fail('expected a task-error')
}

describe('gpu bridge (handle table)', () => {
  it('creates, computes, reads back and reports the backend', () => {
    const { g, T } = scope()
    const a = T.fromBytes(Uint32Array.of(2, 2), 'f32', bytes([1, 2, 3, 4]))
    const c = g.matmul!(a, a, false, true)
    assert.deepEqual(Array.from(c.shape()), [2, 2])
    assert.deepEqual(floats(c.read()), [5, 11, 11, 25])
    assert.equal(g.backend(), 'js')
    const s = g.sum!(c, undefined, false)
    assert.deepEqual(Array.from(s.shape()), [])
    assert.deepEqual(floats(s.read()), [52])
  })

  it('drop frees at once; releaseAll frees the rest; a released handle is a typed error', () => {
    const { s, g, T } = scope()
    const a = T.fromBytes(Uint32Array.of(3), 'f32', bytes([1, 2, 3]))
    const b = g.relu!(a)
    assert.deepEqual(s.usage(), { tensors: 2, bytes: 24, handles: 2 })
    a[Symbol.dispose]()
    assert.deepEqual(s.usage(), { tensors: 1, bytes: 12, handles: 1 })
    s.releaseAll()
    assert.deepEqual(s.usage(), { tensors: 0, bytes: 0, handles: 1 }, 'the guest still holds the handle of the released tensor')
    const e = taskError(() => b.read())
    assert.equal(e.kind, 'released')
    assert.match(e.message, /released/)
    assert.equal(e.retryable, false)
  })

  it('a reshape view keeps the storage alive and counts no new bytes', () => {
    const { s, g, T } = scope()
    const a = T.fromBytes(Uint32Array.of(2, 3), 'f32', bytes([1, 2, 3, 4, 5, 6]))
    const v = g.reshape!(a, Int32Array.of(3, -1))
    assert.deepEqual(s.usage(), { tensors: 2, bytes: 24, handles: 2 })
    a[Symbol.dispose]()
    assert.deepEqual(floats(v.read()), [1, 2, 3, 4, 5, 6])
    v[Symbol.dispose]()
    assert.deepEqual(s.usage(), { tensors: 0, bytes: 0, handles: 0 })
  })

  it('bounds the bytes an instance holds', () => {
    const { s, T } = scope({}, 64)
    T.fromBytes(Uint32Array.of(8), 'f32', bytes(new Array(8).fill(1)))
    const e = taskError(() => T.fromBytes(Uint32Array.of(9), 'f32', bytes(new Array(9).fill(1))))
    assert.equal(e.kind, 'out-of-memory')
    assert.match(e.message, /over its limit of 64/)
    assert.equal(s.usage().tensors, 1)
  })

  it('from-object reads Float32Arrays and raw bytes, and says what else an object holds', () => {
    const f = Float32Array.of(1, 2, 3, 4, 5, 6)
    const { g, T } = scope({
      floats: encode(f),
      raw: encode(new Uint8Array(f.buffer)),
      text: encode('not a tensor'),
      odd: encode(new Uint8Array(5))
    })
    assert.deepEqual(floats(T.fromObject('floats', Uint32Array.of(2, 3)).read()), [1, 2, 3, 4, 5, 6])
    assert.deepEqual(Array.from(T.fromObject('raw').shape()), [6])
    assert.deepEqual(floats(g.transpose!(T.fromObject('raw', Uint32Array.of(3, 2))).read()), [1, 3, 5, 2, 4, 6])
    assert.match(taskError(() => T.fromObject('text')).message, /holds string/)
    assert.match(taskError(() => T.fromObject('odd')).message, /5 bytes/)
    assert.equal(taskError(() => T.fromObject('floats', Uint32Array.of(4))).kind, 'invalid-argument')
    assert.equal(taskError(() => T.fromObject('missing')).kind, 'not-found')
  })

  it('refuses what is not a tensor and wrong byte counts', () => {
    const { g, T } = scope()
    assert.equal(taskError(() => g.relu!({})).kind, 'invalid-argument')
    assert.match(taskError(() => T.fromBytes(Uint32Array.of(2, 2), 'f32', new Uint8Array(15))).message, /needs 16 bytes, got 15/)
  })

  it('a call that holds a GPU gets the device backend, others the CPU one', () => {
    const s = createGpuScope({ readObject: () => new Uint8Array() })
    const backend = (s.imports as unknown as { backend: () => string }).backend
    s.enter(false)
    assert.doesNotMatch(backend(), /^cuda/)
    s.enter(true)
    assert.match(backend(), /^(cuda|cpu|js)/)
  })
})
