// `npm run bench [-- names...] [--quick]`: runs the benchmarks in bench/*.bench.ts (each exports
// `run(): Promise<Row[]>` and runs its own same-run baselines), prints their tables and writes
// bench/results/<name>-<date>-<host>.json.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { machine, table, writeResults, type Row } from './harness.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const wanted = args.filter(a => !a.startsWith('--'))
const available = fs.readdirSync(here).filter(f => f.endsWith('.bench.ts')).map(f => f.replace(/\.bench\.ts$/, '')).sort()
const unknown = wanted.filter(w => !available.includes(w))
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`)
  process.exit(2)
}
const names = wanted.length > 0 ? wanted : available
process.stdout.write(`machine: ${JSON.stringify(machine())}\n\n`)
let failed = 0
for (const name of names) {
  const mod = await import(pathToFileURL(path.join(here, `${name}.bench.ts`)).href) as { run: () => Promise<Row[]> }
  try {
    const rows = await mod.run()
    process.stdout.write(table(name, rows) + '\n')
    process.stdout.write(`\nwrote ${path.relative(process.cwd(), writeResults(name, rows))}\n\n`)
  } catch (err) {
    failed++
    process.stderr.write(`benchmark ${name} failed: ${(err as Error).stack ?? String(err)}\n`)
  }
}
process.exitCode = failed > 0 ? 1 : 0
