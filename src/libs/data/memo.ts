// Memoised block tasks (ExecutionOptions.memo): the library's own tasks and the user's, called with
// `memo: true` so that a run over inputs the fabric has seen reuses each block's result.
/** A module whose tasks are called memoised (when `memo`): every block task the library submits through it. */
export function memoiseModule<M> (m: M, memo: boolean): M {
  if (!memo) return m
  const known = memoised.get(m as object)
  if (known !== undefined) return known as M
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) out[k] = memoiseTask(v)
  memoised.set(m as object, out)
  return out as M
}
const memoised = new WeakMap<object, unknown>()

/** A task called with `memo: true` (anything else as it is). */
export function memoiseTask<F> (fn: F): F {
  const t = fn as { remote?: unknown, options?: (o: Record<string, unknown>) => unknown }
  return typeof t.remote === 'function' && typeof t.options === 'function' ? t.options({ memo: true }) as F : fn
}
