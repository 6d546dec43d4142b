// Reinforcement learning (wasm-fabric/rl): PPO on CartPole-v1 — environment steps per second of
// whole iterations (sampling and learning) with 1 and 2 rollout workers on an embedded fabric,
// against stepping CartPole alone in plain JavaScript in this process (no policy, no fabric: the
// environment's own speed, an upper bound).
//
// `npx tsx bench/run.ts rl [--quick]` or `npx tsx bench/rl.bench.ts [--quick]`.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Fabric } from '../src/index.js'
import * as rl from '../src/libs/rl/index.js'
import { CartPole } from '../guest-sdk/src/rl/envs.js'
import { summarize, table, writeResults, type Row } from './harness.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const cacheRoot = path.join(here, '..', '.cache', 'bench')
const ITERATIONS = quick ? 6 : 40
const ROUNDS = quick ? 2 : 5

/** Random-action CartPole steps per second in plain JS. */
function envAlone (): number {
  const env = new CartPole(1)
  let seed = 7
  env.reset()
  const n = 200_000
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0
    const r = env.step(seed >>> 31)
    if (r.terminated || r.truncated) env.reset()
  }
  return n / ((performance.now() - t0) / 1000)
}

export async function run (): Promise<Row[]> {
  const rows: Row[] = []
  const base = summarize(Array.from({ length: ROUNDS }, envAlone))
  const fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: path.join(cacheRoot, 'transpiled'), log: () => {} })
  try {
    for (const workers of [1, 2]) {
      const rates: number[] = []
      for (let r = 0; r < ROUNDS; r++) {
        // 8 environments in all, as the tuned defaults: 8 on one worker, 4 on each of two.
        const algo = rl.ppo(fabric, { numRolloutWorkers: workers, numEnvsPerWorker: 8 / workers, seed: r })
        try {
          await algo.train() // the workers and learner started, the component compiled
          let steps = 0
          const t0 = performance.now()
          for (let i = 0; i < ITERATIONS; i++) steps += (await algo.train()).stepsSampled
          rates.push(steps / ((performance.now() - t0) / 1000))
        } finally {
          await algo.stop()
        }
      }
      rows.push({
        metric: `PPO CartPole-v1 env steps/s, ${workers} rollout worker${workers > 1 ? 's' : ''} (with learning)`,
        unit: 'steps/s',
        value: summarize(rates),
        baseline: base,
        baselineName: 'CartPole stepped alone in plain JS (random actions)',
        note: `${ITERATIONS} iterations of 256 steps (8 environments x 32) and one learner update (20 epochs) each`
      })
    }
  } finally {
    await fabric.stop()
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  console.log(table('rl', rows))
  console.log(`wrote ${writeResults('rl', rows)}`)
  process.exit(0)
}
