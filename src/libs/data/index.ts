// `wasm-fabric/data`: datasets of blocks on a fabric, as Ray Data is on Ray Core. Built on the
// public driver contract only (FabricDriver), so a pipeline runs embedded and across nodes alike;
// the functions it applies are tasks of the user's loaded components (`m.fn`).
import fs from 'node:fs'
import type { FabricDriver, ObjectRef } from '../../api/interface.js'
import { Dataset, type DataContext } from './dataset.js'
import type { ExecutionOptions, SourceOptions } from './interface.js'
import { KERNELS, OPS, loadComponent, type Kernels, type Ops } from './ops-component.js'
import { memoiseModule } from './memo.js'
import { recordLayout, type RecordLayout } from './records.js'
import { expandPaths, linePieces } from './files.js'
import type { Row } from './interface.js'

export { Dataset, GroupedData } from './dataset.js'
export type { Agg } from './shuffle.js'
export type { RecordLayout } from './records.js'
export type { Row, Block, BlockRef, SourceOptions, MapBatchesOptions, ExecutionOptions, OperatorStats } from './interface.js'

/** The sources of datasets on one fabric. */
export interface Data {
  /** Rows `{ id }` for ids 0 to n - 1. */
  range: (n: number, options?: SourceOptions) => Dataset<{ id: number }>
  /** Rows from values the driver has (put into the store as blocks). */
  fromItems: <T>(items: readonly T[], options?: SourceOptions) => Dataset<T>
  /**
   * Rows of CSV files (files, folders, globs): one read task per file; the first record names the
   * fields (or `columns` does), numeric fields become numbers, empty ones null.
   */
  readCsv: (paths: string | readonly string[], options?: { delimiter?: string, columns?: string[] }) => Dataset<Row>
  /** Rows of JSON-lines files: one read task per piece of about `blockBytes` (cut at line ends). */
  readJson: (paths: string | readonly string[], options?: { blockBytes?: number }) => Dataset<unknown>
  /** Rows `{ text }`, one per line: one read task per piece of about `blockBytes`. */
  readText: (paths: string | readonly string[], options?: { blockBytes?: number }) => Dataset<{ text: string }>
  /** Rows `{ path, bytes }`, one per file. */
  readBinary: (paths: string | readonly string[]) => Dataset<{ path: string, bytes: Uint8Array }>
  /**
   * Rows of Parquet files (hyparquet): a block per row group, decoded at the driver (hyparquet's
   * reader is asynchronous, which a guest call is not). INT64 values beyond 2^53 stay BigInt.
   */
  readParquet: (paths: string | readonly string[], options?: { columns?: string[] }) => Dataset<Row>
  /**
   * Fixed-width binary records (gensort's shape: `{ key: 10, value: 90 }`, fields in record order,
   * each its width in bytes): one block per piece of about `blockBytes` of whole records. Blocks
   * stay bytes: `sort(field)` orders them by the field's bytes (unsigned, left to right) in
   * compiled kernels; operators that need rows see `{ [field]: Uint8Array }`.
   */
  readRecords: (paths: string | readonly string[], options: { fields: Record<string, number>, blockBytes?: number }) => Dataset<Record<string, Uint8Array>>
  /** Fixed-width records from bytes the driver has (copied into the store as blocks). */
  fromRecords: (bytes: Uint8Array, options: { fields: Record<string, number> } & SourceOptions) => Dataset<Record<string, Uint8Array>>
}

/** Pieces a text file is cut into for its read tasks, at most. @default 4 MiB */
const DEFAULT_BLOCK_BYTES = 4 * 2 ** 20

/** Pieces a record file is cut into, at most. @default 8 MiB */
const DEFAULT_RECORD_BLOCK_BYTES = 8 * 2 ** 20

