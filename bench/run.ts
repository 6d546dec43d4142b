// `npm run bench [-- names...] [--quick] [--json out.json] [--results-dir dir]` (also `fabric bench`):
// runs the benchmarks in bench/*.bench.ts (each exports `run(): Promise<Row[]>` and runs its own
// same-run baselines; each reads --quick from process.argv itself), prints their tables, then
// writes ONE combined report (bench/report.ts):
//
//   bench/results/<YYYY-MM-DD>-<host>.json   machine, date, argv, quick, per benchmark its rows
//   bench/results/<YYYY-MM-DD>-<host>.md     the markdown tables, the machine line at the top
//   bench/results/<YYYY-MM-DD>-<host>/*.svg  per benchmark: throughput bars, spread per metric
//
// `--json out.json` writes the combined JSON there as well. The per-benchmark files
// (<name>-<date>-<host>.json) are no longer written by this runner: the combined file carries all
// of it (a benchmark run directly, `npx tsx bench/<name>.bench.ts`, still writes its own).
// A later run on the same day and host overwrites that day's report.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { table, type Row } from './harness.js'
import { progressBar } from '../src/cli/progress.js'
import { buildReport, machine, writeReport, type BenchResult } from './report.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)

function usage (msg: string): never {
  process.stderr.write(`${msg}\nusage: bench/run.ts [names...] [--quick] [--json out.json] [--results-dir dir]\n`)
  process.exit(2)
}

// Parse: names, --quick (read by the benchmarks themselves), --json <file> / --json=<file>,
// --results-dir <dir> / --results-dir=<dir>.
const wanted: string[] = []
let jsonOut: string | undefined
let resultsDir = path.join(here, 'results')
for (let i = 0; i < args.length; i++) {
  const a = args[i]!
  const valued = (flag: string): string | undefined => {
    if (a === flag) {
      const v = args[++i]
      if (v === undefined || v.startsWith('--')) usage(`${flag} needs a value`)
      return v
    }
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1)
    return undefined
  }
  const j = valued('--json')
  if (j !== undefined) { jsonOut = path.resolve(j); continue }
  const d = valued('--results-dir')
  if (d !== undefined) { resultsDir = path.resolve(d); continue }
  if (a === '--quick') continue
  if (a.startsWith('--')) usage(`unknown option ${a}`)
  wanted.push(a)
}
const quick = args.includes('--quick')

const available = fs.readdirSync(here).filter(f => f.endsWith('.bench.ts')).map(f => f.replace(/\.bench\.ts$/, '')).sort()
const unknown = wanted.filter(w => !available.includes(w))
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`)
  process.exit(2)
}
const names = wanted.length > 0 ? [...new Set(wanted)] : available
const m = machine()
const start = new Date()
const t0 = performance.now()
process.stdout.write(`machine: ${JSON.stringify(m)}\n\n`)

const results: BenchResult[] = []
// A bar over the benchmarks on stderr when it is a terminal: the tables go above it, stdout unchanged.
const bar = progressBar(process.stderr, { total: names.length, label: 'bench', unit: 'benchmarks' })
for (const [i, name] of names.entries()) {
  const t = performance.now()
  bar.update(i, name)
  try {
    const mod = await import(pathToFileURL(path.join(here, `${name}.bench.ts`)).href) as { run: () => Promise<Row[]> }
    const rows = await mod.run()
    const seconds = (performance.now() - t) / 1000
    results.push({ name, rows, seconds })
    process.stdout.write(table(name, rows) + '\n')
    process.stdout.write(`\n${name}: ${seconds.toFixed(1)} s\n\n`)
  } catch (err) {
    const seconds = (performance.now() - t) / 1000
    const error = (err as Error).stack ?? String(err)
    results.push({ name, rows: [], seconds, error })
    process.stderr.write(`benchmark ${name} failed after ${seconds.toFixed(1)} s: ${error}\n`)
  }
}
bar.stop()

const report = buildReport(results, { argv: args, quick, start, seconds: (performance.now() - t0) / 1000, machine: m })
const written = writeReport(report, resultsDir, jsonOut)
const rel = (p: string): string => { const r = path.relative(process.cwd(), p); return r === '' || r.startsWith('..') ? p : r }
process.stdout.write(`total: ${report.seconds!.toFixed(1)} s\n`)
process.stdout.write(`wrote ${rel(written.json)}\n      ${rel(written.markdown)}\n`)
for (const c of written.charts) process.stdout.write(`      ${rel(c)}\n`)
if (jsonOut !== undefined) process.stdout.write(`      ${rel(jsonOut)}\n`)
process.exitCode = results.some(r => r.error !== undefined) ? 1 : 0
