// PPO on CartPole-v1 with wasm-fabric/rl: two rollout workers (actors) sample four environments
// each, a learner updates the policy on the GPU bridge, and the new weights go to the workers as
// an object each iteration. Trains for RL_STEPS environment steps, then evaluates the greedy
// policy on 100 episodes and prints a last line `mean return: <number>`.
//
//   npx fabric run examples/rl-cartpole.ts
//   RL_STEPS=20000 npx fabric run examples/rl-cartpole.ts
import { Fabric } from 'wasm-fabric'
import * as rl from 'wasm-fabric/rl'

const STEPS = Number(process.env.RL_STEPS ?? 100_000)
const WORKERS = Number(process.env.RL_WORKERS ?? 2)

const fabric = await Fabric.start()
const algo = rl.ppo(fabric, { env: 'CartPole-v1', numRolloutWorkers: WORKERS, numEnvsPerWorker: Math.max(1, Math.round(8 / WORKERS)), totalSteps: STEPS, seed: 0 })
try {
  let last: rl.IterationStats | undefined
  while ((last?.totalSteps ?? 0) < STEPS) {
    last = await algo.train()
    if (last.iteration % 25 === 0) console.log(`iteration ${last.iteration}: ${last.totalSteps} steps, mean return ${last.episodeReturnMean.toFixed(1)} (last 100 episodes), ${last.totalSeconds.toFixed(1)} s`)
  }
  console.log(`${last!.totalSteps} steps in ${last!.totalSeconds.toFixed(1)} s (${(last!.totalSteps / last!.totalSeconds).toFixed(0)} steps/s with learning)`)
  const { mean } = await algo.evaluate(100)
  console.log(`mean return: ${mean.toFixed(1)}`)
} finally {
  await algo.stop()
  await fabric.stop()
}
