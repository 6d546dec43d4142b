// PPO (Schulman et al. 2017) in guests, for `wasm-fabric/rl`: rollout workers (actors) sample
// vectorised environments with the current policy and compute advantages (GAE); a learner (an
// actor) updates the actor-critic networks (nn, on the GPU bridge) with the clipped surrogate
// objective and returns the new weights as an object the driver hands to the workers. The
// clipped objective's gradient with respect to the policy's logits is computed here in JS (a few
// numbers per sample) and sent into the network with `backward(grad)`.
import { actor } from '../types.js'
import { get, put } from '../host.js'
import type { ObjectRef } from '../../../src/objects/object-ref.js'
import * as nn from '../nn/index.js'
import { makeEnv, seeded, VectorEnv } from './envs.js'

/** What the driver's `rl.ppo` gives every worker and the learner (its options, with defaults). */
export interface PpoConfig {
  env: string
  numEnvsPerWorker: number
  rolloutLength: number
  hidden: number
  gamma: number
  lambda: number
  clip: number
  lr: number
  epochs: number
  minibatchSize: number
  valueCoef: number
  entropyCoef: number
  maxGradNorm: number
  normalizeAdvantages: boolean
  seed: number
}

/** A rollout's samples, flat: `steps` rows. */
export interface RolloutBatch {
  steps: number
  observationSize: number
  observations: Float32Array
  actions: Float32Array
  logProbs: Float32Array
  advantages: Float32Array
  returns: Float32Array
}

/** The policy (logits) and value networks: MLPs with tanh, separate as in PPO's reference. */
class ActorCritic {
  readonly policy: nn.Sequential
  readonly value: nn.Sequential

  constructor (readonly observationSize: number, readonly actionCount: number, hidden: number, seed: number) {
    const random = new nn.Random(seed)
    this.policy = new nn.Sequential(new nn.Linear(observationSize, hidden, { random }), new nn.Tanh(), new nn.Linear(hidden, hidden, { random }), new nn.Tanh(), new nn.Linear(hidden, actionCount, { random }))
    this.value = new nn.Sequential(new nn.Linear(observationSize, hidden, { random }), new nn.Tanh(), new nn.Linear(hidden, hidden, { random }), new nn.Tanh(), new nn.Linear(hidden, 1, { random }))
  }

  parameters (): nn.Tensor[] {
    return [...this.policy.parameters(), ...this.value.parameters()]
  }

  /** Every weight in one array (policy first). */
  flat (): Float32Array {
    const p = this.policy.toFloat32Array()
    const v = this.value.toFloat32Array()
    const out = new Float32Array(p.length + v.length)
    out.set(p)
    out.set(v, p.length)
    return out
  }

  load (flat: Float32Array): void {
    const split = this.policy.parameterCount()
    if (flat.length !== split + this.value.parameterCount()) throw new TypeError(`weights of ${flat.length} numbers for networks of ${split + this.value.parameterCount()}`)
    this.policy.loadFloat32Array(flat.subarray(0, split))
    this.value.loadFloat32Array(flat.subarray(split))
  }

  /** Logits and values of a batch of observations, read into the guest (no gradients). */
  evaluate (obs: Float32Array, count: number): { logits: Float32Array, values: Float32Array } {
    return nn.tidy(() => nn.noGrad(() => {
      const x = nn.tensor(obs, [count, this.observationSize])
      return { logits: this.policy.forward(x).toFloat32Array(), values: this.value.forward(x).toFloat32Array() }
    }))
  }
}

/** Softmax of row `i` of `logits` (`a` actions) into `out`; returns log-sum-exp. */
function softmaxRow (logits: Float32Array, i: number, a: number, out: Float64Array): number {
  let max = -Infinity
  for (let k = 0; k < a; k++) max = Math.max(max, logits[i * a + k]!)
  let sum = 0
  for (let k = 0; k < a; k++) sum += (out[k] = Math.exp(logits[i * a + k]! - max))
  for (let k = 0; k < a; k++) out[k]! /= sum
  return max + Math.log(sum)
}

/** Samples environments with the current policy; computes advantages with GAE. */
export class RolloutWorker extends actor {
  readonly config: PpoConfig
  readonly envs: VectorEnv
  readonly nets: ActorCritic
  readonly random: () => number

  constructor (config: PpoConfig, index: number) {
    super()
    this.config = config
    const base = (config.seed + 1) * 7919 + index * 104729
    this.envs = new VectorEnv(i => makeEnv(config.env, base + i), config.numEnvsPerWorker, base)
    this.nets = new ActorCritic(this.envs.observationSize, this.envs.actionCount, config.hidden, config.seed)
    this.random = seeded(base ^ 0x5bd1e995)
  }

