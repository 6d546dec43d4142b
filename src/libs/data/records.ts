// Datasets of fixed-width binary records (gensort's shape: a 10-byte key, a 90-byte value): blocks
// are bytes, whole records end to end, and the record's fields are named in the plan, not in
// each block. Sorting such a dataset never makes a row: the record kernels (an AssemblyScript
// component, kernels/records.ts) sort each block by a field's bytes, the driver picks range
// boundaries from sampled keys, each sorted block is cut at them (a QuickJS generator, one object
// per part) and each partition's parts are joined and sorted again. Operators that need rows see
// `{ [field]: Uint8Array }` (converted next to the block).
import type { ObjectRef } from '../../api/interface.js'
import type { BlockRef } from './interface.js'
import type { Run, Stage } from './dataset.js'

/** How a record is laid out: its width and each field's name, offset and length in bytes. */
export interface RecordLayout {
  width: number
  fields: Array<[name: string, offset: number, length: number]>
}

/** Keys sampled per block to choose a sort's range boundaries. */
const SAMPLES_PER_BLOCK = 128

/** A part of a block moved to one partition is kept at least this big where it can be (smaller objects are not hashed or spilled). */
const MIN_PART_BYTES = 256 * 1024

/** A partition (what one reducer joins and sorts) is kept at most about this big where it can be. */
const TARGET_PARTITION_BYTES = 24 * 2 ** 20

/**
 * A layout from `{ field: bytes, ... }` in record order.
 * @throws TypeError naming what is wrong
 */
export function recordLayout (fields: unknown, what: string): RecordLayout {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw new TypeError(`${what}: fields must name each field's width in bytes, in record order, e.g. { key: 10, value: 90 }; got ${JSON.stringify(fields)}`)
  const out: RecordLayout = { width: 0, fields: [] }
  for (const [name, length] of Object.entries(fields)) {
    if (!Number.isSafeInteger(length) || (length as number) < 1) throw new TypeError(`${what}: field '${name}' must be a positive whole number of bytes, got ${JSON.stringify(length)}`)
    out.fields.push([name, out.width, length as number])
    out.width += length as number
  }
  if (out.fields.length === 0) throw new TypeError(`${what}: fields must name at least one field, e.g. { key: 10, value: 90 }`)
  return out
}

/** Whether two layouts are the same. */
export function sameLayout (a: RecordLayout | undefined, b: RecordLayout | undefined): boolean {
  return a !== undefined && b !== undefined && a.width === b.width && a.fields.length === b.fields.length &&
    a.fields.every((f, i) => f[0] === b.fields[i]![0] && f[1] === b.fields[i]![1] && f[2] === b.fields[i]![2])
}

/** The field `key` of a layout. @throws TypeError listing the fields there are */
export function layoutField (layout: RecordLayout, key: string, what: string): [string, number, number] {
  const f = layout.fields.find(x => x[0] === key)
  if (f === undefined) throw new TypeError(`${what}: the records have no field '${key}' (their fields: ${layout.fields.map(x => x[0]).join(', ')})`)
  return f
}

/** A record block as rows (at the driver): `{ [field]: Uint8Array }` views of the block's bytes. */
export function recordRows (bytes: Uint8Array, layout: RecordLayout): Array<Record<string, Uint8Array>> {
  if (!(bytes instanceof Uint8Array) || bytes.length % layout.width !== 0) throw new Error(`a record block of ${(bytes as Uint8Array)?.length} bytes does not hold whole records of ${layout.width} bytes`)
  const n = bytes.length / layout.width
  const rows = new Array<Record<string, Uint8Array>>(n)
  for (let i = 0; i < n; i++) {
    const at = i * layout.width
    const row: Record<string, Uint8Array> = {}
    for (const [name, offset, length] of layout.fields) row[name] = bytes.subarray(at + offset, at + offset + length)
    rows[i] = row
  }
  return rows
}

/** How many records each block holds (counted next to the blocks where the plan does not know). */
export async function recordCounts (blocks: BlockRef[], layout: RecordLayout, run: Run): Promise<number[]> {
  return await Promise.all(blocks.map(async b => b.rows ?? await run.fabric.get(run.ops.countRecords.remote(b.ref as never, layout.width))))
}

/**
 * sort(field) of records, in three steps: each block sorted as it arrives (and sampled), the
 * boundaries chosen from the samples, each sorted block cut at them (one object per part), and
 * each partition's parts joined and sorted (in order, as the consumer pulls). Intermediate objects
 * are this stage's own: on an embedded fabric, where no node can be lost and so no lineage
 * replayed, each is freed as soon as what it fed is ready; across nodes they stay for
 * reconstruction until the driver drops them.
 */
