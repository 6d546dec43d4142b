// Chaos run (issue 13, item 8): a job of many tasks, actor calls and large objects on `fabric join`
// nodes while nodes are killed, hung, restarted and (with --partition, each node in its own network
// namespace) cut apart; every result is checked against values the driver computes itself, and the
// recoveries are timed. Prints a table, writes JSON, exits 1 when a check failed.
//
//   npx tsx scripts/chaos.ts [--nodes 4] [--tasks 10000] [--seconds 60] [--seed N] [--partition]
//                            [--faults kill,hang,restart,partition] [--out FILE] [--quiet]
//
// test/e2e/chaos.spec.ts runs a small bounded run of the same function (runChaos).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Fabric, ObjectRef, type ConnectedFabric, type TaskOptions, type UntypedModule } from '../src/index.js'
import type { NetNode, RemoteTask, TaskOutcome } from '../src/net/index.js'
import { ChaosCluster, netnsUnavailable, type NetMode } from '../test/e2e/chaos-cluster.js'
import { fixtureComponent } from '../test/helpers/fixtures.js'
import { blobBytes, digestBytes, growBytes, mix as mixOf, type LedgerEntry } from '../test/fixtures/chaos/pure.js'

/** What the injector does to a node (or, for a partition, to the network between nodes). */
export type FaultKind = 'kill' | 'hang' | 'restart' | 'partition'

/** Options of {@link runChaos}. */
export interface ChaosInit {
  /** `fabric join` nodes. @default 4 */
  nodes?: number
  /** Remote calls in the job (tasks and actor calls). @default 10000 */
  tasks?: number
  /** How long faults are injected; the job is paced over this window. @default 60 */
  seconds?: number
  /** Seed of the job's inputs and of the fault schedule. @default 1 */
  seed?: number
  /** Nodes in network namespaces, and partitions among the faults (root, `ip`, `iptables`). @default false */
  partition?: boolean
  /** The fault kinds to inject, taken in turns. @default kill, hang, restart (and partition with `partition`) */
  faults?: FaultKind[]
  /** Time between the starts of two faults, ms, drawn in this range. @default [3000, 6000] */
  gapMs?: [number, number]
  /** How long the job may take to finish once the faults are over and every node is back. @default 180000 */
  drainMs?: number
  /** Progress lines. @default none */
  log?: (line: string) => void
}

/** One injected fault and the recoveries timed around it (ms; undefined: not observed). */
export interface FaultRecord {
  kind: FaultKind
  /** The node(s) hit; for a partition, the two sides. */
  nodes: string[]
  detail: string
  /** When, from the start of the job. */
  atMs: number
  /** How long the fault lasted (until revived, resumed, restarted or healed). */
  heldMs: number
  /** Until the driver suspected the node (any side of a partition the driver is on). */
  driverSuspectMs?: number
  /** Until the driver dropped it as dead. */
  driverDeadMs?: number
  /** Until the first other node suspected it (for a partition: any node, across the cut). */
  nodesSuspectMs?: number
  /** Until the first other node printed it dead. */
  nodesDeadMs?: number
  /** kill, restart: the new process printed `ready` this long after it was started. */
  readyMs?: number
  /**
   * Until the driver saw the node alive again: from SIGCONT (hang), from its new process's `ready`
   * (kill, restart); for a partition, from the heal until every pair cut apart saw each other again.
   */
  backMs?: number
  /** Task attempts that were on the node when it was hit or were sent to it during the fault. */
  tasksHit: number
  /** Of those, attempts that failed (and were run again). */
  tasksLost: number
  /** From the fault until the first task whose attempt on the node failed finished elsewhere. */
  firstRetryDoneMs?: number
  /** Actors living on the node when it was hit. */
  actorsHit: number
  /** Of those, actors whose restart budget was spent already (they die: calls fail with ActorDiedError). */
  actorsOutOfBudget: number
  /** For each, the time until it was restarted (a new instance placed), from the fault. */
  actorRestartMs: number[]
  /** What the nodes printed and the driver's view said about the nodes hit, from the fault until 10 s after it ended. */
  timeline?: string[]
  /** The next fault on one of the same nodes began this long after this one (within 10 s of its end): every measure stops there. */
  nextFaultMs?: number
  /** What was still broken 20 s after the recovery (see settle()); the next fault went ahead anyway. */
  unsettled?: string[]
}

/** One actor of the job, checked call by call. */
export interface ActorRecord {
  name: string
  maxRestarts: number
  maxTaskRetries: number
  calls: number
  ok: number
  /** Failed calls by error name. */
  errors: Record<string, number>
  /** Restarts as the driver counts them (actorInfo). */
  restarts: number
  /** Fresh instances seen in the answers (prev -1). */
  incarnations: number
}

/** What {@link runChaos} found. */
export interface ChaosReport {
  init: Required<Omit<ChaosInit, 'log'>>
  mode: NetMode
  startedAt: string
  /** From the first submission to the last result. */
  jobMs: number
  wallMs: number
  faults: FaultRecord[]
  /**
   * `submitted` calls: `correct` + `wrong` + `failed` + `refused` (actor calls refused with the
   * typed error the docs promise once the actor's restart budget is spent) + `lostNoLineage` (a
   * large value returned by ref inside a result, which has no lineage, lost with its node:
   * ObjectLostError, as the docs promise); `retried`: tasks run again after `attemptsLost`
   * attempts were lost with their node.
   */
  tasks: { submitted: number, correct: number, wrong: number, failed: number, refused: number, lostNoLineage: number, retried: number, attemptsLost: number, spilledBack: number, perSecond: number }
  objects: { largeChecked: number, rebuilt: number, rebuildFailed: number, rebuildMedianMs?: number, rebuildMaxMs?: number, lost: number }
  actors: ActorRecord[]
  /** Every 5 s of the job: calls answered so far, jobs pending, rebuilds, and per node its state and the task attempts it finished in those 5 s and has open. */
  progress: Array<{ atS: number, done: number, pending: number, rebuilds: number, perNode: Record<string, string> }>
  /** Every check that failed, one line each; empty when the run passed. A failure due to a known bug starts `[known bug <id>]`. */
  failures: string[]
  /** Failures due to bugs known today ({@link KNOWN_BUGS}), by id. */
  knownBugs: Record<string, number>
}

/**
 * Bugs this run finds in the fabric today (docs/chaos.md has their reproductions): a failure that
 * matches one is still a failure, tagged `[known bug <id>]` so a test can tell it from a new one.
 * None open: the two the first runs found (actor-never-returns, actor-restart-gives-up) are fixed
 * in RemoteActor, with regression specs in test/runtime/remote-actor.spec.ts.
 */
export const KNOWN_BUGS: ReadonlyArray<{ id: string, match: RegExp, what: string }> = []

/** The failures of report `r` other than those due to the known bugs `ids` (see {@link KNOWN_BUGS}). */
export function failuresBesides (r: ChaosReport, ids: readonly string[]): string[] {
  return r.failures.filter(f => !ids.some(id => f.startsWith(`[known bug ${id}] `)))
}

