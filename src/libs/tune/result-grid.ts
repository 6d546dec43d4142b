// The results of a tuning run (Ray's ResultGrid): every trial with its config, history, status
// and error; the best trial by a metric; a text table; an SVG plot of metric vs iteration.
import fs from 'node:fs'
import type { Mode, TrialRecord, TrialResult } from './interface.js'

/** Options of {@link ResultGrid.best}. */
export interface BestOptions {
  /** `'last'`: each trial's last result; `'all'`: its best result over its history. @default 'last' */
  scope?: 'last' | 'all'
}

/** The trials of a finished (or stopped) run. */
export class ResultGrid {
  constructor (readonly trials: readonly TrialRecord[], readonly metric: string, readonly mode: Mode) {}

  /** Trials that failed for good. */
  get errors (): TrialRecord[] { return this.trials.filter(t => t.status === 'error') }

  /**
   * The best trial by `metric` (default the run's), skipping trials with no value for it.
   *
   * @throws Error when no trial reported the metric
   * @example const best = grid.best(); console.log(best.config, best.last?.loss)
   */
  best (metric = this.metric, mode: Mode = this.mode, options: BestOptions = {}): TrialRecord {
    const sign = mode === 'max' ? -1 : 1
    let best: TrialRecord | undefined
    let bestValue = Infinity
    for (const t of this.trials) {
      const v = valueOf(t, metric, mode, options.scope ?? 'last')
      if (v !== undefined && sign * v < bestValue) { bestValue = sign * v; best = t }
    }
    if (best === undefined) throw new Error(`no trial reported metric '${metric}' (${this.trials.length} trials, ${this.errors.length} errored)`)
    return best
  }

  /** Total iterations run by all trials (what early stopping saves). */
  get totalIterations (): number { return this.trials.reduce((n, t) => n + t.history.length, 0) }

  /** A text table: one row per trial with its status, config leaves, iterations and last metric. */
  table (): string {
    const keys = [...new Set(this.trials.flatMap(t => Object.keys(flatten(t.config))))]
    const header = ['trial', 'status', ...keys, 'iter', this.metric]
    const rows = this.trials.map(t => {
      const flat = flatten(t.config)
      return [t.id, t.status + (t.stoppedEarly ? ' (early)' : ''), ...keys.map(k => fmt(flat[k])), String(t.history.length), fmt(t.last?.[this.metric])]
    })
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
    return [line(header), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n')
  }

  /** An SVG of `metric` (default the run's) against trainingIteration, one polyline per trial. Returns the SVG text. */
  plot (path?: string, metric = this.metric): string {
    const svg = plotSvg(this.trials, metric)
    if (path !== undefined) fs.writeFileSync(path, svg)
    return svg
  }

  /** A JSON-friendly copy of the trials. */
  toJSON (): { metric: string, mode: Mode, trials: readonly TrialRecord[] } {
    return { metric: this.metric, mode: this.mode, trials: this.trials }
  }
}

function valueOf (t: TrialRecord, metric: string, mode: Mode, scope: 'last' | 'all'): number | undefined {
  const values = (scope === 'last' ? [t.history[t.history.length - 1]] : t.history).map(r => r?.[metric]).filter((v): v is number => typeof v === 'number' && !Number.isNaN(v))
  if (values.length === 0) return undefined
  return mode === 'max' ? Math.max(...values) : Math.min(...values)
}

function flatten (x: unknown, prefix = ''): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return { [prefix]: x }
  return Object.assign({}, ...Object.entries(x).map(([k, v]) => flatten(v, prefix === '' ? k : `${prefix}.${k}`)))
}

function fmt (v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(5) : v.toExponential(3)
  if (v === undefined) return '-'
  return typeof v === 'string' ? v : JSON.stringify(v)
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']

function escapeXml (s: string): string {
  return s.replace(/[<>&"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string)
}

/** The SVG text: axes with ticks, one polyline per trial that reported the metric. */
export function plotSvg (trials: readonly TrialRecord[], metric: string): string {
  const W = 640; const H = 400; const L = 64; const R = 150; const T = 30; const B = 44
  const series = trials.map(t => ({ id: t.id, points: t.history.filter((r: TrialResult) => typeof r[metric] === 'number' && Number.isFinite(r[metric])).map(r => [r.trainingIteration, r[metric] as number] as const) })).filter(s => s.points.length > 0)
  const xs = series.flatMap(s => s.points.map(p => p[0]))
  const ys = series.flatMap(s => s.points.map(p => p[1]))
  const x0 = Math.min(1, ...xs); const x1 = Math.max(x0 + 1, ...xs)
  let y0 = ys.length > 0 ? Math.min(...ys) : 0; let y1 = ys.length > 0 ? Math.max(...ys) : 1
  if (y0 === y1) { y0 -= 0.5; y1 += 0.5 }
  const sx = (x: number): number => L + (x - x0) / (x1 - x0) * (W - L - R)
  const sy = (y: number): number => H - B - (y - y0) / (y1 - y0) * (H - T - B)
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">trainingIteration</text>`,
    `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${escapeXml(metric)}</text>`]
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + (x1 - x0) * i / 4; const yv = y0 + (y1 - y0) * i / 4
    out.push(`<text x="${sx(xv).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${fmt(Number(xv.toPrecision(3)))}</text>`)
    out.push(`<text x="${L - 6}" y="${(sy(yv) + 4).toFixed(1)}" text-anchor="end">${fmt(Number(yv.toPrecision(3)))}</text>`)
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]
    out.push(`<polyline class="trial" data-trial="${escapeXml(s.id)}" fill="none" stroke="${color}" stroke-width="1.5" points="${s.points.map(p => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ')}"/>`)
    if (i < 20) out.push(`<text x="${W - R + 8}" y="${T + 12 + i * 14}" fill="${color}">${escapeXml(s.id)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
