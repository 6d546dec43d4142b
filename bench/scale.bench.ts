// Scale: does depth cost throughput, and what does it cost in memory? N no-op tasks submitted in
// one loop and then got, at 1k / 20k / 100k / 1M outstanding, on an embedded fabric (2 workers)
// and through Fabric.connect to 3 `fabric join` processes; N actors created and called once (1k
// and 10k AssemblyScript actors, 1k QuickJS ones; 1k AssemblyScript ones through Fabric.connect). Each shape runs in a fresh process
// (bench/scale-child.ts) so its RSS growth is its own. Baselines in the same run: the 1k rate of
// the same shape (depth must not cost: >= 0.9x) and the plain worker pool with N calls outstanding.
//
// `npx tsx bench/run.ts scale [--quick]` or `npx tsx bench/scale.bench.ts [--quick]`.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { summarize, table, writeResults, type Row, type Stats } from './harness.js'
import { joinNode, stopNode, type JoinedNode } from './join.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const MiB = 2 ** 20

interface Shape { mode: 'tasks' | 'actors' | 'pool', n: number, rounds: number, lang: 'qjs' | 'as', address?: string }
interface Outcome { rates: number[], rssGrowthMb: number }

/** Run one shape in a fresh process; 15 minutes at most. */
async function child (s: Shape): Promise<Outcome> {
  const args = ['--import', 'tsx', path.join(here, 'scale-child.ts'), s.mode, String(s.n), String(s.rounds), s.lang, ...(s.address === undefined ? [] : [s.address])]
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15 * 60_000)
  const code = await new Promise<number | null>(resolve => proc.on('exit', resolve))
  clearTimeout(timer)
  const line = out.trim().split('\n').pop() ?? ''
  if (code !== 0 || !line.startsWith('{')) throw new Error(`scale shape ${JSON.stringify(s)} failed (exit ${String(code)}): ${err.slice(-2000)}`)
  return JSON.parse(line) as Outcome
}

const one = (x: number): Stats => summarize([x])
const k = (n: number): string => n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`

export async function run (): Promise<Row[]> {
  const rows: Row[] = []
  const depths = quick ? [1000, 5000] : [1000, 20_000, 100_000, 1_000_000]
  const roundsOf = (n: number): number => quick ? 2 : n <= 1000 ? 7 : n <= 20_000 ? 5 : n <= 100_000 ? 3 : 1

  const depthRows = async (label: string, address: string | undefined, sizes: number[]): Promise<void> => {
    let base: Stats | undefined
    for (const n of sizes) {
      const o = await child({ mode: 'tasks', n, rounds: roundsOf(n), lang: 'qjs', ...(address === undefined ? {} : { address }) })
      const rate = summarize(o.rates)
      const poolRun = address === undefined ? await child({ mode: 'pool', n, rounds: roundsOf(n), lang: 'qjs' }) : undefined
      const pool = poolRun === undefined ? undefined : summarize(poolRun.rates)
      base ??= rate
      rows.push({
        metric: `${label}: ${k(n)} outstanding no-op tasks`,
        unit: 'tasks/s',
        value: rate,
        baseline: base,
        baselineName: `${label} at 1k`,
        target: n === sizes[0] ? undefined : '>= 0.9x',
        met: n === sizes[0] ? undefined : rate.median >= 0.9 * base.median,
        note: `driver RSS growth ${o.rssGrowthMb.toFixed(0)} MiB${pool === undefined ? '' : `; plain worker pool ${pool.median.toFixed(0)} tasks/s, RSS growth ${poolRun!.rssGrowthMb.toFixed(0)} MiB`}`
      })
      if (n >= 1_000_000) {
        rows.push({ metric: `${label}: RSS growth of a ${k(n)}-task job`, unit: 'MiB', value: one(o.rssGrowthMb), target: '<= 1024', met: o.rssGrowthMb <= 1024 })
      }
    }
  }

  await depthRows('embedded', undefined, depths)

  const actorShapes: Array<{ n: number, lang: 'qjs' | 'as' }> = quick ? [{ n: 100, lang: 'as' }, { n: 50, lang: 'qjs' }] : [{ n: 1000, lang: 'as' }, { n: 10_000, lang: 'as' }, { n: 1000, lang: 'qjs' }]
  for (const s of actorShapes) {
    const o = await child({ mode: 'actors', n: s.n, rounds: 1, lang: s.lang })
    const perActor = o.rssGrowthMb * MiB / s.n / MiB
    rows.push({ metric: `embedded: ${k(s.n)} ${s.lang === 'as' ? 'AssemblyScript' : 'QuickJS'} actors created and called once`, unit: 'actors/s', value: summarize(o.rates), target: '>= 500', met: summarize(o.rates).median >= 500, note: `${perActor.toFixed(2)} MiB RSS each` })
    rows.push({ metric: `embedded: RSS per ${s.lang === 'as' ? 'AssemblyScript' : 'QuickJS'} actor (${k(s.n)})`, unit: 'MiB', value: one(perActor), target: '<= 1', met: perActor <= 1 })
  }

  // Across nodes: the same task shapes through Fabric.connect to 3 fabric join processes (1 CPU each).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-scale-'))
  const nodes: JoinedNode[] = []
  try {
    nodes.push(await joinNode(path.join(tmp, 'n0')))
    for (let i = 1; i < 3; i++) nodes.push(await joinNode(path.join(tmp, `n${i}`), { bootstrap: nodes[0]!.addr }))
    await depthRows('3 nodes (Fabric.connect)', nodes[0]!.addr, quick ? [1000, 5000] : [1000, 20_000, 100_000])
    // Actors through Fabric.connect: placed over the 3 nodes; RSS here is the driver's (each node's is its own process).
    const n = quick ? 100 : 1000
    const o = await child({ mode: 'actors', n, rounds: 1, lang: 'as', address: nodes[0]!.addr })
    rows.push({ metric: `3 nodes (Fabric.connect): ${k(n)} AssemblyScript actors created and called once`, unit: 'actors/s', value: summarize(o.rates), target: '>= 500', met: summarize(o.rates).median >= 500, note: `driver RSS growth ${(o.rssGrowthMb * 1024 / n).toFixed(1)} KiB per actor (the actors live in the nodes' processes)` })
  } finally {
    await Promise.all(nodes.map(stopNode))
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await run()
  process.stdout.write(table('scale', rows) + '\n')
  process.stdout.write(`wrote ${writeResults('scale', rows)}\n`)
}
