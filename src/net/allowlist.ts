// A node's PeerId allowlist (`fabric join --allow FILE`): one PeerId per line, blank lines and `#`
// comments ignored. With one, the node's connection gater refuses every other peer: in and out,
// after the encryption handshake proves who the peer is (and before any fabric protocol runs).
import { readFile } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { NetConfigError } from './errors.js'

/** Most PeerIds an allowlist may hold. */
export const MAX_ALLOWED_PEERS = 10_000

/**
 * The PeerIds of an allowlist file.
 *
 * @throws NetConfigError naming the file and line of anything that is not a PeerId
 */
export async function readAllowlist (file: string): Promise<Set<string>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new NetConfigError(`cannot read the allowlist ${file}: ${(err as Error).message}`, { cause: err })
  }
  const allowed = new Set<string>()
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') continue
    try {
      allowed.add(peerIdFromString(line).toString())
    } catch {
      throw new NetConfigError(`${file}:${i + 1}: '${line.slice(0, 80)}' is not a PeerId (one PeerId per line, e.g. 12D3KooW...; # starts a comment)`)
    }
    if (allowed.size > MAX_ALLOWED_PEERS) throw new NetConfigError(`${file}: more than ${MAX_ALLOWED_PEERS} PeerIds`)
  }
  return allowed
}

/** A connection gater that lets only `allowed` peers connect, either way. */
export function allowlistGater (allowed: ReadonlySet<string>): ConnectionGater {
  const denied = (peer: PeerId): boolean => !allowed.has(peer.toString())
  return {
    denyDialPeer: denied,
    denyInboundEncryptedConnection: denied,
    denyOutboundEncryptedConnection: denied,
    denyInboundUpgradedConnection: denied,
    denyOutboundUpgradedConnection: denied
  }
}
