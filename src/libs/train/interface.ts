// The train library's contracts: what a data-parallel trainer takes, what it reports while it
// runs, and what `fit()` gives back.
import type { BundleSpec, ObjectRef, PlacementStrategy } from '../../api/interface.js'
import type { Dataset } from '../data/index.js'

/** What each report of a worker holds (see the guest's TrainReport). */
export interface Report {
  /** The reporting worker's rank. */
  rank: number
  /** The node the worker runs on (as `fabric.nodes()` names it). */
  node: string
  /** Reports of this rank so far in this run (1 for the first). */
  index: number
  metrics: Record<string, unknown>
  /** Rank 0's checkpoint with this report, stored as an object (and written to `storagePath`). */
  checkpoint?: Checkpoint
  /** The attempt it came from (0 unless the run restarted after failures). */
  attempt: number
}

/** A checkpoint a worker reported: an object in the fabric, and a file when the trainer has a `storagePath`. */
export interface Checkpoint {
  ref: ObjectRef<unknown>
  /** The report it came with (rank 0's `index`). */
  index: number
  /** Its file (CBOR), when written to `storagePath`. */
  path?: string
}

/** Options of `train.dataParallel`. */
export interface DataParallelOptions<C = unknown> {
  /** Workers: one actor each, gang-scheduled in a placement group. */
  numWorkers: number
  /** What each worker holds (its bundle of the placement group). @default { cpus: 1 } */
  resourcesPerWorker?: BundleSpec
  /** How the workers' bundles spread over nodes. @default 'PACK' */
  placementStrategy?: PlacementStrategy
  /** Given to every worker (its context's `config`). */
  config?: C
  /** Datasets each worker gets a shard of (by name; the loop reads them with `shardBatches`). */
  datasets?: Record<string, Dataset>
  /** The worker method that runs the training loop (a generator yielding reports). @default 'train' */
  loop?: string
  /** Restarts of the whole group after a worker (or its node) failed, from the last checkpoint. @default 0 */
  maxFailures?: number
  /** A folder the checkpoints are also written to (CBOR files, one per checkpoint). */
  storagePath?: string
  /** Checkpoints kept (objects and files); older ones are let go. @default 2 */
  keepCheckpoints?: number
  /** Told of every report as it arrives (live metrics). */
  onReport?: (report: Report) => void
  /** How long the placement group may take to be placed. @default 60000 */
  placementTimeoutMs?: number
  /** A name for the run (the collective group's and the placement group's). @default 'train' */
  name?: string
  /** Start from this checkpoint (a previous run's `result.checkpoint`). */
  resumeFrom?: Checkpoint
}

/** What `fit()` gives back. */
export interface TrainResult {
  /** Rank 0's last metrics. */
  metrics: Record<string, unknown>
  /** The last checkpoint (rank 0's), if any was reported. */
  checkpoint?: Checkpoint
  /** Every report of every rank, in arrival order. */
  history: Report[]
  /** Attempts the run took (1 without failures). */
  attempts: number
  /** Why each failed attempt failed. */
  failures: string[]
  /** Seconds from `fit()` to its end. */
  seconds: number
}
