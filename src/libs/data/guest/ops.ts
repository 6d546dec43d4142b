// The data library's own guest component: the block operations no user function does (make,
// count, slice and join blocks; rows to columns and back), run as tasks next to the blocks so a
// block never has to visit the driver. Built with the guest SDK like any user component
// (scripts/build.mjs prebuilds it into dist; from a checkout it is built on first use, cached).
import { task } from 'fabric/guest'
import { compareKeys } from './keys.js'

type Row = Record<string, unknown>

// The guest build installs a TextEncoder/TextDecoder polyfill (QuickJS has none); guests are
// type-checked without the DOM's declarations, so they are declared here.
declare class TextDecoder { decode (bytes: Uint8Array): string }
declare class TextEncoder { encode (text: string): Uint8Array }
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

// ---- formats -------------------------------------------------------------------------------------

/** A CSV field as a value: a number where the whole field is one, '' as null, else the text. */
function typed (field: string, quoted: boolean): unknown {
  if (quoted) return field
  if (field === '') return null
  const n = Number(field)
  // Number() also takes '0x1f', ' ', 'Infinity': only decimal notation counts as a number.
  return Number.isFinite(n) && NUMERIC.test(field) ? n : field
}
const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/

/**
 * Rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes as "" and newlines; CRLF or
 * LF). The first record names the fields unless `header` gives them; numeric fields become numbers.
 * Unquoted fields are found with indexOf (the next delimiter and line end are remembered), not a
 * character at a time: QuickJS runs the scan natively.
 */
export const parseCsv = task((bytes: Uint8Array, header: string[] | null, delimiter: string): Row[] => {
  const text = new TextDecoder().decode(bytes)
  const n = text.length
  const dc = delimiter.charCodeAt(0)
  const records: Array<{ values: string[], quoted: boolean[] }> = []
  let nextDelim = -2
  let nextLine = -2
  let i = 0
  while (i < n) {
    const values: string[] = []
    const quoted: boolean[] = []
    for (;;) {
      if (text.charCodeAt(i) === 34) {
        let v = ''
        i++
        for (;;) {
          const j = text.indexOf('"', i)
          if (j < 0) throw new Error('the CSV ends inside a quoted field (a quote is not closed)')
          v += text.slice(i, j)
          if (text.charCodeAt(j + 1) === 34) { v += '"'; i = j + 2 } else { i = j + 1; break }
        }
        values.push(v)
        quoted.push(true)
      } else {
        if (nextDelim < i && nextDelim !== -1) nextDelim = text.indexOf(delimiter, i)
        if (nextLine < i && nextLine !== -1) nextLine = text.indexOf('\n', i)
        let j = Math.min(nextDelim < 0 ? n : nextDelim, nextLine < 0 ? n : nextLine)
        const end = j > i && text.charCodeAt(j - 1) === 13 && j === nextLine ? j - 1 : j
        values.push(text.slice(i, end))
        quoted.push(false)
        i = end
        j = end
      }
      const c = text.charCodeAt(i)
      if (c === dc) { i++; continue }
      if (c === 13) i++
      if (text.charCodeAt(i) === 10) i++
      break
    }
    if (!(values.length === 1 && values[0] === '' && !quoted[0])) records.push({ values, quoted })
  }
  const names = header ?? (records.shift()?.values ?? [])
  const rows: Row[] = new Array(records.length)
  for (let r = 0; r < records.length; r++) {
    const rec = records[r]!
    if (rec.values.length !== names.length) throw new Error(`CSV record ${r + 1} has ${rec.values.length} fields, the header ${names.length}`)
    const row: Row = {}
    for (let k = 0; k < names.length; k++) row[names[k]!] = typed(rec.values[k]!, rec.quoted[k]!)
    rows[r] = row
  }
  return rows
})

