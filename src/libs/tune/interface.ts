// The contracts of the tune library: search spaces, trials and their results, and the two
// pluggable policies (a search algorithm suggests configs, a trial scheduler decides on results).
import type { ActorOptions, TaskOptions } from '../../api/interface.js'

/** A dimension of a search space: what `choice`, `uniform`, `loguniform`, `randint` and `grid` return. */
export type Domain =
  | { readonly kind: 'choice', readonly values: readonly unknown[] }
  | { readonly kind: 'uniform', readonly low: number, readonly high: number }
  | { readonly kind: 'loguniform', readonly low: number, readonly high: number }
  | { readonly kind: 'randint', readonly low: number, readonly high: number }
  | { readonly kind: 'grid', readonly values: readonly unknown[] }

/** A search space: plain objects whose leaves are domains or constants (passed through as they are). */
export type ParamSpace = Record<string, unknown>

/** One trial's hyperparameters: the space with every domain replaced by a value. */
export type Config = Record<string, unknown>

/** What a trainable reports: numbers by name (other values are kept but never compared). */
export type Metrics = Record<string, unknown>

/** A reported result: the trainable's metrics plus `trainingIteration` (1 for the first). */
export type TrialResult = Metrics & { trainingIteration: number }

/** Whether smaller or larger values of the metric are better. */
export type Mode = 'min' | 'max'

/** A trial's state: `terminated` is finished (all iterations, a stop condition, or stopped early by the scheduler). */
export type TrialStatus = 'pending' | 'running' | 'terminated' | 'error'

/** One trial as the scheduler and the result grid see it. */
export interface TrialView {
  /** `trial_00000`, numbered in creation order. */
  readonly id: string
  /** Its index in creation order (the search algorithm's suggestion number). */
  readonly index: number
  readonly config: Config
  readonly status: TrialStatus
  /** Every result in order. */
  readonly history: readonly TrialResult[]
}

/** An observation the model-based search learns from: a config and the metric it reached. */
export interface Observation {
  config: Config
  value: number
}

/**
 * A search algorithm (Ray's `Searcher`): suggests the config of trial number `index`. Suggestions
 * are a pure function of (seed, index, observations so far), so a restored run continues the same
 * sequence.
 */
export interface SearchAlgorithm {
  readonly name: string
  /** How many trials the algorithm will suggest in all (grid: grid points × numSamples). */
  readonly total: number
  /** The config of trial `index` given what has been observed. */
  suggest: (index: number, observations: readonly Observation[]) => Config
}

/** What a scheduler decides on a result. */
export type SchedulerDecision =
  | { action: 'continue' }
  | { action: 'stop' }
  /** PBT: take `source`'s latest checkpoint and continue with `config`. */
  | { action: 'exploit', source: string, config: Config }

/** A trial scheduler (Ray's `TrialScheduler`): sees each result and says whether the trial goes on. */
export interface TrialScheduler {
  readonly name: string
  /** Decide on `trial`'s latest result (already appended to its history). `trials` are every trial of the run. */
  onResult: (trial: TrialView, result: TrialResult, trials: readonly TrialView[]) => SchedulerDecision
  /** Whether the runner should save a checkpoint of `trial` after this result (PBT: at each perturbation). */
  wantsCheckpoint?: (trial: TrialView, result: TrialResult) => boolean
  /** Bind the run's metric and mode (called once by the tuner before any result). */
  bind: (metric: string, mode: Mode, seed: number) => void
}

/** Resources each trial holds: a task trial's task, or a class trial's actor. */
export interface TrialResources {
  /** @default 1 */
  cpus?: number
  /** @default 0 */
  gpus?: number
  memoryMb?: number
  resources?: Record<string, number>
}

/** When a class trial stops: `trainingIteration: N` and any metric reaching a value (`result[key] >= value`, as Ray), or a function. */
export type StopCondition = Record<string, number> | ((trialId: string, result: TrialResult) => boolean)

/** Options of {@link tuner}. */
export interface TunerInit {
  /** The search space. @default {} */
  paramSpace?: ParamSpace
  /** The metric to optimise: a key of every result the trainable reports. */
  metric: string
  /** Whether to minimise or maximise `metric`. */
  mode: Mode
  /**
   * Trials to run (random, tpe); with `grid` each grid point is repeated numSamples times.
   * @default 1
   */
  numSamples?: number
  /** `'grid'`, `'random'` or `'tpe'` (model-based), or a search algorithm object. @default 'random' ('grid' when the space has grid axes) */
  searchAlg?: 'grid' | 'random' | 'tpe' | SearchAlgorithm
  /** Options of the TPE search when `searchAlg: 'tpe'`. */
  tpe?: TpeInit
  /** `fifo()`, `asha(...)` or `pbt(...)`. @default fifo() */
  scheduler?: TrialScheduler
  /** Trials running at once. @default the fabric's total CPUs / resourcesPerTrial.cpus (at least 1) */
  maxConcurrentTrials?: number
  /** Resources of each trial's task or actor. @default { cpus: 1 } */
  resourcesPerTrial?: TrialResources
  /** When class trials stop (a class trainable needs this, or a scheduler with `maxT`). */
  stop?: StopCondition
  /** Retries of a trial whose task or actor fails (class trials resume from their last checkpoint). @default 0 */
  maxFailures?: number
  /** Save a class trial's checkpoint every this many iterations (0: only when the scheduler asks, and at the end). @default 1 */
  checkpointFrequency?: number
  /** Seed of every random choice of the run. @default 0 */
  seed?: number
  /** A JSON file the run's state is written to after each result, for {@link restore}. */
  storagePath?: string
  /** Extra task or actor options for each trial (merged under resourcesPerTrial). */
  trialOptions?: TaskOptions & ActorOptions
  /**
   * Reuse trial results (function trainables only): a trial whose config the fabric ran before with
   * the same trainable returns that result without running, across runs, jobs and nodes (a seeded
   * search suggests the same configs again). See docs/memo-and-durability.md. @default false
   */
  memo?: boolean
}

/** Options of the TPE search (Bergstra et al. 2011). */
export interface TpeInit {
  /** Random trials before the model is used. @default 10 */
  nStartup?: number
  /** The share of observations modelled as good. @default 0.25 */
  gamma?: number
  /** Candidates drawn from the good model per suggestion. @default 24 */
  nCandidates?: number
}

/** One trial as the result grid reports it. */
export interface TrialRecord extends TrialView {
  /** The last result (undefined for a trial that never reported). */
  readonly last?: TrialResult
  /** The error of an errored trial (name: message). */
  readonly error?: string
  /** Failures retried. */
  readonly failures: number
  /** Whether the scheduler stopped it before its stop condition. */
  readonly stoppedEarly: boolean
}
