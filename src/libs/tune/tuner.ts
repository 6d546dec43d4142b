// The trial runner (Ray's Tuner and TrialRunner) on the public driver contract only: trials as
// tasks (one result each) or actors (setup, then step until a stop condition or the scheduler
// says stop), at most maxConcurrentTrials at once, failures retried from the last checkpoint.
import type { ActorOptions, FabricDriver, ObjectRef, TaskOptions } from '../../api/interface.js'
import type { Config, Metrics, Mode, Observation, SchedulerDecision, SearchAlgorithm, StopCondition, TrialRecord, TrialResult, TrialScheduler, TrialStatus, TunerInit } from './interface.js'
import { TuneCallbackError, TuneMetricError, TuneTrainableError } from './errors.js'
import { fifo } from './fifo.js'
import { gridSearch } from './grid-search.js'
import { randomSearch } from './random-search.js'
import { ResultGrid } from './result-grid.js'
import { dimensions } from './search-space.js'
import { readState, writeState, type StoredTrial, type TuneState } from './storage.js'
import { tpeSearch } from './tpe-search.js'

/** A task trainable: a loaded component's task taking a config and returning metrics. */
export interface TaskTrainable {
  options: (options: TaskOptions) => { remote: (...args: never[]) => unknown }
}

/** A class trainable: a loaded actor class with `setup(config)`, `step()` and optionally `saveCheckpoint()`/`loadCheckpoint(value)`. */
export interface ClassTrainable {
  create: (...args: never[]) => Promise<unknown>
  options: (options: ActorOptions) => { create: (...args: never[]) => Promise<unknown> }
}

/** What a tuner runs: a task or an actor class of a loaded component. */
export type Trainable = TaskTrainable | ClassTrainable

/** Options of {@link Tuner.fit}. */
export interface FitOptions {
  /** Aborting stops the run after the steps in flight: unfinished trials stay `pending`, their state written, to `restore` later. */
  signal?: AbortSignal
}

/** A configured tuning run. */
export interface Tuner {
  /** Run every trial (or resume a restored run); resolves with the results once all are done or the run is stopped. */
  fit: (options?: FitOptions) => Promise<ResultGrid>
  /** Stop the run after the steps in flight (as aborting fit's signal). */
  stop: () => void
  /** The run's state as written to storagePath. */
  state: () => TuneState
}

const KNOWN = ['paramSpace', 'metric', 'mode', 'numSamples', 'searchAlg', 'tpe', 'scheduler', 'maxConcurrentTrials', 'resourcesPerTrial', 'stop', 'maxFailures', 'checkpointFrequency', 'seed', 'storagePath', 'trialOptions', 'memo']

/** How long a trial waits for room for its actor before the refusal counts as a failure. */
const ROOM_WAIT_MS = 60_000

/** Errors of the trainable's shape rather than of one trial: they end the run. */
const FATAL = new Set(['TuneMetricError', 'TuneTrainableError', 'TuneCallbackError'])

interface Trial {
  id: string
  index: number
  config: Config
  status: TrialStatus
  history: TrialResult[]
  iteration: number
  error?: string
  failures: number
  stoppedEarly: boolean
  checkpoint?: { iteration: number, ref: ObjectRef, value?: unknown }
  /** Set by a PBT exploit: the next actor starts from another trial's checkpoint, keeping this trial's history. */
  exploited?: boolean
}

type UntypedHandle = Record<string, { remote: (...args: unknown[]) => ObjectRef } | undefined> & { actorId: string }

/**
 * A tuning run of `trainable` on `fabric` (Ray's `Tuner(trainable, param_space, tune_config)`).
 *
 * @example
 * const m = await fabric.load('build/train.wasm')
 * const grid = await tune.tuner(fabric, m.train, {
 *   paramSpace: { lr: tune.loguniform(1e-4, 1e-1), layers: tune.choice([1, 2, 3]) },
 *   metric: 'loss', mode: 'min', numSamples: 20, searchAlg: 'tpe'
 * }).fit()
 * console.log(grid.best().config)
 */
