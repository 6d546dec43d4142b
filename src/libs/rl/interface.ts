// The rl library's contracts: PPO's options, what an iteration reports, checkpoints.
import type { ObjectRef } from '../../api/interface.js'

/** Options of `rl.ppo` (defaults: rl-zoo's tuned PPO for CartPole-v1). */
export interface PpoOptions {
  /** An environment name: 'CartPole-v1', or one the `module`'s guest registers. @default 'CartPole-v1' */
  env?: string
  /**
   * A loaded component that exports `RolloutWorker` and `PpoLearner` (re-exported from
   * 'wasm-fabric/guest/rl') and registers its own environments. @default the library's own (CartPole-v1)
   */
  module?: unknown
  /** Rollout workers (actors). @default 2 */
  numRolloutWorkers?: number
  /** Environments each worker steps together. @default 4 */
  numEnvsPerWorker?: number
  /** Steps of each environment per rollout. @default 32 */
  rolloutLength?: number
  /** Hidden units of the policy and value networks (two layers each, tanh). @default 64 */
  hidden?: number
  /** @default 0.98 */
  gamma?: number
  /** GAE's λ. @default 0.8 */
  lambda?: number
  /** PPO's clip range. @default 0.2 */
  clip?: number
  /** Adam's learning rate. @default 0.001 */
  lr?: number
  /** Passes over each iteration's samples. @default 20 */
  epochs?: number
  /** @default 256 */
  minibatchSize?: number
  /** @default 0.5 */
  valueCoef?: number
  /** @default 0 */
  entropyCoef?: number
  /** @default 0.5 */
  maxGradNorm?: number
  /** @default true */
  normalizeAdvantages?: boolean
  /** Environment steps of the whole run: the learning rate and clip range decay linearly to 0 over them. @default no decay */
  totalSteps?: number
  /** Seeds the environments, the sampling and the networks. @default 0 */
  seed?: number
  /** CPUs a rollout worker holds. @default 1 */
  workerCpus?: number
}

/** What one `train()` iteration did. */
export interface IterationStats {
  iteration: number
  /** Mean return of the last 100 episodes finished (NaN before the first). */
  episodeReturnMean: number
  /** Episodes finished in this iteration. */
  episodes: number
  /** Environment steps sampled in this iteration, and in all. */
  stepsSampled: number
  totalSteps: number
  /** Seconds of this iteration, and since the first. */
  seconds: number
  totalSeconds: number
  /** The learner's update: losses, entropy, approximate KL, clip fraction, learning rate. */
  learner: Record<string, number>
  /** Rollout workers replaced this iteration (their actor or node died). */
  workersReplaced: number
}

/** A PPO checkpoint: the networks' weights as an object, and where the run was. */
export interface PpoCheckpoint {
  weights: ObjectRef<Float32Array>
  iteration: number
  totalSteps: number
}
