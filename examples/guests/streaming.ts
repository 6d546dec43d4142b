// A streaming task: `primes` sieves the numbers below `limit` one block at a time and yields each
// block's primes as soon as they are found, so the driver sees results while the task still runs.
// `summarize` then takes every block (the stream's refs, passed as arguments) and combines them.
import { task } from 'wasm-fabric/guest'

export interface Block {
  index: number
  /** The block covers [from, to). */
  from: number
  to: number
  primes: number[]
}

/** The primes below `limit`, as a segmented sieve of Eratosthenes: one yielded block per segment. */
export const primes = task(function * (limit: number, blockSize: number): Generator<Block> {
  // The base primes (up to √limit) strike out the composites of every block.
  const root = Math.floor(Math.sqrt(limit))
  const small = new Uint8Array(root + 1)
  const base: number[] = []
  for (let i = 2; i <= root; i++) {
    if (small[i] === 1) continue
    base.push(i)
    for (let j = i * i; j <= root; j += i) small[j] = 1
  }
  let index = 0
  for (let from = 0; from < limit; from += blockSize) {
    const to = Math.min(limit, from + blockSize)
    const composite = new Uint8Array(to - from)
    for (const p of base) {
      for (let j = Math.max(p * p, Math.ceil(from / p) * p); j < to; j += p) composite[j - from] = 1
    }
    const found: number[] = []
    for (let n = Math.max(2, from); n < to; n++) if (composite[n - from] === 0) found.push(n)
    yield { index: index++, from, to, primes: found }
  }
})

/** Combine the blocks (in any order): how many primes, the largest, the twin pairs and the widest gap. */
export const summarize = task((...blocks: Block[]) => {
  const all = blocks.slice().sort((a, b) => a.from - b.from).flatMap(b => b.primes)
  let twins = 0
  let gap = { size: 0, after: 0 }
  for (let i = 1; i < all.length; i++) {
    const d = all[i]! - all[i - 1]!
    if (d === 2) twins++
    if (d > gap.size) gap = { size: d, after: all[i - 1]! }
  }
  return { blocks: blocks.length, count: all.length, largest: all.at(-1) ?? null, twins, gap }
})
