// The seed of randomised tests: fresh each run so new inputs keep being tried, printed so a
// failure can be replayed, and fixed with FABRIC_TEST_SEED=<n> (docs/testing.md).

let chosen: number | undefined

/** Parse FABRIC_TEST_SEED; undefined when unset, a clear error when it is not a 32-bit integer. */
export function parseSeed (value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TypeError(`FABRIC_TEST_SEED must be an integer 0..4294967295 (as printed by an earlier run), got '${value}'`)
  return n
}

/** This run's seed: FABRIC_TEST_SEED or one from the clock; the first call prints it. */
export function testSeed (): number {
  if (chosen === undefined) {
    const fixed = parseSeed(process.env.FABRIC_TEST_SEED)
    chosen = fixed ?? (Date.now() % 0xffffffff) >>> 0
    console.log(`      (random inputs from seed ${chosen}${fixed === undefined ? '; replay with FABRIC_TEST_SEED=' + String(chosen) : ', fixed by FABRIC_TEST_SEED'})`)
  }
  return chosen
}
