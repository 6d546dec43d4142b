// Guests calling actor methods (`handle.method.remote(...)` inside a guest): the host service
// behind the exec pool's `HostServices.actors.call`, over the node's own `callActor`.
import { decode } from '../objects/codec.js'
import { toArgSpec } from './call-args.js'
import type { ArgSpec } from './interface.js'

/** What {@link guestCallActor} needs of the node: its actor-call entry point. */
export interface GuestActorCallHost {
  /** Queue `method` of actor `actorId`; returns the result's ref id, held once for the caller. */
  callActor: (actorId: string, method: string, args: ArgSpec[], options: { timeoutMs?: number }) => string
}

/** The options a guest may give an actor call; anything else is refused by name. */
const CALL_OPTIONS = new Set(['timeoutMs'])

function refused (message: string): Error {
  // `kind` becomes the task-error's kind in the guest.
  return Object.assign(new Error(message), { kind: 'bad-argument' })
}


/**
 * A guest's call of `method` on actor `actorId`, with its CBOR argument array and CBOR options:
 * validated, then queued on the actor like a driver's call (refs among the arguments are
 * dependencies). Returns the result's ref id, held once: the caller (the node's host service)
 * hands that hold to the calling task, as it does for a nested task's ref.
 *
 * @throws an Error with `kind: 'bad-argument'` saying what was wrong
 * @example
 * // in the node's HostServices:
 * actors: { call: async (id, method, args, options, ctx) => this.holdForGuest(guestCallActor(this, id, method, args, options), ctx) }
 */
export function guestCallActor (node: GuestActorCallHost, actorId: string, method: string, argBytes: Uint8Array, optionBytes: Uint8Array): string {
  const what = `actor method '${method}' of ${actorId}`
  if (actorId.length === 0) throw refused('calling an actor: the actor id is empty (pass the handle\'s actorId)')
  if (method.length === 0) throw refused(`calling actor ${actorId}: the method name is empty`)
  let values: unknown
  let options: unknown
  try {
    values = decode(argBytes)
    options = optionBytes.length === 0 ? {} : decode(optionBytes) ?? {}
  } catch (err) {
    throw refused(`${what}: arguments or options are not valid CBOR: ${(err as Error).message}`)
  }
  if (!Array.isArray(values)) throw refused(`${what}: arguments must be a CBOR array`)
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw refused(`${what}: options must be a map like { timeoutMs: 1000 }`)
  const o = options as Record<string, unknown>
  const unknown = Object.keys(o).filter(k => !CALL_OPTIONS.has(k))
  if (unknown.length > 0) throw refused(`${what}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (an actor call takes timeoutMs; resources belong to the actor)`)
  const timeoutMs = o.timeoutMs
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0)) {
    throw refused(`${what}: option timeoutMs must be a non-negative number, got ${String(timeoutMs)}`)
  }
  return node.callActor(actorId, method, values.map(toArgSpec), timeoutMs === undefined ? {} : { timeoutMs })
}