/** Rows of a JSON-lines text: one JSON value per non-empty line. */
export const parseJsonl = task((bytes: Uint8Array, where: string): unknown[] => {
  const lines = new TextDecoder().decode(bytes).split('\n')
  const rows: unknown[] = []
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim()
    if (line === '') continue
    try {
      rows.push(JSON.parse(line))
    } catch (err) {
      throw new Error(`${where}: line ${n + 1} is not JSON: ${(err as Error).message}`)
    }
  }
  return rows
})

/** Rows `{ text }`, one per line (no line ending). */
export const parseText = task((bytes: Uint8Array): Row[] => {
  const text = new TextDecoder().decode(bytes)
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines.map((l: string) => ({ text: l.endsWith('\r') ? l.slice(0, -1) : l }))
})

function csvField (v: unknown, delimiter: string): string {
  if (v === null || v === undefined) return ''
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replaceAll('"', '""')}"` : s
}

/** A block as CSV bytes: a header of `columns`, then a line per row. */
export const formatCsv = task((rows: Row[], columns: string[], delimiter: string): Uint8Array => {
  const lines = [columns.map(c => csvField(c, delimiter)).join(delimiter)]
  for (const r of rows) lines.push(columns.map(c => csvField(r[c], delimiter)).join(delimiter))
  return new TextEncoder().encode(lines.join('\n') + '\n')
})

/** A block as JSON lines. */
export const formatJsonl = task((rows: unknown[]): Uint8Array => new TextEncoder().encode(rows.map(r => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '')))

/** The fields of a block's rows, in the order they first appear. */
export const columnsOf = task((rows: Row[]): string[] => {
  const seen = new Set<string>()
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k)
  return [...seen]
})

// ---- all-to-all: partitions by hash, range or chance; aggregates; sorted merges ------------------

/** FNV-1a over a key's JSON: the same key lands in the same partition on every node. */
function hashKey (v: unknown): number {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? 'undefined'
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

function field (r: unknown, key: string): unknown {
  if (typeof r !== 'object' || r === null) throw new Error(`a row is not a record (got ${typeof r}): cannot read field '${key}'`)
  return (r as Row)[key]
}

/** A block's rows in `n` parts by the hash of `key` (a generator: each part its own object). */
export const partitionByHash = task(function * (rows: unknown[], key: string, n: number): Generator<unknown[]> {
  const parts: unknown[][] = Array.from({ length: n }, () => [])
  for (const r of rows) parts[hashKey(field(r, key)) % n]!.push(r)
  yield * parts
})

/** Up to `k` keys of a block, evenly spaced after sorting (for the range boundaries of a sort). */
export const sampleKeys = task((rows: unknown[], key: string, k: number): unknown[] => {
  const keys = rows.map(r => field(r, key)).sort(compareKeys)
  if (keys.length <= k) return keys
  const out: unknown[] = []
  for (let i = 0; i < k; i++) out.push(keys[Math.floor((i + 0.5) * keys.length / k)])
  return out
})

/** A block's rows in `boundaries.length + 1` parts by range of `key` (reversed when descending). */
export const partitionByRange = task(function * (rows: unknown[], key: string, boundaries: unknown[], descending: boolean): Generator<unknown[]> {
  const parts: unknown[][] = Array.from({ length: boundaries.length + 1 }, () => [])
  for (const r of rows) {
    const v = field(r, key)
    // The first boundary above the value (binary search).
    let lo = 0
    let hi = boundaries.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (compareKeys(v, boundaries[mid]) < 0) hi = mid
      else lo = mid + 1
    }
    parts[descending ? boundaries.length - lo : lo]!.push(r)
  }
  yield * parts
})

/** Parts joined and sorted by `key` (stable). */
export const sortParts = task((key: string, descending: boolean, ...parts: unknown[][]): unknown[] => {
  const rows: unknown[] = []
  for (const p of parts) for (const r of p) rows.push(r)
  const sign = descending ? -1 : 1
  return rows.map((r, i) => ({ r, i, k: field(r, key) })).sort((a, b) => sign * compareKeys(a.k, b.k) || a.i - b.i).map(e => e.r)
})

