// The main example (`npm start`): Monte Carlo π as thousands of sandboxed tasks on an embedded
// fabric, with a progress bar and a summary. Run it alone with `npx fabric run examples/main.ts`.
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from 'wasm-fabric/build'
import { Fabric, type GuestModule } from 'wasm-fabric'

type Pi = GuestModule<typeof import('./guests/pi.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const TASKS = Number(process.env.PI_TASKS ?? 2000)
const SAMPLES = Number(process.env.PI_SAMPLES ?? 5_000)

function bar (done: number, total: number, started: number): string {
  const width = 30
  const filled = Math.round((done / total) * width)
  const rate = done / ((performance.now() - started) / 1000)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} tasks  ${rate.toFixed(0)} tasks/s`
}

const t0 = performance.now()
process.stdout.write('building examples/guests/pi.ts (cached after the first run)...\n')
const wasm = await cachedBuild(path.join(here, 'guests', 'pi.ts'), path.join(here, '..', '.cache', 'examples'))
const fabric = await Fabric.start()
try {
  const pi = await fabric.load<Pi>(wasm)
  process.stdout.write(fabric.kind === 'embedded'
    ? `embedded fabric ${fabric.id}: ${os.availableParallelism()} workers\n`
    : `connected to a fabric of ${fabric.nodes().length} nodes (${fabric.nodes().reduce((n, x) => n + x.cpus.total, 0)} CPUs)\n`)

  const started = performance.now()
  const refs = Array.from({ length: TASKS }, (_, i) => pi.darts.remote(SAMPLES, i + 1))
  // Collect results as they finish, for the progress bar.
  let pending = refs
  let inside = 0
  const tty = process.stdout.isTTY
  while (pending.length > 0) {
    const { ready, pending: rest } = await fabric.wait(pending, { numReturns: Math.min(pending.length, 50) })
    for (const hits of await fabric.get(ready)) inside += hits
    pending = rest
    if (tty) process.stdout.write(`\r${bar(TASKS - pending.length, TASKS, started)}`)
  }
  const seconds = (performance.now() - started) / 1000
  const estimate = (4 * inside) / (TASKS * SAMPLES)
  process.stdout.write(`${tty ? '\n' : ''}π ≈ ${estimate.toFixed(6)} (error ${Math.abs(estimate - Math.PI).toExponential(2)}) from ${(TASKS * SAMPLES).toLocaleString('en')} darts\n`)
  process.stdout.write(`${TASKS} tasks in ${seconds.toFixed(2)} s: ${(TASKS / seconds).toFixed(0)} tasks/s; wall time ${((performance.now() - t0) / 1000).toFixed(2)} s\n`)
} finally {
  await fabric.stop()
}