/** Rounds of the mix task (a few ms of QuickJS). */
const WORK = 200
/** Jobs in flight at most (the driver's own gate limits the tasks started). */
const WINDOW = 64
/** Actors in the job: two of them fragile (a small restart budget, to see it spent). */
const FRAGILE = { maxRestarts: 1, maxTaskRetries: 1 }
const DURABLE = { maxRestarts: 30, maxTaskRetries: 10 }
/** Nested tasks of one `fan` task. */
const FAN = 4
/** Task retries after a lost node (the default is 3; several nodes fail at once here). */
const MAX_RETRIES = 6

type Job =
  | { kind: 'mix', i: number }
  | { kind: 'sum', i: number }
  | { kind: 'box', i: number }
  | { kind: 'blob', i: number, size: number }
  | { kind: 'bigbox', i: number, size: number }
  | { kind: 'fan', i: number }
  | { kind: 'call', actor: number }

/** Remote calls a job makes. */
const COST: Record<Job['kind'], number> = { mix: 1, sum: 3, box: 2, blob: 3, bigbox: 1, fan: 1 + FAN, call: 1 }

/** mulberry32: a small seeded generator, so a seed replays the same job and schedule. */
function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The job: `tasks` remote calls in a seeded order (see COST). */
function planJobs (tasks: number, actors: number, random: () => number): Job[] {
  const blobs = Math.max(3, Math.round(tasks / 250))
  const bigboxes = Math.max(2, Math.round(tasks / 400))
  const fans = Math.round(tasks * 0.015)
  const boxes = Math.round(tasks * 0.03)
  const sums = Math.round(tasks * 0.05)
  const calls = Math.round(tasks * 0.2)
  const mixes = Math.max(0, tasks - blobs * COST.blob - bigboxes * COST.bigbox - fans * COST.fan - boxes * COST.box - sums * COST.sum - calls)
  const jobs: Job[] = []
  let i = 0
  for (let k = 0; k < blobs; k++) jobs.push({ kind: 'blob', i: i++, size: (256 + Math.floor(random() * 512)) * 4096 })
  for (let k = 0; k < bigboxes; k++) jobs.push({ kind: 'bigbox', i: i++, size: (64 + Math.floor(random() * 192)) * 4096 })
  for (let k = 0; k < fans; k++) jobs.push({ kind: 'fan', i: i++ })
  for (let k = 0; k < boxes; k++) jobs.push({ kind: 'box', i: i++ })
  for (let k = 0; k < sums; k++) jobs.push({ kind: 'sum', i: i++ })
  for (let k = 0; k < mixes; k++) jobs.push({ kind: 'mix', i: i++ })
  for (let k = 0; k < calls; k++) jobs.push({ kind: 'call', actor: k % actors })
  for (let k = jobs.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1))
    ;[jobs[k], jobs[j]] = [jobs[j]!, jobs[k]!]
  }
  return jobs
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, Math.max(0, ms)))

/** The actor handle shape the job uses. */
interface Ledger { actorId: string, add: { remote: (k: number, x: number) => ObjectRef<LedgerEntry> } }

/** One attempt of a task on a node, as the driver's net node sent it. */
interface Attempt { id: string, name: string, peer: string, start: number, end?: number, error?: string }

/** What the driver's view said, when. */
interface ViewEvent { at: number, event: 'suspect' | 'dead' | 'alive' | 'join' | 'leave', peer: string }

/** A fault while it runs: its record, and the times the measures are taken from. */
interface LiveFault { rec: FaultRecord, t0: number, t1?: number, ready?: number, peers: string[], sides?: [string[], string[]], actorsAt: Map<number, { peer?: string, restarts: number }> }

/**
 * The parts of the connected driver the report needs and its API does not give (task attempts and
 * lineage rebuilds): spied on, not changed. Fails loudly when they are not where expected.
 */
function observe (fabric: ConnectedFabric, attempts: Attempt[], rebuilds: Array<{ start: number, end?: number, ok?: boolean }>, view: ViewEvent[]): NetNode {
  const inner = fabric as unknown as { net?: NetNode, objects?: { rebuild?: (obj: unknown) => Promise<void> } }
  const net = inner.net
  const objects = inner.objects
  if (net === undefined || typeof net.runTask !== 'function' || objects === undefined || typeof objects.rebuild !== 'function') {
    throw new Error('chaos: the connected driver\'s internals moved (net.runTask, objects.rebuild): update observe() in scripts/chaos.ts')
  }
  const runTask = net.runTask.bind(net)
  net.runTask = async (peer: string, task: RemoteTask, options?: Parameters<NetNode['runTask']>[2]) => {
    const a: Attempt = { id: task.id, name: task.name, peer, start: Date.now() }
    attempts.push(a)
    try {
      const out = await runTask(peer, task, options)
      a.end = Date.now()
      return out
    } catch (err) {
      a.end = Date.now()
      a.error = (err as Error).name ?? 'Error'
      throw err
    }
  }
  const rebuild = objects.rebuild.bind(objects)
  objects.rebuild = async (obj: unknown) => {
    // An object without lineage (a ref returned inside a result) is not rebuilt: it fails at once with ObjectLostError.
    if ((obj as { lineage?: unknown }).lineage === undefined) return await rebuild(obj)
    const r: { start: number, end?: number, ok?: boolean } = { start: Date.now() }
    rebuilds.push(r)
    try {
      await rebuild(obj)
      r.ok = true
    } catch (err) {
      r.ok = false
      throw err
    } finally {
      r.end = Date.now()
    }
  }
  for (const event of ['suspect', 'dead', 'alive', 'join', 'leave'] as const) {
    net.view.on(event, (e: { info: { peer: string } }) => view.push({ at: Date.now(), event, peer: e.info.peer }))
  }
  return net
}

/**
 * Run the chaos job (see the file comment) and return what it found; `failures` lists every check
 * that failed. Cleans up every process, namespace and temp dir, also when it throws.
 *
 * @example
 * const report = await runChaos({ nodes: 4, tasks: 2000, seconds: 20, seed: 7 })
 * console.log(formatReport(report))
 */
