// Datasets of fixed-width binary records (issue 15's sort shape): sort by a field's bytes in the
// record kernels (AssemblyScript) against a plain-JS stable sort of the same records, ascending and
// descending, keys shorter and longer than the kernels' 8-byte prefix, many blocks, ties; the
// readers and writers of record files; the operators that see them as rows; bad input refused.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Fabric } from '../../../src/index.js'
import { data } from '../../../src/libs/data/index.js'
import { KERNELS, loadComponent, type Kernels } from '../../../src/libs/data/ops-component.js'
import { tempDir } from '../../helpers/fixtures.js'

/** A seeded xorshift: the same records every run. */
function random (seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s }
}

/** n records of `width` bytes; key bytes drawn from `alphabet` values (a small one makes ties), the rest the record's index. */
function records (n: number, width: number, alphabet: number, seed: number): Uint8Array {
  const next = random(seed)
  const out = new Uint8Array(n * width)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) out[i * width + j] = next() % alphabet
    // The last 4 bytes: the index, so a stable sort's order is observable.
    new DataView(out.buffer).setUint32(i * width + width - 4, i)
  }
  return out
}

/** The reference: records stably sorted by bytes [offset, offset + length). */
function referenceSort (bytes: Uint8Array, width: number, offset: number, length: number, descending = false): Uint8Array {
  const n = bytes.length / width
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  const idx = Array.from({ length: n }, (_, i) => i)
  idx.sort((a, b) => {
    // buf.compare(target, tStart, tEnd, sStart, sEnd) orders the source range against the target's.
    const c = buf.compare(buf, b * width + offset, b * width + offset + length, a * width + offset, a * width + offset + length)
    return descending ? -c : c
  })
  const out = Buffer.alloc(bytes.length)
  idx.forEach((r, i) => buf.copy(out, i * width, r * width, r * width + width))
  return new Uint8Array(out)
}

async function bytesOf (blocks: AsyncIterable<{ ref: unknown }>, fabric: Fabric): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const b of blocks) parts.push(await fabric.get(b.ref as never) as Uint8Array)
  return new Uint8Array(Buffer.concat(parts))
}

