#!/usr/bin/env node
// `npm run fuzz -- [--seconds N] [--jobs J] [--json FILE] [target...]`: run each coverage-guided
// fuzz target of fuzz/ (fuzz/targets.json) with Jazzer.js for N seconds, print a table and write
// JSON. Targets are bundled with esbuild (TypeScript in, cborg inside so its branches guide the
// fuzzer too); each runs in its own process, seeded from fuzz/corpus/<target>/ and
// fuzz/regressions/<target>/, and adds what it finds to .cache/fuzz/corpus/<target>/. A crash,
// hang or out-of-memory input is saved under fuzz/results/crashes/<target>/ and the exit status
// is 1. See docs/fuzzing.md.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
const { addonPath } = require('../fuzz/support/jazzer-addon.cjs')

const CACHE = path.join(ROOT, '.cache', 'fuzz')
const TARGETS = JSON.parse(fs.readFileSync(path.join(ROOT, 'fuzz', 'targets.json'), 'utf8'))
const USAGE = `usage: npm run fuzz -- [--seconds N] [--jobs J] [--json FILE] [--results DIR] [--strict] [target...]
  --strict: also check the known issues listed in docs/fuzzing.md (they crash until fixed)
targets: ${TARGETS.map((t) => t.name).join(', ')}`

function parseArgs (argv) {
  const opts = { seconds: 60, jobs: 1, json: undefined, results: path.join(ROOT, 'fuzz', 'results'), strict: false, targets: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      const v = argv[++i]
      if (v === undefined) fail(`${a} needs a value`)
      return v
    }
    if (a === '--seconds') opts.seconds = positive(value(), a)
    else if (a === '--jobs') opts.jobs = positive(value(), a)
    else if (a === '--json') opts.json = path.resolve(value())
    else if (a === '--results') opts.results = path.resolve(value())
    else if (a === '--strict') opts.strict = true
    else if (a === '--help' || a === '-h') { console.log(USAGE); process.exit(0) } else if (a.startsWith('-')) fail(`unknown option ${a}`)
    else if (!TARGETS.some((t) => t.name === a)) fail(`unknown target ${a}`)
    else opts.targets.push(a)
  }
  opts.json ??= path.join(opts.results, 'latest.json')
  return opts
}

function positive (v, flag) {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) fail(`${flag} needs a positive integer, not ${v}`)
  return n
}

function fail (message) {
  console.error(`fuzz: ${message}\n${USAGE}`)
  process.exit(2)
}

/** Files directly in `dir` (0 when it does not exist). */
function files (dir) {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name)
  } catch {
    return []
  }
}

/** The package names the bundles leave to node_modules: every dependency but cborg, bundled so it is instrumented. */
function externals () {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).filter((n) => n !== 'cborg')
  return [...names, ...names.map((n) => `${n}/*`), 'uint8arraylist', 'uint8arrays', 'uint8arrays/*']
}

