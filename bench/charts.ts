// SVG charts of benchmark rows, written as plain strings (no dependencies):
//
// - `throughputChart`: the rows whose unit ends in '/s', one group of horizontal bars per metric:
//   the fabric's median, the same-run baseline's median and Ray's published figure, min–max
//   whiskers on the measured bars, the value printed at each bar's end; a log axis when the values
//   span orders of magnitude.
// - `spreadChart`: one small panel per metric with its own axis (so ms, µs, ops/s and GB/s fit in
//   one picture): for the fabric and the baseline a box-like mark: whisker min–max, box p50–p90,
//   a bold tick at the median.
//
// Text widths are estimated (0.6 em a character, on the wide side for DejaVu Sans / Helvetica), and
// the label column, the margins and the tick spacing are sized from those estimates so that no two
// labels overlap.
import type { Row, Stats } from './harness.js'

export const COLORS = { fabric: '#3366AA', baseline: '#EE7733', reference: '#229955', ink: '#222222', muted: '#666666', grid: '#E3E3E3', stripe: '#F6F7F9' }
const FONT = "'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif"

/** Escape text for SVG content and attribute values. */
export function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

/** A short number: 3 significant figures with k / M / G suffixes. */
export function fmtCompact (n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const a = Math.abs(n)
  const sig = (x: number): string => {
    const ax = Math.abs(x)
    const s = ax >= 100 ? x.toFixed(0) : ax >= 10 ? x.toFixed(1) : x.toFixed(2)
    return s.includes('.') ? s.replace(/\.?0+$/, '') : s
  }
  if (a >= 1e9) return `${sig(n / 1e9)}G`
  if (a >= 1e6) return `${sig(n / 1e6)}M`
  if (a >= 1e3) return `${sig(n / 1e3)}k`
  if (a >= 0.01 || a === 0) return sig(n)
  return n.toPrecision(2)
}

/** Estimated rendered width of `s` at `size` px. */
export function textWidth (s: string, size: number): number {
  return s.length * size * 0.6
}

/** Break `s` into lines of at most `max` characters at spaces (a longer word stays whole). */
export function wrap (s: string, max: number): string[] {
  const lines: string[] = []
  let cur = ''
  for (const w of s.split(/\s+/).filter(x => x !== '')) {
    if (cur === '') cur = w
    else if (cur.length + 1 + w.length <= max) cur += ' ' + w
    else { lines.push(cur); cur = w }
  }
  if (cur !== '') lines.push(cur)
  return lines.length === 0 ? [''] : lines
}

const r1 = (n: number): string => (Math.round(n * 10) / 10).toString()

interface Scale {
  (v: number): number
  ticks: number[]
  log: boolean
}

/** Ticks at 1, 2 or 5 times a power of ten, about `count` of them, covering [lo, hi]. */
function niceStep (span: number, count: number): number {
  const raw = span / Math.max(1, count)
  const p = 10 ** Math.floor(Math.log10(raw))
  const m = raw / p
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p
}

/**
 * A scale over `values` onto [x0, x1]: logarithmic (decades) when every value is positive and the
 * largest is at least `logRatio` times the smallest, else linear from 0 (or the smallest value when
 * negative) to a nice maximum. Ticks are thinned so that labels `minGap` px apart fit.
 */
