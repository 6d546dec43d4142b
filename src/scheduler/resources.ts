// Resource arithmetic: what a node has, what a task asks for, whether it fits.

/** A bag of resources: the built-in kinds and any custom ones (`{ ssd: 1 }`). */
export interface Resources {
  cpus: number
  gpus: number
  memoryMb: number
  custom: Record<string, number>
}

export const NO_RESOURCES: Resources = Object.freeze({ cpus: 0, gpus: 0, memoryMb: 0, custom: Object.freeze({}) as Record<string, number> })

export function resources (r: Partial<Resources> = {}): Resources {
  return { cpus: r.cpus ?? 0, gpus: r.gpus ?? 0, memoryMb: r.memoryMb ?? 0, custom: { ...(r.custom ?? {}) } }
}

/** Whether `demand` fits in `available`. */
export function fits (demand: Resources, available: Resources): boolean {
  if (demand.cpus > available.cpus + 1e-9 || demand.gpus > available.gpus + 1e-9 || demand.memoryMb > available.memoryMb + 1e-9) return false
  // (for-in: no array of entries per check; placement checks every node for every task)
  for (const k in demand.custom) if (demand.custom[k]! > (available.custom[k] ?? 0) + 1e-9) return false
  return true
}

/** What `demand` lacks in `total`, as "gpus: needs 1, has 0" phrases; empty when it fits. */
export function shortfall (demand: Resources, total: Resources): string[] {
  const out: string[] = []
  for (const k of ['cpus', 'gpus', 'memoryMb'] as const) if (demand[k] > total[k] + 1e-9) out.push(`${k}: needs ${demand[k]}, has ${total[k]}`)
  for (const [k, v] of Object.entries(demand.custom)) if (v > (total.custom[k] ?? 0) + 1e-9) out.push(`${k}: needs ${v}, has ${total.custom[k] ?? 0}`)
  return out
}

/** `into -= r` (acquire) or `into += r` (release, sign = +1). */
export function adjust (into: Resources, r: Resources, sign: 1 | -1): void {
  into.cpus += sign * r.cpus
  into.gpus += sign * r.gpus
  into.memoryMb += sign * r.memoryMb
  for (const [k, v] of Object.entries(r.custom)) into.custom[k] = (into.custom[k] ?? 0) + sign * v
}

/** A copy of `r` with every count below zero raised to zero (free counts of an oversubscribed node). */
export function atLeastZero (r: Resources): Resources {
  const z = (n: number): number => Math.max(0, n)
  return { cpus: z(r.cpus), gpus: z(r.gpus), memoryMb: z(r.memoryMb), custom: Object.fromEntries(Object.entries(r.custom).map(([k, v]) => [k, z(v)])) }
}

/** Check a resource request from user options: non-negative finite numbers. */
export function validateRequest (r: Resources, what: string): void {
  const bad = (v: number): boolean => typeof v !== 'number' || !Number.isFinite(v) || v < 0
  for (const k of ['cpus', 'gpus', 'memoryMb'] as const) {
    if (bad(r[k])) throw new TypeError(`${what}: ${k} must be a non-negative number, got ${String(r[k])}`)
  }
  for (const [k, v] of Object.entries(r.custom)) {
    if (bad(v)) throw new TypeError(`${what}: resource '${k}' must be a non-negative number, got ${String(v)}`)
  }
}
