// Waiting for a condition instead of sleeping for a guessed time: poll until it holds, fail
// with what was awaited once the deadline passes.

/** Poll `cond` every `everyMs` until it holds; fail with `what` after `timeoutMs`. Returns the elapsed ms. */
export async function waitFor (cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, everyMs = 25): Promise<number> {
  const start = Date.now()
  while (true) {
    if (await cond()) return Date.now() - start
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

/**
 * For what must NOT happen (a node joining a fabric it has no key for): poll `cond` every
 * `everyMs` for `ms`, failing with `what` as soon as it does not hold.
 */
export async function holdsFor (cond: () => boolean | Promise<boolean>, what: string, ms: number, everyMs = 100): Promise<void> {
  const start = Date.now()
  let polls = 0
  while (true) {
    if (!(await cond())) throw new Error(`${what} stopped holding after ${Date.now() - start} ms (${polls} polls)`)
    polls++
    if (Date.now() - start >= ms) return
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}