export function tuner (fabric: FabricDriver, trainable: Trainable, init: TunerInit): Tuner {
  return new TuneRun(fabric, trainable, init, [])
}

/**
 * Resume a run from its state (the `storagePath` file, or the state object): trials that finished
 * stay as they were, the others resume from their last checkpoint, and the search goes on where it
 * stopped. Options that cannot be written down (scheduler, stop function, trialOptions) are given again in `init`.
 */
export function restore (source: string | TuneState, fabric: FabricDriver, trainable: Trainable, init: Partial<TunerInit> = {}): Tuner {
  const state = typeof source === 'string' ? readState(source) : source
  const merged: TunerInit = { ...state.init, ...(typeof source === 'string' ? { storagePath: source } : {}), ...init } as TunerInit
  return new TuneRun(fabric, trainable, merged, state.trials)
}

class TuneRun implements Tuner {
  private readonly metric: string
  private readonly mode: Mode
  private readonly numSamples: number
  private readonly searcher: SearchAlgorithm
  private readonly scheduler: TrialScheduler
  private readonly stopWhen?: StopCondition
  private readonly maxFailures: number
  private readonly checkpointFrequency: number
  private readonly seed: number
  private readonly trials: Trial[] = []
  private readonly isClass: boolean
  private stopping = false
  private fatal?: Error
  private readonly live = new Set<UntypedHandle>()