export function makeScale (values: number[], x0: number, x1: number, opts: { logRatio?: number, minGap?: number } = {}): Scale {
  const vs = values.filter(v => Number.isFinite(v))
  const minGap = opts.minGap ?? 48
  const w = x1 - x0
  const lo0 = vs.length === 0 ? 0 : Math.min(...vs)
  const hi0 = vs.length === 0 ? 1 : Math.max(...vs)
  if (lo0 > 0 && hi0 / lo0 >= (opts.logRatio ?? 30)) {
    const a = Math.floor(Math.log10(lo0))
    let b = Math.ceil(Math.log10(hi0))
    if (b === a) b = a + 1
    const f = ((v: number) => x0 + ((Math.log10(Math.max(v, 10 ** a)) - a) / (b - a)) * w) as Scale
    const every = Math.max(1, Math.ceil(minGap / (w / (b - a))))
    f.ticks = []
    for (let k = a; k <= b; k += every) f.ticks.push(10 ** k)
    f.log = true
    return f
  }
  let lo = Math.min(0, lo0)
  let hi = Math.max(hi0, lo + 1e-12)
  if (hi === 0 && lo === 0) hi = 1
  let count = Math.max(2, Math.min(8, Math.floor(w / minGap)))
  let step = niceStep(hi - lo, count)
  // Fewer ticks until neighbouring ones are at least minGap apart.
  while ((step / (Math.ceil(hi / step) * step - Math.floor(lo / step) * step)) * w < minGap && count > 1) {
    count--
    step = niceStep(hi - lo, count)
  }
  lo = Math.floor(lo / step) * step
  hi = Math.ceil(hi / step) * step
  if (hi <= lo) hi = lo + step
  const f = ((v: number) => x0 + ((v - lo) / (hi - lo)) * w) as Scale
  f.ticks = []
  for (let t = lo; t <= hi + step / 2; t += step) f.ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)))
  f.log = false
  return f
}

function text (x: number, y: number, s: string, a: { size?: number, anchor?: 'start' | 'middle' | 'end', weight?: string, fill?: string } = {}): string {
  return `<text x="${r1(x)}" y="${r1(y)}" font-size="${a.size ?? 12}"${a.anchor !== undefined && a.anchor !== 'start' ? ` text-anchor="${a.anchor}"` : ''}${a.weight !== undefined ? ` font-weight="${a.weight}"` : ''} fill="${a.fill ?? COLORS.ink}">${esc(s)}</text>`
}
const line = (x1: number, y1: number, x2: number, y2: number, stroke: string, width = 1, extra = ''): string =>
  `<line x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" stroke="${stroke}" stroke-width="${width}"${extra}/>`
const rect = (x: number, y: number, w: number, h: number, fill: string, extra = ''): string =>
  `<rect x="${r1(x)}" y="${r1(y)}" width="${r1(Math.max(0, w))}" height="${r1(h)}" fill="${fill}"${extra}/>`

function svgDoc (w: number, h: number, title: string, body: string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${Math.ceil(h)}" viewBox="0 0 ${w} ${Math.ceil(h)}" font-family="${esc(FONT)}">`,
    `<title>${esc(title)}</title>`,
    rect(0, 0, w, Math.ceil(h), '#FFFFFF'),
    ...body,
    '</svg>',
    ''
  ].join('\n')
}

/** A metric's label: its name (wrapped, 12 px) and a detail line (wrapped, 10 px). */
interface Label { main: string[], sub: string[] }
const MAIN = 12
const SUB = 10
const labelHeight = (l: Label): number => l.main.length * 15 + l.sub.length * 12
function labelWidth (l: Label): number {
  return Math.max(...l.main.map(s => textWidth(s, MAIN)), ...l.sub.map(s => textWidth(s, SUB)))
}
function drawLabel (l: Label, x: number, yCenter: number): string[] {
  const top = yCenter - labelHeight(l) / 2
  const out: string[] = []
  l.main.forEach((s, i) => out.push(text(x, top + 12 + i * 15, s, { size: MAIN, anchor: 'end' })))
  l.sub.forEach((s, i) => out.push(text(x, top + l.main.length * 15 + 10 + i * 12, s, { size: SUB, anchor: 'end', fill: COLORS.muted })))
  return out
}

function legend (x: number, y: number, items: Array<{ label: string, color: string }>): { svg: string[], width: number } {
  const out: string[] = []
  let cx = x
  for (const it of items) {
    out.push(rect(cx, y - 10, 14, 12, it.color, ' rx="2"'))
    out.push(text(cx + 19, y, it.label, { size: 12 }))
    cx += 19 + textWidth(it.label, 12) + 18
  }
  return { svg: out, width: cx - x }
}

