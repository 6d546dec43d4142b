// SHA-256 digests of call results, computed on the worker thread that made them so a node's main
// thread does not hash every large result again before storing it (at ~1.5 GB/s, hashing was a
// quarter of a busy node's main thread). The worker is host code: the guest cannot reach its
// JavaScript, so a digest it sends is trusted like one computed here.
import { createHash } from 'node:crypto'

/** Results at least this big get a digest (smaller ones are kept inline, never hashed). */
export const DIGEST_MIN_BYTES = 64 * 1024

const known = new WeakMap<Uint8Array, Uint8Array>()

/** The SHA-256 of `bytes` (on the worker, before replying). */
export function sha256Digest (bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}

/** Remember the digest a worker computed for `bytes` (the very object the call resolves with). */
export function noteDigest (bytes: Uint8Array, digest: Uint8Array): void {
  if (digest.byteLength === 32) known.set(bytes, digest)
}

/** The digest a worker computed for `bytes`, if any; taken once. */
export function takeDigest (bytes: Uint8Array): Uint8Array | undefined {
  const d = known.get(bytes)
  if (d !== undefined) known.delete(bytes)
  return d
}