export async function runChaos (init: ChaosInit = {}): Promise<ChaosReport> {
  const opts: Required<Omit<ChaosInit, 'log'>> = {
    nodes: init.nodes ?? 4,
    tasks: init.tasks ?? 10_000,
    seconds: init.seconds ?? 60,
    seed: init.seed ?? 1,
    partition: init.partition ?? false,
    faults: init.faults ?? (init.partition === true ? ['kill', 'hang', 'restart', 'partition'] : ['kill', 'hang', 'restart']),
    gapMs: init.gapMs ?? [3000, 6000],
    drainMs: init.drainMs ?? 180_000
  }
  if (opts.nodes < 3) throw new RangeError('chaos: needs at least 3 nodes (two stay healthy while one is hit)')
  if (opts.faults.includes('partition') && !opts.partition) throw new TypeError('chaos: partition faults need partition: true (nodes in network namespaces)')
  const log = init.log ?? (() => {})
  const wallStart = Date.now()
  const mode: NetMode = opts.partition ? 'netns' : 'loopback'
  const cluster = new ChaosCluster({ mode, sharedCache: true })
  let fabric: ConnectedFabric | undefined
  const failures: string[] = []
  const knownBugs: Record<string, number> = {}
  const fail = (what: string): void => {
    const known = KNOWN_BUGS.find(b => b.match.test(what))
    if (known !== undefined) knownBugs[known.id] = (knownBugs[known.id] ?? 0) + 1
    const line = known === undefined ? what : `[known bug ${known.id}] ${what}`
    if (failures.length < 200) failures.push(line)
    else if (failures.length === 200) failures.push('... (more failures left out)')
  }
  try {
    const componentPath = await fixtureComponent('chaos/chaos.ts')
    log(`starting ${opts.nodes} nodes (${mode})`)
    await cluster.start(opts.nodes)
    log(`nodes ready after ${((Date.now() - wallStart) / 1000).toFixed(1)} s`)
    fabric = await Fabric.connect(cluster.nodes[0]!.addr, { swarmKey: cluster.swarmKey, listen: cluster.driverListen() })
    const f = fabric
    const deadline = Date.now() + 30_000
    while (f.nodes().filter(n => n.state === 'alive').length < opts.nodes) {
      if (Date.now() > deadline) throw new Error(`chaos: the driver did not see ${opts.nodes} nodes in 30 s: ${JSON.stringify(f.nodes())}`)
      await sleep(100)
    }
    const attempts: Attempt[] = []
    const rebuilds: Array<{ start: number, end?: number, ok?: boolean }> = []
    const view: ViewEvent[] = []
    const net = observe(f, attempts, rebuilds, view)
    const m = await f.load<UntypedModule>(componentPath)
    /** Submit task `name` of the chaos guest (results typed by the caller, checked by value). */
    const call = <T>(name: string, args: unknown[], more: TaskOptions = {}): ObjectRef<T> => m[name]!.options({ maxRetries: MAX_RETRIES, ...more }).remote(...args) as unknown as ObjectRef<T>
    // Every node compiles the component now, not while the faults run (the node that reported the
    // manifest has it in the shared cache already: the others load it from there).
    await Promise.all(cluster.nodes.map(async n => {
      const v = await f.get(call<number>('mix', [1, 1, 1], { scheduling: { nodeAffinity: n.peer } }))
      if (v !== mixOf(1, 1, 1)) throw new Error(`chaos: warm-up on ${n.name} gave ${String(v)}`)
    }))

    log(`every node warm after ${((Date.now() - wallStart) / 1000).toFixed(1)} s`)
    const random = rng(opts.seed)
    const seed = opts.seed >>> 0
    const actorCount = Math.max(4, opts.nodes * 2)
    const ledgerClass = m.Ledger as unknown as { options: (o: Record<string, unknown>) => { create: () => Promise<Ledger> } }
    const budgets = Array.from({ length: actorCount }, (_, a) => a < 2 ? FRAGILE : DURABLE)
    const ledgers = await Promise.all(budgets.map(async b => await ledgerClass.options({ ...b, scheduling: 'spread' }).create()))
    const actorRecs: ActorRecord[] = budgets.map((b, a) => ({ name: `ledger${a}`, maxRestarts: b.maxRestarts, maxTaskRetries: b.maxTaskRetries, calls: 0, ok: 0, errors: {}, restarts: 0, incarnations: 0 }))
    /** Each actor's calls in the order made: the x sent, and the answer or the error's name. */
    const callLog: Array<Array<{ x: number, entry?: LedgerEntry, error?: string, message?: string }>> = ledgers.map(() => [])
    /** Each actor's node and restart count, as they changed. */
    const actorSamples: Array<Array<{ at: number, peer?: string, restarts: number }>> = ledgers.map(() => [])
    const sampleActors = (): void => {
      const now = Date.now()
      ledgers.forEach((h, a) => {
        const info = f.actorInfo(h)
        const last = actorSamples[a]!.at(-1)
        if (last === undefined || last.peer !== info.peer || last.restarts !== info.restarts) actorSamples[a]!.push({ at: now, ...(info.peer === undefined ? {} : { peer: info.peer }), restarts: info.restarts })
      })
    }
    sampleActors()
    const sampler = setInterval(sampleActors, 25)

    // Keepers: large objects made at the start and held to the end (a blob and the object grown from
    // it; the driver holds only the second, whose lineage holds the first). Checked again now and
    // then: a keeper whose every holder died is rebuilt from lineage, recursively.
    const keeperSize = 512 * 1024
    const keepers = Array.from({ length: opts.nodes * 2 }, (_, k) => {
      const base = call<Uint8Array>('blob', [seed + 1000 + k, keeperSize], { scheduling: 'spread' })
      return { k, ref: call<Uint8Array>('grow', [base, k]), digest: digestBytes(growBytes(blobBytes(seed + 1000 + k, keeperSize), k)) }
    })
    let largeChecked = 0
    let lost = 0
    const checkKeepers = async (when: string): Promise<void> => {
      await Promise.all(keepers.map(async kp => {
        try {
          const bytes = await f.get(kp.ref)
          largeChecked++
          if (digestBytes(bytes) !== kp.digest) fail(`keeper ${kp.k} (${when}): wrong bytes`)
          const d = await f.get(call<number>('digest', [kp.ref]))
          if (d !== kp.digest) fail(`keeper ${kp.k} (${when}): digest task gave ${String(d)}, expected ${kp.digest}`)
        } catch (err) {
          if ((err as Error).name === 'ObjectLostError') lost++
          fail(`keeper ${kp.k} (${when}): ${(err as Error).name}: ${(err as Error).message}`)
        }
      }))
    }
    await checkKeepers('at the start')
    log(`actors and keepers ready after ${((Date.now() - wallStart) / 1000).toFixed(1)} s`)

    const jobs = planJobs(opts.tasks, actorCount, random)
    const submitted = jobs.reduce((s, j) => s + COST[j.kind], 0)
    let correct = 0
    let wrong = 0
    let failed = 0
    /** Actor calls refused as the docs promise once an actor's budget is spent (not failures). */
    let actorCallsRefused = 0
    /** Large refs returned inside results (no lineage) lost with their node: ObjectLostError, as the docs promise (not failures). */
    let lostNoLineage = 0
    const pending = new Map<number, Job>()
    /** `calls` calls checked: right, or wrong (a failure). */
    const expect = (ok: boolean, what: string, calls = 1): void => {
      if (ok) correct += calls
      else { wrong += calls; fail(`wrong result: ${what}`) }
    }
    /** A job whose `calls` calls could not be checked because one failed (always a failure: tasks have retries enough). */
    const failedTask = (what: string, err: unknown, calls: number): void => {
      failed += calls
      const e = err as Error
      if (e.name === 'ObjectLostError' || (e.cause as Error | undefined)?.name === 'ObjectLostError') lost++
      fail(`${what} failed: ${e.name}: ${e.message.slice(0, 300)}`)
    }

    const runJob = async (job: Job): Promise<void> => {
      const i = 'i' in job ? job.i : 0
      switch (job.kind) {
        case 'mix': {
          const ref = call<number>('mix', [seed, i, WORK])
          try { const v = await f.get(ref); expect(v === mixOf(seed, i, WORK), `mix ${i}: ${String(v)}`) } catch (err) { failedTask(`mix ${i}`, err, 1) }
          return
        }
        case 'sum': {
          const a = call<number>('mix', [seed, i, WORK])
          const b = call<number>('mix', [seed + 1, i, WORK])
          const ref = call<number>('add', [a, b])
          try {
            const [va, vb, v] = await f.get([a, b, ref])
            expect(va === mixOf(seed, i, WORK), `sum ${i} (a)`)
            expect(vb === mixOf(seed + 1, i, WORK), `sum ${i} (b)`)
            expect(v === ((mixOf(seed, i, WORK) + mixOf(seed + 1, i, WORK)) >>> 0), `sum ${i}: ${String(v)}`)
          } catch (err) { failedTask(`sum ${i}`, err, 3) }
          return
        }
        case 'box': {
          const ref = call<{ i: number, inner: ObjectRef<{ v: number }> }>('boxed', [seed, i])
          try {
            const box = await f.get(ref)
            const want = mixOf(seed, i, 4)
            if (!(box.i === i && box.inner instanceof ObjectRef)) {
              expect(false, `box ${i}: ${JSON.stringify(box)}`, 2)
              return
            }
            const inner = await f.get(box.inner)
            expect(inner.v === want, `box ${i}: the ref it returned holds ${JSON.stringify(inner)}, want ${want}`)
            const v = await f.get(call<number>('unbox', [{ inner: box.inner }]))
            expect(v === want, `box ${i}: unbox gave ${String(v)}, want ${want}`)
          } catch (err) { failedTask(`box ${i}`, err, 2) }
          return
        }
        case 'blob': {
          const base = call<Uint8Array>('blob', [seed + i, job.size])
          const grown = call<Uint8Array>('grow', [base, i])
          const d = call<number>('digest', [grown])
          try {
            const want = digestBytes(growBytes(blobBytes(seed + i, job.size), i))
            const v = await f.get(d)
            const bytes = await f.get(grown)
            largeChecked++
            expect(v === want, `blob ${i}: digest task gave ${String(v)}, want ${want}`)
            expect(bytes.length === job.size && digestBytes(bytes) === want, `blob ${i}: ${bytes.length} bytes, digest ${digestBytes(bytes)}, want ${want}`, 2)
          } catch (err) { failedTask(`blob ${i}`, err, 3) }
          return
        }
        case 'fan': {
          const ref = call<number>('fan', [seed, i, FAN, WORK])
          let want = 0
          for (let k = 0; k < FAN; k++) want = (want + mixOf(seed + k, i, WORK)) >>> 0
          try { const v = await f.get(ref); expect(v === want, `fan ${i}: ${String(v)}, want ${want}`, COST.fan) } catch (err) { failedTask(`fan ${i}`, err, COST.fan) }
          return
        }
        case 'bigbox': {
          // A ref returned inside a result has no lineage: lost with its node it may fail, but only with ObjectLostError.
          const ref = call<{ seed: number, inner: ObjectRef<Uint8Array> }>('bigBoxed', [seed + i, job.size])
          try {
            const box = await f.get(ref)
            const bytes = await f.get(box.inner)
            largeChecked++
            expect(box.seed === seed + i && digestBytes(bytes) === digestBytes(blobBytes(seed + i, job.size)), `bigbox ${i}: ${bytes.length} bytes, want ${job.size}`)
          } catch (err) {
            if ((err as Error).name !== 'ObjectLostError') failedTask(`bigbox ${i}`, err, 1)
            else lostNoLineage++
          }
          return
        }
        case 'call': {
          const a = job.actor
          const k = callLog[a]!.length
          const x = mixOf(seed ^ a, k, 1) & 0xffff
          const rec = { x } as { x: number, entry?: LedgerEntry, error?: string, message?: string }
          callLog[a]!.push(rec)
          actorRecs[a]!.calls++
          let ref: ObjectRef<LedgerEntry>
          try {
            ref = ledgers[a]!.add.remote(k, x)
          } catch (err) {
            rec.error = (err as Error).name
            rec.message = (err as Error).message
            return
          }
          try {
            rec.entry = await f.get(ref)
          } catch (err) {
            rec.error = (err as Error).name
            rec.message = (err as Error).message
          }
        }
      }
    }

    // The job, paced over the fault window, and the faults beside it.
    const t0 = Date.now()
    const windowMs = opts.seconds * 1000
    const paceMs = (windowMs * 0.9) / jobs.length
    const live: LiveFault[] = []
    const faultsDone = injectFaults(cluster, f, opts, random, t0 + windowMs, live, ledgers, log)
    const keeperChecks = (async () => {
      for (let round = 1; Date.now() < t0 + windowMs; round++) {
        await sleep(Math.min(8000, t0 + windowMs - Date.now()))
        await checkKeepers(`check ${round}, at ${((Date.now() - t0) / 1000).toFixed(0)} s`)
      }
    })()
    const timeline: ChaosReport['progress'] = []
    let tick = t0
    const progress = setInterval(() => {
      const now = Date.now()
      const done = correct + wrong + failed + lostNoLineage + callLog.reduce((n, calls) => n + calls.filter(c => c.entry !== undefined || c.error !== undefined).length, 0)
      const perNode: Record<string, string> = {}
      for (const n of cluster.nodes) {
        const mine = attempts.filter(a => a.peer === n.peer)
        perNode[n.name] = `${n.state} ${mine.filter(a => a.end !== undefined && a.end > tick && a.end <= now).length} done ${mine.filter(a => a.end === undefined).length} open`
      }
      tick = now
      timeline.push({ atS: Math.round((now - t0) / 1000), done, pending: pending.size, rebuilds: rebuilds.length, perNode })
      log(`t=${((now - t0) / 1000).toFixed(0)} s: ${done} calls answered, ${pending.size} jobs pending, ${rebuilds.length} rebuilds; last 5 s per node: ${Object.entries(perNode).map(([k, v]) => `${k} ${v}`).join(', ')}`)
    }, 5000)
    const inflight = new Set<Promise<void>>()
    for (let j = 0; j < jobs.length; j++) {
      const due = t0 + j * paceMs
      if (Date.now() < due) await sleep(due - Date.now())
      while (inflight.size >= WINDOW) await Promise.race(inflight)
      pending.set(j, jobs[j]!)
      const p: Promise<void> = runJob(jobs[j]!).finally(() => { pending.delete(j); inflight.delete(p) })
      inflight.add(p)
    }
    await faultsDone
    await keeperChecks
    log(`faults over at ${((Date.now() - t0) / 1000).toFixed(0)} s; every node back; draining ${pending.size} jobs`)
    const drained = await Promise.race([Promise.all(inflight).then(() => true), sleep(opts.drainMs).then(() => false)])
    const jobMs = Date.now() - t0
    clearInterval(progress)
    if (!drained) {
      const kinds: Record<string, number> = {}
      for (const j of pending.values()) kinds[j.kind] = (kinds[j.kind] ?? 0) + 1
      fail(`hang: ${pending.size} jobs had not finished ${opts.drainMs / 1000} s after the faults ended (${JSON.stringify(kinds)}); attempts still open: ${attempts.filter(a => a.end === undefined).map(a => `${a.name}@${cluster.nameOf(a.peer)}`).slice(0, 10).join(', ')}`)
    }
    // Every node back, in the driver's view and in each other's.
    const broken = await settle(cluster, f, t0, 30_000)
    if (broken.length > 0) fail(`not every node came back 30 s after the faults ended: ${broken.join('; ')}`)
    // Everything back: the keepers once more, and each actor's state once more.
    await checkKeepers('at the end')
    clearInterval(sampler)
    sampleActors()
    // No instance left behind: the nodes (as they gossip) host exactly the driver's live actors; an
    // instance whose node was cut off or hung while the driver restarted it elsewhere must be gone.
    const liveActors = ledgers.filter(h => f.actorInfo(h).peer !== undefined).length
    const hosted = (): number => net.view.peers().reduce((sum, p) => sum + (p.info.work?.actors ?? 0), 0)
    const settleBy = Date.now() + 15_000
    while (hosted() !== liveActors && Date.now() < settleBy) await sleep(200)
    if (hosted() !== liveActors) fail(`the nodes host ${hosted()} actors (${net.view.peers().filter(p => (p.info.work?.actors ?? 0) > 0).map(p => `${cluster.nameOf(p.info.peer)}: ${p.info.work!.actors}`).join(', ')}), the driver has ${liveActors} alive, 15 s after the job ended`)

    // Actors: every answer consistent with the calls before it on the same instance, in order;
    // restarts within the budget; failures only the typed errors the docs promise, once spent.
    ledgers.forEach((h, a) => {
      const rec = actorRecs[a]!
      rec.restarts = f.actorInfo(h).restarts
      const calls = callLog[a]!
      let lastOk = -1
      /** Calls that failed as the docs do not allow, grouped by why: the first call, how many, one message. */
      const bad = new Map<string, { first: number, count: number, message: string }>()
      calls.forEach((c, k) => {
        if (c.entry === undefined) {
          rec.errors[c.error ?? 'Error'] = (rec.errors[c.error ?? 'Error'] ?? 0) + 1
          let why: string | undefined
          if (!['ActorDiedError', 'ActorNotFoundError'].includes(c.error ?? '')) why = `${c.error ?? 'Error'} (not an actor error the docs promise)`
          else if (!/no restarts left|maxTaskRetries/.test(c.message ?? '')) why = `${c.error ?? 'Error'} with restarts left (${rec.restarts} of ${rec.maxRestarts} used)`
          if (why === undefined) {
            actorCallsRefused++
          } else {
            failed++
            const group = bad.get(why)
            if (group === undefined) bad.set(why, { first: k, count: 1, message: c.message ?? '' })
            else group.count++
          }
          return
        }
        rec.ok++
        const e = c.entry
        const before = calls[e.prev]
        let why: string | undefined
        if (e.prev === -1) {
          rec.incarnations++
          if (e.n !== 1 || e.sum !== c.x) why = `a fresh instance answered ${JSON.stringify(e)}, expected n 1, sum ${c.x}`
        } else if (e.prev >= k || before === undefined) {
          why = `answered after call ${e.prev}, which is not an earlier call`
        } else if (before.entry === undefined) {
          why = `its instance had answered call ${e.prev}, which failed here (${before.error ?? ''})`
        } else if (e.n !== before.entry.n + 1 || e.sum !== ((before.entry.sum + c.x) >>> 0)) {
          why = `state ${JSON.stringify(e)} does not follow call ${e.prev}'s ${JSON.stringify(before.entry)} + ${c.x}`
        } else if (e.prev !== lastOk) {
          why = `its instance last answered call ${e.prev}, but call ${lastOk} was answered after that (order or instance mixed up)`
        }
        expect(why === undefined, `${rec.name} call ${k}: ${why ?? ''}`)
        lastOk = k
      })
      for (const [why, g] of bad) fail(`${rec.name}: ${g.count} call${g.count === 1 ? '' : 's'} from call ${g.first} on failed with ${why}: ${g.message.slice(0, 400)}`)
      if (rec.restarts > rec.maxRestarts) fail(`${rec.name}: ${rec.restarts} restarts, over its budget of ${rec.maxRestarts}`)
      if (rec.incarnations - 1 > rec.restarts) fail(`${rec.name}: ${rec.incarnations} fresh instances answered, but only ${rec.restarts} restarts counted`)
    })

    if (drained && correct + wrong + failed + actorCallsRefused + lostNoLineage !== submitted) fail(`accounting: ${submitted} calls submitted, but ${correct} correct + ${wrong} wrong + ${failed} failed + ${actorCallsRefused} refused + ${lostNoLineage} lost without lineage`)

    // Tasks: attempts lost to faults, run again; spillbacks are placement, not failures.
    const byId = new Map<string, Attempt[]>()
    for (const a of attempts) {
      let list = byId.get(a.id)
      if (list === undefined) byId.set(a.id, list = [])
      list.push(a)
    }
    const lostAttempt = (a: Attempt): boolean => a.error !== undefined && a.error !== 'SpilledBackError'
    const retried = [...byId.values()].filter(list => list.some(lostAttempt) && list.some(a => a.end !== undefined && a.error === undefined)).length
    const attemptsLost = attempts.filter(lostAttempt).length
    const spilledBack = attempts.filter(a => a.error === 'SpilledBackError').length

    const faults = live.map((lf, k) => {
      const mine = new Set(lf.rec.kind === 'partition' ? cluster.nodes.map(n => n.name) : lf.rec.nodes)
      const next = live.slice(k + 1).find(o => o.rec.kind === 'partition' || o.rec.nodes.some(n => mine.has(n)))
      return measureFault(lf, next?.t0 ?? Infinity, actorRecs.map(a => a.maxRestarts), cluster, view, attempts, byId, actorSamples)
    })
    const spans = rebuilds.filter(r => r.end !== undefined).map(r => r.end! - r.start).sort((a, b) => a - b)
    const report: ChaosReport = {
      init: opts,
      mode,
      startedAt: new Date(wallStart).toISOString(),
      jobMs,
      wallMs: Date.now() - wallStart,
      faults,
      tasks: { submitted, correct, wrong, failed, refused: actorCallsRefused, lostNoLineage, retried, attemptsLost, spilledBack, perSecond: Math.round(submitted / (jobMs / 1000)) },
      objects: {
        largeChecked,
        rebuilt: rebuilds.filter(r => r.ok === true).length,
        rebuildFailed: rebuilds.filter(r => r.ok === false).length,
        ...(spans.length === 0 ? {} : { rebuildMedianMs: spans[Math.floor(spans.length / 2)]!, rebuildMaxMs: spans.at(-1)! }),
        lost
      },
      actors: actorRecs,
      progress: timeline,
      failures,
      knownBugs
    }
    return report
  } finally {
    await fabric?.stop().catch(() => {})
    await cluster.stop()
  }
}

