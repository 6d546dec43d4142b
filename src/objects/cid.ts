// Content identifiers: every object and every component in the fabric is named by the CID of its
// bytes (CIDv1, raw codec, sha2-256, base32), so any node can check what a peer sent it.
import { createHash, webcrypto } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { FabricError, registerError } from '../errors/index.js'

/** Multicodec code of the `raw` codec: the CID names the bytes themselves. */
export const RAW_CODEC = 0x55
/** Multihash code of sha2-256. */
export const SHA2_256 = 0x12

/** Thrown for a string that is not a CID, or a CID this fabric cannot verify. */
export class InvalidCidError extends FabricError {
  override name = 'InvalidCidError'
}
registerError('InvalidCidError', InvalidCidError)

/** The raw-codec CID of a SHA-256 digest (of bytes hashed already). */
export function cidOfDigest (digest: Uint8Array): string {
  return CID.createV1(RAW_CODEC, Digest.create(SHA2_256, digest)).toString()
}

/**
 * The CID of `bytes`, hashed off the main thread (WebCrypto runs digests on the thread pool), so
 * hashing a large object does not stall the event loop.
 *
 * @example
 * await cidOfBytes(new TextEncoder().encode('hello')) // 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
 */
export async function cidOfBytes (bytes: Uint8Array): Promise<string> {
  const digest = await webcrypto.subtle.digest('SHA-256', bytes)
  return cidOfDigest(new Uint8Array(digest))
}

/**
 * The CID of `bytes`, computed synchronously (use for small inputs or where blocking is fine).
 *
 * @example
 * cidOfBytesSync(new Uint8Array([1, 2, 3]))
 */
export function cidOfBytesSync (bytes: Uint8Array): string {
  return cidOfDigest(createHash('sha256').update(bytes).digest())
}

/**
 * Parse a CID string.
 *
 * @throws {InvalidCidError} when `str` is not a CID, with the parser's reason.
 * @example
 * parseCid('bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq').version // 1
 */
export function parseCid (str: string): CID {
  if (typeof str !== 'string' || str.length === 0) {
    throw new InvalidCidError('invalid CID: expected a non-empty string such as "bafkrei…"')
  }
  try {
    return CID.parse(str)
  } catch (err) {
    const shown = str.length > 80 ? `${str.slice(0, 77)}...` : str
    throw new InvalidCidError(`invalid CID "${shown}": ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Whether `bytes` are the content named by `cid`. Only the multihash is compared: the codec says
 * how to read the bytes, not what they are, so a dag-cbor and a raw CID of the same bytes both
 * verify.
 *
 * @throws {InvalidCidError} when `cid` is not a CID or uses a hash other than sha2-256.
 * @example
 * verifyCid(cidOfBytesSync(bytes), bytes) // true
 */
export function verifyCid (cid: string | CID, bytes: Uint8Array): boolean {
  const parsed = typeof cid === 'string' ? parseCid(cid) : cid
  if (parsed.multihash.code !== SHA2_256) {
    throw new InvalidCidError(
      `cannot verify CID ${parsed.toString()}: it uses multihash 0x${parsed.multihash.code.toString(16)}; the fabric supports sha2-256 only`
    )
  }
  const actual = createHash('sha256').update(bytes).digest()
  return Buffer.compare(actual, parsed.multihash.digest) === 0
}
