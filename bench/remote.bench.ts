// Ray's microbenchmark names across separate OS processes: three `fabric join` nodes (1 CPU each)
// on loopback, driven by Fabric.connect drivers in this process (one for the single-client names,
// two for multi-client and n:n) over
// /fabric/task/1 and /fabric/actor/1. Baseline in the same run: the same work on an embedded fabric
// with 3 workers (no network), so the ratio is what crossing processes costs. Ray 2.22's published
// figures (64-vCPU m5.16xlarge) are the reference column.
//
// `npx tsx bench/run.ts remote [--quick]` or `npx tsx bench/remote.bench.ts [--quick]`.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type ConnectedFabric, type FabricDriver, type ObjectRef } from '../src/index.js'
import { measure, summarize, table, writeResults, type Row, type Stats } from './harness.js'
import { joinNode, stopNode, type JoinedNode } from './join.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 2 : 11
const WARMUP = quick ? 1 : 2
const NODES = 3
/** Ray's multi_client_tasks_async and n_n_actor_calls_async run 4 clients; here 2 drivers (each a libp2p node) x 2 async loops. */
const DRIVERS = 2
const LOOPS = 2
const TASKS = quick ? 100 : 1000
/** Ray's single-client names: calls awaited one by one, and batches. */
const SYNC = quick ? 100 : 500
const BATCH = quick ? 200 : 1000
const CALLS = quick ? 100 : 1000
/** The nested fan-out: children per parent, and each child's busy work (~45 ms in QuickJS here). */
const FAN = quick ? 6 : 12
const FAN_WORK = 250_000
const cacheRoot = path.join(here, '..', '.cache', 'bench')
const RAY = 'Ray 2.22, m5.16xlarge'

/**
 * Every process JIT-compiles its hot paths and each node tiers QuickJS's interpreter up to
 * optimised code in its first seconds of work (on this 2-core machine, 4 processes compete for the
 * compilers too): tasks_async runs at ~2-4k/s in its first 5,000 tasks and ~9-10k/s from ~30,000 on.
 * The names are timed after this much mixed work on each fabric, as a long-running fabric would
 * be (Ray's microbenchmark also warms each name up before timing it); the first batches on fresh
 * nodes are their own row.
 */
const WARM_MS = quick ? 1000 : 8000
/** Issue 18's floors for the remote names (each also at >= 0.5x the embedded fabric of the same run). */
const GOALS: Record<string, number> = {
  single_client_tasks_sync: 1500,
  single_client_tasks_async: 8194,
  multi_client_tasks_async: 10_000,
  n_n_actor_calls_async: 15_000,
  single_client_wait_1k_refs: 4.67,
  '1_1_actor_calls_sync': 2097
}
/** Tasks timed on fresh nodes, as the cold row (in batches of BATCH). */
const COLD_TASKS = quick ? 400 : 3000

/** Mixed work on `drivers` (batches, awaited tasks, actor calls) for at least `ms`. */
async function warmUp (drivers: Driver[], ms: number): Promise<void> {
  const actors = await Promise.all(drivers.map(async (d, i) => await d.sink(i)))
  const t0 = performance.now()
  while (performance.now() - t0 < ms) {
    await Promise.all(drivers.map(async (d, i) => {
      await d.get(Array.from({ length: BATCH }, () => d.noop()))
      for (let j = 0; j < 50; j++) await d.get(d.noop())
      await d.get(Array.from({ length: 200 }, () => actors[i]!.noop.remote()))
    }))
  }
}

/** A node with its own component cache, as on a separate machine (each compiles what it pulls). */
async function join (dir: string, bootstrap?: string): Promise<JoinedNode> {
  return await joinNode(dir, { heartbeatMs: 500, env: { FABRIC_CACHE: path.join(dir, 'cache') }, ...(bootstrap === undefined ? {} : { bootstrap }) })
}

