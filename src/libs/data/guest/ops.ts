// The data library's own guest component: the block operations no user function does (make,
// count, slice and join blocks; rows to columns and back), run as tasks next to the blocks so a
// block never has to visit the driver. Built with the guest SDK like any user component
// (scripts/build.mjs prebuilds it into dist; from a checkout it is built on first use, cached).
import { task } from 'fabric/guest'

type Row = Record<string, unknown>
type Columns = Record<string, unknown[] | Float64Array | Int32Array | Uint8Array>

/** Rows `{ id }` for ids start, start + 1, ... end - 1. */
export const range = task((start: number, end: number): Row[] => {
  const rows: Row[] = new Array(Math.max(0, end - start))
  for (let i = start; i < end; i++) rows[i - start] = { id: i }
  return rows
})

/** How many rows a block has. */
export const count = task((rows: unknown[]): number => rows.length)

/** Rows start (inclusive) to end (exclusive) of a block. */
export const slice = task((rows: unknown[], start: number, end: number): unknown[] => rows.slice(start, end))

/** Blocks joined into one, in order. */
export const concat = task((...blocks: unknown[][]): unknown[] => {
  const out: unknown[] = []
  for (const b of blocks) for (const r of b) out.push(r)
  return out
})

/**
 * Rows as columns: one array per field, in the order fields first appear; a field whose values are
 * all numbers becomes a Float64Array (a row without it: NaN), others plain arrays (missing: null).
 */
export const toColumns = task((rows: Row[]): Columns => {
  const names: string[] = []
  const seen = new Set<string>()
  for (const r of rows) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error(`a block row is not a record (got ${Array.isArray(r) ? 'an array' : typeof r}): format 'columns' needs rows of fields`)
    for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); names.push(k) }
  }
  const cols: Columns = {}
  for (const k of names) {
    let numeric = true
    for (const r of rows) {
      const v = r[k]
      if (v !== undefined && typeof v !== 'number') { numeric = false; break }
    }
    if (numeric) {
      const a = new Float64Array(rows.length)
      for (let i = 0; i < rows.length; i++) { const v = rows[i]![k]; a[i] = v === undefined ? NaN : v as number }
      cols[k] = a
    } else {
      cols[k] = rows.map(r => r[k] === undefined ? null : r[k])
    }
  }
  return cols
})

/** Columns back to rows; every column must have the same length. */
export const toRows = task((cols: Columns): Row[] => {
  if (typeof cols !== 'object' || cols === null || Array.isArray(cols)) throw new Error(`a batch in format 'columns' must be an object of columns (got ${Array.isArray(cols) ? 'an array' : typeof cols})`)
  const names = Object.keys(cols)
  if (names.length === 0) return []
  const n = (cols[names[0]!] as ArrayLike<unknown>).length
  for (const k of names) {
    const c = cols[k] as ArrayLike<unknown> | undefined
    if (c === null || typeof c !== 'object' || typeof c.length !== 'number') throw new Error(`column '${k}' is not an array`)
    if (c.length !== n) throw new Error(`columns differ in length: '${names[0]!}' has ${n}, '${k}' has ${c.length}`)
  }
  const rows: Row[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const r: Row = {}
    for (const k of names) r[k] = (cols[k] as ArrayLike<unknown>)[i]
    rows[i] = r
  }
  return rows
})
