// Profiles of the remote path (issue 18): 3 `fabric join` nodes and one connected driver, each
// process (and each node's workers) writing a V8 CPU profile while one benchmark shape runs.
//
//   npx tsx bench/profile-remote.ts <shape> <outDir> [rounds]
//   shape: tasks_async | tasks_sync | actor_sync | actor_async | wait
//   driver: node --cpu-prof --cpu-prof-dir=<outDir>/driver --import tsx bench/profile-remote.ts ...
//   WARM_ROUNDS=n: n untimed rounds of 1,000 no-op tasks first (the steady state, as remote.bench.ts)
// Prints each process's CPU per 1k ops, each node's threads' CPU and its main thread's context switches.
// HEAP_SAMPLE=file: the driver's allocations during the rounds; NODE_HEAP_SAMPLE=dir: each node's.
//
// Nodes get --cpu-prof (their main thread) and FABRIC_WORKER_PROF_DIR (their workers).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type ObjectRef } from '../src/index.js'
import { startHeapSample } from './heap-sample.js'
import { joinNode, stopNode, type JoinedNode } from './join.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const [shape = 'tasks_async', outArg = '/tmp/prof', roundsArg = '20'] = process.argv.slice(2)
const out = path.resolve(outArg)
const rounds = Number(roundsArg)
type AnyModule = Record<string, { remote: (...a: unknown[]) => ObjectRef, options: (o: object) => { create: () => Promise<{ noop: { remote: () => ObjectRef } }> } }>

const wasm = await cachedBuild(path.join(here, 'guests', 'ray-qjs.ts'), path.join(here, '..', '.cache', 'bench'))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-prof-'))
const nodes: JoinedNode[] = []
const prof = process.env.PROFILE_NODES !== '0'
const argv = (i: number): string[] => [
  ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${path.join(out, `node${i}`)}`] : []),
  ...(process.env.NODE_HEAP_SAMPLE === undefined ? [] : ['--import', path.join(here, 'heap-sample-preload.mjs')]),
  ...(process.env.NODE_ARGS ?? '').split(' ').filter(a => a !== '')
]
const env = (i: number): Record<string, string> => {
  const e: Record<string, string> = { FABRIC_CACHE: path.join(dir, `n${i}`, 'cache') }
  if (prof) {
    fs.mkdirSync(path.join(out, `node${i}`), { recursive: true })
    fs.mkdirSync(path.join(out, `node${i}-workers`), { recursive: true })
    e.FABRIC_WORKER_PROF_DIR = path.join(out, `node${i}-workers`)
  }
  return e
}
try {
  nodes.push(await joinNode(path.join(dir, 'n0'), { heartbeatMs: 500, env: env(0), execArgv: argv(0) }))
  nodes.push(...await Promise.all([1, 2].map(async i => await joinNode(path.join(dir, `n${i}`), { heartbeatMs: 500, bootstrap: nodes[0]!.addr, env: env(i), execArgv: argv(i) }))))
  const f = await Fabric.connect(nodes[0]!.addr)
  while (f.nodes().filter(n => n.state === 'alive').length < 3) await new Promise(resolve => setTimeout(resolve, 50))
  const m = await f.load<AnyModule>(wasm)
  await f.get(Array.from({ length: 50 }, () => m.noop!.remote()))
  const actor = await m.Sink!.options({ scheduling: 'spread' }).create()
  await f.get(actor.noop.remote())
  const N = 1000
  // WARM_ROUNDS=n: n rounds of the shape first, untimed (JIT and QuickJS tier-up: see remote.bench.ts).
  for (let r = 0; r < Number(process.env.WARM_ROUNDS ?? 0); r++) await f.get(Array.from({ length: N }, () => m.noop!.remote()))
  const cpuOf = (pid: number): number => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10 }
  const cpu0 = [process.cpuUsage(), ...nodes.map(n => cpuOf(n.proc.pid!))] as const
  // Per thread of each node (the main thread's id is the pid; the others: workers, V8 and libuv helpers).
  const threads = (pid: number): Map<string, number> => new Map(fs.readdirSync(`/proc/${pid}/task`).map(tid => {
    const f = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return [tid, (Number(f[11]) + Number(f[12])) * 10]
  }))
  const threads0 = nodes.map(n => threads(n.proc.pid!))
  // Context switches of each node's main thread (voluntary: it waited; nonvoluntary: preempted,
  // e.g. by a worker it woke on the same core).
  const switches = (pid: number): [number, number] => {
    const st = fs.readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8')
    const n = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st)?.[1] ?? NaN)
    return [n('voluntary_ctxt_switches'), n('nonvoluntary_ctxt_switches')]
  }
  const switches0 = nodes.map(n => switches(n.proc.pid!))
  // HEAP_SAMPLE=file: this driver's allocations during the rounds (bench/heap-sample.ts).
  const heap = await startHeapSample()
  // NODE_HEAP_SAMPLE=dir: each node's allocations during the rounds too (bench/heap-sample-preload.mjs).
  const signalNodes = async (): Promise<void> => {
    if (process.env.NODE_HEAP_SAMPLE === undefined) return
    for (const n of nodes) n.proc.kill('SIGUSR2')
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  await signalNodes()
  const t0 = performance.now()
  const h0 = process.hrtime.bigint() / 1000n
  for (let r = 0; r < rounds; r++) {
    if (shape === 'tasks_async') await f.get(Array.from({ length: N }, () => m.noop!.remote()))
    else if (shape === 'tasks_sync') for (let i = 0; i < N / 2; i++) await f.get(m.noop!.remote())
    else if (shape === 'actor_sync') for (let i = 0; i < N; i++) await f.get(actor.noop.remote())
    else if (shape === 'actor_async') await f.get(Array.from({ length: N }, () => actor.noop.remote()))
    else if (shape === 'wait') {
      let pending = Array.from({ length: N }, () => m.noop!.remote())
      while (pending.length > 0) pending = (await f.wait(pending, { numReturns: 1 })).pending
    } else throw new Error(`unknown shape ${shape}`)
  }
  const ms = performance.now() - t0
  await heap.stop()
  await signalNodes()
  console.log(`window ${h0} ${process.hrtime.bigint() / 1000n}`)
  const ops = shape === 'tasks_sync' ? N / 2 : shape === 'wait' ? 1 : N
  console.log(`${shape}: ${(ops * rounds / (ms / 1000)).toFixed(1)}/s over ${rounds} rounds (${ms.toFixed(0)} ms)`)
  const du = process.cpuUsage(cpu0[0] as NodeJS.CpuUsage)
  const total = ops * rounds
  console.log(`cpu ms per 1k ops: driver ${((du.user + du.system) / 1000 / total * 1000).toFixed(0)}, nodes ${nodes.map((n, i) => ((cpuOf(n.proc.pid!) - (cpu0[i + 1] as number)) / total * 1000).toFixed(0)).join(' ')}`)
  nodes.forEach((n, i) => {
    const now = threads(n.proc.pid!)
    const busy = [...now].map(([tid, ms]) => [tid === String(n.proc.pid) ? 'main' : tid, ms - (threads0[i]!.get(tid) ?? 0)] as const).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1])
    console.log(`node${i} threads (ms): ${busy.map(([t, ms]) => `${t} ${ms}`).join(', ')}`)
    const [v, nv] = switches(n.proc.pid!)
    console.log(`node${i} main thread context switches: ${v - switches0[i]![0]} voluntary, ${nv - switches0[i]![1]} nonvoluntary`)
  })
  await f.stop()
} finally {
  await Promise.all(nodes.map(stopNode))
  fs.rmSync(dir, { recursive: true, force: true })
}