  constructor (private readonly fabric: FabricDriver, private readonly trainable: Trainable, private readonly init: TunerInit, stored: readonly StoredTrial[]) {
    if (typeof init !== 'object' || init === null) throw new TypeError('tune.tuner(fabric, trainable, init): init must be an object with at least metric and mode')
    const unknown = Object.keys(init).filter(k => !KNOWN.includes(k))
    if (unknown.length > 0) throw new TypeError(`tune.tuner: unknown option ${unknown.join(', ')} (known: ${KNOWN.join(', ')})`)
    if (typeof init.metric !== 'string' || init.metric === '') throw new TypeError('tune.tuner: metric must name the result key to optimise, e.g. metric: \'loss\'')
    if (init.mode !== 'min' && init.mode !== 'max') throw new TypeError(`tune.tuner: mode must be 'min' or 'max', got ${String(init.mode)}`)
    this.metric = init.metric
    this.mode = init.mode
    this.numSamples = init.numSamples ?? 1
    if (!Number.isInteger(this.numSamples) || this.numSamples < 1) throw new RangeError(`tune.tuner: numSamples must be an integer >= 1, got ${String(init.numSamples)}`)
    this.seed = init.seed ?? 0
    this.maxFailures = init.maxFailures ?? 0
    if (!Number.isInteger(this.maxFailures) || this.maxFailures < 0) throw new RangeError(`tune.tuner: maxFailures must be an integer >= 0, got ${String(init.maxFailures)}`)
    this.checkpointFrequency = init.checkpointFrequency ?? 1
    if (!Number.isInteger(this.checkpointFrequency) || this.checkpointFrequency < 0) throw new RangeError(`tune.tuner: checkpointFrequency must be an integer >= 0, got ${String(init.checkpointFrequency)}`)
    const space = init.paramSpace ?? {}
    const dims = dimensions(space)
    const alg = init.searchAlg ?? (dims.some(d => d.domain.kind === 'grid') ? 'grid' : 'random')
    if (typeof alg === 'object' && alg !== null && typeof alg.suggest === 'function') this.searcher = alg
    else if (typeof alg === 'string' && stored.length > 0 && !['grid', 'random', 'tpe'].includes(alg)) throw new TypeError(`tune.restore: the run used the search algorithm '${alg}', which a file cannot hold: give it again as init.searchAlg`)
    else if (alg === 'grid') this.searcher = gridSearch(space, this.numSamples, this.seed)
    else if (alg === 'random') this.searcher = randomSearch(space, this.numSamples, this.seed)
    else if (alg === 'tpe') this.searcher = tpeSearch(space, this.numSamples, this.mode, this.seed, init.tpe)
    else throw new TypeError(`tune.tuner: unknown searchAlg ${String(alg)} (known: 'grid', 'random', 'tpe', or an object with suggest(index, observations))`)
    this.scheduler = init.scheduler ?? fifo()
    if (typeof this.scheduler?.onResult !== 'function') throw new TypeError('tune.tuner: scheduler must be tune.fifo(), tune.asha(...) or tune.pbt(...)')
    this.scheduler.bind(this.metric, this.mode, this.seed)
    this.stopWhen = init.stop
    if (typeof trainable !== 'object' || trainable === null) throw new TypeError('tune.tuner: trainable must be a task or an actor class of a loaded component (m.train or m.Trainer)')
    this.isClass = typeof (trainable as ClassTrainable).create === 'function'
    if (init.memo !== undefined && typeof init.memo !== 'boolean') throw new TypeError(`tune.tuner: memo must be a boolean, got ${String(init.memo)}`)
    // A class trial is an actor: its results follow from its state as well as its config.
    if (init.memo === true && this.isClass) throw new TypeError('tune.tuner: memo applies to function trainables (tasks): a class trainable is an actor, whose results depend on its state (leave memo out)')
    if (!this.isClass && typeof (trainable as { remote?: unknown }).remote !== 'function') throw new TypeError('tune.tuner: trainable must be a task (m.fn) or an actor class (m.Cls) of a loaded component')
    if (this.isClass && this.stopWhen === undefined && this.scheduler.name !== 'asha') {
      throw new TypeError('tune.tuner: a class trainable steps until told to stop: give stop: { trainingIteration: N } (or a metric threshold, or a function), or an asha scheduler with maxT')
    }
    if (this.scheduler.name !== 'fifo' && !this.isClass) throw new TypeError(`tune.tuner: the ${this.scheduler.name} scheduler decides between iterations, but a task trainable reports one result: use an actor class with setup/step`)
    if (this.scheduler.name === 'pbt' && !this.isClass) throw new TypeError('tune.tuner: pbt needs a class trainable with saveCheckpoint/loadCheckpoint')
    for (const s of stored) {
      this.trials.push({ ...s, history: [...s.history], checkpoint: s.checkpoint === undefined ? undefined : { iteration: s.checkpoint.iteration, ref: fabric.put(s.checkpoint.value), value: s.checkpoint.value } })
      // Scheduler state (ASHA's rungs) is rebuilt by replaying the results in order.
    }
    for (const t of this.trials) for (const r of t.history) this.scheduler.onResult(t, r, this.trials)
  }

  stop (): void { this.stopping = true }

  state (): TuneState {
    const { paramSpace, numSamples, tpe, maxConcurrentTrials, resourcesPerTrial } = this.init
    return {
      version: 1,
      init: {
        paramSpace: paramSpace ?? {},
        metric: this.metric,
        mode: this.mode,
        numSamples: numSamples ?? 1,
        searchAlg: this.searcher.name,
        ...(tpe === undefined ? {} : { tpe }),
        seed: this.seed,
        ...(typeof this.stopWhen === 'object' ? { stop: this.stopWhen } : {}),
        maxFailures: this.maxFailures,
        checkpointFrequency: this.checkpointFrequency,
        ...(maxConcurrentTrials === undefined ? {} : { maxConcurrentTrials }),
        ...(resourcesPerTrial === undefined ? {} : { resourcesPerTrial: { ...resourcesPerTrial } })
      },
      trials: this.trials.map(t => ({
        id: t.id,
        index: t.index,
        config: t.config,
        status: t.status === 'running' ? 'pending' : t.status,
        history: t.history,
        iteration: t.iteration,
        ...(t.error === undefined ? {} : { error: t.error }),
        failures: t.failures,
        stoppedEarly: t.stoppedEarly,
        ...(t.checkpoint === undefined || !('value' in t.checkpoint) ? {} : { checkpoint: { iteration: t.checkpoint.iteration, value: t.checkpoint.value } })
      }))
    }
  }

