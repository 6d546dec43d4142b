// PPO on the driver contract (RLlib's PPO on Ray Core): rollout workers are actors sampling
// vectorised environments with the current weights, a learner actor updates the networks from
// their batches; each iteration the learner's new weights (an object) go to every worker as the
// argument of its next rollout — the bytes move from the learner's node to the workers' without
// passing the driver. A rollout worker whose actor or node dies is replaced (a fresh actor) and
// its rollout sampled again.
import type { FabricDriver, ObjectRef } from '../../api/interface.js'
import { rlComponentPath } from './component.js'
import type { IterationStats, PpoCheckpoint, PpoOptions } from './interface.js'
import type { PpoConfig } from '../../../guest-sdk/src/rl/ppo.js'

const OPTION_NAMES = ['env', 'module', 'numRolloutWorkers', 'numEnvsPerWorker', 'rolloutLength', 'hidden', 'gamma', 'lambda', 'clip', 'lr', 'epochs', 'minibatchSize', 'valueCoef', 'entropyCoef', 'maxGradNorm', 'normalizeAdvantages', 'totalSteps', 'seed', 'workerCpus']

/** The guest's PPO config: what the workers and the learner are created with. */
type Config = PpoConfig

interface Call<A extends unknown[], R> { remote: (...args: A) => ObjectRef<R> }
interface Worker {
  actorId: string
  sample: Call<[ObjectRef<Float32Array>], { batch: ObjectRef<unknown>, steps: number, episodes: Array<{ return: number, length: number }> }>
  evaluate: Call<[ObjectRef<Float32Array>, number, number], number[]>
}
interface Learner {
  actorId: string
  weights: Call<[], ObjectRef<Float32Array>>
  load: Call<[ObjectRef<Float32Array> | Float32Array], number>
  update: Call<[Array<ObjectRef<unknown>>, number | undefined], { weights: ObjectRef<Float32Array>, stats: Record<string, number> }>
}
interface ActorClass<T> { options: (o: Record<string, unknown>) => { create: (...args: unknown[]) => Promise<T> } }
interface RlModule { RolloutWorker: ActorClass<Worker>, PpoLearner: ActorClass<Learner> }

/** The last 100 episode returns: RLlib's episode_reward_mean window. */
const WINDOW = 100

/**
 * A PPO run: call `train()` for each iteration (sample with every worker, one learner update).
 *
 * @example
 * const algo = rl.ppo(fabric, { env: 'CartPole-v1', numRolloutWorkers: 2 })
 * for (let i = 0; i < 100; i++) console.log((await algo.train()).episodeReturnMean)
 * await algo.stop()
 */
export class Ppo {
  readonly config: Config
  readonly numRolloutWorkers: number
  private readonly totalPlanned: number | undefined
  private readonly workerCpus: number
  private module: RlModule | undefined
  private learner: Learner | undefined
  private workers: Worker[] = []
  private weights: ObjectRef<Float32Array> | undefined
  private nextWorker = 0
  private iteration = 0
  private totalSteps = 0
  private readonly returns: number[] = []
  private started = 0
  private stopped = false
  private starting: Promise<void> | undefined

  constructor (private readonly fabric: FabricDriver, options: PpoOptions = {}) {
    const what = 'rl.ppo'
    if (typeof options !== 'object' || options === null) throw new TypeError(`${what}: options must be an object like { env: 'CartPole-v1' }`)
    const unknown = Object.keys(options).filter(k => !OPTION_NAMES.includes(k))
    if (unknown.length > 0) throw new TypeError(`${what}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${OPTION_NAMES.join(', ')})`)
    const int = (k: keyof PpoOptions, d: number, min = 1): number => {
      const v = options[k] ?? d
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new TypeError(`${what}: ${k} must be an integer >= ${min}, got ${String(v)}`)
      return v
    }
    const num = (k: keyof PpoOptions, d: number, lo: number, hi: number): number => {
      const v = options[k] ?? d
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new TypeError(`${what}: ${k} must be a number in [${lo}, ${hi}], got ${String(v)}`)
      return v
    }
    const env = options.env ?? 'CartPole-v1'
    if (typeof env !== 'string' || env.length === 0) throw new TypeError(`${what}: env must be an environment's name, like 'CartPole-v1'`)
    this.config = {
      env,
      numEnvsPerWorker: int('numEnvsPerWorker', 4),
      rolloutLength: int('rolloutLength', 32),
      hidden: int('hidden', 64),
      gamma: num('gamma', 0.98, 0, 1),
      lambda: num('lambda', 0.8, 0, 1),
      clip: num('clip', 0.2, 0, 10),
      lr: num('lr', 1e-3, 1e-9, 10),
      epochs: int('epochs', 20),
      minibatchSize: int('minibatchSize', 256),
      valueCoef: num('valueCoef', 0.5, 0, 100),
      entropyCoef: num('entropyCoef', 0, 0, 100),
      maxGradNorm: num('maxGradNorm', 0.5, 0, 1e9),
      normalizeAdvantages: options.normalizeAdvantages ?? true,
      seed: int('seed', 0, 0)
    }
    this.numRolloutWorkers = int('numRolloutWorkers', 2)
    this.totalPlanned = options.totalSteps === undefined ? undefined : int('totalSteps', 1)
    this.workerCpus = num('workerCpus', 1, 0, 1024)
    if (options.module !== undefined) {
      const m = options.module as Partial<RlModule>
      if (typeof m.RolloutWorker?.options !== 'function' || typeof m.PpoLearner?.options !== 'function') {
        throw new TypeError(`${what}: module must be a loaded component exporting RolloutWorker and PpoLearner (export { RolloutWorker, PpoLearner } from 'wasm-fabric/guest/rl')`)
      }
      this.module = m as RlModule
    }
  }

