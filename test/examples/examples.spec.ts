// The examples, run as a user runs them: `node bin/fabric.js run examples/x.ts` in a process of its
// own, made small through its environment variables, checked against answers computed here in
// plain JavaScript (no fabric involved).
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { cachedBuild } from '../../guest-sdk/src/build/cached-build.js'
import { REPO } from '../helpers/fixtures.js'

const EXAMPLES = path.join(REPO, 'examples')
const CLI = path.join(REPO, 'bin', 'fabric.js')
/** One example's run, from start to exit (the guests are built before). */
const RUN_TIMEOUT_MS = 45_000

const children = new Set<ChildProcess>()

interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** Run `fabric run examples/<file> [args]` with `env` added; killed (SIGKILL) after the timeout. */
function runExample (file: string, env: Record<string, string>, args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'run', path.join('examples', file), ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    children.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
    child.on('error', (err) => {
      clearTimeout(timer)
      children.delete(child)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/** Assert a clean exit, showing the example's output when it was not. */
function assertOk (run: Run): void {
  assert.ok(run.code === 0 && run.signal === null,
    `exit code ${run.code}, signal ${run.signal}${run.signal === 'SIGKILL' ? ` (timed out after ${RUN_TIMEOUT_MS} ms)` : ''}\n` +
    `--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`)
}

function match (out: string, re: RegExp): RegExpMatchArray {
  const m = out.match(re)
  assert.ok(m !== null, `output has no match for ${re}:\n${out}`)
  return m
}

describe('examples (each run as `fabric run examples/x.ts`)', function () {
  this.timeout(RUN_TIMEOUT_MS + 15_000)

  before(async function () {
    // Build the guests first, into the cache the examples use: a cold build is the example's
    // one-time cost, not what these tests time.
    this.timeout(600_000)
    const cache = path.join(REPO, '.cache', 'examples')
    await Promise.all(['pi', 'wordcount', 'parameter-server', 'streaming', 'etl', 'tune-model']
      .map(name => cachedBuild(path.join(EXAMPLES, 'guests', `${name}.ts`), cache)))
  })

  afterEach(() => {
    for (const child of children) child.kill('SIGKILL')
    children.clear()
  })

  it('main.ts: Monte Carlo π', async () => {
    const run = await runExample('main.ts', { PI_TASKS: '200', PI_SAMPLES: '5000' })
    assertOk(run)
    const pi = Number(match(run.stdout, /π ≈ (\d+\.\d+)/)[1])
    // 10⁶ darts: the estimate's standard deviation is about 0.0016.
    assert.ok(Math.abs(pi - Math.PI) < 0.01, `π ≈ ${pi}`)
    match(run.stdout, /from 1,000,000 darts/)
    match(run.stdout, /200 tasks in/)
  })

  it('wordcount.ts: map-reduce word count of the bundled book', async () => {
    const copies = 2
    const run = await runExample('wordcount.ts', { WORDCOUNT_COPIES: String(copies), WORDCOUNT_CHUNK_KB: '16', WORDCOUNT_FANIN: '3' })
    assertOk(run)

    // The expected counts, from the same file: skip the leading `#` lines, fold case, count words.
    const lines = fs.readFileSync(path.join(EXAMPLES, 'data', 'alice.txt'), 'utf8').split('\n')
    assert.match(lines[0]!, /^# .*[Pp]ublic domain/)
    const body = lines.slice(lines.findIndex(l => !l.startsWith('#'))).join('\n')
    const counts: Record<string, number> = Object.create(null)
    let words = 0
    for (const w of body.toLowerCase().match(/[a-z]+(?:'[a-z]+)*/g) ?? []) {
      counts[w] = (counts[w] ?? 0) + 1
      words++
    }
    const top = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10)
    assert.ok(words > 20_000, `the bundled text has ${words} words`)

    const m = match(run.stdout, /words: (\d+), distinct: (\d+)/)
    assert.equal(Number(m[1]), words * copies)
    assert.equal(Number(m[2]), Object.keys(counts).length)
    const printed = [...run.stdout.matchAll(/^\s*(\d+)\. (\S+)\s+(\d+)$/gm)].map(r => [Number(r[1]), r[2], Number(r[3])])
    assert.deepEqual(printed, top.map(([w, n], i) => [i + 1, w, n * copies]))
    match(run.stdout, new RegExp(`${copies} copies`))
  })

  it('parameter-server.ts: asynchronous SGD with an actor', async () => {
    const run = await runExample('parameter-server.ts', { PS_ITERS: '60', PS_WORKERS: '2', PS_DIM: '6' })
    assertOk(run)
    const losses = [...run.stdout.matchAll(/iteration\s+(\d+): batch loss (\S+)/g)].map(r => Number(r[2]))
    assert.ok(losses.length >= 5, run.stdout)
    assert.ok(losses.at(-1)! < losses[0]! / 100, `the loss went from ${losses[0]} to ${losses.at(-1)}`)
    // Labels carry noise of variance 0.01/3: a converged model's loss is about 0.0033.
    const final = Number(match(run.stdout, /final loss \(1000 held-out examples\): (\S+)/)[1])
    assert.ok(final < 0.006, `final loss ${final}`)
    const maxErr = Number(match(run.stdout, /max \|learned - true\|: (\S+)/)[1])
    assert.ok(maxErr < 0.05, `max weight error ${maxErr}`)
    match(run.stdout, /120 gradient updates, 120 gradient tasks/)
  })

  it('streaming.ts: a generator task streamed block by block, then summarized', async () => {
    const limit = 300_000
    const block = 50_000
    const run = await runExample('streaming.ts', {}, [String(limit), String(block)])
    assertOk(run)

    // The expected primes: a plain sieve.
    const composite = new Uint8Array(limit)
    const primes: number[] = []
    for (let n = 2; n < limit; n++) {
      if (composite[n] === 1) continue
      primes.push(n)
      for (let j = n * n; j < limit; j += n) composite[j] = 1
    }
    const blocks = [...run.stdout.matchAll(/block (\d+): \[(\d+), (\d+)\) (\d+) primes, last (\d+)/g)]
      .map(r => r.slice(1).map(Number))
    const expected = Array.from({ length: limit / block }, (_, i) => {
      const inBlock = primes.filter(p => p >= i * block && p < (i + 1) * block)
      return [i, i * block, (i + 1) * block, inBlock.length, inBlock.at(-1)!]
    })
    // Every block, in order.
    assert.deepEqual(blocks, expected)
    let twins = 0
    for (let i = 1; i < primes.length; i++) if (primes[i]! - primes[i - 1]! === 2) twins++
    const s = match(run.stdout, /summary: (\d+) primes below (\d+) in (\d+) blocks; largest (\d+); (\d+) twin pairs/).slice(1).map(Number)
    assert.deepEqual(s, [primes.length, limit, limit / block, primes.at(-1)!, twins])
    assert.equal(primes.length, 25_997) // π(300 000)
  })

  it('etl.ts: CSV orders and customers cleaned, joined by customer, aggregated per country, written out', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-etl-test-'))
    try {
      const run = await runExample('etl.ts', { ETL_ORDERS: '6000' }, [out])
      assertOk(run)
      // The expected join, from the generated CSV files, in plain JavaScript (no quoted fields
      // among the orders; the customers' names are quoted and hold a comma).
      const csv = (file: string): string[][] => fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map(l => l.split(','))
      const country = new Map(fs.readFileSync(path.join(out, 'input', 'customers.csv'), 'utf8').trim().split('\n').slice(1).map(l => [l.split(',')[0]!, l.split(',').at(-1)!]))
      const totals = new Map<string, { orders: number, total: number }>()
      for (const f of fs.readdirSync(path.join(out, 'input', 'orders'))) {
        for (const [, customer, amount, status] of csv(path.join(out, 'input', 'orders', f))) {
          if (status !== 'delivered' || amount === '' || Number(amount) <= 0) continue
          const t = totals.get(customer!) ?? { orders: 0, total: 0 }
          t.orders++
          t.total += Number(amount)
          totals.set(customer!, t)
        }
      }
      const written = fs.readdirSync(path.join(out, 'customers')).flatMap(f => fs.readFileSync(path.join(out, 'customers', f), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { customer: string, country: string, orders: number, total: number }))
      assert.equal(written.length, totals.size)
      for (const w of written) {
        const t = totals.get(w.customer)!
        assert.equal(w.orders, t.orders, w.customer)
        assert.ok(Math.abs(w.total - t.total) < 0.02, `${w.customer}: ${w.total} vs ${t.total}`)
        assert.equal(w.country, country.get(w.customer))
      }
      // Sorted by total, descending, across the files.
      for (let i = 1; i < written.length; i++) assert.ok(written[i - 1]!.total >= written[i]!.total)
      match(run.stdout, new RegExp(`6000 orders of 300 customers in [\\d.]+ s; ${totals.size} customers with orders`))
      assert.ok(fs.readdirSync(path.join(out, 'customers-parquet')).length > 0)
      assert.ok(fs.readdirSync(path.join(out, 'countries')).length > 0)
      // The second run over the same files: every block task's result reused (memo), none run.
      const rerun = match(run.stdout, /re-run over the same input in [\d.]+ s: (\d+) block tasks reused, (\d+) run; the same result/)
      assert.ok(Number(rerun[1]) > 20, rerun[0])
      assert.equal(Number(rerun[2]), 0, rerun[0])
    } finally {
      fs.rmSync(out, { recursive: true, force: true })
    }
  })

  it('tune.ts: a small model tuned with TPE and ASHA reaches a good accuracy', async () => {
    const plot = path.join(os.tmpdir(), `fabric-tune-test-${process.pid}.svg`)
    try {
      const run = await runExample('tune.ts', { TUNE_SAMPLES: '8', TUNE_EPOCHS: '12' }, [plot])
      assertOk(run)
      match(run.stdout, /8 trials, \d+ epochs in all \(96 without early stopping\)/)
      const accuracy = Number(match(run.stdout, /accuracy (\S+)\n/)[1])
      assert.ok(accuracy > 0.8, `best accuracy ${accuracy}`)
      assert.match(fs.readFileSync(plot, 'utf8'), /^<svg/)
    } finally {
      fs.rmSync(plot, { force: true })
    }
  })
})