  async fit (options: FitOptions = {}): Promise<ResultGrid> {
    const onAbort = (): void => this.stop()
    options.signal?.addEventListener('abort', onAbort)
    // A second fit after a stop goes on where the first left off.
    this.stopping = options.signal?.aborted === true
    this.fatal = undefined
    try {
      const concurrency = this.concurrency()
      const resume = this.trials.filter(t => t.status === 'pending' || t.status === 'running')
      let next = this.trials.length
      const running = new Set<Promise<void>>()
      for (;;) {
        while (running.size < concurrency && !this.stopping && this.fatal === undefined) {
          const trial = resume.shift() ?? (next < this.searcher.total ? this.newTrialOrStop(next++) : undefined)
          if (trial === undefined) break
          const p: Promise<void> = this.runTrial(trial).finally(() => running.delete(p))
          running.add(p)
        }
        if (running.size === 0) break
        await Promise.race(running)
      }
      if (this.fatal !== undefined) throw this.fatal
      return new ResultGrid(this.trials.map(t => this.record(t)), this.metric, this.mode)
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      await Promise.all([...this.live].map(async h => await this.fabric.kill(h).catch(() => {})))
      this.live.clear()
    }
  }

  private concurrency (): number {
    const set = this.init.maxConcurrentTrials
    if (set !== undefined) {
      if (!Number.isInteger(set) || set < 1) throw new RangeError(`tune.tuner: maxConcurrentTrials must be an integer >= 1, got ${set}`)
      return set
    }
    const cpus = this.init.resourcesPerTrial?.cpus ?? 1
    try {
      const total = this.fabric.nodes().reduce((n, node) => n + node.cpus.total, 0)
      if (total > 0) return Math.max(1, cpus > 0 ? Math.floor(total / cpus) : total)
    } catch {}
    return 4
  }

