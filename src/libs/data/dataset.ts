// A Dataset: a lazy, immutable plan of blocks (objects in the store) and the operators between
// them, as Ray Data's. Nothing runs until a consumer (take, count, iterBatches, materialize, ...)
// pulls blocks: each operator turns a block's ref into new refs at once (tasks take refs as
// arguments, so a block's whole chain is submitted without waiting), and the consumer keeps at
// most `maxBlocksInFlight` blocks submitted ahead of what it has consumed. A block never visits the
// driver unless the consumer asks for its rows.
// Over 500 lines: the Dataset class is the library's one public type (Ray Data's Dataset), its
// operators, consumers and writers each a short method over the shared plan; split by file they
// would only forward to each other.
import fs from 'node:fs'
import path from 'node:path'
import type { FabricDriver, ObjectRef, RemoteFunction } from '../../api/interface.js'
import type { Block, BlockRef, ExecutionOptions, MapBatchesOptions, OperatorStats, Row } from './interface.js'
import { aggregateStage, groupStage, shuffleStage, sortStage, type Agg } from './shuffle.js'
import type { Kernels, Ops } from './ops-component.js'
import { memoiseTask } from './memo.js'
import { layoutField, recordCounts, recordRows, recordSortStage, sameLayout, type RecordLayout } from './records.js'

/** A task applied to every item of a list in one call (the driver contract's vectorised calls). */
interface Vectorised {
  map: { remote: (items: unknown, ...rest: unknown[]) => ObjectRef<unknown[]> }
  filter: { remote: (items: unknown, ...rest: unknown[]) => ObjectRef<unknown[]> }
  flatMap: { remote: (items: unknown, ...rest: unknown[]) => ObjectRef<unknown[]> }
}

/** What an execution shares: the fabric, the ops component, the bound, and its operators' stats. */
export interface Run {
  fabric: FabricDriver
  ops: Ops
  /** The record kernels (an AssemblyScript component), loaded when a record operator first needs them. */
  kernels: () => Promise<Kernels>
  maxBlocksInFlight: number
  stats: Map<number, OperatorStats & { startedAt?: number }>
}

/** An operator: a transform of the stream of blocks, made afresh for each execution. */
export type Stage = (input: AsyncIterable<BlockRef>, run: Run, stats: OperatorStats & { startedAt?: number }) => AsyncIterable<BlockRef>

/** The dataset's context: its fabric and the ops component once loaded. */
export interface DataContext {
  fabric: FabricDriver
  ops: () => Promise<Ops>
  kernels: () => Promise<Kernels>
  execution: Required<ExecutionOptions>
}

interface PlanNode {
  name: string
  stage: Stage
  parent?: PlanNode
  /** For union: further inputs, run after `parent`'s blocks. */
  others?: PlanNode[]
  /** Set where the blocks are fixed-width records (bytes), not arrays of rows. */
  layout?: RecordLayout
}

/**
 * A dataset of rows of type T.
 *
 * @example
 * const ds = data(fabric).range(1000).map(m.square).filter(m.isEven)
 * console.log(await ds.count(), await ds.take(3))
 */
export class Dataset<T = unknown> {
  /** @internal made by the context's sources and by operators */
  constructor (private readonly ctx: DataContext, private readonly node: PlanNode) {}

  /** A user's task as the execution calls it (memoised when the context says so). */
  private task<F> (fn: F): F {
    return this.ctx.execution.memo ? memoiseTask(fn) : fn
  }

  /** Each row through `fn` (a task of a loaded TypeScript component), in one task per block. */
  map<A extends [unknown, ...unknown[]], R>(fn: RemoteFunction<A, R>, ...rest: Rest<A>): Dataset<Awaited<R>> {
    const v = vectorised(this.task(fn), 'map')
    return this.rows().perBlock(`map(${nameOf(fn)})`, (b) => v.remote(b.ref, ...rest))
  }

  /** The rows for which `fn` returns true. */
  filter<A extends [unknown, ...unknown[]]>(fn: RemoteFunction<A, boolean>, ...rest: Rest<A>): Dataset<T> {
    const v = vectorised(this.task(fn), 'filter')
    return this.rows().perBlock(`filter(${nameOf(fn)})`, (b) => v.remote(b.ref, ...rest), false)
  }

  /** Each row to the rows `fn` returns for it (an array). */
  flatMap<A extends [unknown, ...unknown[]], R>(fn: RemoteFunction<A, R[]>, ...rest: Rest<A>): Dataset<R> {
    const v = vectorised(this.task(fn), 'flatMap')
    return this.rows().perBlock(`flatMap(${nameOf(fn)})`, (b) => v.remote(b.ref, ...rest), false)
  }

