// How an actor is named wherever its handle travels: an actor address, `<id>@<peer>` (the actor's
// id on its node and that node's PeerId) or a bare `<id>` (an actor of the node that reads it).
// A handle travels inside values as `{ actorId: address }`. Addresses come from guests, which may
// forge any string: parsed strictly here, in one place.

/** Longest actor id on its node (as the actor protocol's frames allow). */
const MAX_LOCAL_ID = 256
/** A PeerId as text: base58btc (`12D3KooW...`, `Qm...`) of a sane length. */
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{16,128}$/
// Control characters and blanks have no place in an id.
const BAD_CHAR = /[\s\p{Cc}]/u

/** Where an actor lives: its id on its node, and that node's PeerId (absent: the node reading it). */
export interface ActorAddress {
  /** The actor's id on its node (what that node's `callActor` takes). */
  actor: string
  /** The PeerId of the node hosting it; undefined for an actor of the node that reads the address. */
  peer?: string
}

/** A handle as it travels inside values (CBOR map); `actorHandle(form)` takes it back in guests and drivers. */
export interface ActorHandleForm {
  readonly actorId: string
}

/** Thrown (with `kind: 'bad-argument'` for guests) for an address that names no actor anywhere. */
export class BadActorAddressError extends TypeError {
  override name = 'BadActorAddressError'
  readonly kind = 'bad-argument'
}

/** The address of actor `actor` on node `peer` (a bare id when `peer` is undefined). */
export function formatActorAddress (a: ActorAddress): string {
  return a.peer === undefined ? a.actor : `${a.actor}@${a.peer}`
}

/**
 * Parse an actor address (a handle's `actorId`).
 *
 * @throws BadActorAddressError saying what is wrong with it
 * @example
 * parseActorAddress('3f2a9c1b/a0c1d2e3@12D3KooWAbc...')  // { actor: '3f2a9c1b/a0c1d2e3', peer: '12D3KooWAbc...' }
 */
export function parseActorAddress (address: unknown): ActorAddress {
  if (typeof address !== 'string') throw new BadActorAddressError(`an actor id must be a string (a handle's actorId), got ${address === null ? 'null' : typeof address}`)
  const at = address.lastIndexOf('@')
  const actor = at < 0 ? address : address.slice(0, at)
  const shown = address.length > 80 ? `${address.slice(0, 77)}...` : address
  if (actor.length === 0) throw new BadActorAddressError(`actor id '${shown}' is empty before its '@node' (pass the handle's actorId as it was given)`)
  if (actor.length > MAX_LOCAL_ID) throw new BadActorAddressError(`actor id '${shown}' is longer than ${MAX_LOCAL_ID} characters`)
  if (actor.includes('@') || BAD_CHAR.test(actor)) throw new BadActorAddressError(`actor id '${shown}' holds a blank, control character or second '@'`)
  if (at < 0) return { actor }
  const peer = address.slice(at + 1)
  if (!PEER_ID.test(peer)) throw new BadActorAddressError(`actor id '${shown}': what follows '@' must be a node's PeerId (base58, as fabric.nodes() lists), got '${peer.length > 60 ? `${peer.slice(0, 57)}...` : peer}'`)
  return { actor, peer }
}

/**
 * The address inside what names an actor: an id string, or a handle form `{ actorId }` (a handle
 * that travelled inside a value).
 *
 * @throws BadActorAddressError for anything else, or a bad address
 */
export function addressOf (actor: unknown): ActorAddress {
  if (typeof actor === 'object' && actor !== null && !Array.isArray(actor)) {
    const id = (actor as { actorId?: unknown }).actorId
    if (typeof id !== 'string') throw new BadActorAddressError('an actor handle travels as { actorId: string }: this object has no actorId string')
    return parseActorAddress(id)
  }
  if (typeof actor !== 'string') throw new BadActorAddressError(`an actor is named by its id (a string) or a handle ({ actorId }), got ${actor === null ? 'null' : Array.isArray(actor) ? 'an array' : typeof actor}`)
  return parseActorAddress(actor)
}
