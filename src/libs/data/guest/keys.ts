// The order of keys, shared by the ops guest (sorting, partitioning) and the driver (a sort's
// range boundaries): numbers, then strings, then booleans, then others by their JSON, null and
// missing last. Imports nothing, so the guest build can take it in.

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compareKeys (a: unknown, b: unknown): number {
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra - rb
  if (ra === 0) return (a as number) - (b as number)
  if (ra === 1) return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0
  if (ra === 2) return Number(a) - Number(b)
  if (ra === 4) return 0
  const ja = JSON.stringify(a)
  const jb = JSON.stringify(b)
  return ja < jb ? -1 : ja > jb ? 1 : 0
}

function rank (v: unknown): number {
  return typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : v === null || v === undefined ? 4 : 3
}