/**
 * What is still broken about nodes `names` after a recovery: those the driver does not see alive,
 * and pairs of nodes (one of them in `names`, neither hit by another fault now: `elsewhere`) where
 * the last thing one printed about the other since `since` was a suspicion or a death.
 */
function unsettled (cluster: ChaosCluster, fabric: ConnectedFabric, since: number, names: string[], elsewhere: (name: string) => boolean = () => false): string[] {
  const out: string[] = []
  for (const n of cluster.nodes.filter(n => names.includes(n.name))) {
    if (fabric.nodes().find(x => x.peer === n.peer)?.state !== 'alive') out.push(`the driver does not see ${n.name} alive`)
  }
  const ok = cluster.nodes.filter(n => !elsewhere(n.name))
  for (const x of ok) {
    for (const y of ok) {
      if (x === y || !(names.includes(x.name) || names.includes(y.name))) continue
      const last = cluster.linesSince(since, new RegExp(`^(suspected|dead|alive|joined) ${y.peer}`), x.name).at(-1)
      if (last !== undefined && /^(suspected|dead) /.test(last.line)) out.push(`${x.name} last said '${last.line.split(' ')[0]!} ${y.name}'`)
    }
  }
  return out
}

/** Wait (at most `ms`) until nothing is {@link unsettled} since `since`; what still is, if anything. */
async function settle (cluster: ChaosCluster, fabric: ConnectedFabric, since: number, ms: number, names = cluster.nodes.map(n => n.name), elsewhere?: (name: string) => boolean): Promise<string[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const left = unsettled(cluster, fabric, since, names, elsewhere)
    if (left.length === 0 || Date.now() > deadline) return left
    await sleep(100)
  }
}