function statsTitle (series: string, r: Row, s: Stats): string {
  return `${series}, ${r.metric}: median ${fmtCompact(s.median)} ${r.unit}, p90 ${fmtCompact(s.p90)}, min ${fmtCompact(s.min)}, max ${fmtCompact(s.max)} (${s.rounds} rounds)`
}

export interface ChartOptions {
  /** A second line under the title (e.g. the machine). */
  subtitle?: string
  /** Total width in px (default 980). */
  width?: number
}

/** Rows a throughput chart shows: rates (unit ending in '/s'). */
export function throughputRows (rows: Row[]): Row[] {
  return rows.filter(r => r.unit.endsWith('/s'))
}

/**
 * Horizontal grouped bars per rate metric: fabric, baseline, Ray's published figure. Returns an SVG
 * document; rows whose unit does not end in '/s' are left out.
 */
export function throughputChart (name: string, allRows: Row[], opts: ChartOptions & { refHardware?: string } = {}): string {
  const rows = throughputRows(allRows)
  const W = opts.width ?? 980
  const refOf = (r: Row): number | undefined => r.reference !== undefined && r.reference.unit === r.unit ? r.reference.value : undefined
  const series: Array<{ key: 'fabric' | 'baseline' | 'reference', label: string, color: string }> = [{ key: 'fabric', label: 'fabric (median)', color: COLORS.fabric }]
  if (rows.some(r => r.baseline !== undefined)) series.push({ key: 'baseline', label: 'same-run baseline (median)', color: COLORS.baseline })
  if (rows.some(r => refOf(r) !== undefined)) series.push({ key: 'reference', label: 'Ray 2.22 published (64-vCPU m5.16xlarge)', color: COLORS.reference })

  const labels: Label[] = rows.map(r => ({
    main: wrap(r.metric, 38),
    sub: wrap(`${r.unit}${r.baselineName === undefined ? '' : ` · baseline: ${r.baselineName}`}`, 56)
  }))
  const L = Math.min(420, Math.max(170, ...labels.map(labelWidth))) + 20
  const R = 24 + textWidth('0.000M', 11) + 16 // room for the value after the longest bar
  const x0 = L
  const x1 = W - R
  const values: number[] = []
  for (const r of rows) {
    values.push(r.value.median, r.value.min, r.value.max)
    if (r.baseline !== undefined) values.push(r.baseline.median, r.baseline.min, r.baseline.max)
    const ref = refOf(r)
    if (ref !== undefined) values.push(ref)
  }
  const sc = makeScale(values, x0, x1, { minGap: 56 })

  const body: string[] = []
  body.push(text(20, 28, `${name}: throughput, fabric vs baseline${series.some(s => s.key === 'reference') ? ' vs Ray 2.22' : ''}`, { size: 17, weight: 'bold' }))
  if (opts.subtitle !== undefined) body.push(text(20, 48, opts.subtitle, { size: 12, fill: COLORS.muted }))
  const lg = legend(20, 74, series)
  body.push(...lg.svg)
  body.push(text(20, 94, `Bars: median; black whiskers: min–max of the measured rounds; higher is better; ${sc.log ? 'log' : 'linear'} scale; units per metric as labelled.`, { size: 11, fill: COLORS.muted }))

  const top = 110
  const barH = 15
  const barGap = 3
  const pad = 14
  let y = top
  const groups: Array<{ y: number, h: number }> = []
  for (const l of labels) {
    const h = Math.max(series.length * barH + (series.length - 1) * barGap, labelHeight(l)) + pad
    groups.push({ y, h })
    y += h
  }
  const bottom = y
  if (rows.length === 0) {
    body.push(text(x0, top + 20, 'no throughput metrics (no unit ending in /s)', { size: 12, fill: COLORS.muted }))
  }
  // Stripes, grid, axes.
  groups.forEach((g, i) => { if (i % 2 === 0) body.push(rect(8, g.y, W - 16, g.h, COLORS.stripe)) })
  for (const t of sc.ticks) {
    const x = sc(t)
    body.push(line(x, top, x, bottom, COLORS.grid))
    body.push(text(x, bottom + 16, fmtCompact(t), { size: 11, anchor: 'middle', fill: COLORS.muted }))
  }
  body.push(line(x0, top, x0, bottom, COLORS.ink))
  body.push(line(x0, bottom, x1, bottom, COLORS.ink))
  body.push(text((x0 + x1) / 2, bottom + 36, `rate per second (${sc.log ? 'log scale' : 'linear scale'})`, { size: 12, anchor: 'middle' }))

  rows.forEach((r, i) => {
    const g = groups[i]!
    body.push(...drawLabel(labels[i]!, x0 - 12, g.y + g.h / 2))
    const barsH = series.length * barH + (series.length - 1) * barGap
    let by = g.y + (g.h - barsH) / 2
    for (const s of series) {
      const st = s.key === 'fabric' ? r.value : s.key === 'baseline' ? r.baseline : undefined
      const v = s.key === 'reference' ? refOf(r) : st?.median
      const cy = by + barH / 2
      if (v === undefined) {
        body.push(text(x0 + 6, cy + 4, 'n/a', { size: 10, fill: COLORS.muted }))
      } else {
        const xe = sc(v)
        const tip = st !== undefined ? statsTitle(s.label, r, st) : `${s.label}, ${r.metric}: ${fmtCompact(v)} ${r.unit} (${r.reference?.source ?? 'published'})`
        body.push(`<g><title>${esc(tip)}</title>${rect(x0, by, xe - x0, barH, s.color)}</g>`)
        let end = xe
        if (st !== undefined && st.max > st.min) {
          const a = sc(st.min)
          const b = sc(st.max)
          body.push(line(a, cy, b, cy, COLORS.ink, 1.2))
          body.push(line(a, cy - 4, a, cy + 4, COLORS.ink, 1.2))
          body.push(line(b, cy - 4, b, cy + 4, COLORS.ink, 1.2))
          end = Math.max(end, b)
        }
        body.push(text(end + 5, cy + 4, fmtCompact(v), { size: 11, fill: COLORS.ink }))
      }
      by += barH + barGap
    }
  })
  let h = bottom + 52
  if (opts.refHardware !== undefined && series.some(s => s.key === 'reference')) {
    body.push(text(20, h, `Ray figures are published, not measured here: ${opts.refHardware}.`, { size: 11, fill: COLORS.muted }))
    h += 10
  }
  return svgDoc(W, h + 8, `${name} throughput`, body)
}

