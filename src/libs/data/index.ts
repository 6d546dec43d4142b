// `wasm-fabric/data`: datasets of blocks on a fabric, as Ray Data is on Ray Core. Built on the
// public driver contract only (FabricDriver), so a pipeline runs embedded and across nodes alike;
// the functions it applies are tasks of the user's loaded components (`m.fn`).
import type { FabricDriver, ObjectRef } from '../../api/interface.js'
import { Dataset, type DataContext } from './dataset.js'
import type { ExecutionOptions, SourceOptions } from './interface.js'
import { loadOps, type Ops } from './ops-component.js'

export { Dataset } from './dataset.js'
export type { Row, Block, BlockRef, SourceOptions, MapBatchesOptions, ExecutionOptions, OperatorStats } from './interface.js'

/** The sources of datasets on one fabric. */
export interface Data {
  /** Rows `{ id }` for ids 0 to n - 1. */
  range: (n: number, options?: SourceOptions) => Dataset<{ id: number }>
  /** Rows from values the driver has (put into the store as blocks). */
  fromItems: <T>(items: readonly T[], options?: SourceOptions) => Dataset<T>
}

const loaded = new WeakMap<FabricDriver, Promise<Ops>>()

/**
 * Datasets on `fabric`.
 *
 * @example
 * import { data } from 'wasm-fabric/data'
 * const ds = data(fabric).range(10_000).map(m.square).filter(m.isEven)
 * console.log(await ds.count())
 */
export function data (fabric: FabricDriver, execution: ExecutionOptions = {}): Data {
  const maxBlocksInFlight = execution.maxBlocksInFlight ?? 8
  if (!Number.isSafeInteger(maxBlocksInFlight) || maxBlocksInFlight < 1) throw new TypeError(`data: maxBlocksInFlight must be a positive integer, got ${String(maxBlocksInFlight)}`)
  const ctx: DataContext = { fabric, ops: async () => await loadOps(fabric, loaded), execution: { maxBlocksInFlight } }
  return {
    range: (n, options = {}) => {
      if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`range: n must be a non-negative integer, got ${String(n)}`)
      const bounds = cuts(n, options, 'range')
      return new Dataset(ctx, {
        name: `range(${n})`,
        stage: async function * (_input, run, stats) {
          for (const [start, end] of bounds) {
            stats.tasks++
            yield { ref: run.ops.range.remote(start, end) as ObjectRef<unknown[]>, rows: end - start }
          }
        }
      })
    },
    fromItems: (items, options = {}) => {
      if (!Array.isArray(items)) throw new TypeError(`fromItems: items must be an array, got ${typeof items}`)
      // Put now: the dataset's blocks must not change when the caller's array does later.
      const blocks = cuts(items.length, options, 'fromItems').map(([start, end]) => ({ ref: fabric.put(items.slice(start, end)) as ObjectRef<unknown[]>, rows: end - start }))
      return new Dataset(ctx, {
        name: `fromItems(${items.length})`,
        stage: async function * () { yield * blocks }
      })
    }
  }
}

/** [start, end) of each block of n rows: `parallelism` blocks, or about 200 rows each (at most 200 blocks). */
function cuts (n: number, options: SourceOptions, what: string): Array<[number, number]> {
  const p = options.parallelism ?? Math.min(200, Math.max(1, Math.ceil(n / 200)))
  if (!Number.isSafeInteger(p) || p < 1) throw new TypeError(`${what}: parallelism must be a positive integer, got ${String(p)}`)
  const blocks = Math.max(1, Math.min(p, n))
  const out: Array<[number, number]> = []
  for (let i = 0; i < blocks; i++) {
    const start = Math.floor(i * n / blocks)
    const end = Math.floor((i + 1) * n / blocks)
    if (end > start || n === 0) out.push([start, end])
  }
  return n === 0 ? [] : out
}