/** A small seeded generator (mulberry32) for shuffles that replay. */
function mulberry (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A block's rows sent at random to `n` parts. */
export const partitionRandom = task(function * (rows: unknown[], n: number, seed: number): Generator<unknown[]> {
  const next = mulberry(seed)
  const parts: unknown[][] = Array.from({ length: n }, () => [])
  for (const r of rows) parts[Math.floor(next() * n)]!.push(r)
  yield * parts
})

/** Parts joined and shuffled (Fisher-Yates). */
export const shuffleParts = task((seed: number, ...parts: unknown[][]): unknown[] => {
  const rows: unknown[] = []
  for (const p of parts) for (const r of p) rows.push(r)
  const next = mulberry(seed)
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    const t = rows[i]
    rows[i] = rows[j]
    rows[j] = t
  }
  return rows
})

/** An aggregate: `count()`, or `sum`, `mean`, `min`, `max` of a column. */
type Agg = { fn: 'count' | 'sum' | 'mean' | 'min' | 'max', on?: string }
type GroupState = { key: unknown, acc: Array<number | null>, n: number[] }

function aggName (a: Agg): string {
  return a.fn === 'count' ? 'count()' : `${a.fn}(${a.on!})`
}

/** Partial aggregates of a block's groups, in `n` parts by the hash of the key. */
export const partialAggregate = task(function * (rows: unknown[], key: string, aggs: Agg[], n: number): Generator<GroupState[]> {
  const groups = new Map<string, GroupState>()
  for (const r of rows) {
    const k = field(r, key)
    const id = typeof k === 'string' ? `s${k}` : JSON.stringify(k) ?? 'undefined'
    let g = groups.get(id)
    if (g === undefined) groups.set(id, g = { key: k === undefined ? null : k, acc: aggs.map(() => null), n: aggs.map(() => 0) })
    aggs.forEach((a, i) => {
      if (a.fn === 'count') { g!.n[i]!++; return }
      const v = field(r, a.on!)
      if (v === null || v === undefined) return
      if (typeof v !== 'number') throw new Error(`${aggName(a)}: column '${a.on!}' holds a ${typeof v} (${JSON.stringify(v)}), not a number`)
      const acc = g!.acc[i]
      g!.acc[i] = acc === null ? v : a.fn === 'min' ? Math.min(acc, v) : a.fn === 'max' ? Math.max(acc, v) : acc + v
      g!.n[i]!++
    })
  }
  const parts: GroupState[][] = Array.from({ length: n }, () => [])
  for (const g of groups.values()) parts[hashKey(g.key) % n]!.push(g)
  yield * parts
})

/** Final aggregates of one partition's groups: rows `{ [key]: k, 'sum(c)': total, ... }`, by key. */
export const finalAggregate = task((key: string, aggs: Agg[], ...parts: GroupState[][]): Row[] => {
  const groups = new Map<string, GroupState>()
  for (const p of parts) {
    for (const s of p) {
      const id = typeof s.key === 'string' ? `s${s.key}` : JSON.stringify(s.key)
      const g = groups.get(id)
      if (g === undefined) { groups.set(id, { key: s.key, acc: [...s.acc], n: [...s.n] }); continue }
      aggs.forEach((a, i) => {
        g.n[i]! += s.n[i]!
        const x = s.acc[i]!
        const acc = g.acc[i]!
        if (x === null) return
        g.acc[i] = acc === null ? x : a.fn === 'min' ? Math.min(acc, x) : a.fn === 'max' ? Math.max(acc, x) : acc + x
      })
    }
  }
  return [...groups.values()].sort((a, b) => compareKeys(a.key, b.key)).map(g => {
    const row: Row = { [key]: g.key }
    aggs.forEach((a, i) => {
      row[aggName(a)] = a.fn === 'count' ? g.n[i]! : a.fn === 'mean' ? (g.n[i]! === 0 ? null : g.acc[i]! / g.n[i]!) : g.acc[i]!
    })
    return row
  })
})

