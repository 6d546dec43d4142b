// Ids that cost what their characters do. V8 builds a joined string as a tree of pieces (a "cons"
// string) and keeps the tree until something flattens it; `crypto.randomUUID()` joins ~20 pieces,
// so every id kept for a pending task or a live ref held ~520 bytes of tree instead of ~66 (a
// million refs: half a gigabyte). Reading a character flattens the string in place.
import { randomFillSync, randomUUID } from 'node:crypto'

/** `s` as one flat string (the tree behind a joined string is let go). */
export function flat (s: string): string {
  s.charCodeAt(0)
  return s
}

/** A random UUID as a flat string, optionally after a prefix. */
export function flatUuid (prefix = ''): string {
  return flat(prefix + randomUUID())
}

/** Random bytes for {@link randomId}, refilled from the system's CSPRNG when used up. */
const pool = Buffer.allocUnsafe(16 * 512)
let poolAt = pool.length

/**
 * 128 random bits as 32 hex characters, optionally after a prefix: a flat string made in one piece
 * (randomUUID's joins leave ~600 bytes of pieces behind per id; a driver makes one per task).
 */
export function randomId (prefix = ''): string {
  if (poolAt === pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const hex = pool.toString('hex', poolAt, poolAt + 16)
  poolAt += 16
  return prefix === '' ? hex : flat(prefix + hex)
}