/**
 * Inject faults until `end`; `live` gets each fault as it starts. A node (all nodes, for a
 * partition) counts as hit until the fabric has settled again after its recovery (see
 * {@link settle}; 20 s at most), so the next fault does not land on a half-recovered node.
 */
async function injectFaults (cluster: ChaosCluster, fabric: ConnectedFabric, opts: Required<Omit<ChaosInit, 'log'>>, random: () => number, end: number, live: LiveFault[], ledgers: Ledger[], log: (line: string) => void): Promise<void> {
  const kinds = [...opts.faults]
  for (let k = kinds.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1))
    ;[kinds[k], kinds[j]] = [kinds[j]!, kinds[k]!]
  }
  const start = Date.now()
  const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo))
  const running = new Set<Promise<void>>()
  /** Nodes a fault is acting on now. */
  const busy = new Set<string>()
  let partitioned = false
  let partitions = 0
  const settled = async (lf: LiveFault): Promise<void> => {
    const mine = lf.rec.kind === 'partition' ? cluster.nodes.map(n => n.name) : lf.rec.nodes
    const left = await settle(cluster, fabric, lf.t0, 20_000, mine, n => busy.has(n) && !mine.includes(n))
    if (left.length > 0) {
      lf.rec.unsettled = left
      log(`  ${lf.rec.kind} ${lf.rec.nodes.join(',')}: not settled 20 s after the recovery: ${left.join('; ')}`)
    }
  }
  const snapshot = (): Map<number, { peer?: string, restarts: number }> => new Map(ledgers.map((h, a) => [a, fabric.actorInfo(h)]))
  // The kinds in turns; a turn skipped (too many nodes hit already) keeps its kind for the next.
  for (let turn = 0; ;) {
    await sleep(between(opts.gapMs[0], opts.gapMs[1]))
    // Room for the fault to end (and its node to come back) before the window closes.
    if (Date.now() > end - 4000) break
    const kind = kinds[turn % kinds.length]!
    const healthy = cluster.nodes.filter(n => n.state === 'up' && !busy.has(n.name))
    // Two nodes always stay healthy, and a partition runs alone.
    if (partitioned || (kind === 'partition' ? busy.size > 0 : cluster.nodes.length - busy.size <= 2)) {
      log(`  (skipped a ${kind}: ${partitioned ? 'a partition is on' : `${busy.size} nodes are hit already`})`)
      continue
    }
    const at = Date.now() - start
    if (kind === 'partition') {
      const names = cluster.nodes.map(n => n.name)
      // Shapes in turns: one node cut off from everything (the driver too), then the fabric split in halves.
      const isolate = partitions++ % 2 === 0
      let sides: [string[], string[]]
      if (isolate) {
        const victim = names[Math.floor(random() * names.length)]!
        sides = [[victim], [...names.filter(n => n !== victim), 'driver']]
      } else {
        const shuffled = [...names].sort(() => random() - 0.5)
        const half = Math.floor(names.length / 2)
        sides = [shuffled.slice(0, half), shuffled.slice(half)]
      }
      turn++
      const detail = isolate ? `${sides[0][0]!} cut off from every node and the driver` : `${sides[0].join(',')} | ${sides[1].join(',')} (the driver reaches both)`
      const rec: FaultRecord = { kind, nodes: [`${sides[0].join(',')}|${sides[1].join(',')}`], detail, atMs: at, heldMs: 0, tasksHit: 0, tasksLost: 0, actorsHit: 0, actorsOutOfBudget: 0, actorRestartMs: [] }
      const lf: LiveFault = { rec, t0: Date.now(), peers: sides[0].filter(n => n !== 'driver').map(n => cluster.node(n).peer), sides, actorsAt: snapshot() }
      live.push(lf)
      partitioned = true
      names.forEach(n => busy.add(n))
      log(`  ${(at / 1000).toFixed(1)} s: partition ${detail}`)
      const p = (async () => {
        await cluster.partition(sides[0], sides[1])
        await sleep(between(5000, 8000))
        lf.t1 = Date.now()
        await cluster.heal()
        rec.heldMs = lf.t1 - lf.t0
        await settled(lf)
        partitioned = false
        names.forEach(n => busy.delete(n))
      })()
      running.add(p)
      void p.finally(() => running.delete(p))
      continue
    }
    if (healthy.length === 0) continue
    turn++
    const node = healthy[Math.floor(random() * healthy.length)]!
    busy.add(node.name)
    const rec: FaultRecord = { kind, nodes: [node.name], detail: '', atMs: at, heldMs: 0, tasksHit: 0, tasksLost: 0, actorsHit: 0, actorsOutOfBudget: 0, actorRestartMs: [] }
    const lf: LiveFault = { rec, t0: Date.now(), peers: [node.peer], actorsAt: snapshot() }
    live.push(lf)
    const p = (async () => {
      if (kind === 'kill') {
        const down = between(6000, 10_000)
        rec.detail = `SIGKILL, started again after ${(down / 1000).toFixed(1)} s`
        log(`  ${(at / 1000).toFixed(1)} s: kill ${node.name} for ${(down / 1000).toFixed(1)} s`)
        await cluster.kill(node.name)
        await sleep(down)
        lf.t1 = Date.now()
        await cluster.revive(node.name)
        lf.ready = Date.now()
        rec.readyMs = lf.ready - lf.t1
      } else if (kind === 'restart') {
        rec.detail = 'SIGKILL and started again at once (same data dir)'
        log(`  ${(at / 1000).toFixed(1)} s: restart ${node.name}`)
        await cluster.kill(node.name)
        lf.t1 = Date.now()
        await cluster.revive(node.name)
        lf.ready = Date.now()
        rec.readyMs = lf.ready - lf.t1
      } else {
        // Longer than a suspicion takes (~2 s), shorter than the nodes' dead-after and the connection
        // monitor's ping timeout (5 s each): a hang is suspected and survived, not a death.
        const hold = between(2500, 4000)
        rec.detail = `SIGSTOP, SIGCONT after ${(hold / 1000).toFixed(1)} s`
        log(`  ${(at / 1000).toFixed(1)} s: hang ${node.name} for ${(hold / 1000).toFixed(1)} s`)
        cluster.hang(node.name)
        await sleep(hold)
        lf.t1 = Date.now()
        cluster.resume(node.name)
      }
      rec.heldMs = lf.t1 - lf.t0
      await settled(lf)
      busy.delete(node.name)
    })()
    running.add(p)
    void p.finally(() => running.delete(p))
  }
  await Promise.all(running)
}

