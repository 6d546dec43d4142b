// `wasm-fabric/guest/rl`: reinforcement learning in guests — environments (CartPole-v1, a
// vectorised form, a registry for your own) and the PPO rollout worker and learner actors that
// `wasm-fabric/rl` drives. A component with its own environments re-exports the actors and
// registers them: `export { RolloutWorker, PpoLearner } from 'wasm-fabric/guest/rl'`.
export { CartPole, VectorEnv, makeEnv, registerEnv, seeded, type Env, type StepResult } from './envs.js'
export { RolloutWorker, PpoLearner, type PpoConfig, type RolloutBatch } from './ppo.js'
