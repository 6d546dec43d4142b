// The main example (`npm start`): Monte Carlo π with thousands of sandboxed tasks on this machine's
// worker pool, with a progress bar and a summary.
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { loadComponent } from '../src/component/index.js'
import { createExecPool } from '../src/exec/index.js'
import { encode, decode } from '../src/objects/codec.js'

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
const component = await loadComponent(wasm)
const pool = createExecPool()
await pool.start()
process.stdout.write(`component ${component.cid} on ${os.availableParallelism()} workers\n`)

const started = performance.now()
let done = 0
let inside = 0
const tty = process.stdout.isTTY
await Promise.all(Array.from({ length: TASKS }, async (_, i) => {
  const hits = decode(await pool.call(component, 'darts', encode([SAMPLES, i + 1]))) as number
  inside += hits
  done++
  if (tty && (done % 50 === 0 || done === TASKS)) process.stdout.write(`\r${bar(done, TASKS, started)}`)
}))
const seconds = (performance.now() - started) / 1000
await pool.stop()

const pi = (4 * inside) / (TASKS * SAMPLES)
process.stdout.write(`${tty ? '\n' : ''}π ≈ ${pi.toFixed(6)} (error ${Math.abs(pi - Math.PI).toExponential(2)}) from ${(TASKS * SAMPLES).toLocaleString('en')} darts\n`)
process.stdout.write(`${TASKS} tasks in ${seconds.toFixed(2)} s: ${(TASKS / seconds).toFixed(0)} tasks/s; wall time ${((performance.now() - t0) / 1000).toFixed(2)} s\n`)
