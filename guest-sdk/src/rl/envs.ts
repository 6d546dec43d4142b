// Environments for reinforcement learning in guests (Gymnasium's interface): CartPole-v1 with the
// classic dynamics and limits, a vectorised form that resets finished episodes by itself, and a
// registry for users' own. No host imports: plain computation, seeded (a guest has no unseeded
// randomness, so the same seed gives the same episodes on every node).

/** One step's outcome. */
export interface StepResult {
  observation: Float32Array
  reward: number
  /** The episode ended by the task's rules (the pole fell). */
  terminated: boolean
  /** The episode was cut off by a time limit. */
  truncated: boolean
}

/** An environment with a discrete action space (Gymnasium's Env, for Discrete actions). */
export interface Env {
  /** Numbers in an observation. */
  readonly observationSize: number
  /** Actions 0 .. actionCount - 1. */
  readonly actionCount: number
  /** Start an episode (with `seed`, reseed first); its first observation. */
  reset: (seed?: number) => Float32Array
  step: (action: number) => StepResult
}

/** mulberry32: uniform numbers in [0, 1) from a 32-bit seed. */
export function seeded (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6D2B79F5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * CartPole-v1 (Barto, Sutton & Anderson; Gymnasium's constants and Euler integration): push the
 * cart left (0) or right (1) with 10 N to keep the pole up. Reward 1 per step; terminated when the
 * pole leans past 12° or the cart leaves ±2.4; truncated at 500 steps. Observation [x, ẋ, θ, θ̇],
 * starting uniform in ±0.05.
 */
export class CartPole implements Env {
  readonly observationSize = 4
  readonly actionCount = 2
  static readonly GRAVITY = 9.8
  static readonly MASS_CART = 1.0
  static readonly MASS_POLE = 0.1
  static readonly LENGTH = 0.5 // half the pole's length
  static readonly FORCE = 10.0
  static readonly TAU = 0.02
  static readonly THETA_LIMIT = 12 * 2 * Math.PI / 360
  static readonly X_LIMIT = 2.4
  static readonly MAX_STEPS = 500

  #state = [0, 0, 0, 0]
  #random: () => number
  #steps = 0
  #done = true

  constructor (seed = 0) {
    this.#random = seeded(seed)
  }

  reset (seed?: number): Float32Array {
    if (seed !== undefined) this.#random = seeded(seed)
    this.#state = [0, 0, 0, 0].map(() => this.#random() * 0.1 - 0.05)
    this.#steps = 0
    this.#done = false
    return Float32Array.from(this.#state)
  }

  step (action: number): StepResult {
    if (this.#done) throw new Error('CartPole: step() after the episode ended; reset() first')
    if (action !== 0 && action !== 1) throw new RangeError(`CartPole: action must be 0 or 1, got ${String(action)}`)
    const [x, xDot, theta, thetaDot] = this.#state as [number, number, number, number]
    const force = action === 1 ? CartPole.FORCE : -CartPole.FORCE
    const cos = Math.cos(theta)
    const sin = Math.sin(theta)
    const totalMass = CartPole.MASS_CART + CartPole.MASS_POLE
    const poleMassLength = CartPole.MASS_POLE * CartPole.LENGTH
    const temp = (force + poleMassLength * thetaDot * thetaDot * sin) / totalMass
    const thetaAcc = (CartPole.GRAVITY * sin - cos * temp) / (CartPole.LENGTH * (4 / 3 - CartPole.MASS_POLE * cos * cos / totalMass))
    const xAcc = temp - poleMassLength * thetaAcc * cos / totalMass
    this.#state = [
      x + CartPole.TAU * xDot,
      xDot + CartPole.TAU * xAcc,
      theta + CartPole.TAU * thetaDot,
      thetaDot + CartPole.TAU * thetaAcc
    ]
    this.#steps++
    const [nx, , nTheta] = this.#state as [number, number, number, number]
    const terminated = nx < -CartPole.X_LIMIT || nx > CartPole.X_LIMIT || nTheta < -CartPole.THETA_LIMIT || nTheta > CartPole.THETA_LIMIT
    const truncated = !terminated && this.#steps >= CartPole.MAX_STEPS
    this.#done = terminated || truncated
    return { observation: Float32Array.from(this.#state), reward: 1, terminated, truncated }
  }
}

/** Makers of environments by name: 'CartPole-v1', and users' own (`registerEnv`). */
const registry = new Map<string, (seed: number) => Env>([['CartPole-v1', seed => new CartPole(seed)]])

/** Make `name` available to `makeEnv` (call it at the top level of a guest module). */
export function registerEnv (name: string, make: (seed: number) => Env): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('registerEnv: name must be a non-empty string')
  registry.set(name, make)
}

/** A new environment `name` with its own `seed`. */
export function makeEnv (name: string, seed = 0): Env {
  const make = registry.get(name)
  if (make === undefined) throw new TypeError(`no environment named '${name}' (known: ${[...registry.keys()].join(', ')}); register one with registerEnv`)
  return make(seed)
}

/**
 * `count` copies of an environment stepped together, each reset by itself when its episode ends
 * (the observation after a finished step is the next episode's first). Observations come as one
 * Float32Array of `count` × observationSize; finished episodes' returns and lengths are collected.
 */
export class VectorEnv {
  readonly envs: Env[]
  readonly observationSize: number
  readonly actionCount: number
  #observations: Float32Array
  readonly #returns: Float64Array
  readonly #lengths: Int32Array
  /** Returns and lengths of the episodes finished since the last `takeEpisodes()`. */
  #finished: Array<{ return: number, length: number }> = []

  constructor (make: (index: number) => Env, readonly count: number, seed = 0) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`VectorEnv: count must be a positive integer, got ${count}`)
    this.envs = Array.from({ length: count }, (_v, i) => make(i))
    this.observationSize = this.envs[0]!.observationSize
    this.actionCount = this.envs[0]!.actionCount
    this.#observations = new Float32Array(count * this.observationSize)
    this.#returns = new Float64Array(count)
    this.#lengths = new Int32Array(count)
    this.envs.forEach((e, i) => { this.#observations.set(e.reset(seed * 1000 + i), i * this.observationSize) })
  }

  /** The current observations, [count, observationSize] row-major. */
  get observations (): Float32Array {
    return this.#observations
  }

  /** Step every environment with its action: rewards, and which episodes ended (terminated, truncated). */
  step (actions: ArrayLike<number>): { rewards: Float32Array, terminated: Uint8Array, truncated: Uint8Array, finalObservations: Array<Float32Array | undefined> } {
    const n = this.count
    const rewards = new Float32Array(n)
    const terminated = new Uint8Array(n)
    const truncated = new Uint8Array(n)
    const finalObservations: Array<Float32Array | undefined> = new Array(n)
    const next = new Float32Array(n * this.observationSize)
    for (let i = 0; i < n; i++) {
      const env = this.envs[i]!
      const r = env.step(actions[i]!)
      rewards[i] = r.reward
      this.#returns[i]! += r.reward
      this.#lengths[i]!++
      if (r.terminated || r.truncated) {
        terminated[i] = r.terminated ? 1 : 0
        truncated[i] = r.truncated ? 1 : 0
        finalObservations[i] = r.observation
        this.#finished.push({ return: this.#returns[i]!, length: this.#lengths[i]! })
        this.#returns[i] = 0
        this.#lengths[i] = 0
        next.set(env.reset(), i * this.observationSize)
      } else {
        next.set(r.observation, i * this.observationSize)
      }
    }
    this.#observations = next
    return { rewards, terminated, truncated, finalObservations }
  }

  /** The episodes finished since the last call. */
  takeEpisodes (): Array<{ return: number, length: number }> {
    const out = this.#finished
    this.#finished = []
    return out
  }
}