  /**
   * One rollout of `rolloutLength` steps of every environment with `weights`: the batch (as an
   * object, for the learner), the steps sampled, and the episodes finished meanwhile.
   */
  sample (weights: Float32Array): { batch: ObjectRef<RolloutBatch>, steps: number, episodes: Array<{ return: number, length: number }> } {
    const { rolloutLength: T, gamma, lambda } = this.config
    this.nets.load(weights)
    const E = this.envs.count
    const O = this.envs.observationSize
    const A = this.envs.actionCount
    const obs = new Float32Array(T * E * O)
    const actions = new Float32Array(T * E)
    const logProbs = new Float32Array(T * E)
    const values = new Float32Array((T + 1) * E)
    const rewards = new Float32Array(T * E)
    const dones = new Uint8Array(T * E)
    const probs = new Float64Array(A)
    for (let t = 0; t < T; t++) {
      const o = this.envs.observations
      obs.set(o, t * E * O)
      const { logits, values: v } = this.nets.evaluate(o, E)
      const acts = new Int32Array(E)
      for (let i = 0; i < E; i++) {
        softmaxRow(logits, i, A, probs)
        let u = this.random()
        let a = 0
        while (a < A - 1 && u >= probs[a]!) { u -= probs[a]!; a++ }
        acts[i] = a
        actions[t * E + i] = a
        logProbs[t * E + i] = Math.log(Math.max(probs[a]!, 1e-12))
        values[t * E + i] = v[i]!
      }
      const r = this.envs.step(acts)
      // A cut-off episode (time limit) is not a failure: its last reward also counts the value of where it stopped.
      const cut = r.finalObservations.map((f, i) => (r.truncated[i] === 1 ? f : undefined))
      const cutIdx = cut.map((f, i) => (f === undefined ? -1 : i)).filter(i => i >= 0)
      let bootstrap: Float32Array | undefined
      if (cutIdx.length > 0) {
        const finals = new Float32Array(cutIdx.length * O)
        cutIdx.forEach((i, k) => finals.set(cut[i]!, k * O))
        bootstrap = this.nets.evaluate(finals, cutIdx.length).values
      }
      for (let i = 0; i < E; i++) {
        rewards[t * E + i] = r.rewards[i]!
        dones[t * E + i] = r.terminated[i] === 1 || r.truncated[i] === 1 ? 1 : 0
      }
      cutIdx.forEach((i, k) => { rewards[t * E + i]! += gamma * bootstrap![k]! })
    }
    values.set(this.nets.evaluate(this.envs.observations, E).values, T * E)
    // GAE(λ), backwards.
    const advantages = new Float32Array(T * E)
    const returns = new Float32Array(T * E)
    for (let i = 0; i < E; i++) {
      let adv = 0
      for (let t = T - 1; t >= 0; t--) {
        const k = t * E + i
        const notDone = 1 - dones[k]!
        const delta = rewards[k]! + gamma * values[k + E]! * notDone - values[k]!
        adv = delta + gamma * lambda * notDone * adv
        advantages[k] = adv
        returns[k] = adv + values[k]!
      }
    }
    const batch: RolloutBatch = { steps: T * E, observationSize: O, observations: obs, actions, logProbs, advantages, returns }
    return { batch: put(batch), steps: T * E, episodes: this.envs.takeEpisodes() }
  }

  /** `episodes` whole episodes with the greedy policy (the most likely action), each from a fresh seed: their returns. */
  evaluate (weights: Float32Array, episodes: number, seed: number): number[] {
    this.nets.load(weights)
    const out: number[] = []
    for (let e = 0; e < episodes; e++) {
      const env = makeEnv(this.config.env, seed + e)
      let o = env.reset(seed + e)
      let total = 0
      for (;;) {
        const { logits } = this.nets.evaluate(o, 1)
        let best = 0
        for (let k = 1; k < logits.length; k++) if (logits[k]! > logits[best]!) best = k
        const r = env.step(best)
        total += r.reward
        if (r.terminated || r.truncated) break
        o = r.observation
      }
      out.push(total)
    }
    return out
  }
}

/** Updates the networks from rollout batches with PPO's clipped objective. */
export class PpoLearner extends actor {
  readonly config: PpoConfig
  readonly nets: ActorCritic
  readonly opt: nn.Optimizer
  readonly random: nn.Random
  updates = 0

  constructor (config: PpoConfig) {
    super()
    this.config = config
    const env = makeEnv(config.env, 0)
    this.nets = new ActorCritic(env.observationSize, env.actionCount, config.hidden, config.seed)
    this.opt = nn.adam(this.nets.parameters(), { lr: config.lr, eps: 1e-5 })
    this.random = new nn.Random(config.seed + 17)
  }

  /** The current weights, as an object for the rollout workers. */
  weights (): ObjectRef<Float32Array> {
    return put(this.nets.flat())
  }

  load (weights: Float32Array): number {
    this.nets.load(weights)
    return weights.length
  }

