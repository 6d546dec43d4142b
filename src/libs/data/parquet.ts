// Parquet for the data library, through hyparquet (reader) and hyparquet-writer, at the driver:
// hyparquet reads asynchronously, which a guest call cannot, so a file is decoded here a row group
// at a time (a block each) and a block is encoded here before it is written.
import fs from 'node:fs'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import type { Row } from './interface.js'

/** A Parquet file's rows, a row group at a time. */
export async function * readParquetGroups (file: string, columns?: string[]): AsyncGenerator<Row[]> {
  const bytes = await fs.promises.readFile(file)
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  let metadata
  try {
    metadata = parquetMetadata(buffer)
  } catch (err) {
    throw new Error(`readParquet: ${file} is not a Parquet file: ${(err as Error).message}`, { cause: err })
  }
  let start = 0
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows)
    const rows = await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end, ...(columns === undefined ? {} : { columns }) })
    yield rows as Row[]
    start = end
  }
}

/** A block's rows as a Parquet file: a column per field (in first-seen order), types guessed from the values. */
export function parquetBytes (rows: Row[], file: string): Uint8Array {
  const names: string[] = []
  const seen = new Set<string>()
  for (const r of rows) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error(`writeParquet: ${file}: a row is not a record (got ${Array.isArray(r) ? 'an array' : typeof r})`)
    for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); names.push(k) }
  }
  const columnData = names.map(name => ({ name, data: rows.map(r => r[name] === undefined ? null : r[name]) }))
  try {
    return new Uint8Array(parquetWriteBuffer({ columnData }))
  } catch (err) {
    throw new Error(`writeParquet: ${file}: ${(err as Error).message}`, { cause: err })
  }
}