  /**
   * Batches of rows through `fn` (a task taking a batch and returning a batch): rows (an array),
   * or with `format: 'columns'` an object of columns (numeric fields as Float64Array) returned as
   * columns too. `batchSize` cuts each block into batches of that many rows (the last smaller).
   */
  mapBatches<R = T, A extends [unknown] = [unknown]>(fn: RemoteFunction<A, unknown>, options: MapBatchesOptions = {}): Dataset<R> {
    const { batchSize, format = 'rows' } = options
    if (format !== 'rows' && format !== 'columns') throw new TypeError(`mapBatches: format must be 'rows' or 'columns', got ${JSON.stringify(format)}`)
    if (batchSize !== undefined && (!Number.isSafeInteger(batchSize) || batchSize < 1)) throw new TypeError(`mapBatches: batchSize must be a positive integer, got ${String(batchSize)}`)
    const call = this.task(fn) as unknown as { remote: (batch: unknown) => ObjectRef<unknown> }
    const name = `mapBatches(${nameOf(fn)})`
    return this.rows().chain(name, async function * (input, run, stats) {
      const one = (batch: ObjectRef<unknown>): ObjectRef<unknown[]> => {
        if (format === 'rows') {
          stats.tasks++
          return call.remote(batch) as ObjectRef<unknown[]>
        }
        stats.tasks += 3
        return run.ops.toRows.remote(call.remote(run.ops.toColumns.remote(batch as never)) as never) as ObjectRef<unknown[]>
      }
      for await (const b of input) {
        if (batchSize === undefined) {
          yield { ref: one(b.ref) }
          continue
        }
        const rows = b.rows ?? await run.fabric.get(run.ops.count.remote(b.ref as never))
        if (rows <= batchSize) {
          yield { ref: one(b.ref) }
          continue
        }
        const parts: Array<ObjectRef<unknown[]>> = []
        for (let at = 0; at < rows; at += batchSize) {
          stats.tasks++
          parts.push(one(run.ops.slice.remote(b.ref as never, at, Math.min(rows, at + batchSize)) as ObjectRef<unknown>))
        }
        stats.tasks++
        yield { ref: run.ops.concat.remote(...(parts as never[])) as ObjectRef<unknown[]> }
      }
    })
  }

