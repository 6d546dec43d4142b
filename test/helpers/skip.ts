// Skipping a test says why, in the test's title as the reporter prints it.

/** Skip the running test, appending the reason to its title so the report shows it. */
export function skipBecause (ctx: Mocha.Context, reason: string): never {
  if (ctx.test !== undefined) ctx.test.title += ` — skipped: ${reason}`
  ctx.skip()
}
