// Actor handles among a driver's arguments: a handle object (methods are functions, which do not
// encode) is replaced by the form it travels as, `{ actorId }` (the actor's address now), wherever
// it sits in arrays and plain objects, so `task.remote(counter)` works as it does in Ray.
import type { ActorHandleForm } from '../runtime/index.js'

/** Deeper than this, values are left as they are (the codec refuses such depth anyway). */
const MAX_DEPTH = 64

/**
 * `value` with each handle that `formOf` recognises replaced by its form. Arrays and plain objects
 * holding none are returned as they are (no copy); other objects (refs, byte arrays, maps) are
 * not looked into.
 *
 * @example
 * withHandleForms({ counter: handle, by: 2 }, v => handles.get(v))  // { counter: { actorId: '...' }, by: 2 }
 */
export function withHandleForms (value: unknown, formOf: (v: object) => ActorHandleForm | undefined): unknown {
  return replace(value, formOf, 0)
}

function replace (value: unknown, formOf: (v: object) => ActorHandleForm | undefined, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value
  const form = formOf(value)
  if (form !== undefined) return form
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i]
      const r = replace(v, formOf, depth + 1)
      if (r !== v) (out ??= value.slice())[i] = r
    }
    return out ?? value
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return value
  let out: Record<string, unknown> | undefined
  for (const [k, v] of Object.entries(value)) {
    const r = replace(v, formOf, depth + 1)
    if (r !== v) (out ??= { ...value as Record<string, unknown> })[k] = r
  }
  return out ?? value
}
