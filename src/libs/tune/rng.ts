// The seeded random numbers every search algorithm and scheduler draws from: mulberry32, a small
// well-known 32-bit PRNG, with splitmix32 to derive independent streams (one per trial) from a seed.

/** A source of uniform numbers in [0, 1). */
export interface Rng {
  /** The next number in [0, 1). */
  next: () => number
}

/** splitmix32's finaliser: a well-mixed 32-bit value from any 32-bit input. */
function mix32 (x: number): number {
  x = (x + 0x9e3779b9) | 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/** mulberry32 seeded with `seed` (any number; non-integers and negatives are folded to 32 bits). */
export function mulberry32 (seed: number): Rng {
  let a = mix32(Math.floor(seed) | 0)
  return {
    next: () => {
      a = (a + 0x6d2b79f5) | 0
      let t = Math.imul(a ^ (a >>> 15), 1 | a)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }
}

/** An independent stream for one purpose (`stream`, e.g. a trial's index) of a run seeded with `seed`. */
export function streamRng (seed: number, stream: number, salt = 0): Rng {
  return mulberry32(mix32(mix32(Math.floor(seed) | 0) ^ mix32((stream * 0x9e37 + salt) | 0)))
}

/** A standard normal draw (Box–Muller). */
export function normal (rng: Rng): number {
  const u = Math.max(rng.next(), 1e-300)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())
}
