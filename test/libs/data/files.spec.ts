// The data library's readers and writers on an embedded fabric: CSV (quotes, commas and newlines
// in fields, CRLF, numbers, empty fields), JSON lines and text cut into line-aligned pieces,
// binary files; folders and globs; a write read back equals what was written; bad input refused.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Fabric } from '../../../src/index.js'
import { data } from '../../../src/libs/data/index.js'
import { expandPaths, linePieces } from '../../../src/libs/data/files.js'
import { seededRandom } from '../../../src/gpu/conformance.js'
import { tempDir } from '../../helpers/fixtures.js'
import { testSeed } from '../../helpers/seed.js'

describe('libs/data: readers and writers', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let dir: ReturnType<typeof tempDir>
  let fabric: Fabric
  const rand = seededRandom(testSeed())
  const word = (): string => ['a', 'b,c', 'say "hi"', 'two\nlines', 'x', 'ü€', ''][Math.floor(rand() * 7)]!

  before(async () => {
    cache = tempDir()
    dir = tempDir('fabric-data-files-')
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
    dir?.remove()
  })

  it('readCsv: quoted fields with commas, quotes and newlines, CRLF, numbers, empty fields as null', async () => {
    const file = path.join(dir.dir, 'people.csv')
    fs.writeFileSync(file, 'name,age,note\r\n"Smith, J",42,"said ""hi""\nand left"\r\nLee,,plain\r\n"007",3.5e2,\r\n')
    assert.deepEqual(await data(fabric).readCsv(file).takeAll(), [
      { name: 'Smith, J', age: 42, note: 'said "hi"\nand left' },
      { name: 'Lee', age: null, note: 'plain' },
      { name: '007', age: 350, note: null }
    ])
    fs.writeFileSync(path.join(dir.dir, 'semi.csv'), '1;x\n2;y\n')
    assert.deepEqual(await data(fabric).readCsv(path.join(dir.dir, 'semi.csv'), { delimiter: ';', columns: ['n', 'v'] }).takeAll(), [{ n: 1, v: 'x' }, { n: 2, v: 'y' }])
    fs.writeFileSync(path.join(dir.dir, 'bad.csv'), 'a,b\n1,2,3\n')
    await assert.rejects(data(fabric).readCsv(path.join(dir.dir, 'bad.csv')).takeAll(), /CSV record 1 has 3 fields, the header 2/)
  })

  it('writeCsv then readCsv gives the rows back (random text and numbers); writeJson then readJson too', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, word: word() || 'w', score: Math.round(rand() * 1e6) / 100 }))
    const out = path.join(dir.dir, 'csv-out')
    const files = await data(fabric).fromItems(rows, { parallelism: 4 }).writeCsv(out)
    assert.deepEqual(files.map(f => path.basename(f)), ['part-00000.csv', 'part-00001.csv', 'part-00002.csv', 'part-00003.csv'])
    assert.deepEqual(await data(fabric).readCsv(out).takeAll(), rows)
    const nested = Array.from({ length: 300 }, (_, i) => ({ id: i, tags: [word(), word()], inner: { x: rand() } }))
    const jout = path.join(dir.dir, 'json-out')
    await data(fabric).fromItems(nested, { parallelism: 3 }).writeJson(jout)
    assert.deepEqual(await data(fabric).readJson(path.join(jout, '*.json')).takeAll(), nested)
  })

  it('readJson and readText cut big files into line-aligned pieces, one task each; a bad line is named', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, s: 'y'.repeat(Math.floor(rand() * 200)) }))
    const file = path.join(dir.dir, 'big.jsonl')
    fs.writeFileSync(file, lines.join('\n') + '\n')
    const ds = data(fabric).readJson(file, { blockBytes: 16 * 1024 })
    assert.deepEqual(await ds.takeAll(), lines.map(l => JSON.parse(l)))
    const tasks = ds.stats()[0]!.tasks
    assert.ok(tasks >= Math.floor(fs.statSync(file).size / (16 * 1024)), `pieces: ${tasks}`)
    const text = await data(fabric).readText(file, { blockBytes: 10_000 }).takeAll()
    assert.deepEqual(text, lines.map(text => ({ text })))
    fs.writeFileSync(path.join(dir.dir, 'broken.jsonl'), '{"a":1}\n{nope\n')
    await assert.rejects(data(fabric).readJson(path.join(dir.dir, 'broken.jsonl')).takeAll(), /broken\.jsonl \(piece 0\): line 2 is not JSON/)
  })

  it('readBinary: a row per file; folders and globs expand (sorted, hidden files left out); no match is an error', async () => {
    const bin = path.join(dir.dir, 'bin')
    fs.mkdirSync(path.join(bin, 'sub'), { recursive: true })
    fs.writeFileSync(path.join(bin, 'b.dat'), new Uint8Array([1, 2, 3]))
    fs.writeFileSync(path.join(bin, 'sub', 'a.dat'), new Uint8Array([9]))
    fs.writeFileSync(path.join(bin, '.hidden'), 'x')
    const rows = await data(fabric).readBinary(bin).takeAll()
    assert.deepEqual(rows.map(r => [path.relative(bin, r.path), [...r.bytes]]), [['b.dat', [1, 2, 3]], ['sub/a.dat', [9]]])
    assert.deepEqual(expandPaths(path.join(bin, '**', '*.dat'), 't').map(f => path.relative(bin, f)), ['b.dat', 'sub/a.dat'])
    assert.deepEqual(expandPaths(path.join(bin, '?.dat'), 't').map(f => path.relative(bin, f)), ['b.dat'])
    assert.throws(() => data(fabric).readBinary(path.join(bin, '*.none')), /matches no file/)
  })

  it('writeParquet then readParquet gives the rows back: numbers, strings, booleans, nulls; a block per file, a block per row group', async () => {
    const rows = Array.from({ length: 700 }, (_, i) => ({ id: i, name: word() || 'n', score: Math.round(rand() * 1e4) / 100, ok: rand() < 0.5, note: rand() < 0.2 ? null : 'x' }))
    const out = path.join(dir.dir, 'parquet-out')
    const files = await data(fabric).fromItems(rows, { parallelism: 3 }).writeParquet(out)
    assert.equal(files.length, 3)
    assert.ok(files.every(f => fs.readFileSync(f).subarray(0, 4).toString() === 'PAR1'))
    const back = data(fabric).readParquet(out)
    assert.deepEqual(await back.takeAll(), rows)
    assert.equal(back.stats()[0]!.blocks, 3)
    assert.deepEqual(await data(fabric).readParquet(out, { columns: ['id', 'ok'] }).take(2), rows.slice(0, 2).map(r => ({ id: r.id, ok: r.ok })))
    fs.writeFileSync(path.join(dir.dir, 'fake.parquet'), 'not parquet at all')
    await assert.rejects(data(fabric).readParquet(path.join(dir.dir, 'fake.parquet')).takeAll(), /fake\.parquet is not a Parquet file/)
  })

  it('linePieces cuts only after line ends and loses no byte', async () => {
    const file = path.join(dir.dir, 'pieces.txt')
    const text = Array.from({ length: 300 }, () => 'z'.repeat(Math.floor(rand() * 120))).join('\n')
    fs.writeFileSync(file, text)
    const pieces: string[] = []
    for await (const p of linePieces(file, 256)) pieces.push(Buffer.from(p).toString())
    assert.equal(pieces.join(''), text)
    for (const p of pieces.slice(0, -1)) assert.ok(p.endsWith('\n'))
  })
})
