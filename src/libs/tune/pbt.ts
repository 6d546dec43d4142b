// Population based training (Jaderberg et al. 2017; Ray's PopulationBasedTraining): every
// perturbationInterval iterations a trial in the bottom quantile takes a top trial's checkpoint
// (exploit) and continues with its config mutated (explore: resampled, or ×0.8 / ×1.2).
import type { Config, Mode, SchedulerDecision, TrialResult, TrialScheduler, TrialView } from './interface.js'
import { streamRng, type Rng } from './rng.js'
import { isDomain, sample } from './search-space.js'

/** How one hyperparameter mutates: a domain or a list to resample from, a function giving a new value, or nested mutations. */
export type Mutation = unknown[] | (() => unknown) | { [key: string]: Mutation } | import('./interface.js').Domain

/** Options of {@link pbt}. */
export interface PbtInit {
  /** Iterations between perturbations of a trial. @default 5 */
  perturbationInterval?: number
  /** What mutates and how, by config key (nested objects for nested keys). */
  mutations: Record<string, Mutation>
  /** The bottom and top share of trials. @default 0.25 */
  quantileFraction?: number
  /** Chance of resampling rather than perturbing. @default 0.25 */
  resampleProbability?: number
  /** The time attribute of the results. @default 'trainingIteration' */
  timeAttr?: string
}

/** A PBT scheduler. @example tune.pbt({ perturbationInterval: 4, mutations: { lr: tune.loguniform(1e-4, 1e-1) } }) */
export function pbt (init: PbtInit): TrialScheduler & { readonly exploits: ReadonlyArray<{ trial: string, source: string, at: number }> } {
  const interval = init.perturbationInterval ?? 5
  const fraction = init.quantileFraction ?? 0.25
  const resampleP = init.resampleProbability ?? 0.25
  const timeAttr = init.timeAttr ?? 'trainingIteration'
  if (typeof init.mutations !== 'object' || init.mutations === null || Object.keys(init.mutations).length === 0) throw new TypeError('pbt: mutations must name at least one hyperparameter, e.g. { lr: tune.loguniform(1e-4, 1e-1) }')
  if (!(interval > 0)) throw new RangeError(`pbt perturbationInterval: expected a number > 0, got ${interval}`)
  if (!(fraction > 0 && fraction <= 0.5)) throw new RangeError(`pbt quantileFraction: expected a number in (0, 0.5], got ${fraction}`)
  let metric = ''
  let sign = 1
  let rng: Rng = streamRng(0, 0, 0x9b7)
  const lastPerturbed = new Map<string, number>()
  const exploits: Array<{ trial: string, source: string, at: number }> = []
  const score = (t: TrialView): number => sign * Number(t.history[t.history.length - 1]?.[metric])
  return {
    name: 'pbt',
    exploits,
    bind: (m: string, mode: Mode, seed: number) => { metric = m; sign = mode === 'max' ? 1 : -1; rng = streamRng(seed, 0, 0x9b7) },
    wantsCheckpoint: (trial: TrialView, result: TrialResult) => Number(result[timeAttr]) - (lastPerturbed.get(trial.id) ?? 0) >= interval,
    onResult: (trial: TrialView, result: TrialResult, trials: readonly TrialView[]): SchedulerDecision => {
      const t = Number(result[timeAttr])
      if (t - (lastPerturbed.get(trial.id) ?? 0) < interval) return { action: 'continue' }
      lastPerturbed.set(trial.id, t)
      const ranked = trials.filter(x => x.history.length > 0 && Number.isFinite(score(x)) && (x.status === 'running' || x.id === trial.id)).sort((a, b) => score(a) - score(b))
      if (ranked.length < 2) return { action: 'continue' }
      let n = Math.ceil(ranked.length * fraction)
      if (n > ranked.length / 2) n = Math.floor(ranked.length / 2)
      const lower = ranked.slice(0, n)
      const upper = ranked.slice(ranked.length - n)
      if (!lower.some(x => x.id === trial.id)) return { action: 'continue' }
      const source = upper[Math.floor(rng.next() * upper.length)]
      exploits.push({ trial: trial.id, source: source.id, at: t })
      lastPerturbed.set(trial.id, t)
      return { action: 'exploit', source: source.id, config: explore(source.config, init.mutations, rng, resampleP) }
    }
  }
}

/** A mutated copy of `config` (Ray's explore): each mutated key resampled with `resampleP`, else perturbed. */
export function explore (config: Config, mutations: Record<string, Mutation>, rng: Rng, resampleP: number): Config {
  const out: Config = { ...config }
  for (const [key, m] of Object.entries(mutations)) {
    const current = config[key]
    if (typeof m === 'object' && m !== null && !Array.isArray(m) && !isDomain(m)) {
      out[key] = explore((current ?? {}) as Config, m as Record<string, Mutation>, rng, resampleP)
      continue
    }
    const resample = (): unknown => Array.isArray(m) ? m[Math.floor(rng.next() * m.length)] : isDomain(m) ? sample(m, rng) : (m as () => unknown)()
    if (Array.isArray(m)) {
      // Lists: resample, or move to a neighbouring value.
      const i = m.findIndex(v => v === current)
      if (rng.next() < resampleP || i < 0) out[key] = resample()
      else out[key] = m[Math.max(0, Math.min(m.length - 1, i + (rng.next() < 0.5 ? -1 : 1)))]
    } else if (rng.next() < resampleP || typeof current !== 'number') {
      out[key] = resample()
    } else {
      const v = current * (rng.next() < 0.5 ? 0.8 : 1.2)
      out[key] = Number.isInteger(current) && isDomain(m) && m.kind === 'randint' ? Math.round(v) : v
    }
  }
  return out
}
