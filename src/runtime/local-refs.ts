// Refs that cross nodes are renamed: a value arriving from another node names refs by that node's
// ids, and the receiver gives each a ref of its own before the value is stored.
import { decode, encode, findRefs, mapRefs, mayHoldRefs, ObjectRef } from '../objects/index.js'
import { ForeignRefError } from './errors.js'
import { splitCborArray } from '../objects/cbor-scan.js'
import type { ArgSpec } from './interface.js'

/**
 * CBOR `bytes` with each ref renamed by `local` (the sender's id → the receiver's), and the new ids
 * (the refs the stored value holds).
 *
 * @throws ForeignRefError for a ref `local` does not know (the sender did not describe it)
 */
export function localRefs (bytes: Uint8Array, local: (id: string) => string | undefined, what: string): { bytes: Uint8Array, refs: string[] } {
  if (!mayHoldRefs(bytes)) return { bytes, refs: [] }
  const refs: string[] = []
  const mapped = mapRefs(decode(bytes), r => {
    const id = local(r.id)
    if (id === undefined) throw new ForeignRefError(`${what} holds ${r.toString()}, which the sender did not describe (refs inside values travel with what they stand for)`)
    refs.push(id)
    return new ObjectRef(id)
  })
  return refs.length === 0 ? { bytes, refs } : { bytes: encode(mapped), refs }
}

/**
 * CBOR array of arguments from the wire, as the runtime's argument specs. Refs nested inside a
 * value carry the caller's ids: `local` maps each to a ref of this node (one the caller described
 * in the request); without it, or for an id it does not know, the call is refused.
 */
export function wireArgs (bytes: Uint8Array, what: string, local?: (id: string) => string | undefined): ArgSpec[] {
  // Split without decoding: an argument that cannot hold a ref goes on as the bytes it came as.
  const items = splitCborArray(bytes, `${what}: the arguments`)
  return items.map((item, i) => {
    if (!mayHoldRefs(item)) return { kind: 'value' as const, bytes: item, refs: [] }
    const v = decode(item)
    if (findRefs(v).length === 0) return { kind: 'value' as const, bytes: item, refs: [] }
    const refs: string[] = []
    const mapped = mapRefs(v, ref => {
      const id = local?.(ref.id)
      if (id === undefined) throw new ForeignRefError(`${what}: argument ${i + 1} holds ${ref.toString()}, which the caller did not describe (nested refs need their values sent along)`)
      refs.push(id)
      return new ObjectRef(id)
    })
    return { kind: 'value' as const, bytes: encode(mapped), refs }
  })
}