  /** The first `n` rows (in block order). */
  limit (n: number): Dataset<T> {
    if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`limit: n must be a non-negative integer, got ${String(n)}`)
    const layout = this.node.layout
    return this.chain(`limit(${n})`, async function * (input, run, stats) {
      let left = n
      if (left === 0) return
      for await (const b of input) {
        const rows = layout !== undefined ? (await recordCounts([b], layout, run))[0]! : b.rows ?? await run.fabric.get(run.ops.count.remote(b.ref as never))
        if (rows <= left) {
          yield { ref: b.ref, rows }
          left -= rows
        } else {
          stats.tasks++
          const part = layout !== undefined ? run.ops.sliceRecords.remote(b.ref as never, layout.width, 0, left) : run.ops.slice.remote(b.ref as never, 0, left)
          yield { ref: part as ObjectRef<unknown[]>, rows: left }
          left = 0
        }
        if (left === 0) return
      }
    }, layout)
  }

  /** This dataset's rows, then each other's (block order kept). */
  union<U = T>(...others: Array<Dataset<U>>): Dataset<T | U> {
    for (const o of others) if (o.ctx.fabric !== this.ctx.fabric) throw new TypeError('union: datasets of different fabrics cannot be joined')
    // Records of one layout stay records; anything else is joined as rows.
    const layout = this.node.layout
    if (layout !== undefined && others.every(o => sameLayout(layout, o.node.layout))) {
      return new Dataset<T | U>(this.ctx, { name: `union(${others.length + 1})`, stage: passThrough, parent: this.node, others: others.map(o => o.node), layout })
    }
    return new Dataset<T | U>(this.ctx, { name: `union(${others.length + 1})`, stage: passThrough, parent: this.rows().node, others: others.map(o => o.rows().node) })
  }

  /** The rows in `n` blocks of about equal size (block order and row order kept). */
  repartition (n: number): Dataset<T> {
    if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`repartition: n must be a positive integer, got ${String(n)}`)
    return this.rows().chain(`repartition(${n})`, async function * (input, run, stats) {
      // A barrier: every block's count first (the blocks stay where they are).
      const blocks: BlockRef[] = []
      for await (const b of input) blocks.push(b)
      const counts = await Promise.all(blocks.map(async b => b.rows ?? await run.fabric.get(run.ops.count.remote(b.ref as never))))
      const total = counts.reduce((a, c) => a + c, 0)
      let block = 0
      let offset = 0
      for (let i = 0; i < n; i++) {
        let want = Math.floor(total / n) + (i < total % n ? 1 : 0)
        const size = want
        const parts: Array<ObjectRef<unknown[]>> = []
        while (want > 0) {
          const take = Math.min(want, counts[block]! - offset)
          if (take > 0) {
            const whole = offset === 0 && take === counts[block]
            if (!whole) stats.tasks++
            parts.push(whole ? blocks[block]!.ref : run.ops.slice.remote(blocks[block]!.ref as never, offset, offset + take) as ObjectRef<unknown[]>)
          }
          offset += take
          want -= take
          if (offset >= counts[block]!) { block++; offset = 0 }
        }
        if (parts.length === 1) {
          yield { ref: parts[0]!, rows: size }
        } else {
          stats.tasks++
          yield { ref: run.ops.concat.remote(...(parts as never[])) as ObjectRef<unknown[]>, rows: size }
        }
      }
    })
  }

  /** Rows grouped by `key`: then `count()`, `sum(c)`, `mean(c)`, `min(c)`, `max(c)`, `aggregate(...)` or `mapGroups(fn)`. */
  groupBy (key: string, options: { partitions?: number } = {}): GroupedData<T> {
    checkKey(key, 'groupBy')
    checkPartitions(options.partitions, 'groupBy')
    return new GroupedData<T>(this.rows(), key, options.partitions)
  }

  /** Rows ordered by `key` (numbers, then strings, then others; null last), across blocks. */
  sort (key: string, options: { descending?: boolean, partitions?: number } = {}): Dataset<T> {
    checkKey(key, 'sort')
    checkPartitions(options.partitions, 'sort')
    const layout = this.node.layout
    if (layout !== undefined) {
      layoutField(layout, key, 'sort')
      return this.chain(`sort(${key}${options.descending === true ? ', descending' : ''})`, recordSortStage(layout, key, options.descending === true, options.partitions), layout)
    }
    return this.chain(`sort(${key}${options.descending === true ? ', descending' : ''})`, sortStage(key, options.descending === true, options.partitions))
  }

  /** Rows in a random order (the same for the same seed and blocks). */
  randomShuffle (options: { seed?: number, partitions?: number } = {}): Dataset<T> {
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32)
    if (!Number.isSafeInteger(seed)) throw new TypeError(`randomShuffle: seed must be an integer, got ${String(seed)}`)
    checkPartitions(options.partitions, 'randomShuffle')
    return this.rows().chain(`randomShuffle(${seed})`, shuffleStage(seed, options.partitions))
  }

  /** @internal a new dataset: this one, then `stage` */
  withStage<R>(name: string, stage: Stage): Dataset<R> {
    return this.chain<R>(name, stage)
  }

  // ---- consumers -------------------------------------------------------------------------

  /** The blocks' refs as they are made, at most `maxBlocksInFlight` ahead of the reader. */
  async * iterBlocks (options: ExecutionOptions = {}): AsyncGenerator<BlockRef<T>> {
    const run: Run = { fabric: this.ctx.fabric, ops: await this.ctx.ops(), kernels: this.ctx.kernels, maxBlocksInFlight: options.maxBlocksInFlight ?? this.ctx.execution.maxBlocksInFlight, stats: new Map() }
    this.lastRun = run
    const ahead: Array<BlockRef<T>> = []
    const source = this.stream(run)[Symbol.asyncIterator]()
    let done = false
    while (true) {
      // Submit up to the bound ahead, then hand out the oldest once it is ready.
      while (!done && ahead.length < run.maxBlocksInFlight) {
        const next = await source.next()
        if (next.done === true) { done = true; break }
        ahead.push(next.value as BlockRef<T>)
      }
      const b = ahead.shift()
      if (b === undefined) break
      await run.fabric.wait([b.ref], { numReturns: 1 })
      yield b
    }
    for (const s of run.stats.values()) if (s.startedAt !== undefined) s.wallMs = Date.now() - s.startedAt
  }

  /** Batches of rows (each at most `batchSize`; blocks are cut and joined to make them). */
  async * iterBatches (options: { batchSize?: number } & ExecutionOptions = {}): AsyncGenerator<T[]> {
    const size = options.batchSize ?? 256
    if (!Number.isSafeInteger(size) || size < 1) throw new TypeError(`iterBatches: batchSize must be a positive integer, got ${String(size)}`)
    let pending: T[] = []
    for await (const b of this.iterBlocks(options)) {
      const rows = await this.blockRows(b)
      pending = pending.length === 0 ? rows : pending.concat(rows)
      while (pending.length >= size) {
        yield pending.slice(0, size)
        pending = pending.slice(size)
      }
    }
    if (pending.length > 0) yield pending
  }

  /** The first `n` rows. */
  async take (n = 20): Promise<T[]> {
    const out: T[] = []
    if (n <= 0) return out
    for await (const b of this.limit(n).iterBlocks()) out.push(...await this.blockRows(b))
    return out
  }

  /** Every row (at the driver: mind the size). */
  async takeAll (): Promise<T[]> {
    const out: T[] = []
    for await (const b of this.iterBlocks()) {
      const rows = await this.blockRows(b)
      for (const r of rows) out.push(r)
    }
    return out
  }

  /** A block's rows at the driver (a record block's as `{ [field]: Uint8Array }` views). */
  private async blockRows (b: BlockRef<T>): Promise<T[]> {
    const value = await this.ctx.fabric.get(b.ref)
    return this.node.layout === undefined ? value : recordRows(value as unknown as Uint8Array, this.node.layout) as T[]
  }

  /** How many rows (counted next to the blocks). */
  async count (): Promise<number> {
    let total = 0
    const counts: Array<Promise<number>> = []
    let ops: Ops | undefined
    const width = this.node.layout?.width
    for await (const b of this.iterBlocks()) {
      if (b.rows !== undefined) total += b.rows
      else {
        ops ??= await this.ctx.ops()
        counts.push(this.ctx.fabric.get(width !== undefined ? ops.countRecords.remote(b.ref as never, width) : ops.count.remote(b.ref as never)))
      }
    }
    for (const c of await Promise.all(counts)) total += c
    return total
  }

  /** Write each block as a CSV file `part-00000.csv`, ... in `dir` (made if missing); returns the files. */
  async writeCsv (dir: string, options: { delimiter?: string } = {}): Promise<string[]> {
    const delimiter = options.delimiter ?? ','
    return await this.rows().write(dir, 'csv', (ops, ref) => ops.formatCsv.remote(ref as never, ops.columnsOf.remote(ref as never) as never, delimiter) as ObjectRef<Uint8Array>)
  }

  /** Write each block as a JSON-lines file `part-00000.json`, ... in `dir`; returns the files. */
  async writeJson (dir: string): Promise<string[]> {
    return await this.rows().write(dir, 'json', (ops, ref) => ops.formatJsonl.remote(ref as never) as ObjectRef<Uint8Array>)
  }

  /**
   * Write each block as a Parquet file `part-00000.parquet`, ... in `dir` (hyparquet-writer,
   * column types guessed from the values; encoded at the driver); returns the files.
   */
  async writeParquet (dir: string): Promise<string[]> {
    const { parquetBytes } = await import('./parquet.js')
    await fs.promises.mkdir(dir, { recursive: true })
    const files: string[] = []
    const source = this.rows()
    for await (const b of source.iterBlocks()) {
      const file = path.join(dir, `part-${String(files.length).padStart(5, '0')}.parquet`)
      await fs.promises.writeFile(file, parquetBytes(await this.ctx.fabric.get(b.ref) as Row[], file))
      files.push(file)
    }
    return files
  }

  /**
   * Write each block of a record dataset as its bytes, `part-00000.bin`, ... in `dir` (read back
   * with `readRecords` and the same fields); returns the files.
   */
  async writeRecords (dir: string): Promise<string[]> {
    if (this.node.layout === undefined) throw new TypeError('writeRecords: this dataset\'s blocks are rows, not fixed-width records (make it with readRecords or fromRecords)')
    return await this.write(dir, 'bin', (_ops, ref) => ref as unknown as ObjectRef<Uint8Array>)
  }

  private async write (dir: string, ext: string, format: (ops: Ops, ref: ObjectRef<unknown[]>) => ObjectRef<Uint8Array>): Promise<string[]> {
    await fs.promises.mkdir(dir, { recursive: true })
    const ops = await this.ctx.ops()
    const files: string[] = []
    // Formatting runs next to the blocks, `maxBlocksInFlight` ahead of the writes.
    const pending: Array<Promise<void>> = []
    for await (const b of this.iterBlocks()) {
      const file = path.join(dir, `part-${String(files.length).padStart(5, '0')}.${ext}`)
      files.push(file)
      const written = this.ctx.fabric.get(format(ops, b.ref)).then(async bytes => { await fs.promises.writeFile(file, bytes) })
      written.catch(() => {}) // awaited below, in order
      pending.push(written)
      if (pending.length >= this.ctx.execution.maxBlocksInFlight) await pending.shift()
    }
    await Promise.all(pending)
    return files
  }

  /** Run the plan and keep its blocks: a dataset over them (later consumers run nothing again). */
  async materialize (): Promise<Dataset<T>> {
    const blocks: Array<BlockRef<T>> = []
    // Kept for every later execution: no operator may free them.
    for await (const b of this.iterBlocks()) blocks.push({ ref: b.ref, ...(b.rows !== undefined ? { rows: b.rows } : {}) })
    return new Dataset<T>(this.ctx, {
      name: `materialized(${blocks.length} blocks)`,
      stage: async function * () { yield * blocks },
      ...(this.node.layout !== undefined ? { layout: this.node.layout } : {})
    })
  }

  /**
   * Run the plan and cut its blocks into `n` shards of about equal rows (whole blocks, the largest
   * first to the shard with the fewest rows): one per data-parallel worker, each with its blocks'
   * refs (a worker reads them where it runs) and row count. Row datasets only.
   *
   * @throws TypeError for n below 1, or a dataset of fixed-width records (map it to rows first)
   */
  async shards (n: number): Promise<Array<{ blocks: Array<ObjectRef<Block<T>>>, rows: number }>> {
    if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`shards: n must be a positive integer, got ${String(n)}`)
    if (this.node.layout !== undefined) throw new TypeError('shards: a dataset of fixed-width records cannot be sharded as rows: map it to rows first')
    const blocks: Array<{ ref: ObjectRef<Block<T>>, rows: number | Promise<number> }> = []
    let ops: Ops | undefined
    for await (const b of this.iterBlocks()) {
      if (b.rows !== undefined) {
        blocks.push({ ref: b.ref, rows: b.rows })
      } else {
        ops ??= await this.ctx.ops()
        blocks.push({ ref: b.ref, rows: this.ctx.fabric.get(ops.count.remote(b.ref as never)) })
      }
    }
    const counted = await Promise.all(blocks.map(async b => ({ ref: b.ref, rows: await b.rows })))
    const shards = Array.from({ length: n }, () => ({ blocks: [] as Array<ObjectRef<Block<T>>>, rows: 0 }))
    for (const b of counted.sort((x, y) => y.rows - x.rows)) {
      const into = shards.reduce((best, s) => s.rows < best.rows ? s : best)
      into.blocks.push(b.ref)
      into.rows += b.rows
    }
    return shards
  }

  /** What the last execution did, per operator (sources first). */
  stats (): OperatorStats[] {
    return [...(this.lastRun?.stats.values() ?? [])].map(({ startedAt: _, ...s }) => s)
  }

  private lastRun: Run | undefined

  // ---- plan ------------------------------------------------------------------------------

  /** A new dataset: this one, then `stage` (whose blocks are records of `layout` where given). */
  private chain<R>(name: string, stage: Stage, layout?: RecordLayout): Dataset<R> {
    return new Dataset<R>(this.ctx, { name, stage, parent: this.node, ...(layout !== undefined ? { layout } : {}) })
  }

  /** This dataset with blocks of rows: a record dataset's blocks converted next to them (`{ [field]: Uint8Array }`). */
  private rows (): Dataset<T> {
    const layout = this.node.layout
    if (layout === undefined) return this
    return this.perBlock<T>('toRows', (b, run) => run.ops.recordsToRows.remote(b.ref as never, layout.width, layout.fields as never) as ObjectRef<unknown[]>)
  }

  /** An operator that maps each block to one new block (`keepsCount`: as many rows as it had). */
  private perBlock<R>(name: string, make: (b: BlockRef, run: Run) => ObjectRef<unknown[]>, keepsCount = true): Dataset<R> {
    return this.chain<R>(name, async function * (input, run, stats) {
      for await (const b of input) {
        stats.tasks++
        yield { ref: make(b, run), ...(keepsCount && b.rows !== undefined ? { rows: b.rows } : {}) }
      }
    })
  }

  /** The plan as one stream of blocks, each operator's stats counted. */
  private stream (run: Run): AsyncIterable<BlockRef> {
    let id = 0
    const build = (node: PlanNode): AsyncIterable<BlockRef> => {
      const inputs = [...(node.parent === undefined ? [] : [build(node.parent)]), ...(node.others ?? []).map(build)]
      const stats: OperatorStats & { startedAt?: number } = { name: node.name, tasks: 0, blocks: 0, wallMs: 0 }
      run.stats.set(id++, stats)
      const input = (async function * () { for (const i of inputs) yield * i })()
      const out = node.stage(input, run, stats)
      return (async function * () {
        for await (const b of out) {
          stats.startedAt ??= Date.now()
          stats.blocks++
          if (b.rows !== undefined) stats.rows = (stats.rows ?? 0) + b.rows
          if (b.rows !== undefined && node.layout !== undefined) stats.bytes = (stats.bytes ?? 0) + b.rows * node.layout.width
          yield b
        }
      })()
    }
    return build(this.node)
  }
}

