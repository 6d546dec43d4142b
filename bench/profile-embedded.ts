// Profile of the embedded fabric under one benchmark shape (issue 18): run with
//   node --cpu-prof --cpu-prof-dir=<dir> --import tsx bench/profile-embedded.ts <shape> [rounds]
// shape: tasks_sync | tasks_async | actor_sync | actor_async. PRELOAD=n runs n one-item tasks first,
// GC_FIRST (with --expose-gc) a full GC before the rounds, SETTLE_MS=n a wait of n ms before them,
// HEAP_SAMPLE=file what the rounds allocate. Prints the rate and the window (µs of
// the monotonic clock the profile's timestamps use) the rounds ran in.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { Fabric, type ObjectRef } from '../src/index.js'
import { startHeapSample } from './heap-sample.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const [shape = 'tasks_sync', roundsArg = '10'] = process.argv.slice(2)
type AnyModule = Record<string, { remote: (...a: unknown[]) => ObjectRef, options: (o: object) => { create: () => Promise<{ noop: { remote: () => ObjectRef } }> } }>
const wasm = await cachedBuild(path.join(here, 'guests', 'ray-qjs.ts'), path.join(here, '..', '.cache', 'bench'))
const f = await Fabric.start({ workers: Number(process.env.WORKERS ?? 3), cacheDir: path.join(here, '..', '.cache', 'bench', 'transpiled'), log: () => {} })
try {
  const m = await f.load<AnyModule>(wasm)
  const actor = await m.Sink!.options({}).create()
  const N = 1000
  const once = async (): Promise<void> => {
    if (shape === 'tasks_sync') for (let i = 0; i < N; i++) await f.get(m.noop!.remote())
    else if (shape === 'tasks_async') await f.get(Array.from({ length: N }, () => m.noop!.remote()))
    else if (shape === 'actor_sync') for (let i = 0; i < N; i++) await f.get(actor.noop.remote())
    else if (shape === 'actor_async') await f.get(Array.from({ length: N }, () => actor.noop.remote()))
    else throw new Error(`unknown shape ${shape}`)
  }
  // PRELOAD=n: first n one-item tasks, all submitted then got (the `ray` bench's vectorised rows
  // run 100k of these before its actor names), to see what a big job leaves behind.
  const preload = Number(process.env.PRELOAD ?? 0)
  if (preload > 0) {
    const refs = Array.from({ length: preload }, (_, i) => (m as unknown as Record<string, { remote: (x: unknown) => ObjectRef }>).echo!.remote({ id: i, v: i * 0.5 }))
    await f.get(refs)
  }
  if (process.env.GC_FIRST !== undefined) {
    // Give finalizers a turn, then a full GC: what is still slow after it is retained, not garbage.
    for (let i = 0; i < 3; i++) { await new Promise(resolve => setTimeout(resolve, 50)); (globalThis as { gc?: () => void }).gc?.() }
  }
  // SETTLE_MS=n: only wait n ms before the rounds (what is left of the preload's garbage is the GC's
  // to do meanwhile, without a forced collection).
  if (process.env.SETTLE_MS !== undefined) await new Promise(resolve => setTimeout(resolve, Number(process.env.SETTLE_MS)))
  const heap0 = process.memoryUsage().heapUsed
  for (let i = 0; i < 3; i++) await once()
  // A marker between the warm-up and the rounds (for --trace-gc output).
  if (process.env.MARK_ROUNDS !== undefined) console.log('--- rounds')
  // HEAP_SAMPLE=file: what the rounds allocate (bench/heap-sample.ts).
  const heap = await startHeapSample()
  const h0 = process.hrtime.bigint() / 1000n
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let r = 0; r < Number(roundsArg); r++) await once()
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  await heap.stop()
  console.log(`window ${h0} ${process.hrtime.bigint() / 1000n}`)
  console.log(`${shape}: ${(N * Number(roundsArg) / (ms / 1000)).toFixed(0)}/s; heap before the rounds ${(heap0 / 2 ** 20).toFixed(0)} MiB; process CPU ${((cpu.user + cpu.system) / 1000 / (N * Number(roundsArg)) * 1000).toFixed(0)} µs per op`)
} finally {
  await f.stop()
}