/** One partition's rows as groups `{ key, rows }` (by key), for a user's function of a group. */
export const groupRows = task((key: string, ...parts: unknown[][]): Array<{ key: unknown, rows: unknown[] }> => {
  const groups = new Map<string, { key: unknown, rows: unknown[] }>()
  for (const p of parts) {
    for (const r of p) {
      const k = field(r, key)
      const id = typeof k === 'string' ? `s${k}` : JSON.stringify(k) ?? 'undefined'
      let g = groups.get(id)
      if (g === undefined) groups.set(id, g = { key: k === undefined ? null : k, rows: [] })
      g.rows.push(r)
    }
  }
  return [...groups.values()].sort((a, b) => compareKeys(a.key, b.key))
})

// ---- blocks of fixed-width records (bytes): cut, joined, counted, seen as rows -----------------

/** A field of a record: its name and where its bytes lie. */
type RecordField = [name: string, offset: number, length: number]

function checkRecords (bytes: Uint8Array, width: number): number {
  if (!(bytes instanceof Uint8Array)) throw new Error(`a record block must be bytes, got ${typeof bytes}`)
  if (bytes.length % width !== 0) throw new Error(`a record block of ${bytes.length} bytes does not hold whole records of ${width} bytes`)
  return bytes.length / width
}

/** How many records of `width` bytes a block holds. */
export const countRecords = task((bytes: Uint8Array, width: number): number => checkRecords(bytes, width))

/** Records start (inclusive) to end (exclusive) of a block. */
export const sliceRecords = task((bytes: Uint8Array, width: number, start: number, end: number): Uint8Array => {
  checkRecords(bytes, width)
  return bytes.slice(start * width, end * width)
})

/** Record blocks joined into one, in order. */
export const concatBytes = task((...parts: Uint8Array[]): Uint8Array => {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
})

/** -1, 0 or 1 as `bytes[at..at + length)` orders against `key` (unsigned bytes, left to right). */
function compareAt (bytes: Uint8Array, at: number, key: Uint8Array, from: number, length: number): number {
  for (let i = 0; i < length; i++) {
    const d = bytes[at + i]! - key[from + i]!
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return 0
}

/**
 * A block of records sorted by the key at `keyOffset` cut at `boundaries` (keys of `keyLength`
 * bytes, concatenated, in the sort's order; a record equal to a boundary starts its part). Yields
 * first the cut points (record indices, one per boundary), then boundaries + 1 parts, each its own
 * object.
 */
export const splitSorted = task(function * (bytes: Uint8Array, width: number, keyOffset: number, keyLength: number, boundaries: Uint8Array, descending: boolean): Generator<number[] | Uint8Array> {
  const n = checkRecords(bytes, width)
  if (boundaries.length % keyLength !== 0) throw new Error(`splitSorted: boundaries of ${boundaries.length} bytes are not whole keys of ${keyLength} bytes`)
  const cuts: number[] = []
  for (let b = 0; b < boundaries.length; b += keyLength) {
    let lo = cuts.length === 0 ? 0 : cuts[cuts.length - 1]!
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const c = compareAt(bytes, mid * width + keyOffset, boundaries, b, keyLength)
      if (descending ? c > 0 : c < 0) lo = mid + 1
      else hi = mid
    }
    cuts.push(lo)
  }
  yield cuts
  let from = 0
  for (const c of cuts) {
    yield bytes.subarray(from * width, c * width)
    from = c
  }
  yield bytes.subarray(from * width)
})

/** A record block as rows: one object per record, a field's bytes as a Uint8Array. */
export const recordsToRows = task((bytes: Uint8Array, width: number, fields: RecordField[]): Row[] => {
  const n = checkRecords(bytes, width)
  const rows: Row[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const row: Row = {}
    const at = i * width
    for (const [name, offset, length] of fields) row[name] = bytes.slice(at + offset, at + offset + length)
    rows[i] = row
  }
  return rows
})
