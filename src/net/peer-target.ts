// A peer named by a string (a PeerId or a multiaddr), parsed once. Calls name their node by its
// PeerId string; parsing it and encoding it back (a session's key) on every call was ~4% of a
// driver's CPU under load. Bounded: the cache is dropped whole past MAX_TARGETS names (peers'
// requests name holders, so the set of names is not ours to bound otherwise).
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { NetConfigError } from './errors.js'

const targets = new Map<string, PeerId | Multiaddr>()
const MAX_TARGETS = 4096

/**
 * The PeerId or multiaddr `peer` names.
 *
 * @throws NetConfigError when it is neither
 */
export function target (peer: string): PeerId | Multiaddr {
  const known = targets.get(peer)
  if (known !== undefined) return known
  let t: PeerId | Multiaddr
  try {
    t = peer.startsWith('/') ? multiaddr(peer) : peerIdFromString(peer)
  } catch (err) {
    throw new NetConfigError(`invalid peer '${peer}': a PeerId or a multiaddr`, { cause: err })
  }
  if (targets.size >= MAX_TARGETS) targets.clear()
  targets.set(peer, t)
  return t
}