const passThrough: Stage = (input) => input

/**
 * A dataset grouped by a key. Aggregates make rows `{ [key]: k, 'sum(c)': total, ... }` (Ray's
 * names), one per key; `mapGroups(fn)` gives `fn` each group as `{ key, rows }`.
 */
export class GroupedData<T> {
  constructor (private readonly ds: Dataset<T>, private readonly key: string, private readonly partitions: number | undefined) {}

  count (): Dataset<Row> { return this.aggregate({ fn: 'count' }) }
  sum (column: string): Dataset<Row> { return this.aggregate({ fn: 'sum', on: column }) }
  mean (column: string): Dataset<Row> { return this.aggregate({ fn: 'mean', on: column }) }
  min (column: string): Dataset<Row> { return this.aggregate({ fn: 'min', on: column }) }
  max (column: string): Dataset<Row> { return this.aggregate({ fn: 'max', on: column }) }

  /** Several aggregates at once, e.g. `aggregate({ fn: 'count' }, { fn: 'mean', on: 'price' })`. */
  aggregate (...aggs: Agg[]): Dataset<Row> {
    if (aggs.length === 0) throw new TypeError('aggregate: name at least one aggregate, e.g. { fn: \'count\' }')
    for (const a of aggs) {
      if (!['count', 'sum', 'mean', 'min', 'max'].includes(a?.fn)) throw new TypeError(`aggregate: fn must be count, sum, mean, min or max, got ${JSON.stringify(a?.fn)}`)
      if (a.fn !== 'count') checkKey(a.on as string, `${a.fn}()`)
    }
    const names = aggs.map(a => a.fn === 'count' ? 'count()' : `${a.fn}(${a.on!})`)
    return this.ds.withStage(`groupBy(${this.key}).${names.join(', ')}`, aggregateStage(this.key, aggs, this.partitions))
  }

