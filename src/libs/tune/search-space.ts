// Search spaces: the domain constructors users write (`choice`, `uniform`, ...), their checks, and
// the flattening of a nested space into dimensions the search algorithms sample and model.
import type { Config, Domain, ParamSpace } from './interface.js'
import type { Rng } from './rng.js'

const DOMAIN = Symbol.for('wasm-fabric.tune.domain')

function domain (d: Domain): Domain {
  Object.defineProperty(d, DOMAIN, { value: true })
  return Object.freeze(d)
}

function finite (what: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new TypeError(`${what}: expected a finite number, got ${String(x)}`)
  return x
}

/** One of `values`, uniformly. @example tune.choice(['relu', 'gelu']) */
export function choice<T> (values: readonly T[]): Domain {
  if (!Array.isArray(values) || values.length === 0) throw new TypeError('tune.choice(values): values must be a non-empty array')
  return domain({ kind: 'choice', values: [...values] })
}

/** A float uniform in [low, high). @example tune.uniform(0, 1) */
export function uniform (low: number, high: number): Domain {
  if (finite('tune.uniform low', low) >= finite('tune.uniform high', high)) throw new RangeError(`tune.uniform(${low}, ${high}): low must be below high`)
  return domain({ kind: 'uniform', low, high })
}

/** A float whose logarithm is uniform in [log low, log high): for learning rates. @example tune.loguniform(1e-4, 1e-1) */
export function loguniform (low: number, high: number): Domain {
  finite('tune.loguniform low', low); finite('tune.loguniform high', high)
  if (low <= 0 || low >= high) throw new RangeError(`tune.loguniform(${low}, ${high}): needs 0 < low < high`)
  return domain({ kind: 'loguniform', low, high })
}

/** An integer in [low, high) (high excluded, as Ray's). @example tune.randint(1, 10) */
export function randint (low: number, high: number): Domain {
  if (!Number.isInteger(low) || !Number.isInteger(high) || low >= high) throw new RangeError(`tune.randint(${low}, ${high}): needs integers low < high (high is excluded)`)
  return domain({ kind: 'randint', low, high })
}

/** Every one of `values` is tried (the grid search's axes; a cartesian product over all grid axes). @example tune.grid([16, 32, 64]) */
export function grid<T> (values: readonly T[]): Domain {
  if (!Array.isArray(values) || values.length === 0) throw new TypeError('tune.grid(values): values must be a non-empty array')
  return domain({ kind: 'grid', values: [...values] })
}

/** Whether `x` is a domain made by one of the constructors. */
export function isDomain (x: unknown): x is Domain {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[DOMAIN] === true
}

/** A leaf of a space: where it sits (`['model', 'lr']`) and its domain. */
export interface Dimension {
  path: readonly string[]
  domain: Domain
}

/** Every domain of a space, depth first in key order. Throws a TypeError for a space that is not a plain object. */
export function dimensions (space: ParamSpace): Dimension[] {
  if (typeof space !== 'object' || space === null || Array.isArray(space)) throw new TypeError('paramSpace must be a plain object of domains and constants, e.g. { lr: tune.loguniform(1e-4, 1e-1) }')
  const out: Dimension[] = []
  const walk = (node: unknown, path: string[]): void => {
    if (isDomain(node)) { out.push({ path, domain: node }); return }
    if (isPlainObject(node)) for (const key of Object.keys(node)) walk(node[key], [...path, key])
  }
  walk(space, [])
  return out
}

function isPlainObject (x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/** The space with each domain replaced by `pick(dimension)`; constants copied as they are. */
export function resolve (space: ParamSpace, pick: (d: Dimension) => unknown): Config {
  const build = (node: unknown, path: string[]): unknown => {
    if (isDomain(node)) return pick({ path, domain: node })
    if (isPlainObject(node)) return Object.fromEntries(Object.keys(node).map(k => [k, build(node[k], [...path, k])]))
    return node
  }
  return build(space, []) as Config
}

/** A value at `path` of a config. */
export function valueAt (config: Config, path: readonly string[]): unknown {
  let node: unknown = config
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key]
  return node
}

/** A random draw from one domain (grid axes too: one of their values, uniformly). */
export function sample (d: Domain, rng: Rng): unknown {
  switch (d.kind) {
    case 'choice': case 'grid': return d.values[Math.floor(rng.next() * d.values.length)]
    case 'uniform': return d.low + rng.next() * (d.high - d.low)
    case 'loguniform': return Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high) - Math.log(d.low)))
    case 'randint': return d.low + Math.floor(rng.next() * (d.high - d.low))
  }
}

/** The grid points of a space: every combination of its grid axes' values (one empty point when it has none). */
export function gridPoints (space: ParamSpace): Array<Map<string, unknown>> {
  const axes = dimensions(space).filter(d => d.domain.kind === 'grid')
  let points: Array<Map<string, unknown>> = [new Map()]
  // The last axis varies fastest, as Ray's grid_search orders its product.
  for (const axis of axes) {
    const values = (axis.domain as { values: readonly unknown[] }).values
    points = points.flatMap(p => values.map(v => new Map(p).set(axis.path.join('\u0000'), v)))
  }
  return points
}

/** The key of a dimension in maps keyed by path. */
export function pathKey (path: readonly string[]): string {
  return path.join('\u0000')
}