  /** A new trial, or undefined (the run stopping with the error) when the search algorithm throws. */
  private newTrialOrStop (index: number): Trial | undefined {
    try {
      return this.newTrial(index)
    } catch (err) {
      this.fatal ??= new TuneCallbackError(`the ${this.searcher.name} search algorithm threw suggesting trial ${index}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
      this.stopping = true
      return undefined
    }
  }

  private newTrial (index: number): Trial {
    const config = this.searcher.suggest(index, this.observations())
    const trial: Trial = { id: `trial_${String(index).padStart(5, '0')}`, index, config, status: 'pending', history: [], iteration: 0, failures: 0, stoppedEarly: false }
    this.trials.push(trial)
    return trial
  }

  /** What the model-based search learns from: each finished trial's last value of the metric. */
  private observations (): Observation[] {
    const out: Observation[] = []
    for (const t of this.trials) {
      const v = t.history[t.history.length - 1]?.[this.metric]
      if (t.status === 'terminated' && typeof v === 'number') out.push({ config: t.config, value: v })
    }
    return out
  }

  private record (t: Trial): TrialRecord {
    return {
      id: t.id,
      index: t.index,
      config: t.config,
      status: t.status === 'running' ? 'pending' : t.status,
      history: t.history,
      last: t.history[t.history.length - 1],
      ...(t.error === undefined ? {} : { error: t.error }),
      failures: t.failures,
      stoppedEarly: t.stoppedEarly
    }
  }

  private options (): TaskOptions & ActorOptions {
    const r = this.init.resourcesPerTrial ?? {}
    return { ...this.init.trialOptions, ...(this.init.memo === true ? { memo: true } : {}), cpus: r.cpus ?? 1, ...(r.gpus === undefined ? {} : { gpus: r.gpus }), ...(r.memoryMb === undefined ? {} : { memoryMb: r.memoryMb }), ...(r.resources === undefined ? {} : { resources: r.resources }) }
  }

  private async runTrial (trial: Trial): Promise<void> {
    trial.status = 'running'
    try {
      if (this.isClass) await this.runClassTrial(trial)
      else await this.runTaskTrial(trial)
    } catch (err) {
      // The trainable's shape is wrong, or a callback (stop) threw: the run ends with the error.
      this.fatal ??= err as Error
      this.stopping = true
      if (FATAL.has((err as Error)?.name)) { trial.status = 'error'; trial.error = `${(err as Error).name}: ${(err as Error).message}` }
    } finally {
      this.save()
    }
  }

  private async runTaskTrial (trial: Trial): Promise<void> {
    const fn = (this.trainable as TaskTrainable).options(this.options()) as unknown as { remote: (config: Config) => ObjectRef<unknown> }
    for (;;) {
      if (this.stopping) { trial.status = 'pending'; return }
      let metrics: unknown
      try {
        metrics = await this.fabric.get(fn.remote(trial.config))
      } catch (err) {
        if (this.failed(trial, err)) return
        continue
      }
      this.report(trial, metrics)
      trial.status = 'terminated'
      return
    }
  }

  /** Count a failure; true when the trial is out of retries (then it is marked errored). */
  private failed (trial: Trial, err: unknown): boolean {
    trial.failures++
    if (trial.failures <= this.maxFailures) return false
    trial.status = 'error'
    const e = err as Error
    trial.error = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`
    return true
  }

  /** Append a result to the trial's history, checked for the metric. */
  private report (trial: Trial, metrics: unknown): TrialResult {
    if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
      throw new TuneMetricError(`${trial.id}: the trainable returned ${metrics === null ? 'null' : Array.isArray(metrics) ? 'an array' : typeof metrics}; return an object of metrics such as { ${this.metric}: 0.5 }`)
    }
    const value = (metrics as Metrics)[this.metric]
    if (typeof value !== 'number') {
      throw new TuneMetricError(`${trial.id}: the result has no numeric '${this.metric}' (it has: ${Object.keys(metrics).join(', ') || 'nothing'}); return it from the trainable, or set metric to one of those keys`)
    }
    trial.iteration++
    const result: TrialResult = { ...(metrics as Metrics), trainingIteration: trial.iteration }
    trial.history.push(result)
    return result
  }

  private shouldStop (trial: Trial, result: TrialResult): boolean {
    const stop = this.stopWhen
    if (stop === undefined) return false
    if (typeof stop === 'function') return stop(trial.id, result)
    return Object.entries(stop).some(([key, limit]) => typeof result[key] === 'number' && (result[key] as number) >= limit)
  }

  private async runClassTrial (trial: Trial): Promise<void> {
    const cls = (this.trainable as ClassTrainable).options(this.options()) as unknown as { create: () => Promise<UntypedHandle> }
    let actor: UntypedHandle | undefined
    const drop = async (): Promise<void> => {
      if (actor === undefined) return
      const a = actor
      actor = undefined
      this.live.delete(a)
      await this.fabric.kill(a).catch(() => {})
    }
    const call = async (method: string, ...args: unknown[]): Promise<unknown> => {
      const m = (actor as UntypedHandle)[method]
      if (m === undefined) throw new TuneTrainableError(`${trial.id}: the trainable class has no method ${method}(): a class trainable has setup(config), step(), and saveCheckpoint()/loadCheckpoint(value) for checkpoints`)
      return await this.fabric.get(m.remote(...args))
    }
    try {
      for (;;) {
        if (this.stopping) {
          // Paused: a checkpoint of where it is, so a restored run goes on from here.
          if (actor?.saveCheckpoint !== undefined && trial.checkpoint?.iteration !== trial.iteration) await this.checkpoint(trial, actor).catch(() => {})
          trial.status = 'pending'
          return
        }
        let result: TrialResult
        try {
          if (actor === undefined) {
            actor = await this.createWhenRoom(cls)
            this.live.add(actor)
            await call('setup', trial.config)
            if (trial.checkpoint !== undefined) {
              await call('loadCheckpoint', trial.checkpoint.ref)
              // Results after the checkpoint are reported again by the resumed actor.
              trial.iteration = trial.checkpoint.iteration
              if (trial.exploited === true) trial.exploited = false
              else while (trial.history.length > 0 && trial.history[trial.history.length - 1].trainingIteration > trial.iteration) trial.history.pop()
            } else if (trial.iteration > 0) {
              trial.iteration = 0
              trial.history.length = 0
            }
          }
          const metrics = await call('step')
          result = this.report(trial, metrics)
          const { done, schedulerWants, decision } = this.decide(trial, result)
          const wants = done || decision.action === 'stop' || schedulerWants || (this.checkpointFrequency > 0 && trial.iteration % this.checkpointFrequency === 0)
          if (wants && actor.saveCheckpoint !== undefined) await this.checkpoint(trial, actor)
          if (done || decision.action === 'stop') {
            trial.status = 'terminated'
            trial.stoppedEarly = !done && !this.reachedMaxT(result)
            return
          }
          if (decision.action === 'exploit') {
            const source = this.trials.find(t => t.id === decision.source)
            if (source?.checkpoint !== undefined && source !== trial) {
              trial.config = decision.config
              trial.checkpoint = { ...source.checkpoint }
              trial.exploited = true
              await drop()
            }
          }
        } catch (err) {
          if (FATAL.has((err as Error)?.name)) throw err
          await drop()
          if (this.failed(trial, err)) return
        } finally {
          this.save()
        }
      }
    } finally {
      await drop()
    }
  }

  /** The stop condition's and the scheduler's verdicts on a result; a callback that throws ends the run. */
  private decide (trial: Trial, result: TrialResult): { done: boolean, schedulerWants: boolean, decision: SchedulerDecision } {
    try {
      const done = this.shouldStop(trial, result)
      // Asked before onResult, which moves PBT's perturbation clock on.
      const schedulerWants = this.scheduler.wantsCheckpoint?.(trial, result) === true
      const decision: SchedulerDecision = done ? { action: 'continue' } : this.scheduler.onResult(trial, result, this.trials)
      return { done, schedulerWants, decision }
    } catch (err) {
      throw new TuneCallbackError(`${trial.id}: the stop condition or the ${this.scheduler.name} scheduler threw on iteration ${trial.iteration}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    }
  }

  /**
   * Create a trial's actor, waiting while no node has room for it now (an actor is refused rather
   * than queued, and a killed trial's resources come back a moment later): up to a minute, then
   * the refusal counts as the trial's failure.
   */
  private async createWhenRoom (cls: { create: () => Promise<UntypedHandle> }): Promise<UntypedHandle> {
    const deadline = Date.now() + ROOM_WAIT_MS
    for (let delay = 20; ; delay = Math.min(1000, delay * 2)) {
      try {
        return await cls.create()
      } catch (err) {
        const e = err as Error
        if (e?.name !== 'InfeasibleTaskError' || !/free now/.test(e.message) || Date.now() + delay > deadline || this.stopping) throw err
      }
      await new Promise(resolve => setTimeout(resolve, delay))
    }
  }

  /** ASHA stops every trial at maxT: that is its end, not an early stop. */
  private reachedMaxT (result: TrialResult): boolean {
    const maxT = (this.scheduler as { maxT?: number }).maxT
    return maxT !== undefined && result.trainingIteration >= maxT
  }

  private async checkpoint (trial: Trial, actor: UntypedHandle): Promise<void> {
    // The value comes back to the driver and is put again: the driver owns the object, so it
    // outlives the node the actor ran on.
    const value = await this.fabric.get((actor.saveCheckpoint as { remote: () => ObjectRef }).remote())
    trial.checkpoint = { iteration: trial.iteration, ref: this.fabric.put(value), ...(this.init.storagePath === undefined ? {} : { value }) }
  }

  private save (): void {
    if (this.init.storagePath !== undefined) writeState(this.init.storagePath, this.state())
  }
}