/** The recoveries around one fault, from the logs (see FaultRecord). */
function measureFault (lf: LiveFault, limit: number, budgets: number[], cluster: ChaosCluster, view: ViewEvent[], attempts: Attempt[], byId: Map<string, Attempt[]>, actorSamples: Array<Array<{ at: number, peer?: string, restarts: number }>>): FaultRecord {
  const { rec, t0 } = lf
  const t1 = lf.t1 ?? t0
  // Measures end where the next fault on one of the same nodes begins: what follows is that fault's.
  if (limit < t1 + 10_000) rec.nextFaultMs = limit - t0
  const near = Math.min(t1 + 2000, limit)
  const first = (xs: number[]): number | undefined => xs.length === 0 ? undefined : Math.min(...xs)
  const peerRe = (peers: string[]): string => peers.map(p => p.replace(/[^A-Za-z0-9]/g, '')).join('|')
  if (rec.kind === 'partition') {
    const [a, b] = lf.sides!
    const peersOf = (side: string[]): string[] => side.filter(n => n !== 'driver').map(n => cluster.node(n).peer)
    const pairs: Array<[string, string[]]> = [...a.filter(n => n !== 'driver').map(n => [n, peersOf(b)] as [string, string[]]), ...b.filter(n => n !== 'driver').map(n => [n, peersOf(a)] as [string, string[]])]
    const sus: number[] = []
    const dead: number[] = []
    const back: number[] = []
    for (const [node, others] of pairs) {
      if (others.length === 0) continue
      const re = new RegExp(`^(suspected|dead) (${peerRe(others)})`)
      const cut = cluster.linesSince(t0, re, node).filter(l => l.at <= near)
      sus.push(...cut.filter(l => l.line.startsWith('suspected')).map(l => l.at - t0))
      dead.push(...cut.filter(l => l.line.startsWith('dead')).map(l => l.at - t0))
      for (const other of new Set(cut.map(l => l.line.split(' ')[1]!))) {
        // Seen again before the heal (gossip relayed by the driver, which reaches both sides): not cut off then.
        const lastLost = cut.filter(l => l.line.split(' ')[1] === other).at(-1)!
        const again = cluster.linesSince(lastLost.at, new RegExp(`^(alive|joined) ${other}`), node).filter(l => l.at < limit)[0]
        if (again !== undefined && again.at < t1) continue
        back.push(again === undefined ? Infinity : again.at - t1)
      }
    }
    const driverSide = a.includes('driver') ? b : b.includes('driver') ? a : []
    const driverPeers = peersOf(driverSide)
    const dsus = view.filter(v => v.at >= t0 && v.at <= near && v.event === 'suspect' && driverPeers.includes(v.peer)).map(v => v.at - t0)
    const ddead = view.filter(v => v.at >= t0 && v.at <= near && v.event === 'dead' && driverPeers.includes(v.peer)).map(v => v.at - t0)
    for (const p of new Set(view.filter(v => v.at >= t0 && v.at <= near && (v.event === 'suspect' || v.event === 'dead') && driverPeers.includes(v.peer)).map(v => v.peer))) {
      const again = view.find(v => v.at >= t1 && v.at < limit && v.peer === p && (v.event === 'alive' || v.event === 'join'))
      back.push(again === undefined ? Infinity : again.at - t1)
    }
    rec.nodesSuspectMs = first(sus)
    rec.nodesDeadMs = first(dead)
    rec.driverSuspectMs = first(dsus)
    rec.driverDeadMs = first(ddead)
    if (back.length > 0) rec.backMs = Math.max(...back)
    const involved = new Set(pairs.map(([n]) => cluster.node(n).peer))
    const hit = attempts.filter(x => involved.has(x.peer) && x.error !== undefined && x.error !== 'SpilledBackError' && x.end !== undefined && x.end >= t0 && x.end <= Math.min(t1 + 15_000, limit))
    rec.tasksHit = hit.length
    rec.tasksLost = hit.length
    rec.firstRetryDoneMs = first(hit.flatMap(x => (byId.get(x.id) ?? []).filter(y => y.start >= x.start && y.error === undefined && y.end !== undefined).map(y => y.end! - t0)))
  } else {
    const peer = lf.peers[0]!
    const name = rec.nodes[0]!
    const others = cluster.nodes.filter(n => n.name !== name).map(n => n.name)
    // Back: the driver saw it alive (or joined again) once it was resumed, or its new process was ready.
    const from = lf.ready ?? t1
    const back = view.find(v => v.peer === peer && (v.event === 'alive' || v.event === 'join') && v.at >= from && v.at < limit)
    if (back !== undefined) rec.backMs = back.at - from
    const until = back?.at ?? limit
    const on = (event: ViewEvent['event']): number | undefined => view.find(v => v.peer === peer && v.event === event && v.at >= t0 && v.at <= until)?.at
    const ds = on('suspect')
    const dd = on('dead')
    if (ds !== undefined) rec.driverSuspectMs = ds - t0
    if (dd !== undefined) rec.driverDeadMs = dd - t0
    const lines = (what: string): number[] => others.flatMap(o => cluster.linesSince(t0, new RegExp(`^${what} ${peer}`), o).filter(l => l.at <= until).map(l => l.at - t0))
    rec.nodesSuspectMs = first(lines('suspected'))
    rec.nodesDeadMs = first(lines('dead'))
    const hit = attempts.filter(x => x.peer === peer && x.start <= Math.min(t1, limit) && (x.end === undefined || x.end >= t0))
    const lostHere = hit.filter(x => x.error !== undefined && x.error !== 'SpilledBackError')
    rec.tasksHit = hit.length
    rec.tasksLost = lostHere.length
    rec.firstRetryDoneMs = first(lostHere.flatMap(x => (byId.get(x.id) ?? []).filter(y => y.start >= (x.end ?? x.start) && y.error === undefined && y.end !== undefined).map(y => y.end! - t0)))
  }
  // What the nodes and the driver said about the nodes hit, from the fault until 10 s after its end.
  const hitNames = rec.kind === 'partition' ? cluster.nodes.map(n => n.name) : rec.nodes
  const hitPeerIds = new Set(hitNames.map(n => cluster.node(n).peer))
  const rename = (line: string): string => line.replace(/12D3KooW[1-9A-HJ-NP-Za-km-z]+/g, p => cluster.nameOf(p) === p ? `…${p.slice(-6)}` : cluster.nameOf(p))
  const horizon = Math.min(t1 + 10_000, limit)
  rec.timeline = [
    ...cluster.lines.filter(l => l.at >= t0 && l.at <= horizon && /^(suspected|dead|alive|joined|left|connected) |^ready$/.test(l.line) && (hitNames.includes(l.node) || [...hitPeerIds].some(p => l.line.includes(p)))).map(l => ({ at: l.at, text: `${l.node}: ${rename(l.line)}` })),
    ...view.filter(v => v.at >= t0 && v.at <= horizon && hitPeerIds.has(v.peer)).map(v => ({ at: v.at, text: `driver: ${v.event} ${cluster.nameOf(v.peer)}` }))
  ].sort((x, y) => x.at - y.at).slice(0, 80).map(e => `+${((e.at - t0) / 1000).toFixed(2)} s ${e.text}`)
  // Actors on the hit nodes: until a new instance was placed (the restart count grew and a node is known).
  const hitPeers = rec.kind === 'partition' ? new Set(lf.peers) : new Set([lf.peers[0]!])
  for (const [a, before] of lf.actorsAt) {
    if (before.peer === undefined || !hitPeers.has(before.peer)) continue
    rec.actorsHit++
    if (before.restarts >= budgets[a]!) rec.actorsOutOfBudget++
    const moved = actorSamples[a]!.find(s => s.at >= t0 && s.at < limit && s.restarts > before.restarts && s.peer !== undefined)
    if (moved !== undefined) rec.actorRestartMs.push(moved.at - t0)
  }
  return rec
}