  /**
   * One update from the workers' batches (refs to them); `progress` in [0, 1) anneals the learning
   * rate and clip range linearly to 0 when given. Returns the new weights (an object) and the
   * update's statistics.
   */
  update (batches: Array<ObjectRef<RolloutBatch>>, progress?: number): { weights: ObjectRef<Float32Array>, stats: Record<string, number> } {
    const parts = batches.map(b => get(b))
    const N = parts.reduce((n, p) => n + p.steps, 0)
    const O = parts[0]!.observationSize
    const A = this.nets.actionCount
    const cat = (k: 'observations' | 'actions' | 'logProbs' | 'advantages' | 'returns'): Float32Array => {
      const out = new Float32Array(parts.reduce((n, p) => n + p[k].length, 0))
      let at = 0
      for (const p of parts) { out.set(p[k], at); at += p[k].length }
      return out
    }
    const obs = cat('observations'); const actions = cat('actions'); const oldLogp = cat('logProbs'); const advAll = cat('advantages'); const ret = cat('returns')
    const { epochs, minibatchSize, valueCoef, entropyCoef, maxGradNorm } = this.config
    const anneal = progress === undefined ? 1 : Math.max(0, 1 - progress)
    const clip = this.config.clip * anneal
    this.opt.lr = Math.max(1e-8, this.config.lr * anneal)
    const policyParams = this.nets.policy.parameters()
    const valueParams = this.nets.value.parameters()
    const stats = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipFraction: 0, minibatches: 0 }
    const probs = new Float64Array(A)
    const M = Math.min(minibatchSize, N)
    for (let epoch = 0; epoch < epochs; epoch++) {
      const perm = this.random.permutation(N)
      for (let start = 0; start + M <= N; start += M) {
        const idx = perm.subarray(start, start + M)
        const xb = new Float32Array(M * O)
        const adv = new Float64Array(M)
        const rb = new Float32Array(M)
        let mean = 0
        for (let j = 0; j < M; j++) {
          const i = idx[j]!
          xb.set(obs.subarray(i * O, (i + 1) * O), j * O)
          adv[j] = advAll[i]!
          rb[j] = ret[i]!
          mean += adv[j]!
        }
        mean /= M
        if (this.config.normalizeAdvantages) {
          let v = 0
          for (let j = 0; j < M; j++) v += (adv[j]! - mean) ** 2
          const std = Math.sqrt(v / M) + 1e-8
          for (let j = 0; j < M; j++) adv[j] = (adv[j]! - mean) / std
        }
        nn.tidy(() => {
          const x = nn.tensor(xb, [M, O])
          const logits = this.nets.policy.forward(x)
          const L = logits.toFloat32Array()
          // d(loss)/d(logits): the clipped surrogate and the entropy bonus, per sample.
          const grad = new Float32Array(M * A)
          let pl = 0; let ent = 0; let kl = 0; let clipped = 0
          for (let j = 0; j < M; j++) {
            const i = idx[j]!
            const a = actions[i]!
            const lse = softmaxRow(L, j, A, probs)
            const logp = L[j * A + a]! - lse
            const ratio = Math.exp(logp - oldLogp[i]!)
            const s1 = ratio * adv[j]!
            const s2 = Math.min(Math.max(ratio, 1 - clip), 1 + clip) * adv[j]!
            pl += -Math.min(s1, s2)
            const active = s1 <= s2 // the unclipped term is the minimum: its gradient flows
            if (!active) clipped++
            kl += (ratio - 1) - (logp - oldLogp[i]!)
            let h = 0
            for (let k = 0; k < A; k++) h -= probs[k]! > 0 ? probs[k]! * Math.log(probs[k]!) : 0
            ent += h
            const dLogp = active ? -ratio * adv[j]! / M : 0
            for (let k = 0; k < A; k++) {
              const p = probs[k]!
              // d logp_a / d logit_k = [k = a] - p_k;  d H / d logit_k = -p_k (log p_k + H)
              const dH = -p * ((p > 0 ? Math.log(p) : 0) + h)
              grad[j * A + k] = dLogp * ((k === a ? 1 : 0) - p) - entropyCoef * dH / M
            }
          }
          logits.backward(grad)
          const vloss = nn.mse(this.nets.value.forward(x), nn.tensor(rb, [M, 1]))
          nn.scale(vloss, valueCoef).backward()
          stats.policyLoss += pl / M
          stats.valueLoss += vloss.item()
          stats.entropy += ent / M
          stats.approxKl += kl / M
          stats.clipFraction += clipped / M
          stats.minibatches++
        })
        nn.clipGradNorm(policyParams, maxGradNorm)
        nn.clipGradNorm(valueParams, maxGradNorm)
        this.opt.step()
        this.opt.zeroGrad()
      }
    }
    this.updates++
    const k = Math.max(1, stats.minibatches)
    return {
      weights: put(this.nets.flat()),
      stats: { policyLoss: stats.policyLoss / k, valueLoss: stats.valueLoss / k, entropy: stats.entropy / k, approxKl: stats.approxKl / k, clipFraction: stats.clipFraction / k, lr: this.opt.lr, samples: N }
    }
  }
}