describe('libs/data: fixed-width records', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let files: ReturnType<typeof tempDir>
  let fabric: Fabric

  before(async () => {
    cache = tempDir()
    files = tempDir('fabric-data-records-')
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
    files?.remove()
  })

  for (const { what, width, fields, key, offset, length, alphabet, n, parallelism, descending, partitions } of [
    { what: '10-byte keys (gensort), 12 blocks, ascending', width: 100, fields: { key: 10, value: 90 }, key: 'key', offset: 0, length: 10, alphabet: 256, n: 6000, parallelism: 12, descending: false, partitions: undefined },
    { what: '10-byte keys with ties past the 8-byte prefix, descending', width: 100, fields: { key: 10, value: 90 }, key: 'key', offset: 0, length: 10, alphabet: 2, n: 4000, parallelism: 7, descending: true, partitions: 4 },
    { what: 'a 3-byte field in the middle of the record, many equal keys', width: 16, fields: { a: 5, b: 3, rest: 8 }, key: 'b', offset: 5, length: 3, alphabet: 3, n: 5000, parallelism: 9, descending: false, partitions: 5 },
    { what: 'a 12-byte key over one block', width: 20, fields: { key: 12, id: 8 }, key: 'key', offset: 0, length: 12, alphabet: 4, n: 3000, parallelism: 1, descending: false, partitions: undefined }
  ]) {
    it(`sort: ${what}, equal to a stable sort in plain JS`, async () => {
      const input = records(n, width, alphabet, n + width)
      const ds = data(fabric).fromRecords(input, { fields, parallelism }).sort(key, { descending, ...(partitions !== undefined ? { partitions } : {}) })
      const got = await bytesOf(ds.iterBlocks(), fabric)
      assert.deepEqual(Buffer.from(got), Buffer.from(referenceSort(input, width, offset, length, descending)))
      assert.equal(await ds.count(), n)
      const s = ds.stats()
      const sortStats = s.find(x => x.name.startsWith(`sort(${key}`))
      assert.ok(sortStats !== undefined && sortStats.tasks > 0 && sortStats.rows === n && sortStats.bytes === n * width, JSON.stringify(s))
    })
  }

  it('sort with partitions given, an empty dataset, and rows seen as { field: Uint8Array }', async () => {
    const input = records(2000, 100, 256, 7)
    const d = data(fabric)
    const sorted = d.fromRecords(input, { fields: { key: 10, value: 90 }, parallelism: 5 }).sort('key', { partitions: 3 })
    const blocks: Uint8Array[] = []
    for await (const b of sorted.iterBlocks()) blocks.push(await fabric.get(b.ref as never) as Uint8Array)
    assert.ok(blocks.length <= 3, `${blocks.length} partitions`)
    assert.deepEqual(Buffer.concat(blocks), Buffer.from(referenceSort(input, 100, 0, 10)))
    const rows = await sorted.take(3)
    assert.equal(rows.length, 3)
    assert.ok(rows[0]!.key instanceof Uint8Array && rows[0]!.key.length === 10 && rows[0]!.value!.length === 90)
    assert.deepEqual(Buffer.from(rows[1]!.key!), Buffer.from(referenceSort(input, 100, 0, 10).subarray(100, 110)))
    assert.equal(await d.fromRecords(new Uint8Array(0), { fields: { key: 10, value: 90 } }).sort('key').count(), 0)
    const batches: number[] = []
    for await (const b of sorted.iterBatches({ batchSize: 600 })) batches.push(b.length)
    assert.deepEqual(batches, [600, 600, 600, 200])
  })

  it('readRecords in pieces of whole records, limit mid-block, union, writeRecords round trip', async () => {
    const input = records(3000, 100, 256, 11)
    fs.writeFileSync(path.join(files.dir, 'a.bin'), input.subarray(0, 1000 * 100))
    fs.writeFileSync(path.join(files.dir, 'b.bin'), input.subarray(1000 * 100))
    const d = data(fabric)
    const ds = d.readRecords(files.dir, { fields: { key: 10, value: 90 }, blockBytes: 64 * 1024 })
    assert.equal(await ds.count(), 3000)
    const blocks: number[] = []
    for await (const b of ds.iterBlocks()) blocks.push(b.rows!)
    assert.ok(blocks.every(r => r <= 655) && blocks.length >= 5, `blocks of ${blocks.join(', ')} records`)
    assert.deepEqual(Buffer.from(await bytesOf(ds.limit(1234).iterBlocks(), fabric)), Buffer.from(input.subarray(0, 1234 * 100)))
    assert.equal(await ds.limit(1234).count(), 1234)
    const both = ds.union(d.fromRecords(input.subarray(0, 500), { fields: { key: 10, value: 90 } }))
    assert.equal(await both.count(), 3005)
    const out = path.join(files.dir, 'out')
    const written = await ds.sort('key').writeRecords(out)
    assert.ok(written.length >= 1 && written.every(f => f.endsWith('.bin')))
    const back = d.readRecords(out, { fields: { key: 10, value: 90 } })
    assert.deepEqual(Buffer.from(await bytesOf(back.iterBlocks(), fabric)), Buffer.from(referenceSort(input, 100, 0, 10)))
  })

  it('operators that need rows see { field: Uint8Array } (randomShuffle keeps every record; a union with rows joins as rows)', async () => {
    const input = records(800, 20, 256, 3)
    const d = data(fabric)
    const ds = d.fromRecords(input, { fields: { key: 12, id: 8 }, parallelism: 4 })
    const shuffled = await ds.randomShuffle({ seed: 5 }).takeAll() as Array<{ key: Uint8Array, id: Uint8Array }>
    assert.equal(shuffled.length, 800)
    const ids = shuffled.map(r => Buffer.from(r.id).readUInt32BE(4)).sort((a, b) => a - b)
    assert.deepEqual(ids, Array.from({ length: 800 }, (_, i) => i))
    const mixed = await ds.limit(2).union(d.fromItems([{ other: 1 }])).takeAll()
    assert.equal(mixed.length, 3)
    assert.ok((mixed[0] as { key: Uint8Array }).key instanceof Uint8Array)
    assert.deepEqual(mixed[2], { other: 1 })
  })

  it('bad input: clear errors, nothing run', async () => {
    const d = data(fabric)
    assert.throws(() => d.fromRecords(new Uint8Array(10), { fields: { key: 0 } }), /field 'key' must be a positive whole number of bytes/)
    assert.throws(() => d.fromRecords(new Uint8Array(10), { fields: {} }), /at least one field/)
    assert.throws(() => d.fromRecords(new Uint8Array(10), { fields: { key: 3 } }), /10 bytes are not whole records of 3 bytes/)
    assert.throws(() => d.fromRecords(new Uint8Array(10), { fields: { key: 5, v: 5 } }).sort('nope'), /no field 'nope' \(their fields: key, v\)/)
    fs.writeFileSync(path.join(files.dir, 'odd.bin'), new Uint8Array(150))
    await assert.rejects(d.readRecords(path.join(files.dir, 'odd.bin'), { fields: { key: 10, value: 90 } }).count(), /odd\.bin has 150 bytes, not whole records of 100 bytes/)
    await assert.rejects(d.fromItems([1]).writeRecords(path.join(files.dir, 'x')), /blocks are rows, not fixed-width records/)
    // The kernels check what they are given (a hostile or careless caller): a task-error, the instance kept.
    const k = await loadComponent<Kernels>(fabric, KERNELS, new WeakMap())
    await assert.rejects(fabric.get(k.sortRecords.remote(new Uint8Array(101), 100, 0, 10, false)), /101 bytes does not hold whole records of 100 bytes/)
    await assert.rejects(fabric.get(k.sortRecords.remote(new Uint8Array(100), 100, 95, 10, false)), /must lie inside a record of 100 bytes/)
    const ok = await fabric.get(k.sortRecords.remote(new Uint8Array([2, 0, 1, 0]), 2, 0, 1, false))
    assert.deepEqual([...ok], [1, 0, 2, 0])
  })
})
