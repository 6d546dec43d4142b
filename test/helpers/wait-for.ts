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
