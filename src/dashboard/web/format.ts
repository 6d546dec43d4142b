// How values read on the page: short ids, sizes, durations, times.

/** A PeerId or task id cut to its end (the full one in the title). */
export function short (id: string | number | boolean | undefined, keep = 10): string {
  const s = String(id ?? '')
  return s.length > keep + 1 ? `…${s.slice(-keep)}` : s
}

export function bytes (n: unknown): string {
  const v = Number(n ?? 0)
  if (!Number.isFinite(v) || v <= 0) return '0 B'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  const i = Math.min(units.length - 1, Math.floor(Math.log2(v) / 10))
  return `${(v / 2 ** (10 * i)).toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

export function duration (ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`
}

export function clock (ms: unknown): string {
  const v = Number(ms)
  if (!Number.isFinite(v) || v <= 0) return '-'
  return new Date(v).toLocaleTimeString([], { hour12: false })
}

/** `1 object`, `2 objects`. */
export function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** A number field of a row, or undefined. */
export function num (v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined
}

/** A colour per task state (the chart, the timeline and the badges share it). */
export const STATE_COLORS: Record<string, string> = {
  'waiting-for-args': '#b08cff',
  'waiting-for-resources': '#ff9f40',
  queued: '#f2c94c',
  running: '#2d9cdb',
  finished: '#27ae60',
  failed: '#eb5757',
  cancelled: '#9aa5b1',
  alive: '#27ae60',
  suspected: '#ff9f40',
  creating: '#f2c94c',
  restarting: '#ff9f40',
  dead: '#eb5757'
}
