// A call's arguments as the worker gets them: one CBOR array built from each argument's own bytes
// (no decode and encode on the way), and a guest's values as argument specs.
import { encode, findRefs, ObjectRef } from '../objects/index.js'
import type { ArgSpec } from './interface.js'

/** A guest's argument value as the runtime takes it: a whole-argument ref, or its CBOR bytes and the refs inside. */
export function toArgSpec (value: unknown): ArgSpec {
  if (value instanceof ObjectRef) return { kind: 'ref', id: value.id }
  return { kind: 'value', bytes: encode(value), refs: findRefs(value).map(r => r.id) }
}

/** The call's CBOR argument array: each argument's own bytes, ref arguments replaced by `values`. */
export function assembleArgs (args: ArgSpec[], values: Map<string, Uint8Array>): Uint8Array {
  return concat([cborHead(4, args.length), ...args.map(a => a.kind === 'value' ? a.bytes : values.get(a.id)!)])
}

/** The CBOR head of major type `major` (2 bytes, 4 array) with length `n` (< 2^32). */
export function cborHead (major: number, n: number): Uint8Array {
  const m = major << 5
  if (n < 24) return Uint8Array.of(m | n)
  if (n < 0x100) return Uint8Array.of(m | 24, n)
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff)
  return Uint8Array.of(m | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

export function concat (parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.byteLength
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}