  /** Each group `{ key, rows }` through `fn` (a task of a loaded component), which returns a row. */
  mapGroups<A extends [unknown], R>(fn: RemoteFunction<A, R>): Dataset<Awaited<R>> {
    return this.ds.withStage<{ key: unknown, rows: T[] }>(`groupBy(${this.key})`, groupStage(this.key, this.partitions)).map(fn, ...([] as unknown as Rest<A>))
  }
}

function checkKey (key: unknown, what: string): void {
  if (typeof key !== 'string' || key === '') throw new TypeError(`${what}: name a column (a non-empty string), got ${JSON.stringify(key)}`)
}

function checkPartitions (n: unknown, what: string): void {
  if (n !== undefined && (!Number.isSafeInteger(n) || (n as number) < 1)) throw new TypeError(`${what}: partitions must be a positive integer, got ${String(n)}`)
}

/** A function's arguments after the row. */
type Rest<A extends unknown[]> = A extends [unknown, ...infer R] ? R : never

/** The vectorised form of `fn` (the driver contract's `fn.map`, `fn.filter`, `fn.flatMap`). */
function vectorised (fn: unknown, mode: keyof Vectorised): Vectorised[typeof mode] {
  const v = (fn as Partial<Vectorised>)[mode]
  if (v === undefined || typeof v.remote !== 'function') throw new TypeError(`${mode}: the function must be a task of a loaded component (m.fn), whose ${mode} runs it over a whole block in one call`)
  return v
}

function nameOf (fn: unknown): string {
  const n = (fn as { taskName?: unknown }).taskName
  return typeof n === 'string' ? n : 'fn'
}
