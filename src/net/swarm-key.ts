// Swarm keys of private fabrics (`--secret`): the standard libp2p/IPFS pre-shared key format,
// checked here so a bad file is a clear error at startup rather than failed handshakes later.
import './polyfill.js'
import fs from 'node:fs/promises'
import './xsalsa20-memory.js'
import { generateKey } from '@libp2p/pnet'
import { SwarmKeyError } from './errors.js'

const SWARM_KEY_RE = /^\/key\/swarm\/psk\/1\.0\.0\/\r?\n\/base16\/\r?\n[0-9a-fA-F]{64}\s*$/

/** Read and check a swarm key file. */
export async function readSwarmKey (file: string): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await fs.readFile(file)
  } catch (err) {
    throw new SwarmKeyError(`cannot read the swarm key ${file}: ${(err as Error).message}`, { cause: err })
  }
  if (!SWARM_KEY_RE.test(Buffer.from(bytes).toString('latin1'))) {
    throw new SwarmKeyError(`${file} is not a swarm key (expected '/key/swarm/psk/1.0.0/', '/base16/' and 64 hex digits, one per line)`)
  }
  return bytes
}

/** A new random swarm key in the standard format (95 bytes). */
export function newSwarmKey (): Uint8Array {
  const key = new Uint8Array(95)
  generateKey(key)
  return key
}
