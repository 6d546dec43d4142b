// The node's identity: an Ed25519 key persisted in `<dataDir>/identity.key` (protobuf, mode 0600),
// so its PeerId survives restarts. A file that exists but cannot be parsed is an error naming the
// file: replacing it silently would give the node a new identity behind the operator's back.
import './polyfill.js'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { IdentityKeyError } from './errors.js'

/** The identity file's name inside a data dir. */
export const IDENTITY_FILE = 'identity.key'

/** Load the node's key from `dataDir`, creating the dir (0700) and a new Ed25519 key (0600) when absent. */
export async function loadOrCreateIdentity (dataDir: string): Promise<PrivateKey> {
  const file = path.join(dataDir, IDENTITY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await fs.readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new IdentityKeyError(`cannot read the identity key ${file}: ${(err as Error).message}`, { cause: err })
    }
  }
  if (bytes !== undefined) return parse(bytes, file)

  const key = await generateKeyPair('Ed25519')
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 })
  // Write to a temp file and link it into place: a crash never leaves a half-written key, and two
  // processes starting on one data dir at once agree on a single key (the loser reads the winner's).
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`
  try {
    await fs.writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
    try {
      await fs.link(tmp, file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parse(await fs.readFile(file), file)
      throw err
    }
  } catch (err) {
    if (err instanceof IdentityKeyError) throw err
    throw new IdentityKeyError(`cannot write the identity key ${file}: ${(err as Error).message}`, { cause: err })
  } finally {
    await fs.rm(tmp, { force: true })
  }
  return key
}

function parse (bytes: Uint8Array, file: string): PrivateKey {
  try {
    const key = privateKeyFromProtobuf(bytes)
    if (key.type !== 'Ed25519') throw new Error(`expected an Ed25519 key, found ${key.type}`)
    return key
  } catch (err) {
    throw new IdentityKeyError(`the identity key ${file} is corrupt (${(err as Error).message}); move it away to start with a new PeerId`, { cause: err })
  }
}
