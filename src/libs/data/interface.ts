// The data library's contracts: rows, blocks, the options of its operators, and what `stats()` says.
import type { ObjectRef } from '../../api/interface.js'

/** A row: a record of fields (what `range` and the readers make; any CBOR value works for map/filter). */
export type Row = Record<string, unknown>

/** A block: rows kept together as one object in the store. */
export type Block<T = unknown> = T[]

/** A block as the executor tracks it: its ref and, when known, its row count. */
export interface BlockRef<T = unknown> {
  ref: ObjectRef<Block<T>>
  rows?: number
  /**
   * Made by this execution and handed to no one else (a reader's block): the operator that
   * consumes it may free it once what it made from it is ready (on an embedded fabric).
   */
  owned?: boolean
}

/** Where a dataset's rows come from, and how they are cut into blocks. */
export interface SourceOptions {
  /** Blocks to make (the unit of parallelism). @default about 200 rows a block, at most 200 blocks */
  parallelism?: number
}

/** Options of `mapBatches`. */
export interface MapBatchesOptions {
  /** Rows per batch; the last batch of a block may be smaller. @default a whole block per batch */
  batchSize?: number
  /** How the function sees a batch: an array of rows, or an object of columns (numeric fields as Float64Array). @default 'rows' */
  format?: 'rows' | 'columns'
}

/** How execution is bounded. */
export interface ExecutionOptions {
  /** Blocks in flight at once (submitted, not yet consumed). @default 8 */
  maxBlocksInFlight?: number
  /**
   * Memoise every block task (the library's own and your functions'): a run over inputs the fabric
   * has seen before reuses each block's result instead of running it, across jobs and nodes (see
   * docs/memo-and-durability.md). @default false
   */
  memo?: boolean
}

/** One operator's work in an execution (`dataset.stats()`). */
export interface OperatorStats {
  /** The operator, e.g. `map(parse)`. */
  name: string
  /** Tasks it submitted. */
  tasks: number
  /** Blocks it produced. */
  blocks: number
  /** Rows it produced, where counted (sources, and every operator's output once a consumer counts it). */
  rows?: number
  /** Bytes of the blocks it produced, where known without asking the store (record datasets: rows × record width). */
  bytes?: number
  /** Wall-clock ms from its first task to its last block ready. */
  wallMs: number
}
