// The bench harness: warm-up, repeated measured rounds, median and spread, the machine recorded,
// a printed table and a JSON file. Every benchmark runs its baseline in the same process run.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** Summary of repeated measurements of one quantity. */
export interface Stats {
  median: number
  p90: number
  min: number
  max: number
  rounds: number
}

/** One row of a benchmark's result table. */
export interface Row {
  metric: string
  unit: string
  /** The fabric's figure. */
  value: Stats
  /** The same-run baseline, when there is one. */
  baseline?: Stats
  baselineName?: string
  /** Target, e.g. '<= 20 ms' or '>= 50x'. */
  target?: string
  /** Whether the target is met (by the median). */
  met?: boolean
  note?: string
  /** A published reference figure (e.g. Ray's), printed as its own column when any row has one. */
  reference?: { value: number, unit: string, source: string }
}

export function summarize (samples: number[]): Stats {
  if (samples.length === 0) throw new Error('no samples')
  const s = [...samples].sort((a, b) => a - b)
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!
  return { median: q(0.5), p90: q(0.9), min: s[0]!, max: s[s.length - 1]!, rounds: s.length }
}

/** Run `fn` `warmup` times unmeasured, then `rounds` times measured; returns ms per round. */
export async function measure (fn: () => unknown | Promise<unknown>, opts: { warmup?: number, rounds?: number } = {}): Promise<number[]> {
  for (let i = 0; i < (opts.warmup ?? 3); i++) await fn()
  const out: number[] = []
  for (let i = 0; i < (opts.rounds ?? 10); i++) {
    const t = performance.now()
    await fn()
    out.push(performance.now() - t)
  }
  return out
}

/** Machine facts recorded with every result. */
export function machine (): Record<string, unknown> {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    host: os.hostname()
  }
}

const fmt = (n: number): string => n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toPrecision(3)

/** Print rows as a markdown table. */
export function table (title: string, rows: Row[]): string {
  const withRef = rows.some(r => r.reference !== undefined)
  const lines = [
    `### ${title}`,
    '',
    `| metric | fabric (median) | p90 | min–max | baseline (median) | ratio |${withRef ? ' reference |' : ''} target | met |`,
    `|---|---|---|---|---|---|${withRef ? '---|' : ''}---|---|`
  ]
  for (const r of rows) {
    const base = r.baseline === undefined ? '—' : `${fmt(r.baseline.median)} ${r.unit} (${r.baselineName ?? 'baseline'})`
    const ratio = r.baseline === undefined ? '—' : `${(r.value.median / r.baseline.median).toFixed(2)}x`
    const ref = !withRef ? '' : r.reference === undefined ? ' — |' : ` ${fmt(r.reference.value)} ${r.reference.unit} (${r.reference.source}) |`
    lines.push(`| ${r.metric} | ${fmt(r.value.median)} ${r.unit} | ${fmt(r.value.p90)} | ${fmt(r.value.min)}–${fmt(r.value.max)} | ${base} | ${ratio} |${ref} ${r.target ?? '—'} | ${r.met === undefined ? '—' : r.met ? 'yes' : 'no'} |`)
  }
  return lines.join('\n')
}

/** Write a benchmark's rows and the machine to bench/results/<name>-<date>.json; returns the path. */
export function writeResults (name: string, rows: Row[], dir = path.join(import.meta.dirname ?? '.', 'results')): string {
  fs.mkdirSync(dir, { recursive: true })
  const stamp = new Date().toISOString().slice(0, 10)
  const file = path.join(dir, `${name}-${stamp}-${os.hostname()}.json`)
  fs.writeFileSync(file, JSON.stringify({ name, date: new Date().toISOString(), machine: machine(), rows }, null, 2) + '\n')
  return file
}
