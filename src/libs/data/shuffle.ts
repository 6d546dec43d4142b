// The all-to-all operators (groupBy aggregates, sort, randomShuffle): a barrier over the input's
// blocks, each block split into one part per output partition by a generator task (so every part
// is its own object, moved only to the reducer that needs it), then a reduce task per partition
// over its parts. Only keys (a sort's samples) and refs visit the driver.
import type { ObjectRef } from '../../api/interface.js'
import type { BlockRef, OperatorStats } from './interface.js'
import type { Run, Stage } from './dataset.js'
import { compareKeys } from './guest/keys.js'

export { compareKeys }

/** An aggregate of a group: `count()`, or `sum`, `mean`, `min`, `max` of a column (Ray's names: `sum(c)`). */
export interface Agg { fn: 'count' | 'sum' | 'mean' | 'min' | 'max', on?: string }

/** Keys sampled per block to choose a sort's range boundaries. */
const SAMPLES_PER_BLOCK = 64

/** Every input block, then the number of output partitions: `partitions`, else as many as blocks. */
async function barrier (input: AsyncIterable<BlockRef>, partitions: number | undefined): Promise<{ blocks: BlockRef[], n: number }> {
  const blocks: BlockRef[] = []
  for await (const b of input) blocks.push(b)
  return { blocks, n: Math.max(1, partitions ?? blocks.length) }
}

/** Each block split by a generator task into n parts: parts[block][partition]. */
async function split (blocks: BlockRef[], n: number, stats: OperatorStats, splitter: (b: BlockRef, i: number) => AsyncIterable<ObjectRef<unknown>>): Promise<Array<Array<ObjectRef<unknown>>>> {
  stats.tasks += blocks.length
  return await Promise.all(blocks.map(async (b, i) => {
    const parts: Array<ObjectRef<unknown>> = []
    for await (const ref of splitter(b, i)) parts.push(ref)
    if (parts.length !== n) throw new Error(`internal: a block was split into ${parts.length} parts, not ${n}`)
    return parts
  }))
}

/** Partition i's parts, from every block. */
const column = (parts: Array<Array<ObjectRef<unknown>>>, i: number): Array<ObjectRef<unknown>> => parts.map(p => p[i]!)

/** groupBy(key) with aggregates: partial per block, final per partition; rows sorted by key within a partition. */
export function aggregateStage (key: string, aggs: Agg[], partitions?: number): Stage {
  return async function * (input, run, stats) {
    const { blocks, n } = await barrier(input, partitions)
    if (blocks.length === 0) return
    const parts = await split(blocks, n, stats, b => run.ops.partialAggregate.remote(b.ref as never, key, aggs as never, n) as AsyncIterable<ObjectRef<unknown>>)
    for (let i = 0; i < n; i++) {
      stats.tasks++
      yield { ref: run.ops.finalAggregate.remote(key, aggs as never, ...(column(parts, i) as never[])) as ObjectRef<unknown[]> }
    }
  }
}

/** groupBy(key) as groups `{ key, rows }` per partition (for a user's function of a group). */
export function groupStage (key: string, partitions?: number): Stage {
  return async function * (input, run, stats) {
    const { blocks, n } = await barrier(input, partitions)
    if (blocks.length === 0) return
    const parts = await split(blocks, n, stats, b => run.ops.partitionByHash.remote(b.ref as never, key, n) as AsyncIterable<ObjectRef<unknown>>)
    for (let i = 0; i < n; i++) {
      stats.tasks++
      yield { ref: run.ops.groupRows.remote(key, ...(column(parts, i) as never[])) as ObjectRef<unknown[]> }
    }
  }
}

/** sort(key): boundaries from sampled keys, a range split per block, a sorted merge per partition (in order). */
export function sortStage (key: string, descending: boolean, partitions?: number): Stage {
  return async function * (input, run, stats) {
    const { blocks, n } = await barrier(input, partitions)
    if (blocks.length === 0) return
    stats.tasks += blocks.length
    const samples = (await run.fabric.get(blocks.map(b => run.ops.sampleKeys.remote(b.ref as never, key, SAMPLES_PER_BLOCK)))).flat()
    const boundaries = chooseBoundaries(samples as unknown[], n)
    const m = boundaries.length + 1
    const parts = await split(blocks, m, stats, b => run.ops.partitionByRange.remote(b.ref as never, key, boundaries as never, descending) as AsyncIterable<ObjectRef<unknown>>)
    for (let i = 0; i < m; i++) {
      stats.tasks++
      yield { ref: run.ops.sortParts.remote(key, descending, ...(column(parts, i) as never[])) as ObjectRef<unknown[]> }
    }
  }
}

/** randomShuffle: each row to a random partition, each partition shuffled; replays with the same seed. */
export function shuffleStage (seed: number, partitions?: number): Stage {
  return async function * (input, run, stats) {
    const { blocks, n } = await barrier(input, partitions)
    if (blocks.length === 0) return
    const parts = await split(blocks, n, stats, (b, i) => run.ops.partitionRandom.remote(b.ref as never, n, mix(seed, i)) as AsyncIterable<ObjectRef<unknown>>)
    for (let i = 0; i < n; i++) {
      stats.tasks++
      yield { ref: run.ops.shuffleParts.remote(mix(seed, n + i), ...(column(parts, i) as never[])) as ObjectRef<unknown[]> }
    }
  }
}

/** n - 1 boundaries at the quantiles of the sampled keys (fewer when keys repeat). */
export function chooseBoundaries (samples: unknown[], n: number): unknown[] {
  const sorted = [...samples].sort(compareKeys)
  const out: unknown[] = []
  for (let i = 1; i < n; i++) {
    const k = sorted[Math.floor(i * sorted.length / n)]
    if (k !== undefined && (out.length === 0 || compareKeys(out[out.length - 1], k) < 0)) out.push(k)
  }
  return out
}

function mix (seed: number, i: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i + 1, 0xc2b2ae35)) >>> 0
}

export type { Run }
