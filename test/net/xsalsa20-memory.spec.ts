// Regression: private fabrics (pnet) crashed once ~30 connections had each seen one large write,
// because xsalsa20's stale per-connection views grew its shared memory by the whole write each time
// (src/net/xsalsa20-memory.ts). Also checks that encryption still round-trips after the fix.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { xsalsa20MemoryFixed } from '../../src/net/xsalsa20-memory.js'

type Xor = { update: (input: Uint8Array, output?: Uint8Array) => Uint8Array, finalize: () => void }
const XSalsa20 = createRequire(import.meta.resolve('@libp2p/pnet'))('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => Xor

describe('net/xsalsa20 shared memory (pnet)', () => {
  it('100 connections each seeing a 2 MB write after the memory grew do not exhaust it', () => {
    assert.equal(xsalsa20MemoryFixed, true, 'the fix is not in place')
    const key = new Uint8Array(32).fill(7)
    const conns = Array.from({ length: 100 }, (_, i) => XSalsa20(new Uint8Array(24).fill(i), key))
    const small = new Uint8Array(1024)
    for (const c of conns) c.update(small)
    const big = new Uint8Array(2.1 * 2 ** 20).fill(1)
    // Without the fix this throws "WebAssembly.Memory.grow(): Maximum memory size exceeded" around the 30th.
    for (const c of conns) c.update(big)
    for (const c of conns) c.finalize()
  })

  it('still encrypts: the same nonce and key decrypt what was encrypted, across memory growth', () => {
    const key = new Uint8Array(32).fill(3)
    const nonce = new Uint8Array(24).fill(9)
    const enc = XSalsa20(nonce, key)
    const dec = XSalsa20(nonce, key)
    const other = XSalsa20(new Uint8Array(24), key)
    const plain = Uint8Array.from({ length: 3 * 2 ** 20 + 13 }, (_, i) => (i * 31) & 0xff)
    const sealed = enc.update(plain.subarray(0, 1000))
    other.update(new Uint8Array(4 * 2 ** 20)) // grows the shared memory under the others' views
    const rest = enc.update(plain.subarray(1000))
    assert.notDeepEqual(sealed, plain.subarray(0, 1000))
    const opened = new Uint8Array(plain.length)
    opened.set(dec.update(sealed), 0)
    opened.set(dec.update(rest), 1000)
    assert.deepEqual(opened, plain)
    for (const x of [enc, dec, other]) x.finalize()
  })
})