/** What both fabrics offer the benchmarks: submit a no-op task, create a Sink actor, get, wait, put. */
interface Driver {
  noop: () => ObjectRef
  sink: (i: number) => Promise<{ noop: { remote: () => ObjectRef } }>
  get: (refs: ObjectRef[] | ObjectRef) => Promise<unknown>
  wait: (refs: ObjectRef[]) => Promise<{ pending: ObjectRef[] }>
  put: (v: unknown) => ObjectRef
  fanOut: () => ObjectRef
}

type AnyModule = Record<string, { remote: (...a: unknown[]) => ObjectRef, options: (o: object) => { create: () => Promise<unknown> } }>

async function rate (fn: () => Promise<unknown>, ops: number): Promise<Stats> {
  const ms = await measure(fn, { warmup: WARMUP, rounds: ROUNDS })
  return summarize(ms.map(t => ops / (t / 1000)))
}

/** multi_client_tasks_async: every loop of every driver submits TASKS no-ops, then gets them. */
async function multiClient (drivers: Driver[]): Promise<Stats> {
  return await rate(async () => {
    await Promise.all(drivers.flatMap(d => Array.from({ length: LOOPS }, async () => {
      await d.get(Array.from({ length: TASKS }, () => d.noop()))
    })))
  }, drivers.length * LOOPS * TASKS)
}

/** n_n_actor_calls_async: every loop of every driver calls the same NODES actors CALLS times in all. */
async function nnActors (drivers: Driver[], actors: Array<Array<{ noop: { remote: () => ObjectRef } }>>): Promise<Stats> {
  return await rate(async () => {
    await Promise.all(drivers.flatMap((d, di) => Array.from({ length: LOOPS }, async () => {
      const refs: ObjectRef[] = []
      for (let i = 0; i < CALLS; i++) {
        refs.push(actors[di]![i % NODES]!.noop.remote())
        if (i % 100 === 99) await new Promise(resolve => setImmediate(resolve))
      }
      await d.get(refs)
    })))
  }, drivers.length * LOOPS * CALLS)
}