  /** Start the learner and the workers (once). */
  private async start (): Promise<void> {
    this.starting ??= (async () => {
      this.module ??= await this.fabric.load<RlModule>(await rlComponentPath())
      // The learner works while the workers wait for it (and they while it waits): it holds no CPU of its own.
      this.learner = await this.module.PpoLearner.options({ cpus: 0 }).create(this.config)
      this.weights = await this.fabric.get(this.learner.weights.remote())
      this.workers = await Promise.all(Array.from({ length: this.numRolloutWorkers }, async () => await this.newWorker()))
      this.started = performance.now()
    })()
    await this.starting
  }

  private async newWorker (): Promise<Worker> {
    return await this.module!.RolloutWorker.options({ cpus: this.workerCpus, scheduling: 'spread' }).create(this.config, this.nextWorker++)
  }

  /** Sample with worker `i`; a worker whose actor (or node) died is replaced and its rollout sampled again, once. */
  private async sample (i: number): Promise<{ batch: ObjectRef<unknown>, steps: number, episodes: Array<{ return: number, length: number }>, replaced: number }> {
    try {
      return { ...await this.fabric.get(this.workers[i]!.sample.remote(this.weights!)), replaced: 0 }
    } catch (err) {
      if (!['ActorDiedError', 'ActorNotFoundError'].includes((err as Error).name)) throw err
      void this.fabric.kill(this.workers[i]!).catch(() => {})
      this.workers[i] = await this.newWorker()
      return { ...await this.fabric.get(this.workers[i]!.sample.remote(this.weights!)), replaced: 1 }
    }
  }

  /** One iteration: every worker samples a rollout, the learner updates once. */
  async train (): Promise<IterationStats> {
    if (this.stopped) throw new TypeError('train(): this PPO run is stopped')
    await this.start()
    const t0 = performance.now()
    const rollouts = await Promise.all(this.workers.map(async (_w, i) => await this.sample(i)))
    const progress = this.totalPlanned === undefined ? undefined : Math.min(0.999, this.totalSteps / this.totalPlanned)
    const out = await this.fabric.get(this.learner!.update.remote(rollouts.map(r => r.batch), progress))
    this.weights = out.weights
    const steps = rollouts.reduce((n, r) => n + r.steps, 0)
    this.totalSteps += steps
    const episodes = rollouts.flatMap(r => r.episodes)
    for (const e of episodes) this.returns.push(e.return)
    if (this.returns.length > WINDOW) this.returns.splice(0, this.returns.length - WINDOW)
    this.iteration++
    const now = performance.now()
    return {
      iteration: this.iteration,
      episodeReturnMean: this.returns.length === 0 ? NaN : this.returns.reduce((a, b) => a + b, 0) / this.returns.length,
      episodes: episodes.length,
      stepsSampled: steps,
      totalSteps: this.totalSteps,
      seconds: (now - t0) / 1000,
      totalSeconds: (now - this.started) / 1000,
      learner: out.stats,
      workersReplaced: rollouts.reduce((n, r) => n + r.replaced, 0)
    }
  }

  /**
   * Run `episodes` whole episodes with the greedy policy (the most likely action), spread over the
   * rollout workers: their returns and mean.
   */
  async evaluate (episodes = 100, seed = 1_000_000): Promise<{ mean: number, returns: number[] }> {
    await this.start()
    const per = Math.ceil(episodes / this.workers.length)
    const parts = await Promise.all(this.workers.map(async (w, i) => {
      const n = Math.min(per, episodes - i * per)
      return n <= 0 ? [] : await this.fabric.get(w.evaluate.remote(this.weights!, n, seed + i * per))
    }))
    const returns = parts.flat()
    return { mean: returns.reduce((a, b) => a + b, 0) / Math.max(1, returns.length), returns }
  }

  /** The networks' weights (an object) and where the run is. */
  async checkpoint (): Promise<PpoCheckpoint> {
    await this.start()
    return { weights: this.weights!, iteration: this.iteration, totalSteps: this.totalSteps }
  }

  /** Go on from a checkpoint (of this run or another with the same networks). */
  async restore (checkpoint: PpoCheckpoint): Promise<void> {
    await this.start()
    await this.fabric.get(this.learner!.load.remote(checkpoint.weights))
    this.weights = checkpoint.weights
    this.iteration = checkpoint.iteration
    this.totalSteps = checkpoint.totalSteps
  }

  /** Kill the learner and the workers. Idempotent. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.starting?.catch(() => {})
    await Promise.all([...this.workers, ...(this.learner === undefined ? [] : [this.learner])].map(async a => { await this.fabric.kill(a).catch(() => {}) }))
  }

  /** The rollout workers' handles (to observe or kill one). */
  get rolloutWorkers (): ReadonlyArray<{ actorId: string }> {
    return this.workers
  }
}

/** A PPO run on `fabric` (see {@link Ppo}). */
export function ppo (fabric: FabricDriver, options: PpoOptions = {}): Ppo {
  return new Ppo(fabric, options)
}
