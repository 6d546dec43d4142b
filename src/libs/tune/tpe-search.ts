// Tree-structured Parzen Estimator search (Bergstra et al., "Algorithms for Hyper-Parameter
// Optimization", 2011): observations are split at the gamma quantile into good and bad, each side
// modelled per dimension by a Parzen estimator (truncated Gaussian kernels in the dimension's own
// space, log space for loguniform; smoothed frequencies for categories); candidates are drawn from
// the good model l(x) and the one with the largest l(x)/g(x) is suggested.
import type { Mode, ParamSpace, SearchAlgorithm, TpeInit } from './interface.js'
import { normal, streamRng, type Rng } from './rng.js'
import { dimensions, pathKey, resolve, sample, valueAt, type Dimension } from './search-space.js'

/** A per-dimension model: its log density at a value and a draw from it. */
interface Parzen {
  logPdf: (x: unknown) => number
  draw: (rng: Rng) => unknown
}

/** TPE search over `space` for `numSamples` trials, minimising or maximising the observed values. */
export function tpeSearch (space: ParamSpace, numSamples: number, mode: Mode, seed = 0, init: TpeInit = {}): SearchAlgorithm {
  const dims = dimensions(space)
  const nStartup = init.nStartup ?? 10
  const gamma = init.gamma ?? 0.25
  const nCandidates = init.nCandidates ?? 24
  if (!Number.isInteger(nStartup) || nStartup < 1) throw new RangeError(`tpe.nStartup: expected an integer >= 1, got ${nStartup}`)
  if (!(gamma > 0 && gamma < 1)) throw new RangeError(`tpe.gamma: expected a number in (0, 1), got ${gamma}`)
  if (!Number.isInteger(nCandidates) || nCandidates < 1) throw new RangeError(`tpe.nCandidates: expected an integer >= 1, got ${nCandidates}`)
  const sign = mode === 'max' ? -1 : 1
  return {
    name: 'tpe',
    total: numSamples,
    suggest: (index, observations) => {
      const rng = streamRng(seed, index)
      const usable = observations.filter(o => Number.isFinite(o.value))
      if (usable.length < nStartup || dims.length === 0) return resolve(space, d => sample(d.domain, rng))
      const sorted = [...usable].sort((a, b) => sign * (a.value - b.value))
      const nGood = Math.max(1, Math.ceil(gamma * sorted.length))
      const good = sorted.slice(0, nGood)
      const bad = sorted.slice(nGood)
      const picks = new Map<string, unknown>()
      // Dimensions are modelled independently (as hyperopt's TPE): for each, the candidate with the
      // largest l/g among draws from l.
      for (const dim of dims) {
        const l = parzen(dim, good.map(o => valueAt(o.config, dim.path)))
        const g = parzen(dim, bad.map(o => valueAt(o.config, dim.path)))
        let best: unknown
        let bestScore = -Infinity
        for (let i = 0; i < nCandidates; i++) {
          const x = l.draw(rng)
          const score = l.logPdf(x) - g.logPdf(x)
          if (score > bestScore) { bestScore = score; best = x }
        }
        picks.set(pathKey(dim.path), best)
      }
      return resolve(space, d => picks.get(pathKey(d.path)))
    }
  }
}

/** The Parzen estimator of one dimension from the values observed there. */
export function parzen (dim: Dimension, values: readonly unknown[]): Parzen {
  const d = dim.domain
  if (d.kind === 'choice' || d.kind === 'grid') return categorical(d.values, values)
  const toInternal = d.kind === 'loguniform' ? Math.log : (x: number) => x
  const lo = d.kind === 'loguniform' ? Math.log(d.low) : d.kind === 'randint' ? d.low - 0.5 : d.low
  const hi = d.kind === 'loguniform' ? Math.log(d.high) : d.kind === 'randint' ? d.high - 0.5 : d.high
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).map(toInternal)
  const k = gaussianMixture(xs, lo, hi)
  const fromInternal = (x: number): number => {
    if (d.kind === 'loguniform') return Math.min(d.high, Math.max(d.low, Math.exp(x)))
    if (d.kind === 'randint') return Math.min(d.high - 1, Math.max(d.low, Math.round(x)))
    return x
  }
  return {
    logPdf: (x) => typeof x === 'number' ? k.logPdf(toInternal(x)) : -Infinity,
    draw: (rng) => fromInternal(k.draw(rng))
  }
}

function categorical (choices: readonly unknown[], values: readonly unknown[]): Parzen {
  // Counts smoothed by a prior of one observation per category.
  const weights = choices.map(c => 1 + values.filter(v => sameValue(v, c)).length)
  const total = weights.reduce((a, b) => a + b, 0)
  return {
    logPdf: (x) => {
      const i = choices.findIndex(c => sameValue(c, x))
      return i < 0 ? -Infinity : Math.log(weights[i] / total)
    },
    draw: (rng) => {
      let u = rng.next() * total
      for (let i = 0; i < choices.length; i++) { u -= weights[i]; if (u < 0) return choices[i] }
      return choices[choices.length - 1]
    }
  }
}

function sameValue (a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b))
}

/**
 * Gaussian kernels truncated to [lo, hi], one per observation plus a wide prior (centred, sigma
 * the range), each kernel's width the larger gap to its neighbours, clipped as hyperopt clips it.
 */
export function gaussianMixture (xs: readonly number[], lo: number, hi: number): { logPdf: (x: number) => number, draw: (rng: Rng) => number } {
  const range = hi - lo
  const sorted = [...xs].sort((a, b) => a - b)
  const mus = [(lo + hi) / 2]
  const sigmas = [range]
  const minSigma = range / Math.min(100, 1 + sorted.length)
  sorted.forEach((x, i) => {
    const left = i === 0 ? x - lo : x - sorted[i - 1]
    const right = i === sorted.length - 1 ? hi - x : sorted[i + 1] - x
    mus.push(x)
    sigmas.push(Math.min(range, Math.max(minSigma, left, right)))
  })
  const mass = mus.map((mu, i) => Math.max(1e-12, phi((hi - mu) / sigmas[i]) - phi((lo - mu) / sigmas[i])))
  const n = mus.length
  return {
    logPdf: (x) => {
      if (x < lo || x > hi) return -Infinity
      let p = 0
      for (let i = 0; i < n; i++) {
        const z = (x - mus[i]) / sigmas[i]
        p += Math.exp(-0.5 * z * z) / (sigmas[i] * Math.sqrt(2 * Math.PI) * mass[i])
      }
      return Math.log(p / n)
    },
    draw: (rng) => {
      const i = Math.floor(rng.next() * n)
      for (let tries = 0; tries < 100; tries++) {
        const x = mus[i] + sigmas[i] * normal(rng)
        if (x >= lo && x <= hi) return x
      }
      return Math.min(hi, Math.max(lo, mus[i]))
    }
  }
}

/** The standard normal CDF (Abramowitz and Stegun 7.1.26 for erf; error below 1.5e-7). */
function phi (z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x)
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf)
}
