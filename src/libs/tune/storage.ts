// A tuning run's state as JSON (the `storagePath` file `restore` reads): the options that can be
// written down, and every trial with its config, history and last checkpoint's value. Domains,
// typed arrays, bigints and Maps are tagged so they come back as they were.
import fs from 'node:fs'
import type { Mode, ParamSpace, TpeInit, TrialResult, TrialStatus } from './interface.js'
import { TuneStateError } from './errors.js'
import { choice, grid, isDomain, loguniform, randint, uniform } from './search-space.js'

/** One trial as written down. */
export interface StoredTrial {
  id: string
  index: number
  config: Record<string, unknown>
  status: TrialStatus
  history: TrialResult[]
  iteration: number
  error?: string
  failures: number
  stoppedEarly: boolean
  /** The last checkpoint: the iteration it was taken at and its value. */
  checkpoint?: { iteration: number, value: unknown }
}

/** The state of a run. */
export interface TuneState {
  version: 1
  init: {
    paramSpace: ParamSpace
    metric: string
    mode: Mode
    numSamples: number
    /** `'grid'`, `'random'`, `'tpe'`, or the name of a search algorithm object (given again to restore). */
    searchAlg: string
    tpe?: TpeInit
    seed: number
    stop?: Record<string, number>
    maxFailures: number
    checkpointFrequency: number
    maxConcurrentTrials?: number
    resourcesPerTrial?: Record<string, unknown>
  }
  trials: StoredTrial[]
}

function tag (_key: string, value: unknown): unknown {
  if (isDomain(value)) return { $domain: { ...value } }
  if (typeof value === 'bigint') return { $bigint: value.toString() }
  if (value instanceof Map) return { $map: [...value.entries()] }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return { $typed: value.constructor.name, data: Array.from(value as unknown as ArrayLike<number | bigint>, x => typeof x === 'bigint' ? x.toString() : x) }
  return value
}

const TYPED: Record<string, (data: unknown[]) => unknown> = {
  Uint8Array: d => Uint8Array.from(d as number[]),
  Int8Array: d => Int8Array.from(d as number[]),
  Uint16Array: d => Uint16Array.from(d as number[]),
  Int16Array: d => Int16Array.from(d as number[]),
  Uint32Array: d => Uint32Array.from(d as number[]),
  Int32Array: d => Int32Array.from(d as number[]),
  Float32Array: d => Float32Array.from(d as number[]),
  Float64Array: d => Float64Array.from(d as number[]),
  BigInt64Array: d => BigInt64Array.from((d as string[]).map(BigInt)),
  BigUint64Array: d => BigUint64Array.from((d as string[]).map(BigInt))
}

function untag (_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const v = value as Record<string, unknown>
  if ('$domain' in v) {
    const d = v.$domain as { kind: string, values?: unknown[], low?: number, high?: number }
    switch (d.kind) {
      case 'choice': return choice(d.values as unknown[])
      case 'grid': return grid(d.values as unknown[])
      case 'uniform': return uniform(d.low as number, d.high as number)
      case 'loguniform': return loguniform(d.low as number, d.high as number)
      case 'randint': return randint(d.low as number, d.high as number)
      default: throw new TuneStateError(`unknown domain kind ${String(d.kind)} in a stored search space`)
    }
  }
  if ('$bigint' in v) return BigInt(v.$bigint as string)
  if ('$map' in v) return new Map(v.$map as Array<[unknown, unknown]>)
  if ('$typed' in v) {
    const make = TYPED[v.$typed as string]
    if (make === undefined) throw new TuneStateError(`unknown typed array ${String(v.$typed)} in a stored checkpoint`)
    return make(v.data as unknown[])
  }
  return value
}

/** The state as JSON text. */
export function stateToJson (state: TuneState): string {
  return JSON.stringify(state, tag, 1)
}

/** A state from JSON text, checked for its shape. */
export function stateFromJson (text: string, where = 'the state'): TuneState {
  let state: TuneState
  try {
    state = JSON.parse(text, untag) as TuneState
  } catch (err) {
    if ((err as Error).name === 'TuneStateError') throw err
    throw new TuneStateError(`${where} is not JSON: ${(err as Error).message}`)
  }
  if (typeof state !== 'object' || state === null || state.version !== 1 || !Array.isArray(state.trials) || typeof state.init?.metric !== 'string') {
    throw new TuneStateError(`${where} is not a tuning run's state (version 1, with init and trials): was it written by a tuner's storagePath?`)
  }
  return state
}

/** Write the state to `path` atomically (a temporary file renamed over it). */
export function writeState (path: string, state: TuneState): void {
  const tmp = `${path}.${process.pid}.tmp`
  fs.writeFileSync(tmp, stateToJson(state))
  fs.renameSync(tmp, path)
}

/** Read a state from `path`. */
export function readState (path: string): TuneState {
  let text: string
  try {
    text = fs.readFileSync(path, 'utf8')
  } catch (err) {
    throw new TuneStateError(`cannot read the tuning state ${path}: ${(err as Error).message} (the tuner's storagePath)`)
  }
  return stateFromJson(text, path)
}
