import assert from 'node:assert/strict'
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools'
import { InvalidComponentError, limitMemory, mbToPages } from '../../src/component/index.js'
import { Reader, readSections } from '../../src/component/binary.js'
import { wat } from './fixtures.js'

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

/** A core module with only a memory section holding `entries` (raw memtype bytes). */
function memoryModule (...entries: number[][]): Uint8Array {
  const payload = [entries.length, ...entries.flat()]
  return Uint8Array.from([...HEADER, 0x05, payload.length, ...payload])
}

/** The (min, max) of each memory the module defines. */
function memories (module: Uint8Array): Array<{ min: number, max?: number }> {
  const section = readSections(module).find((s) => s.id === 5)
  if (section === undefined) return []
  const r = new Reader(module, section.payloadStart)
  return Array.from({ length: r.u32() }, () => {
    const flags = r.byte()
    const min = r.u32()
    return (flags & 1) !== 0 ? { min, max: r.u32() } : { min }
  })
}

interface GrowExports { memory: WebAssembly.Memory, grow: (pages: number) => number }

function instantiate (module: Uint8Array): GrowExports {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(module as Uint8Array<ArrayBuffer>))
  return instance.exports as unknown as GrowExports
}

describe('component memory limit', () => {
  it('caps a memory without maximum: growing past the cap fails inside wasm and from JS', async () => {
    const original = await wat('memory.wat')
    assert.deepEqual(memories(original), [{ min: 1 }])
    const capped = limitMemory(original, 4)
    assert.deepEqual(memories(capped), [{ min: 1, max: 4 }])

    const { memory, grow } = instantiate(capped)
    assert.equal(grow(3), 1, 'growing up to the cap works')
    assert.equal(memory.buffer.byteLength, 4 * 65536)
    assert.equal(grow(1), -1, 'memory.grow past the cap returns -1 in the guest')
    assert.throws(() => memory.grow(1), RangeError)
    assert.equal(memory.buffer.byteLength, 4 * 65536)
  })

  it('keeps a smaller existing maximum', async () => {
    const capped = limitMemory(await parse('(module (memory (export "memory") 1 2) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))'), 100)
    assert.deepEqual(memories(capped), [{ min: 1, max: 2 }])
    const { grow } = instantiate(capped)
    assert.equal(grow(1), 1)
    assert.equal(grow(1), -1)
  })

  it('lowers a larger existing maximum and handles multi-byte LEB128 and several memories', () => {
    // min 1; max 65536 (LEB128 80 80 04) / min 200 (c8 01), no max
    const module = memoryModule([0x01, 0x01, 0x80, 0x80, 0x04], [0x00, 0xc8, 0x01])
    assert.deepEqual(memories(module), [{ min: 1, max: 65536 }, { min: 200 }])
    assert.deepEqual(memories(limitMemory(module, 300)), [{ min: 1, max: 300 }, { min: 200, max: 300 }])
  })

  it('leaves modules without defined memories unchanged (imported memories are capped where defined)', async () => {
    const imported = await parse('(module (import "env" "memory" (memory 1)))')
    assert.equal(limitMemory(imported, 4), imported)
    const none = await parse('(module (func))')
    assert.equal(limitMemory(none, 4), none)
  })

  it('refuses a memory that starts above the cap', () => {
    assert.throws(() => limitMemory(memoryModule([0x00, 0x20]), 16, 'component.core.wasm'), (err: unknown) =>
      err instanceof InvalidComponentError && err.reason === 'memory-too-large' &&
      /component\.core\.wasm starts with 32 pages \(2 MiB\)/.test(err.message) && /over the limit of 16 pages \(1 MiB\)/.test(err.message) &&
      /memoryLimitMb/.test(err.message))
  })

  it('refuses shared and 64-bit memories', () => {
    assert.throws(() => limitMemory(memoryModule([0x03, 0x01, 0x02]), 16), (err: unknown) =>
      err instanceof InvalidComponentError && err.reason === 'unsupported-memory' && /shared memory/.test(err.message))
    assert.throws(() => limitMemory(memoryModule([0x04, 0x01]), 16), (err: unknown) =>
      err instanceof InvalidComponentError && err.reason === 'unsupported-memory' && /memory64/.test(err.message))
  })

  it('refuses malformed modules', () => {
    const cut = memoryModule([0x01, 0x01, 0x80, 0x80, 0x04]).subarray(0, 14)
    assert.throws(() => limitMemory(cut, 16), (err: unknown) => err instanceof InvalidComponentError && err.reason === 'truncated')
    assert.throws(() => limitMemory(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00), 16), /not a core WebAssembly module/)
  })

  it('converts MiB to pages and checks the range', () => {
    assert.equal(mbToPages(256), 4096)
    assert.equal(mbToPages(0.5), 8)
    assert.equal(mbToPages(4096), 65536)
    assert.throws(() => mbToPages(0), RangeError)
    assert.throws(() => mbToPages(1 / 64), /below one 64 KiB page/)
    assert.throws(() => mbToPages(5000), /over 4 GiB/)
    assert.throws(() => limitMemory(memoryModule([0x00, 0x01]), 0), RangeError)
  })
})
