// The rl library's own guest component: the PPO rollout worker and learner over the SDK's
// environments (CartPole-v1). Built like a user's component (scripts/build.mjs prebuilds it into
// dist; from a checkout it is built on first use, cached). A component with environments of its
// own re-exports the same classes and registers them (docs/rl.md).
export { RolloutWorker, PpoLearner } from 'fabric/guest/rl'
