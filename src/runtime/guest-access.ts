// What a guest may name: a ref it was given (among its arguments, or inside their values), made
// (put, a nested task, an actor call) or received (inside a value it read). Ref ids are node-local
// strings a guest could guess; every host call that takes an id from a guest (get, wait, refs in
// a nested call's arguments, in a put value, in a result or a yielded value) checks it here, so
// a guest of one job never reads another job's object on the same node. An actor keeps what its
// calls were given, made or received (its state may hold any of them) for its life.
import { PermissionDeniedError } from '../errors/index.js'
import type { NodeCore } from './node-core.js'
import type { ActorRecord, TaskRecord } from './node-records.js'

/** Whether the guest running `t` may name ref `id`. */
export function mayRead (n: NodeCore, t: TaskRecord | undefined, id: string): boolean {
  if (t === undefined) return false
  if (t.readable?.has(id) === true || t.actor?.readable?.has(id) === true) return true
  for (const a of t.args) {
    if (a.kind === 'value') {
      if (a.refs.includes(id)) return true
    } else if (a.id === id || n.refs.get(a.id)?.nested.includes(id) === true) {
      // A whole ref argument reaches the guest as its value, with the refs inside it.
      return true
    }
  }
  return false
}

/**
 * Refuse `id` unless the guest running `t` may name it.
 *
 * @throws PermissionDeniedError (kind `permission-denied` for the guest) naming the ref and `what`
 */
export function assertReadable (n: NodeCore, t: TaskRecord | undefined, id: string, what: string): void {
  if (mayRead(n, t, id)) return
  throw Object.assign(new PermissionDeniedError(`${what}: ObjectRef(${id}) was not given to this task, made by it, or found in a value it read (a guest names only its own refs)`), { kind: 'permission-denied' })
}

/** The guest running `t` read `ids` (refs inside a value it got): it may name them from now on. */
export function received (t: TaskRecord | undefined, ids: readonly string[]): void {
  if (t === undefined || ids.length === 0) return
  const into = t.readable ??= new Set()
  for (const id of ids) into.add(id)
}

/**
 * A call of actor `a` ended: what it was given, made or received stays nameable by the actor's
 * later calls. Ids of refs that are gone are pruned as the set grows.
 */
export function keepReadable (n: NodeCore, a: ActorRecord, t: TaskRecord): void {
  const into = a.readable ??= new Set()
  const before = into.size
  for (const arg of t.args) {
    if (arg.kind === 'value') for (const id of arg.refs) into.add(id)
    else for (const id of n.refs.get(arg.id)?.nested ?? []) into.add(id)
  }
  for (const id of t.readable ?? []) into.add(id)
  if (into.size > 1024 && into.size > 2 * before) for (const id of into) if (n.refs.get(id) === undefined) into.delete(id)
}

/** An actor's constructor arguments: refs its state may keep from the start. */
export function seedReadable (n: NodeCore, a: ActorRecord): void {
  const into = a.readable ??= new Set()
  for (const arg of a.args) {
    if (arg.kind === 'value') for (const id of arg.refs) into.add(id)
    else for (const id of n.refs.get(arg.id)?.nested ?? []) into.add(id)
  }
}