export function recordSortStage (layout: RecordLayout, key: string, descending: boolean, partitions?: number): Stage {
  const [, offset, length] = layoutField(layout, key, 'sort')
  const { width } = layout
  return async function * (input, run, stats) {
    const k = await run.kernels()
    const freeing = run.fabric.kind === 'embedded'
    /** Free `refs` once `after` is ready (never the input's blocks: they are not this stage's). */
    const freeWhenReady = (after: ObjectRef[], refs: ObjectRef[]): void => {
      if (!freeing) return
      run.fabric.wait(after, { numReturns: after.length }).then(() => run.fabric.free(refs), () => {})
    }
    // 1. Each block sorted as it arrives, and sampled.
    const blocks: BlockRef[] = []
    let sorted: Array<ObjectRef<Uint8Array>> = []
    const samples: Array<ObjectRef<Uint8Array>> = []
    // At most maxBlocksInFlight sorts outstanding: the reader waits, so its blocks are sorted (and
    // the ones this execution made freed) while still in memory, not spilled and read back.
    const outstanding: Array<ObjectRef<Uint8Array>> = []
    for await (const b of input) {
      blocks.push(b)
      stats.tasks += 2
      const s = k.sortRecords.remote(b.ref, width, offset, length, descending)
      sorted.push(s)
      samples.push(k.sampleKeys.remote(s, width, offset, length, SAMPLES_PER_BLOCK))
      if (b.owned === true) freeWhenReady([s], [b.ref])
      outstanding.push(s)
      if (outstanding.length >= run.maxBlocksInFlight) await run.fabric.wait([outstanding.shift()!], { numReturns: 1 })
    }
    if (blocks.length === 0) return
    const counts = await recordCounts(blocks, layout, run)
    blocks.length = 0
    const total = counts.reduce((a, c) => a + c, 0)
    if (sorted.length === 1) {
      yield { ref: sorted[0] as ObjectRef<never>, rows: total }
      return
    }
    // 2. Boundaries: as many partitions as blocks, fewer where parts would be small (tiny objects
    // cost more than their bytes), more where partitions would be big (a kernel holds a partition
    // about three times over, within a guest's 256 MiB memory cap, and skew makes some bigger).
    const bytes = total * width
    const n = partitions ?? Math.max(Math.ceil(bytes / TARGET_PARTITION_BYTES), Math.min(sorted.length, Math.floor(bytes / sorted.length / MIN_PART_BYTES)))
    const boundaries = chooseByteBoundaries(await run.fabric.get(samples), length, n, descending)
    run.fabric.free(samples)
    const cuts = boundaries.length / length
    // 3. Each sorted block cut at the boundaries: the cut points first, then one part per partition.
    stats.tasks += sorted.length
    const split = await Promise.all(sorted.map(async (s) => {
      const out: ObjectRef[] = []
      for await (const ref of run.ops.splitSorted.remote(s as never, width, offset, length, boundaries, descending) as AsyncIterable<ObjectRef>) out.push(ref)
      if (out.length !== cuts + 2) throw new Error(`internal: a sorted block was cut into ${out.length - 1} parts, not ${cuts + 1}`)
      const points = await run.fabric.get(out[0] as ObjectRef<number[]>)
      freeWhenReady(out.slice(1), [s, out[0]!])
      return { points, parts: out.slice(1) as Array<ObjectRef<Uint8Array> | undefined> }
    }))
    sorted = []
    // 4. Each partition's parts joined and sorted, in order.
    for (let p = 0; p <= cuts; p++) {
      let rows = 0
      for (let b = 0; b < split.length; b++) {
        const pts = split[b]!.points
        rows += (p < cuts ? pts[p]! : counts[b]!) - (p === 0 ? 0 : pts[p - 1]!)
      }
      const parts = split.map(x => x.parts[p]!)
      for (const x of split) x.parts[p] = undefined
      if (rows === 0) {
        if (freeing) run.fabric.free(parts)
        continue
      }
      stats.tasks += 2
      const joined = run.ops.concatBytes.remote(...(parts as never[])) as ObjectRef<Uint8Array>
      const out = k.sortRecords.remote(joined, width, offset, length, descending)
      freeWhenReady([joined], parts)
      freeWhenReady([out], [joined])
      yield { ref: out as ObjectRef<never>, rows }
    }
  }
}

/**
 * Up to n - 1 distinct boundary keys (each `length` bytes, concatenated) at the quantiles of the
 * sampled keys, in the sort's order.
 */
export function chooseByteBoundaries (samples: Uint8Array[], length: number, n: number, descending: boolean): Uint8Array {
  const keys: Buffer[] = []
  for (const s of samples) for (let at = 0; at + length <= s.length; at += length) keys.push(Buffer.from(s.buffer, s.byteOffset + at, length))
  keys.sort(Buffer.compare)
  const chosen: Buffer[] = []
  for (let i = 1; i < n; i++) {
    const key = keys[Math.floor(i * keys.length / n)]
    if (key !== undefined && (chosen.length === 0 || Buffer.compare(chosen[chosen.length - 1]!, key) < 0)) chosen.push(key)
  }
  if (descending) chosen.reverse()
  return new Uint8Array(Buffer.concat(chosen))
}
