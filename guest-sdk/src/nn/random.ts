// Seeded randomness for guests (a guest has no unseeded randomness: the same seed, the same
// numbers, on every run and node). Layers draw their initial weights from `nn.random`, which
// `nn.manualSeed(seed)` resets, as torch.manual_seed does.

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
export class Random {
  #s: number

  constructor (seed = 0) {
    this.#s = seed >>> 0
  }

  /** The next uniform number in [0, 1). */
  next (): number {
    this.#s = (this.#s + 0x6D2B79F5) >>> 0
    let t = this.#s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  /** A standard normal number (Box-Muller). */
  normal (): number {
    const u = 1 - this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next())
  }

  /** `n` uniform numbers in [lo, hi). */
  uniform (n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next()
    return out
  }

  /** A 32-bit seed for a dropout mask. */
  seed (): number {
    return Math.floor(this.next() * 4294967296) >>> 0
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation (n: number): Int32Array {
    const p = new Int32Array(n)
    for (let i = 0; i < n; i++) p[i] = i
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = p[i]!
      p[i] = p[j]!
      p[j] = t
    }
    return p
  }
}

/** The generator layers and dropout use unless given one. */
export let random = new Random(0)

/** Reset `random` to `seed`: what follows draws the same numbers again. */
export function manualSeed (seed: number): void {
  random = new Random(seed)
}
