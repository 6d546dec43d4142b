// The combined report of one `npm run bench` run: every benchmark's rows, the machine and the
// arguments in one JSON file, the markdown tables beside it and the SVG charts in a folder:
//
//   <dir>/<YYYY-MM-DD>-<host>.json
//   <dir>/<YYYY-MM-DD>-<host>.md
//   <dir>/<YYYY-MM-DD>-<host>/<benchmark>-throughput.svg   (metrics whose unit ends in '/s')
//   <dir>/<YYYY-MM-DD>-<host>/<benchmark>-spread.svg       (min–p50–p90–max per metric)
//
// Everything here is pure except `writeReport`, which writes only under the directory it is given.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spreadChart, throughputChart } from './charts.js'
import { machine as harnessMachine, type Row } from './harness.js'

/** What Ray's published figures were measured on; printed with every reference column. */
export const RAY_HARDWARE = 'Ray 2.22 release microbenchmarks, AWS m5.16xlarge (64 vCPU, 256 GiB)'

/** One benchmark's part of a run. */
export interface BenchResult {
  name: string
  rows: Row[]
  /** Wall-clock seconds the benchmark took. */
  seconds?: number
  /** Set when the benchmark threw; `rows` is then empty. */
  error?: string
}

/** The combined report, as written to `<day>-<host>.json`. */
export interface Report {
  schema: 1
  /** ISO timestamp of the run's start. */
  date: string
  /** YYYY-MM-DD (UTC) of the run's start: the file name's date. */
  day: string
  host: string
  machine: Record<string, unknown>
  /** The runner's arguments (process.argv after the script). */
  argv: string[]
  quick: boolean
  /** Wall-clock seconds of the whole run. */
  seconds?: number
  benchmarks: BenchResult[]
}

/** The machine as the harness records it, plus the execution backend. */
export function machine (): Record<string, unknown> {
  return {
    ...harnessMachine(),
    v8: process.versions.v8,
    backend: `jco-transpiled components on V8 ${process.versions.v8} WebAssembly, worker_threads pool`
  }
}

/** A host name safe for a file name. */
export function safeHost (host: string): string {
  const s = host.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '')
  return s === '' ? 'host' : s
}

export function buildReport (benchmarks: BenchResult[], opts: { argv: string[], quick?: boolean, start?: Date, seconds?: number, machine?: Record<string, unknown> }): Report {
  const start = opts.start ?? new Date()
  const m = opts.machine ?? machine()
  const host = typeof m.host === 'string' ? m.host : os.hostname()
  return {
    schema: 1,
    date: start.toISOString(),
    day: start.toISOString().slice(0, 10),
    host,
    machine: m,
    argv: opts.argv,
    quick: opts.quick ?? opts.argv.includes('--quick'),
    ...(opts.seconds === undefined ? {} : { seconds: opts.seconds }),
    benchmarks
  }
}

/** `<YYYY-MM-DD>-<host>`: the base name of the report's files. */
export function reportBase (r: Report): string {
  return `${r.day}-${safeHost(r.host)}`
}

/** A number for a table: 3 significant figures, thousands separated. */
export function fmtNum (n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const a = Math.abs(n)
  if (a >= 1000) return Math.round(n).toLocaleString('en-US')
  if (a >= 100) return n.toFixed(0)
  if (a >= 10) return n.toFixed(1)
  if (a >= 1) return n.toFixed(2)
  if (a === 0) return '0'
  return n.toPrecision(3)
}

