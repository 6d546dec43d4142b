// Memoised tasks and durable actors (issue 19), on an embedded fabric:
// - a memo hit's latency and throughput against running the same task (memo off), same run;
// - a durable actor's cost per call: a QuickJS actor with 1 MiB of state of which 4 KiB change per
//   call, snapshotted after each call (the changed pages stored), against the same actor without
//   durable (target <= 2x), with the bytes each snapshot stores;
// - restart from a snapshot: from a crashed call's failure to the restarted actor's next answer,
//   against a plain actor's restart with fresh state.
// And across 3 `fabric join` processes (one driver): a memo hit of a result another node holds
// (looked up and pulled by CID) against running the task; a durable actor's call with its snapshot
// copied to a replica node, against the same actor not durable; and the restart of a durable actor
// on another node after its node is SIGKILLed (restored from the replica), against a plain actor's.
//
// `npx tsx bench/run.ts memo [--quick]` or `npx tsx bench/memo.bench.ts [--quick]`.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type ConnectedFabric, type GuestModule } from '../src/index.js'
import { summarize, table, writeResults, type Row } from './harness.js'
import { joinNode, stopNode, type JoinedNode } from './join.js'

type Guest = GuestModule<typeof import('./guests/memo-qjs.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const cacheRoot = path.join(here, '..', '.cache', 'bench')
const ROUNDS = quick ? 3 : 7
/** Calls per latency round. */
const CALLS = quick ? 50 : 200
/** Calls in flight per throughput round. */
const BURST = quick ? 200 : 1000

const ms = (t0: number): number => performance.now() - t0
const median = (xs: number[]): number => summarize(xs).median

export async function run (): Promise<Row[]> {
  const wasm = await cachedBuild(path.join(here, 'guests', 'memo-qjs.ts'), cacheRoot)
  const fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: path.join(cacheRoot, 'transpiled'), log: () => {} })
  const rows: Row[] = []
  try {
    const m = await fabric.load<Guest>(wasm)
    const bytes = new Uint8Array(16 * 1024).map((_, i) => (i * 131) & 0xff)
    const work = 2 // passes over the 16 KiB: a task of a few ms in QuickJS (the baseline row says how long)
    const memo = m.digest.options({ memo: true })
    await fabric.get(memo.remote(bytes, work)) // the one run every hit reuses
    await fabric.get(m.digest.remote(bytes, work))

    // Latency: one call at a time.
    const hit: number[] = []
    const runs: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = performance.now()
      for (let i = 0; i < CALLS; i++) await fabric.get(memo.remote(bytes, work))
      hit.push(ms(t0) / CALLS)
      t0 = performance.now()
      for (let i = 0; i < CALLS; i++) await fabric.get(m.digest.remote(bytes, work))
      runs.push(ms(t0) / CALLS)
    }
    rows.push({ metric: 'memo hit latency (16 KiB argument; the task alone: the baseline)', unit: 'ms', value: summarize(hit), baseline: summarize(runs), baselineName: 'running it (memo off)', target: '< running', met: median(hit) < median(runs), note: `${CALLS} calls one after another per round` })

    // Throughput: a burst in flight.
    const hitRate: number[] = []
    const runRate: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = performance.now()
      await fabric.get(Array.from({ length: BURST }, () => memo.remote(bytes, work)))
      hitRate.push(BURST / (ms(t0) / 1000))
      t0 = performance.now()
      await fabric.get(Array.from({ length: BURST }, () => m.digest.remote(bytes, work)))
      runRate.push(BURST / (ms(t0) / 1000))
    }
    rows.push({ metric: 'memo hit throughput (same task)', unit: 'calls/s', value: summarize(hitRate), baseline: summarize(runRate), baselineName: 'running it (memo off)', target: '> running', met: median(hitRate) > median(runRate), note: `${BURST} calls in flight per round; 2 workers` })

    // A durable actor's cost per call: 1 MiB state, 4 KiB changing.
    const durable = await m.State.options({ durable: true }).create(1024, 4)
    const plain = await m.State.create(1024, 4)
    for (let i = 0; i < 20; i++) { await fabric.get(durable.step.remote()); await fabric.get(plain.step.remote()) }
    const stats0 = fabric.embedded!.stats().durable
    const withSnap: number[] = []
    const without: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = performance.now()
      for (let i = 0; i < CALLS; i++) await fabric.get(plain.step.remote())
      without.push(ms(t0) / CALLS)
      t0 = performance.now()
      for (let i = 0; i < CALLS; i++) await fabric.get(durable.step.remote())
      withSnap.push(ms(t0) / CALLS)
    }
    const stats1 = fabric.embedded!.stats().durable
    const snaps = stats1.snapshots - stats0.snapshots
    const perSnap = (stats1.bytesStored - stats0.bytesStored) / snaps
    rows.push({ metric: 'durable actor call (QuickJS, 1 MiB state, 4 KiB changed per call)', unit: 'ms', value: summarize(withSnap), baseline: summarize(without), baselineName: 'the same actor, not durable', target: '<= 2x', met: median(withSnap) <= 2 * median(without), note: `a snapshot after every call stores ${(perSnap / 1024).toFixed(1)} KiB on average (changed 4 KiB pages and a manifest; QuickJS itself dirties pages besides the 4 KiB); ${snaps} snapshots` })

    // Restart from a snapshot: from the crashed call's failure to the next answer.
    const restoreMs: number[] = []
    const freshMs: number[] = []
    for (let r = 0; r < (quick ? 2 : 5); r++) {
      for (const [kind, out] of [['durable', restoreMs], ['plain', freshMs]] as const) {
        const a = await m.State.options({ ...(kind === 'durable' ? { durable: true } : {}), maxRestarts: 1, timeoutMs: 300 }).create(1024, 4)
        for (let i = 0; i < 50; i++) await fabric.get(a.step.remote())
        await fabric.get(a.spin.remote()).catch(() => {})
        const t0 = performance.now()
        const n = await fabric.get(a.value.remote())
        out.push(ms(t0))
        if (n !== (kind === 'durable' ? 50 : 0)) throw new Error(`the ${kind} actor came back at ${n}`)
        await fabric.kill(a)
      }
    }
    rows.push({ metric: 'restart from snapshot (1 MiB state), failure to next answer', unit: 'ms', value: summarize(restoreMs), baseline: summarize(freshMs), baselineName: 'a plain actor\'s fresh restart', note: 'the restart runs the constructor, then writes the snapshot\'s pages over the new instance' })
  } finally {
    await fabric.stop()
  }
  rows.push(...await acrossProcesses(wasm))
  return rows
}

