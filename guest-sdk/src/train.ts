// What a data-parallel worker's guest gets from `wasm-fabric/train` (`train.dataParallel` on the
// driver): its context, and its shard of each dataset read as batches. Every worker reads the same
// number of rows per epoch (the smallest shard's), so every worker makes the same number of steps
// — and of gradient all-reduces.
import { get } from './host.js'
import type { ObjectRef } from '../../src/objects/object-ref.js'

/** One worker's part of a dataset: its blocks (refs, read where the worker runs) and their rows. */
export interface Shard<R = unknown> {
  blocks: Array<ObjectRef<R[]>>
  rows: number
}

/** What a data-parallel trainer gives each worker's training loop. */
export interface TrainContext<C = unknown> {
  /** This worker's rank (0 .. size - 1) in `group`. */
  rank: number
  size: number
  /** The workers' collective group: `nn.allReduceGradients(params, { group })`. */
  group: string
  /** The trainer's `config`. */
  config: C
  /** This worker's shard of each dataset given to the trainer. */
  shards: Record<string, Shard>
  /** Rows each worker reads of each dataset per epoch (the smallest shard's). */
  rowsPerWorker: Record<string, number>
  /** The last checkpoint a worker reported (the run starts again from it after a failure), else undefined. */
  checkpoint?: unknown
  /** Which attempt this is (0 the first; one more after each failure). */
  attempt: number
}

/** What a training loop yields, each epoch (or as often as it reports): metrics, and optionally a checkpoint. */
export interface TrainReport {
  metrics: Record<string, unknown>
  /** Any data to restart from (a model's stateDict, the epoch, an optimiser's step); rank 0's are kept. */
  checkpoint?: unknown
}

/** A seeded generator (mulberry32) for the shard's order. */
function generator (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6D2B79F5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffleInPlace<T> (xs: T[], random: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = xs[i]!
    xs[i] = xs[j]!
    xs[j] = t
  }
}

/**
 * The batches of one epoch of this worker's shard of `dataset` (default 'train'): exactly
 * ⌊rowsPerWorker / batchSize⌋ batches of `batchSize` rows on every worker. With `shuffle` (a seed;
 * each epoch adds its number) the blocks come in a shuffled order and rows are mixed within a
 * buffer of `bufferBlocks` blocks; without it, in order.
 */
export function * shardBatches<R = unknown> (ctx: TrainContext, options: { batchSize: number, dataset?: string, shuffle?: number, epoch?: number, bufferBlocks?: number }): Generator<R[]> {
  const name = options.dataset ?? 'train'
  const shard = ctx.shards[name] as Shard<R> | undefined
  if (shard === undefined) throw new TypeError(`shardBatches: no dataset '${name}' was given to the trainer (it has ${Object.keys(ctx.shards).join(', ') || 'none'})`)
  const size = options.batchSize
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`shardBatches: batchSize must be a positive integer, got ${String(size)}`)
  const steps = Math.floor((ctx.rowsPerWorker[name] ?? shard.rows) / size)
  const random = options.shuffle === undefined ? undefined : generator(options.shuffle + 7919 * (options.epoch ?? 0) + 104729 * ctx.rank)
  const order = shard.blocks.slice()
  if (random !== undefined) shuffleInPlace(order, random)
  const buffer = Math.max(1, options.bufferBlocks ?? 4)
  let pending: R[] = []
  let next = 0
  let made = 0
  while (made < steps) {
    // Fill the buffer with up to `buffer` blocks, mixed, then take whole batches from it.
    while (pending.length < size * 2 && next < order.length) {
      const rows = get(order[next++]!) as R[]
      pending = pending.length === 0 ? rows.slice() : pending.concat(rows)
      if (random !== undefined && (next % buffer === 0 || next === order.length)) shuffleInPlace(pending, random)
    }
    if (pending.length < size) break
    yield pending.slice(0, size)
    pending = pending.slice(size)
    made++
  }
}

/**
 * One field of each row stacked into one Float32Array (rows of typed arrays or number arrays, or
 * of numbers): a batch's features as a tensor's data.
 */
export function stackRows (rows: ReadonlyArray<Record<string, unknown>>, field: string): Float32Array {
  if (rows.length === 0) return new Float32Array(0)
  const first = rows[0]![field]
  const width = typeof first === 'number' ? 1 : (first as ArrayLike<number> | undefined)?.length
  if (width === undefined) throw new TypeError(`stackRows: row 0 has no numeric field '${field}'`)
  const out = new Float32Array(rows.length * width)
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]![field]
    if (typeof v === 'number') {
      out[i] = v
    } else {
      const a = v as ArrayLike<number> | undefined
      if (a === undefined || a.length !== width) throw new TypeError(`stackRows: row ${i}'s '${field}' has ${a?.length ?? 'no'} elements, row 0's ${width}`)
      // A typed array converts natively (no per-element JS: QuickJS interprets loops).
      if (ArrayBuffer.isView(a)) out.set(a as unknown as ArrayLike<number>, i * width)
      else for (let j = 0; j < width; j++) out[i * width + j] = a[j]!
    }
  }
  return out
}