const fmtS = (ms: number | undefined): string => ms === undefined ? '-' : ms === Infinity ? 'never' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}`

/** The report as a table and a few summary lines. */
export function formatReport (r: ChaosReport): string {
  const out: string[] = []
  const i = r.init
  out.push(`chaos: ${i.nodes} nodes (${r.mode}), ${r.tasks.submitted.toLocaleString('en-US')} calls, ${i.seconds} s of faults (${i.faults.join(', ')}), seed ${i.seed}; job ${fmtS(r.jobMs)} s, wall ${fmtS(r.wallMs)} s`)
  out.push('')
  const head = ['FAULT', 'NODES', 'AT s', 'HELD s', 'DRV SUSPECT', 'DRV DEAD', 'NODES SUSPECT', 'NODES DEAD', 'READY', 'BACK', 'TASKS HIT/LOST', '1ST RETRY DONE', 'ACTORS', 'ACTOR RESTART s']
  const rows = r.faults.map(f => [
    f.kind, f.nodes.join(','), fmtS(f.atMs), fmtS(f.heldMs), fmtS(f.driverSuspectMs), fmtS(f.driverDeadMs), fmtS(f.nodesSuspectMs), fmtS(f.nodesDeadMs), fmtS(f.readyMs), fmtS(f.backMs),
    `${f.tasksHit}/${f.tasksLost}`, fmtS(f.firstRetryDoneMs), `${f.actorsHit}${f.actorsOutOfBudget === 0 ? '' : ` (${f.actorsOutOfBudget} spent)`}`, f.actorRestartMs.length === 0 ? '-' : f.actorRestartMs.map(fmtS).join(' ')
  ])
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map(row => row[c]!.length)))
  for (const row of [head, ...rows]) out.push(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd())
  out.push('(s from the fault; READY: from the new process\'s start to its `ready`; BACK: from SIGCONT, `ready` or the heal until seen alive again)')
  for (const f of r.faults) out.push(`  ${f.kind} ${f.nodes.join(',')} at ${fmtS(f.atMs)} s: ${f.detail}${f.nextFaultMs === undefined ? '' : `; measured until the next fault on it, ${fmtS(f.nextFaultMs)} s later`}${f.unsettled === undefined ? '' : `; NOT SETTLED 20 s after: ${f.unsettled.join('; ')}`}`)
  out.push('')
  const t = r.tasks
  out.push(`calls: ${t.submitted}: ${t.correct} results correct, ${t.wrong} wrong, ${t.failed} failed, ${t.refused} actor calls refused after the budget was spent, ${t.lostNoLineage} refs without lineage lost (ObjectLostError); ${t.retried} tasks run again after ${t.attemptsLost} lost attempts; ${t.spilledBack} spilled back; ${t.perSecond} calls/s`)
  const o = r.objects
  out.push(`objects: ${o.largeChecked} large objects read back and checked; ${o.rebuilt} rebuilt from lineage${o.rebuildMedianMs === undefined ? '' : ` (median ${fmtS(o.rebuildMedianMs)} s, max ${fmtS(o.rebuildMaxMs)} s)`}, ${o.rebuildFailed} rebuilds failed; ${o.lost} lost`)
  for (const a of r.actors) {
    const errs = Object.entries(a.errors).map(([n, c]) => `${c} ${n}`).join(', ')
    out.push(`actor ${a.name}: ${a.calls} calls, ${a.ok} ok${errs === '' ? '' : `, ${errs}`}; ${a.restarts} of ${a.maxRestarts} restarts used, ${a.incarnations} instances answered`)
  }
  out.push('')
  out.push(r.failures.length === 0 ? 'checks: all passed' : `checks: ${r.failures.length} FAILED\n${r.failures.map(f => `  - ${f}`).join('\n')}`)
  for (const [id, n] of Object.entries(r.knownBugs)) out.push(`known bug ${id} (${n} failure${n === 1 ? '' : 's'} above): ${KNOWN_BUGS.find(b => b.id === id)?.what ?? ''}`)
  return out.join('\n')
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '4' },
      tasks: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string' },
      faults: { type: 'string' },
      partition: { type: 'boolean', default: false },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false }
    }
  })
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`--${name} must be a non-negative integer, got '${v}'`)
    return n
  }
  if (values.partition) {
    const why = netnsUnavailable()
    if (why !== undefined) throw new Error(`--partition: ${why}`)
  }
  const kinds = values.faults?.split(',').map(k => k.trim())
  for (const k of kinds ?? []) if (!['kill', 'hang', 'restart', 'partition'].includes(k)) throw new TypeError(`--faults: unknown kind '${k}' (known: kill, hang, restart, partition)`)
  const seed = int('seed', values.seed) ?? (Date.now() % 0xffffffff) >>> 0
  const started = Date.now()
  console.log(`chaos: seed ${seed} (replay with --seed ${seed})`)
  const report = await runChaos({
    nodes: int('nodes', values.nodes)!,
    tasks: int('tasks', values.tasks)!,
    seconds: int('seconds', values.seconds)!,
    seed,
    partition: values.partition,
    ...(kinds === undefined ? {} : { faults: kinds as FaultKind[] }),
    log: values.quiet ? () => {} : (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`)
  })
  console.log('')
  console.log(formatReport(report))
  const out = values.out ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'results', 'chaos', 'latest.json')
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, JSON.stringify(report, (_, v) => v === Infinity ? 'never' : v, 2) + '\n')
  console.log(`\nwrote ${out}`)
  process.exitCode = report.failures.length === 0 ? 0 : 1
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Ctrl-C removes the nodes, namespaces and temp dir (ChaosCluster's signal and exit hooks).
  main().then(() => process.exit(), (err: Error) => {
    console.error(`chaos: ${err.stack ?? err.message}`)
    process.exit(2)
  })
}