export function fmtRatio (r: number): string {
  if (!Number.isFinite(r)) return '—'
  return r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`
}

/** Whether a larger value is better: rates (unit ending in '/s') and speed-ups ('x'). */
export function higherIsBetter (unit: string): boolean {
  return unit.endsWith('/s') || unit === 'x'
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')

/** The one-line machine description at the top of the markdown. */
export function machineLine (m: Record<string, unknown>): string {
  const parts = [
    `${String(m.cpu ?? 'unknown CPU')}, ${String(m.cores ?? '?')} cores`,
    `${String(m.memoryGiB ?? '?')} GiB`,
    `Node ${String(m.node ?? process.version)}`,
    m.platform === undefined ? undefined : String(m.platform),
    m.backend === undefined ? undefined : `backend: ${String(m.backend)}`,
    m.host === undefined ? undefined : `host ${String(m.host)}`
  ]
  return parts.filter((p): p is string => p !== undefined).join(' · ')
}

/** The chart files of a benchmark, relative to the report's directory. */
export function chartFiles (r: Report, b: BenchResult): { throughput?: string, spread?: string } {
  const dir = reportBase(r)
  return {
    ...(b.rows.some(x => x.unit.endsWith('/s')) ? { throughput: `${dir}/${b.name}-throughput.svg` } : {}),
    ...(b.rows.length > 0 ? { spread: `${dir}/${b.name}-spread.svg` } : {})
  }
}

/** The markdown table of one benchmark. */
export function benchTable (b: BenchResult): string {
  const withRef = b.rows.some(r => r.reference !== undefined)
  const head = ['metric', 'unit', 'fabric (p50)', 'p90', 'min–max', 'baseline (p50)', 'fabric / baseline']
  if (withRef) head.push('Ray 2.22 (m5.16xlarge)', 'fabric / Ray')
  head.push('target', 'met')
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const r of b.rows) {
    const v = r.value
    const base = r.baseline === undefined ? '—' : `${fmtNum(r.baseline.median)} (${r.baselineName ?? 'baseline'})`
    const ratio = r.baseline === undefined || r.baseline.median === 0 ? '—' : fmtRatio(v.median / r.baseline.median)
    const cells = [r.metric, r.unit, fmtNum(v.median), fmtNum(v.p90), `${fmtNum(v.min)}–${fmtNum(v.max)}`, base, ratio]
    if (withRef) {
      const ref = r.reference
      cells.push(ref === undefined ? '—' : `${fmtNum(ref.value)}${ref.unit === r.unit ? '' : ` ${ref.unit}`}`)
      cells.push(ref === undefined || ref.unit !== r.unit || ref.value === 0 ? '—' : fmtRatio(v.median / ref.value))
    }
    cells.push(r.target ?? '—', r.met === undefined ? '—' : r.met ? 'yes' : 'no')
    lines.push(`| ${cells.map(cell).join(' | ')} |`)
  }
  return lines.join('\n')
}

/** The whole markdown report: the machine line first, then per benchmark its table, notes and charts. */
export function renderMarkdown (r: Report): string {
  const out: string[] = [
    `# Fabric benchmarks: ${r.day}, ${r.host}${r.quick ? ' (--quick)' : ''}`,
    '',
    `**Machine:** ${machineLine(r.machine)}`,
    '',
    `Run ${r.date}${r.seconds === undefined ? '' : `, ${r.seconds.toFixed(1)} s`}; arguments: \`${r.argv.length === 0 ? '(none)' : r.argv.join(' ')}\`. ` +
      'Every figure is the median of repeated measured rounds after warm-up (p90 and min–max beside it); ' +
      'the baseline ran in the same process run on the same machine. `fabric / baseline` is the ratio of the medians: ' +
      'above 1 means the fabric is faster for rates (units ending in /s) and slower for times (ms, µs).',
    ''
  ]
  if (r.benchmarks.some(b => b.rows.some(x => x.reference !== undefined))) {
    out.push(`The Ray column is Ray's published figure, not measured here: ${RAY_HARDWARE}. ` +
      `This run: ${String(r.machine.cores ?? '?')} cores.`, '')
  }
  for (const b of r.benchmarks) {
    out.push(`## ${b.name}${b.seconds === undefined ? '' : ` (${b.seconds.toFixed(1)} s)`}`, '')
    if (b.error !== undefined) {
      out.push('**Failed:**', '', '```', b.error, '```', '')
      continue
    }
    if (b.rows.length === 0) {
      out.push('No rows.', '')
      continue
    }
    out.push(benchTable(b), '')
    const notes = b.rows.filter(x => x.note !== undefined && x.note !== '')
    if (notes.length > 0) {
      out.push('Notes:', '')
      for (const x of notes) out.push(`- ${x.metric}: ${x.note!.replace(/\r?\n/g, ' ')}`)
      out.push('')
    }
    const c = chartFiles(r, b)
    if (c.throughput !== undefined) out.push(`![${b.name}: throughput against the baseline and Ray](${c.throughput})`, '')
    else out.push(`(${b.name} has no throughput metrics, so no throughput chart.)`, '')
    if (c.spread !== undefined) out.push(`![${b.name}: spread per metric (min, p50, p90, max)](${c.spread})`, '')
  }
  return out.join('\n')
}

export interface WrittenReport { json: string, markdown: string, chartsDir: string, charts: string[] }

/** Write the JSON, the markdown and the charts under `dir` (and the JSON to `jsonCopy` too, when given). */
export function writeReport (r: Report, dir: string, jsonCopy?: string): WrittenReport {
  fs.mkdirSync(dir, { recursive: true })
  const base = reportBase(r)
  const json = path.join(dir, `${base}.json`)
  const text = JSON.stringify(r, null, 2) + '\n'
  fs.writeFileSync(json, text)
  if (jsonCopy !== undefined) {
    fs.mkdirSync(path.dirname(path.resolve(jsonCopy)), { recursive: true })
    fs.writeFileSync(jsonCopy, text)
  }
  const chartsDir = path.join(dir, base)
  fs.mkdirSync(chartsDir, { recursive: true })
  const charts: string[] = []
  const sub = `${r.quick ? '--quick · ' : ''}${r.day} · ${String(r.machine.cores ?? '?')} cores, ${String(r.machine.cpu ?? '')}`
  for (const b of r.benchmarks) {
    const c = chartFiles(r, b)
    if (c.throughput !== undefined) {
      const f = path.join(dir, c.throughput)
      fs.writeFileSync(f, throughputChart(b.name, b.rows, { subtitle: sub, refHardware: RAY_HARDWARE }))
      charts.push(f)
    }
    if (c.spread !== undefined) {
      const f = path.join(dir, c.spread)
      fs.writeFileSync(f, spreadChart(b.name, b.rows, { subtitle: sub }))
      charts.push(f)
    }
  }
  const markdown = path.join(dir, `${base}.md`)
  fs.writeFileSync(markdown, renderMarkdown(r) + '\n')
  return { json, markdown, chartsDir, charts }
}