const loaded = new WeakMap<FabricDriver, Map<string, Promise<unknown>>>()

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
  if (execution.memo !== undefined && typeof execution.memo !== 'boolean') throw new TypeError(`data: memo must be a boolean, got ${String(execution.memo)}`)
  const memo = execution.memo === true
  const ctx: DataContext = {
    fabric,
    ops: async () => memoiseModule(await loadComponent<Ops>(fabric, OPS, loaded), memo),
    kernels: async () => memoiseModule(await loadComponent<Kernels>(fabric, KERNELS, loaded), memo),
    execution: { maxBlocksInFlight, memo }
  }
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
    readCsv: (paths, options = {}) => {
      const delimiter = options.delimiter ?? ','
      if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n') throw new TypeError(`readCsv: delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`)
      const columns = options.columns ?? null
      const files = expandPaths(paths, 'readCsv')
      return new Dataset<Row>(ctx, {
        name: `readCsv(${files.length} files)`,
        stage: async function * (_input, run, stats) {
          for (const file of files) {
            stats.tasks++
            yield { ref: run.ops.parseCsv.remote(fabric.put(new Uint8Array(await fs.promises.readFile(file))), columns, delimiter) as ObjectRef<unknown[]> }
          }
        }
      })
    },
    readJson: (paths, options = {}) => textSource(ctx, paths, options, 'readJson', (ops, bytes, where) => ops.parseJsonl.remote(bytes, where) as ObjectRef<unknown[]>),
    readText: (paths, options = {}) => textSource(ctx, paths, options, 'readText', (ops, bytes) => ops.parseText.remote(bytes) as ObjectRef<unknown[]>) as Dataset<{ text: string }>,
    readBinary: (paths) => {
      const files = expandPaths(paths, 'readBinary')
      return new Dataset(ctx, {
        name: `readBinary(${files.length} files)`,
        stage: async function * () {
          for (const file of files) yield { ref: fabric.put([{ path: file, bytes: new Uint8Array(await fs.promises.readFile(file)) }]) as ObjectRef<unknown[]>, rows: 1 }
        }
      })
    },
    readParquet: (paths, options = {}) => {
      const files = expandPaths(paths, 'readParquet')
      return new Dataset<Row>(ctx, {
        name: `readParquet(${files.length} files)`,
        stage: async function * () {
          const { readParquetGroups } = await import('./parquet.js')
          for (const file of files) {
            for await (const rows of readParquetGroups(file, options.columns)) yield { ref: fabric.put(rows) as ObjectRef<unknown[]>, rows: rows.length }
          }
        }
      })
    },
    readRecords: (paths, options) => {
      const layout = recordLayout(options?.fields, 'readRecords')
      const target = options.blockBytes ?? DEFAULT_RECORD_BLOCK_BYTES
      if (!Number.isSafeInteger(target) || target < 1) throw new TypeError(`readRecords: blockBytes must be a positive integer, got ${String(target)}`)
      const files = expandPaths(paths, 'readRecords')
      const perBlock = Math.max(1, Math.floor(target / layout.width))
      return new Dataset(ctx, {
        name: `readRecords(${files.length} files)`,
        layout,
        stage: async function * () {
          for (const file of files) {
            for await (const bytes of recordPieces(file, layout, perBlock)) yield { ref: fabric.put(bytes) as unknown as ObjectRef<unknown[]>, rows: bytes.length / layout.width, owned: true }
          }
        }
      })
    },
    fromRecords: (bytes, options) => {
      const layout = recordLayout(options?.fields, 'fromRecords')
      if (!(bytes instanceof Uint8Array)) throw new TypeError(`fromRecords: bytes must be a Uint8Array, got ${typeof bytes}`)
      if (bytes.length % layout.width !== 0) throw new TypeError(`fromRecords: ${bytes.length} bytes are not whole records of ${layout.width} bytes`)
      const blocks = cuts(bytes.length / layout.width, options, 'fromRecords').map(([start, end]) => ({ ref: fabric.put(bytes.slice(start * layout.width, end * layout.width)) as unknown as ObjectRef<unknown[]>, rows: end - start }))
      return new Dataset(ctx, {
        name: `fromRecords(${bytes.length / layout.width})`,
        layout,
        stage: async function * () { yield * blocks }
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

/** A record file in pieces of `perBlock` whole records. @throws Error when the file does not hold whole records */
async function * recordPieces (file: string, layout: RecordLayout, perBlock: number): AsyncGenerator<Uint8Array> {
  const fh = await fs.promises.open(file, 'r')
  try {
    const { size } = await fh.stat()
    if (size % layout.width !== 0) throw new Error(`readRecords: ${file} has ${size} bytes, not whole records of ${layout.width} bytes (fields ${layout.fields.map(f => `${f[0]}: ${f[2]}`).join(', ')})`)
    for (let at = 0; at < size; at += perBlock * layout.width) {
      const bytes = new Uint8Array(Math.min(perBlock * layout.width, size - at))
      let got = 0
      while (got < bytes.length) {
        const { bytesRead } = await fh.read(bytes, got, bytes.length - got, at + got)
        if (bytesRead === 0) throw new Error(`readRecords: ${file} ended early (it changed while read)`)
        got += bytesRead
      }
      yield bytes
    }
  } finally {
    await fh.close()
  }
}

/** A text source: each file in line-aligned pieces, each parsed by a task. */
function textSource (ctx: DataContext, paths: string | readonly string[], options: { blockBytes?: number }, what: string, parse: (ops: Ops, bytes: ObjectRef<Uint8Array>, where: string) => ObjectRef<unknown[]>): Dataset<unknown> {
  const target = options.blockBytes ?? DEFAULT_BLOCK_BYTES
  if (!Number.isSafeInteger(target) || target < 1) throw new TypeError(`${what}: blockBytes must be a positive integer, got ${String(target)}`)
  const files = expandPaths(paths, what)
  return new Dataset(ctx, {
    name: `${what}(${files.length} files)`,
    stage: async function * (_input, run, stats) {
      for (const file of files) {
        let piece = 0
        for await (const bytes of linePieces(file, target)) {
          stats.tasks++
          yield { ref: parse(run.ops, ctx.fabric.put(bytes), `${file} (piece ${piece++})`) }
        }
      }
    }
  })
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