function bundle (target) {
  const outfile = path.join(CACHE, 'bundles', `${target.name}.fuzz.mjs`)
  buildSync({
    entryPoints: [path.join(ROOT, 'fuzz', `${target.name}.fuzz.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    conditions: ['wasm-fabric-source'],
    external: externals(),
    logLevel: 'warning',
    // Externals are imported from node_modules: resolve them from the repository, not from .cache.
    banner: { js: "import { createRequire as __fuzzCreateRequire } from 'node:module'; const require = __fuzzCreateRequire(import.meta.url);" }
  })
  return outfile
}

/** Run one target for `seconds`; resolves with its figures. */
function run (target, opts, addon) {
  const bundleFile = bundle(target)
  const work = path.join(CACHE, 'corpus', target.name)
  const seeds = [path.join(ROOT, 'fuzz', 'corpus', target.name), path.join(ROOT, 'fuzz', 'regressions', target.name)].filter((d) => fs.existsSync(d))
  const crashDir = path.join(opts.results, 'crashes', target.name)
  const logFile = path.join(opts.results, 'logs', `${target.name}.log`)
  for (const d of [work, crashDir, path.dirname(logFile)]) fs.mkdirSync(d, { recursive: true })
  const before = new Set(files(work))
  const crashesBefore = new Set(files(crashDir))
  const cli = require.resolve('@jazzer.js/core/dist/cli.js', { paths: [ROOT] })
  const args = [
    '--require', path.join(ROOT, 'fuzz', 'support', 'jazzer-addon.cjs'),
    cli, bundleFile, work, ...seeds,
    ...(target.sync ? ['--sync'] : []),
    '--timeout', String(target.timeoutMs),
    '--',
    `-max_total_time=${opts.seconds}`,
    `-max_len=${target.maxLen}`,
    `-artifact_prefix=${crashDir}${path.sep}`,
    '-print_final_stats=1'
  ]
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, FUZZ_JAZZER_ADDON: addon, ...(opts.strict ? { FUZZ_STRICT: '1' } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] })
    const log = fs.createWriteStream(logFile)
    let tail = ''
    const keep = (chunk) => { log.write(chunk); tail = (tail + chunk.toString()).slice(-64 * 1024) }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    // libFuzzer stops by itself; this is for a fuzzer that does not.
    const killer = setTimeout(() => child.kill('SIGKILL'), (opts.seconds + 120) * 1000)
    child.on('close', (code, signal) => {
      clearTimeout(killer)
      log.end()
      const seconds = (Date.now() - started) / 1000
      const newCrashes = files(crashDir).filter((f) => !crashesBefore.has(f))
      const added = files(work).filter((f) => !before.has(f)).length
      const executions = figure(tail, /stat::number_of_executed_units:\s*(\d+)/) ?? figure(tail, /Done (\d+) runs/) ?? lastStatus(tail) ?? 0
      const execPerSec = figure(tail, /stat::average_exec_per_sec:\s*(\d+)/) ?? figure(tail, /^#\d+\s.*exec\/s: (\d+)/m) ?? Math.round(executions / Math.max(seconds, 1))
      // libFuzzer ran to its end ("Done N runs") yet the process may still abort while exiting: in
      // async mode, after a target that compiled WebAssembly (the component target), Node aborts
      // in teardown. No input is at fault there, so only a run that did not finish counts.
      // (At exit libFuzzer's last lines, "Done N runs" and the stats, are sometimes lost: its DONE status line counts too.)
      const finished = /^Done \d+ runs in|^#\d+\s+DONE\s/m.test(tail)
      const ok = newCrashes.length === 0 && (code === 0 || finished)
      resolve({
        target: target.name,
        executions,
        execPerSec,
        corpus: files(work).length + seeds.reduce((n, d) => n + files(d).length, 0),
        newEntries: added,
        crashes: newCrashes.length > 0 ? newCrashes.length : ok ? 0 : 1,
        crashFiles: newCrashes.map((f) => path.relative(ROOT, path.join(crashDir, f))),
        exitCode: code,
        signal,
        finished,
        seconds: Math.round(seconds * 10) / 10,
        log: path.relative(ROOT, logFile),
        finding: ok ? undefined : findingOf(tail)
      })
    })
  })
}

function figure (text, re) {
  const all = [...text.matchAll(new RegExp(re.source, `${re.flags}g`))]
  return all.length === 0 ? undefined : Number(all[all.length - 1][1])
}

function lastStatus (text) {
  return figure(text, /^#(\d+)\s/m)
}

/** The lines that say what went wrong in a failed run. */
function findingOf (text) {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => /Uncaught Exception|ERROR: libFuzzer|ALARM|==\d+== ERROR|out-of-memory|Error:/.test(l))
  const base64 = lines.find((l) => l.startsWith('Base64: '))
  const shown = lines.slice(at < 0 ? Math.max(0, lines.length - 8) : at, (at < 0 ? lines.length : at + 6))
  return [...shown, ...(base64 === undefined ? [] : [`input ${base64}`])].join('\n').trim()
}

async function pool (items, jobs, fn) {
  const out = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }))
  return out
}

function table (results) {
  const head = ['target', 'executions', 'exec/s', 'corpus', 'new', 'crashes', 'seconds']
  const rows = results.map((r) => [r.target, r.executions, r.execPerSec, r.corpus, r.newEntries, r.crashes, r.seconds].map(String))
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const chosen = opts.targets.length === 0 ? TARGETS : TARGETS.filter((t) => opts.targets.includes(t.name))
  const addon = addonPath(ROOT, path.join(CACHE, 'jazzer'))
  // esbuild's service does not hold the event loop by itself; the children do once they run.
  const results = await pool(chosen, opts.jobs, (t) => run(t, opts, addon))
  console.log(table(results))
  for (const r of results.filter((r) => r.crashes > 0)) {
    console.log(`\n${r.target}: ${r.crashFiles.length > 0 ? r.crashFiles.join(', ') : `exit ${r.exitCode ?? r.signal}`} (log: ${r.log})\n${r.finding ?? ''}`)
  }
  const report = {
    date: new Date().toISOString(),
    seconds: opts.seconds,
    jobs: opts.jobs,
    strict: opts.strict,
    node: process.version,
    cpu: os.cpus()[0]?.model,
    jazzer: require('@jazzer.js/core/package.json').version,
    results
  }
  fs.mkdirSync(path.dirname(opts.json), { recursive: true })
  fs.writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n')
  process.exitCode = results.some((r) => r.crashes > 0) ? 1 : 0
}

await main()
