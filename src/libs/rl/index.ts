// `wasm-fabric/rl`: reinforcement learning on the driver contract (RLlib on Ray Core): PPO with
// rollout workers as actors and a learner on the guest SDK's nn; environments from
// `wasm-fabric/guest/rl` (CartPole-v1, or your own). See docs/rl.md.
export { ppo, Ppo } from './ppo.js'
export { rlComponentPath } from './component.js'
export type { IterationStats, PpoCheckpoint, PpoOptions } from './interface.js'
