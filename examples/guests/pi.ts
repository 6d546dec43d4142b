// Monte Carlo estimate of π: each task throws `samples` darts with its own seeded generator
// (guests have no entropy source: seeds make runs independent and reproducible).
import { task } from 'wasm-fabric/guest'

/** xorshift128+ seeded by splitmix64, in 32-bit halves (QuickJS has no fast 64-bit ints). */
function rng (seed: number): () => number {
  let s = seed >>> 0 || 1
  const next32 = (): number => {
    s ^= s << 13; s >>>= 0
    s ^= s >>> 17
    s ^= s << 5; s >>>= 0
    return s
  }
  return () => next32() / 4294967296
}

export const darts = task((samples: number, seed: number) => {
  const random = rng(seed * 2654435761)
  let inside = 0
  for (let i = 0; i < samples; i++) {
    const x = random()
    const y = random()
    if (x * x + y * y <= 1) inside++
  }
  return inside
})