/** The same questions across 3 `fabric join` processes. */
async function acrossProcesses (wasm: string): Promise<Row[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-memo-bench-'))
  const nodes: JoinedNode[] = []
  let driver: ConnectedFabric | undefined
  const rows: Row[] = []
  try {
    const join = async (i: number, bootstrap?: string): Promise<JoinedNode> => await joinNode(path.join(dir, `n${i}`), { heartbeatMs: 500, env: { FABRIC_CACHE: path.join(dir, `cache${i}`) }, ...(bootstrap === undefined ? {} : { bootstrap }) })
    nodes.push(await join(0))
    nodes.push(...await Promise.all([join(1, nodes[0]!.addr), join(2, nodes[0]!.addr)]))
    driver = await Fabric.connect(nodes[0]!.addr)
    const deadline = Date.now() + 30_000
    while (driver.nodes().filter(n => n.state === 'alive').length < 3) {
      if (Date.now() > deadline) throw new Error('the 3 nodes are not all in the driver\'s view')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const m = await driver.load<Guest>(wasm)
    // Every node compiles the component first: a restart elsewhere then times the restore, not a compile.
    await Promise.all(nodes.map(async n => await driver!.get(m.digest.options({ scheduling: { nodeAffinity: n.peer } }).remote(new Uint8Array(1), 1))))
    const on = (n: JoinedNode): { scheduling: { nodeAffinity: string } } => ({ scheduling: { nodeAffinity: n.peer } })
    // An actor placed by a soft affinity: after its node dies it may restart on another.
    const near = (n: JoinedNode): { scheduling: { nodeAffinity: string, soft: boolean } } => ({ scheduling: { nodeAffinity: n.peer, soft: true } })

    // A result node 1 holds, asked for on node 2 at once (a lookup, then a pull by CID).
    const N = quick ? 10 : 40
    const ran: number[] = []
    const hit: number[] = []
    for (let i = 0; i < N; i++) {
      const bytes = new Uint8Array(16 * 1024).map((_, j) => (i * 7 + j * 131) & 0xff)
      let t0 = performance.now()
      await driver.get(m.digest.options({ memo: true, ...on(nodes[1]!) }).remote(bytes, 2))
      ran.push(ms(t0))
      t0 = performance.now()
      await driver.get(m.digest.options({ memo: true, ...on(nodes[2]!) }).remote(bytes, 2))
      hit.push(ms(t0))
    }
    rows.push({ metric: 'memo hit of a result another node holds (3 processes)', unit: 'ms', value: summarize(hit), baseline: summarize(ran), baselineName: 'running it on a node (the miss)', target: '< running', met: median(hit) < median(ran), note: `${N} distinct calls: each run on node 1, then asked for on node 2 at once (a /fabric/memo/1 lookup, then the result pulled by CID)` })

    // A durable actor's call on node 1, each snapshot copied to a replica before the answer.
    const calls = quick ? 50 : 300
    const durable = await m.State.options({ durable: true, maxRestarts: 1, maxTaskRetries: 3, ...near(nodes[1]!) }).create(1024, 4)
    const plain = await m.State.options({ maxRestarts: 1, maxTaskRetries: 3, ...near(nodes[2]!) }).create(1024, 4)
    for (let i = 0; i < 20; i++) { await driver.get(durable.step.remote()); await driver.get(plain.step.remote()) }
    const withSnap: number[] = []
    const without: number[] = []
    for (let r = 0; r < (quick ? 2 : 5); r++) {
      let t0 = performance.now()
      for (let i = 0; i < calls / 5; i++) await driver.get(plain.step.remote())
      without.push(ms(t0) / (calls / 5))
      t0 = performance.now()
      for (let i = 0; i < calls / 5; i++) await driver.get(durable.step.remote())
      withSnap.push(ms(t0) / (calls / 5))
    }
    rows.push({ metric: 'durable actor call, snapshot copied to 1 replica (3 processes; 1 MiB state, 4 KiB changed)', unit: 'ms', value: summarize(withSnap), baseline: summarize(without), baselineName: 'the same actor, not durable', target: '<= 2x', met: median(withSnap) <= 2 * median(without), note: 'each call awaited before the next' })

    // The durable actor's node is SIGKILLed: the owner re-creates it on another node from the replica.
    const before = await driver.get(durable.value.remote()) as number
    let t0 = performance.now()
    nodes[1]!.proc.kill('SIGKILL')
    const after = await driver.get(durable.value.remote()) as number
    const restoreMs = ms(t0)
    if (after !== before) throw new Error(`the durable actor came back at ${after}, not ${before}`)
    t0 = performance.now()
    nodes[2]!.proc.kill('SIGKILL')
    const fresh = await driver.get(plain.value.remote()) as number
    const freshMs = ms(t0)
    if (fresh !== 0) throw new Error(`the plain actor came back at ${fresh}, not 0`)
    rows.push({ metric: 'restart on another node after SIGKILL (durable, 1 MiB state): kill to next answer', unit: 'ms', value: summarize([restoreMs]), baseline: summarize([freshMs]), baselineName: 'a plain actor\'s fresh restart elsewhere', note: 'one sample each: the snapshot pulled from the replica by CID and written over a fresh instance; both include noticing the lost connection' })
  } finally {
    await driver?.stop()
    await Promise.all(nodes.map(async n => { await stopNode(n) }))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return rows
}

// Run directly: `npx tsx bench/memo.bench.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  process.stdout.write(table('memo', rows) + '\n')
  process.stdout.write(`\nwrote ${writeResults('memo', rows)}\n`)
}
