// Guests calling actor methods (`handle.method.remote(...)` inside a guest): the host service
// behind the exec pool's `HostServices.actors.call`. The handle's actorId is an actor address
// (actor-address.ts): an actor of this node is called through the node's own `callActor`; one of
// another node goes through `elsewhere` (the node's ActorForwarder), when the node is in a fabric.
import { decode } from '../objects/codec.js'
import { parseActorAddress, type ActorAddress } from './actor-address.js'
import { toArgSpec } from './call-args.js'
import type { ArgSpec } from './interface.js'

/** What {@link guestCallActor} needs of the node: its actor-call entry points. */
export interface GuestActorCallHost {
  /** Queue `method` of this node's actor `actorId`; returns the result's ref id, held once for the caller. */
  callActor: (actorId: string, method: string, args: ArgSpec[], options: { timeoutMs?: number, job?: string }) => string
  /** Actors of other nodes; absent on a node outside a fabric. */
  elsewhere?: GuestRemoteActorCalls
}

/** Calls to actors of other nodes, as a node in a fabric makes them for its guests. */
export interface GuestRemoteActorCalls {
  /** This node's PeerId: an address naming it is an actor of this node. */
  readonly peerId: string
  /**
   * Queue `method` of actor `to.actor` on node `to.peer`, with the guest's CBOR argument array
   * (`args`) and the ids of the refs among and inside the arguments (`refs`); returns the result's
   * ref id at once, held once for the caller, settled when the answer comes.
   */
  callActor: (to: Required<ActorAddress>, method: string, call: { args: Uint8Array, refs: string[], timeoutMs?: number, job?: string }) => string
}

/** The options a guest may give an actor call; anything else is refused by name. */
const CALL_OPTIONS = new Set(['timeoutMs'])

function refused (message: string): Error {
  // `kind` becomes the task-error's kind in the guest.
  return Object.assign(new Error(message), { kind: 'bad-argument' })
}

/**
 * A guest's call of `method` on the actor `actorId` names (an actor address: `<id>` on this node,
 * `<id>@<PeerId>` on that node), with its CBOR argument array and CBOR options: validated, then
 * queued on the actor like a driver's call (refs among the arguments are dependencies), here or
 * on its node. Returns the result's ref id, held once: the caller (the node's host service) hands
 * that hold to the calling task, as it does for a nested task's ref.
 *
 * @throws an Error with `kind: 'bad-argument'` saying what was wrong; with `kind: 'not-found'` for
 *   an actor of another node when this node is in no fabric
 * @example
 * // in the node's HostServices:
 * actors: { call: async (id, method, args, options, ctx) => this.holdForGuest(guestCallActor(this, id, method, args, options), ctx) }
 */
export function guestCallActor (node: GuestActorCallHost, actorId: string, method: string, argBytes: Uint8Array, optionBytes: Uint8Array, job?: string, assertRefs: (ids: string[], what: string) => void = () => {}): string {
  const what = `actor method '${method}' of ${actorId}`
  if (actorId.length === 0) throw refused('calling an actor: the actor id is empty (pass the handle\'s actorId)')
  let to: ActorAddress
  try {
    to = parseActorAddress(actorId)
  } catch (err) {
    throw refused(`calling an actor: ${(err as Error).message}`)
  }
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
  const args = values.map(toArgSpec)
  assertRefs(args.flatMap(a => a.kind === 'ref' ? [a.id] : a.refs), what)
  const limit = { ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(job === undefined ? {} : { job }) }
  if (to.peer === undefined || to.peer === node.elsewhere?.peerId) return node.callActor(to.actor, method, args, limit)
  if (node.elsewhere === undefined) {
    throw Object.assign(new Error(`${what}: the actor lives on node ${to.peer}, and this node is not part of a fabric (only actors of this node can be called here)`), { kind: 'not-found' })
  }
  // The wire takes the guest's own argument array; the refs in it travel with what they stand for.
  const refs = [...new Set(args.flatMap(a => a.kind === 'ref' ? [a.id] : a.refs))]
  return node.elsewhere.callActor({ actor: to.actor, peer: to.peer }, method, { args: argBytes, refs, ...limit })
}