export async function run (): Promise<Row[]> {
  const wasm = await cachedBuild(path.join(here, 'guests', 'ray-qjs.ts'), cacheRoot)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-bench-remote-'))
  const nodes: JoinedNode[] = []
  const connected: ConnectedFabric[] = []
  let local: Fabric | undefined
  try {
    nodes.push(await join(path.join(dir, 'n0')))
    nodes.push(...await Promise.all(Array.from({ length: NODES - 1 }, async (_, i) => await join(path.join(dir, `n${i + 1}`), nodes[0]!.addr))))
    for (let i = 0; i < DRIVERS; i++) {
      const f = await Fabric.connect(nodes[0]!.addr)
      connected.push(f)
      const deadline = Date.now() + 30_000
      while (f.nodes().filter(n => n.state === 'alive').length < NODES) {
        if (Date.now() > deadline) throw new Error(`driver ${i} did not see ${NODES} nodes in 30 s`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
    const remote: Driver[] = await Promise.all(connected.map(async f => {
      const m = await f.load<AnyModule>(wasm)
      return {
        noop: () => m.noop!.remote(),
        sink: async () => await m.Sink!.options({ scheduling: 'spread' }).create() as { noop: { remote: () => ObjectRef } },
        get: async (refs: ObjectRef[] | ObjectRef) => await f.get(refs as ObjectRef),
        wait: async (refs: ObjectRef[]) => await f.wait(refs, { numReturns: 1 }),
        put: (v: unknown) => f.put(v),
        fanOut: () => m.fanOut!.remote(FAN, FAN_WORK)
      }
    }))
    local = await Fabric.start({ workers: NODES, cacheDir: path.join(cacheRoot, 'transpiled'), log: () => {} })
    const lm = await local.load<AnyModule>(wasm)
    const embedded: Driver[] = Array.from({ length: DRIVERS }, () => ({
      noop: () => lm.noop!.remote(),
      sink: async () => await lm.Sink!.options({}).create() as { noop: { remote: () => ObjectRef } },
      get: async (refs: ObjectRef[] | ObjectRef) => await local!.get(refs as ObjectRef),
      wait: async (refs: ObjectRef[]) => await local!.wait(refs, { numReturns: 1 }),
      put: (v: unknown) => local!.put(v),
      fanOut: () => lm.fanOut!.remote(FAN, FAN_WORK)
    }))
    // Every node compiles the component once before anything is timed.
    await Promise.all(remote.map(async d => await d.get(Array.from({ length: 50 }, () => d.noop()))))
    await embedded[0]!.get(Array.from({ length: 50 }, () => embedded[0]!.noop()))

    const rows: Row[] = []
    const push = (metric: string, f: Stats, b: Stats, ray: number | undefined, note: string, unit = 'ops/s'): void => {
      // Issue 18's targets: at least the figure below and at least half the embedded fabric's rate.
      const goal = GOALS[metric.replace(' (3 processes)', '')]
      const target = goal === undefined ? {} : { target: `>= ${goal.toLocaleString('en-US')}/s, >= 0.5x`, met: f.median >= goal && f.median >= 0.5 * b.median }
      rows.push({ metric, unit, value: f, baseline: b, baselineName: `embedded fabric, ${NODES} workers`, ...(ray === undefined ? {} : { reference: { value: ray, unit, source: RAY } }), ...target, note })
    }
    {
      // The first tasks on fresh processes, each batch timed (no warm-up): what a short job sees.
      const cold = async (d: Driver): Promise<Stats> => {
        const out: number[] = []
        for (let done = 0; done < COLD_TASKS; done += BATCH) {
          const t = performance.now()
          await d.get(Array.from({ length: BATCH }, () => d.noop()))
          out.push(BATCH / ((performance.now() - t) / 1000))
        }
        return summarize(out)
      }
      push('single_client_tasks_async, first tasks on fresh processes (3 processes)', await cold(remote[0]!), await cold(embedded[0]!), undefined,
        `the first ${COLD_TASKS} no-op tasks after start, in batches of ${BATCH}, before any warm-up: the rows below are timed after ${WARM_MS / 1000} s of mixed work on each fabric`)
    }
    await warmUp(remote, WARM_MS)
    await warmUp(embedded, WARM_MS)
    // One driver: Ray's single-client names, the same work on both fabrics.
    const single = async (metric: string, fn: (d: Driver) => Promise<unknown>, ops: number, ray: number | undefined, note: string, unit = 'ops/s'): Promise<void> => {
      push(`${metric} (3 processes)`, await rate(async () => await fn(remote[0]!), ops), await rate(async () => await fn(embedded[0]!), ops), ray, note, unit)
    }
    await single('single_client_tasks_sync', async d => { for (let i = 0; i < SYNC; i++) await d.get(d.noop()) }, SYNC, 971, `${SYNC} no-op tasks, each awaited before the next`)
    await single('single_client_tasks_async', async d => await d.get(Array.from({ length: BATCH }, () => d.noop())), BATCH, 8194, `${BATCH} no-op tasks, then get`)
    await single('single_client_tasks_and_get_batch', async d => await d.get(Array.from({ length: BATCH }, () => d.noop())), 1, 5.75, `batches of ${BATCH} no-op tasks`, 'batches/s')
    await single('single_client_wait_1k_refs', async d => {
      let pending = Array.from({ length: BATCH }, () => d.noop())
      while (pending.length > 0) pending = (await d.wait(pending)).pending
    }, 1, 4.67, `submit ${BATCH}, then ${BATCH} waits with numReturns 1 (Ray: 1000)`, 'rounds/s')
    {
      const [ra, la] = [await remote[0]!.sink(0), await embedded[0]!.sink(0)]
      const ops = CALLS
      push('1_1_actor_calls_sync (3 processes)', await rate(async () => { for (let i = 0; i < ops; i++) await remote[0]!.get(ra.noop.remote()) }, ops),
        await rate(async () => { for (let i = 0; i < ops; i++) await embedded[0]!.get(la.noop.remote()) }, ops), 2097, `${ops} calls, each awaited`)
      push('1_1_actor_calls_async (3 processes)', await rate(async () => await remote[0]!.get(Array.from({ length: ops }, () => ra.noop.remote())), ops),
        await rate(async () => await embedded[0]!.get(Array.from({ length: ops }, () => la.noop.remote())), ops), 9063, `${ops} calls, then get`)
      const [rs, ls] = [await Promise.all([0, 1, 2].map(async i => await remote[0]!.sink(i))), await Promise.all([0, 1, 2].map(async i => await embedded[0]!.sink(i)))]
      push('1_n_actor_calls_async (3 processes)', await rate(async () => await remote[0]!.get(Array.from({ length: ops }, (_, i) => rs[i % 3]!.noop.remote())), ops),
        await rate(async () => await embedded[0]!.get(Array.from({ length: ops }, (_, i) => ls[i % 3]!.noop.remote())), ops), 8665, `${ops} calls over 3 actors, one per node (spread)`)
    }
    await single('single_client_put_calls', async d => { for (let i = 0; i < SYNC; i++) await d.get(d.put(i)) }, SYNC, 5196, `${SYNC} small puts, each read back (a connected driver keeps small objects itself)`)
    await single('single_client_get_calls', async d => { const r = d.put(7); for (let i = 0; i < SYNC; i++) await d.get(r) }, SYNC, 10270, `${SYNC} gets of one small object (kept by the driver)`)
    push('multi_client_tasks_async (3 processes)', await multiClient(remote), await multiClient(embedded), 21744,
      `${DRIVERS} drivers x ${LOOPS} async loops x ${TASKS} no-op tasks over ${NODES} fabric join processes (1 CPU each)`)
    // Not a Ray name: a guest fanning out nested tasks. A fabric node keeps them until about half its
    // CPUs are taken, then places them on other nodes (1-CPU nodes: all go to the other two).
    await remote[0]!.get(remote[0]!.fanOut())
    await single('nested_fanout', async d => await d.get(d.fanOut()), 1, undefined, `one task fanning out ${FAN} nested tasks of ~45 ms busy work each, then summing them`, 'fan-outs/s')
    {
      // placement_group_create/removal (Ray's name): create PGS groups of one small bundle, wait until
      // every one is placed, remove them all; groups per second.
      const PGS = quick ? 20 : 100
      const cycle = async (f: FabricDriver): Promise<void> => {
        const groups = Array.from({ length: PGS }, () => f.placementGroup({ bundles: [{ cpus: 0.01 }] }))
        await Promise.all(groups.map(async g => { await g.ready({ timeoutMs: 60_000 }) }))
        await Promise.all(groups.map(async g => { await f.removePlacementGroup(g) }))
      }
      push('placement_group_create/removal (3 processes)', await rate(async () => { await cycle(connected[0]!) }, PGS), await rate(async () => { await cycle(local!) }, PGS), 839,
        `${PGS} groups of one bundle { cpus: 0.01 } created, each awaited ready, then all removed (Ray: 100 groups, custom 0.001)`)
    }
    const remoteActors = await Promise.all(remote.map(async d => await Promise.all(Array.from({ length: NODES }, async (_, i) => await d.sink(i)))))
    const localActors = await Promise.all(embedded.map(async d => await Promise.all(Array.from({ length: NODES }, async (_, i) => await d.sink(i)))))
    push('n_n_actor_calls_async (3 processes)', await nnActors(remote, remoteActors), await nnActors(embedded, localActors), 27688,
      `${DRIVERS} drivers x ${LOOPS} async loops x ${CALLS} calls over each driver's ${NODES} actors, one per node (spread)`)
    return rows
  } finally {
    await Promise.all(connected.map(async f => await f.stop()))
    await local?.stop()
    await Promise.all(nodes.map(stopNode))
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  console.log(table('remote (3 processes)', rows))
  console.log(`wrote ${writeResults('remote', rows)}`)
  process.exit(0)
}