/**
 * One panel per metric, each on its own axis: for the fabric and the baseline a box-like mark
 * (whisker min–max, box p50–p90, bold tick at the median) and the median printed beside it.
 */
export function spreadChart (name: string, rows: Row[], opts: ChartOptions = {}): string {
  const W = opts.width ?? 980
  const anyBase = rows.some(r => r.baseline !== undefined)
  const scaleValues = (r: Row): number[] => [r.value.min, r.value.max, ...(r.baseline === undefined ? [] : [r.baseline.min, r.baseline.max])]
  const isLog = (r: Row): boolean => {
    const v = scaleValues(r)
    return Math.min(...v) > 0 && Math.max(...v) / Math.min(...v) >= 30
  }
  const labels: Label[] = rows.map(r => ({
    main: wrap(r.metric, 38),
    sub: wrap(`${r.unit} · ${isLog(r) ? 'log' : 'linear'} scale${r.baseline === undefined ? '' : ` · baseline: ${r.baselineName ?? 'baseline'}`}`, 56)
  }))
  const L = Math.min(420, Math.max(170, ...labels.map(labelWidth))) + 20
  const longestValue = Math.max(40, ...rows.map(r => textWidth(`${fmtCompact(Math.max(r.value.median, r.baseline?.median ?? 0))} ${r.unit}`, 11)))
  const R = Math.min(200, longestValue + 24)
  const x0 = L
  const x1 = W - R

  const body: string[] = []
  body.push(text(20, 28, `${name}: spread per metric (min, p50, p90, max)`, { size: 17, weight: 'bold' }))
  if (opts.subtitle !== undefined) body.push(text(20, 48, opts.subtitle, { size: 12, fill: COLORS.muted }))
  const items = [{ label: 'fabric', color: COLORS.fabric }]
  if (anyBase) items.push({ label: 'same-run baseline', color: COLORS.baseline })
  const lg = legend(20, 74, items)
  body.push(...lg.svg)
  // An example mark that explains itself.
  {
    const ex0 = 20 + lg.width + 30
    const xs = [ex0, ex0 + 50, ex0 + 100, ex0 + 150] // min, p50, p90, max
    body.push(...mark(xs[0]!, xs[1]!, xs[2]!, xs[3]!, 69, COLORS.muted))
    ;['min', 'p50', 'p90', 'max'].forEach((s, i) => body.push(text(xs[i]!, 92, s, { size: 10, anchor: 'middle', fill: COLORS.muted })))
  }
  body.push(text(20, 114, 'Each panel has its own axis in its own unit (log where its values span 30x or more); the median is printed beside each mark.', { size: 11, fill: COLORS.muted }))

  const top = 128
  const markH = 12
  const markGap = 10
  const axisH = 24
  const pad = 14
  let y = top
  rows.forEach((r, i) => {
    const st: Array<{ s: Stats, color: string, series: string }> = [{ s: r.value, color: COLORS.fabric, series: 'fabric' }]
    if (r.baseline !== undefined) st.push({ s: r.baseline, color: COLORS.baseline, series: r.baselineName ?? 'baseline' })
    const marksH = st.length * markH + (st.length - 1) * markGap
    const contentH = Math.max(marksH + axisH, labelHeight(labels[i]!))
    const h = contentH + pad
    if (i % 2 === 0) body.push(rect(8, y, W - 16, h, COLORS.stripe))
    body.push(...drawLabel(labels[i]!, x0 - 12, y + h / 2))
    const sc = makeScale(scaleValues(r), x0, x1, { minGap: 60 })
    const my0 = y + (h - marksH - axisH) / 2
    const axisY = my0 + marksH + 6
    for (const t of sc.ticks) {
      const x = sc(t)
      body.push(line(x, my0 - 4, x, axisY, COLORS.grid))
      body.push(line(x, axisY, x, axisY + 3, COLORS.muted))
      body.push(text(x, axisY + 14, fmtCompact(t), { size: 10, anchor: 'middle', fill: COLORS.muted }))
    }
    body.push(line(x0, axisY, x1, axisY, COLORS.muted))
    st.forEach((m, j) => {
      const cy = my0 + j * (markH + markGap) + markH / 2
      body.push(`<g><title>${esc(statsTitle(m.series, r, m.s))}</title>${mark(sc(m.s.min), sc(m.s.median), sc(m.s.p90), sc(m.s.max), cy, m.color).join('')}</g>`)
      body.push(text(Math.max(sc(m.s.max), sc(m.s.p90)) + 8, cy + 4, `${fmtCompact(m.s.median)} ${r.unit}`, { size: 11, fill: COLORS.ink }))
    })
    y += h
  })
  if (rows.length === 0) body.push(text(x0, top + 20, 'no rows', { size: 12, fill: COLORS.muted }))
  return svgDoc(W, y + 16, `${name} spread`, body)
}

/** The box-like mark: whisker min–max with caps, box p50–p90, a bold tick at p50. */
function mark (xMin: number, xMed: number, xP90: number, xMax: number, cy: number, color: string): string[] {
  return [
    line(xMin, cy, xMax, cy, color, 1.5),
    line(xMin, cy - 5, xMin, cy + 5, color, 1.5),
    line(xMax, cy - 5, xMax, cy + 5, color, 1.5),
    rect(xMed, cy - 6, Math.max(1, xP90 - xMed), 12, color, ` fill-opacity="0.3" stroke="${color}" stroke-width="1"`),
    line(xMed, cy - 8, xMed, cy + 8, COLORS.ink, 3)
  ]
}
