// Asynchronous successive halving (Li et al. 2018; Ray's ASHAScheduler with one bracket): rungs
// at gracePeriod × reductionFactor^k below maxT; a trial reaching a rung goes on only if its metric
// is in the top 1/reductionFactor of what was recorded at that rung before it.
import type { Mode, SchedulerDecision, TrialResult, TrialScheduler, TrialView } from './interface.js'

/** Options of {@link asha}. */
export interface AshaInit {
  /** Iterations after which every trial stops. @default 100 */
  maxT?: number
  /** Iterations every trial runs before it can be stopped. @default 1 */
  gracePeriod?: number
  /** 1/reductionFactor of the trials go on at each rung. @default 4 */
  reductionFactor?: number
  /** The time attribute of the results. @default 'trainingIteration' */
  timeAttr?: string
}

/** An ASHA scheduler with its rungs, to inspect. */
export interface AshaScheduler extends TrialScheduler {
  /** Iterations after which every trial stops. */
  readonly maxT: number
  /** The rungs' milestones, lowest first. */
  readonly milestones: readonly number[]
  /** What was recorded at each rung: milestone → trial id → reward (larger is better). */
  readonly rungs: ReadonlyMap<number, ReadonlyMap<string, number>>
}

/** An asynchronous successive-halving scheduler. @example tune.asha({ maxT: 27, gracePeriod: 1, reductionFactor: 3 }) */
export function asha (init: AshaInit = {}): AshaScheduler {
  const maxT = init.maxT ?? 100
  const grace = init.gracePeriod ?? 1
  const rf = init.reductionFactor ?? 4
  const timeAttr = init.timeAttr ?? 'trainingIteration'
  if (!(maxT > 0)) throw new RangeError(`asha maxT: expected a number > 0, got ${maxT}`)
  if (!(grace > 0 && grace <= maxT)) throw new RangeError(`asha gracePeriod: expected 0 < gracePeriod <= maxT (${maxT}), got ${grace}`)
  if (!(rf > 1)) throw new RangeError(`asha reductionFactor: expected a number > 1, got ${rf}`)
  const milestones: number[] = []
  for (let m = grace; m < maxT; m *= rf) milestones.push(m)
  const rungs = new Map<number, Map<string, number>>(milestones.map(m => [m, new Map()]))
  let metric = ''
  let sign = 1
  return {
    name: 'asha',
    maxT,
    milestones,
    rungs,
    bind: (m: string, mode: Mode) => { metric = m; sign = mode === 'max' ? 1 : -1 },
    onResult: (trial: TrialView, result: TrialResult): SchedulerDecision => {
      const t = Number(result[timeAttr])
      if (t >= maxT) return { action: 'stop' }
      const reward = sign * Number(result[metric])
      // Highest rung first: a trial records at the highest rung it has reached and not yet recorded.
      for (let i = milestones.length - 1; i >= 0; i--) {
        const recorded = rungs.get(milestones[i]) as Map<string, number>
        if (t < milestones[i] || recorded.has(trial.id)) continue
        const cutoff = percentile([...recorded.values()], (1 - 1 / rf) * 100)
        recorded.set(trial.id, reward)
        return cutoff !== undefined && reward < cutoff ? { action: 'stop' } : { action: 'continue' }
      }
      return { action: 'continue' }
    }
  }
}

/** The q-th percentile with linear interpolation (numpy's default); undefined for no values. */
export function percentile (values: readonly number[], q: number): number | undefined {
  const xs = values.filter(v => !Number.isNaN(v)).sort((a, b) => a - b)
  if (xs.length === 0) return undefined
  const pos = (xs.length - 1) * q / 100
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
}
