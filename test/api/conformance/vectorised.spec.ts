// Vectorised calls (`fn.map`, `fn.filter`, `fn.flatMap`) against both faces of the driver contract:
// one task over a whole list, the loop in the guest, equal to the plain-JS `items.map(fn)` etc.
import assert from 'node:assert/strict'
import { ObjectRef, type FabricDriver, type GuestModule, type UntypedModule } from '../../../src/index.js'
import { fixtureComponent } from '../../helpers/fixtures.js'
import { connectedFace, embeddedFace, type Face } from './faces.js'

type Rows = GuestModule<typeof import('../../fixtures/guests/ts/rows.js')>
interface Row { id: number, name: string, tags: string[], nested: { score: number, flags: boolean[] } }

/** A small seeded generator (mulberry32): the same "random" rows every run. */
function random (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function rowsOf (n: number, seed: number): Row[] {
  const r = random(seed)
  const word = (): string => Math.floor(r() * 1e9).toString(36)
  return Array.from({ length: n }, (_, id) => ({
    id,
    name: word(),
    tags: Array.from({ length: Math.floor(r() * 4) }, word),
    nested: { score: Math.floor(r() * 100), flags: Array.from({ length: Math.floor(r() * 3) }, () => r() < 0.5) }
  }))
}

// The fixture's functions in plain JS: what each vectorised call must equal.
const parse = (row: Row): unknown => ({ id: row.id, upper: row.name.toUpperCase(), tags: row.tags.length, score: row.nested.score * 2 })
const tagsOf = (row: Row): string[] => row.tags.map(t => `${row.id}:${t}`)

for (const face of [embeddedFace(), connectedFace()] as Face[]) {
  describe(`vectorised calls: ${face.name}`, function () {
    this.timeout(120_000)
    let fabric: FabricDriver
    let m: Rows
    let as: UntypedModule

    before(async function () {
      this.timeout(180_000)
      const [rows, math] = await Promise.all([fixtureComponent('guests/ts/rows.ts'), fixtureComponent('guests/as/math.ts', 'as')])
      fabric = await face.start()
      m = await fabric.load<Rows>(rows)
      as = await fabric.load(math)
    })

    after(async () => {
      await face.stop()
    })

    it('map, filter and flatMap equal items.map / filter / flatMap on random rows, empty lists included', async () => {
      for (const [n, seed] of [[0, 1], [1, 2], [37, 3], [500, 4]] as const) {
        const rows = rowsOf(n, seed)
        const [mapped, kept, flat] = await fabric.get([m.parse.map.remote(rows), m.atLeast.filter.remote(rows, 50), m.tagsOf.flatMap.remote(rows)])
        assert.deepEqual(mapped, rows.map(parse), `map over ${n} rows`)
        assert.deepEqual(kept, rows.filter(row => row.nested.score >= 50), `filter over ${n} rows`)
        assert.deepEqual(flat, rows.flatMap(tagsOf), `flatMap over ${n} rows`)
      }
    })

    it('is typed from the task: items of its first parameter, the rest after them, results of its return type', async () => {
      const rows = rowsOf(3, 5)
      const mapped: Array<{ id: number, upper: string }> = await fabric.get(m.parse.map.remote(rows))
      const kept: Row[] = await fabric.get(m.atLeast.filter.remote(rows, 10))
      const tags: string[] = await fabric.get(m.tagsOf.flatMap.remote(fabric.put(rows)))
      const scaled: number[] = await fabric.get(m.scale.options({ maxRetries: 1 }).map.options({ timeoutMs: 10_000 }).remote([1, 2], 2, m.inc.remote(0)))
      assert.deepEqual([mapped.length, kept.length, tags.length, scaled], [3, rows.filter(r => r.nested.score >= 10).length, rows.flatMap(tagsOf).length, [3, 5]])
      // @ts-expect-error items of the wrong type
      assert.throws(() => m.scale.map.remote('no', 1, 2))
      // @ts-expect-error a generator task has no vectorised calls
      assert.throws(() => m.upTo.map.remote([1]))
    })

    it('passes the arguments after the items to every item\'s call', async () => {
      const xs = [0, 1, 2.5, -4, 1e6]
      assert.deepEqual(await fabric.get(m.scale.map.remote(xs, 3, 1)), xs.map(x => x * 3 + 1))
      assert.deepEqual(await fabric.get(m.scale.map.remote(xs, m.inc.remote(1), fabric.put(-1))), xs.map(x => x * 2 - 1))
    })

    it('takes the items as a ref (put, or a task\'s result), and refs inside the items stay refs', async () => {
      const rows = rowsOf(20, 9)
      assert.deepEqual(await fabric.get(m.parse.map.remote(fabric.put(rows))), rows.map(parse))
      assert.deepEqual(await fabric.get(m.parse.map.remote(m.same.remote(rows) as ObjectRef<Row[]>)), rows.map(parse))
      // Large lists (stored objects, not inline values), in and out.
      const many = Array.from({ length: 30_000 }, (_, i) => i * 1.5)
      assert.deepEqual(await fabric.get(m.inc.map.remote(many)), many.map(x => x + 1))
      assert.deepEqual(await fabric.get(m.inc.map.remote(fabric.put(many))), many.map(x => x + 1))
      const inner = [fabric.put('a'), fabric.put({ b: [1, 2] })]
      const echoed = await fabric.get(m.same.map.remote(inner))
      assert.ok(echoed.every(r => r instanceof ObjectRef), 'refs inside items come back as refs')
      assert.deepEqual(await fabric.get(echoed as unknown as ObjectRef[]), ['a', { b: [1, 2] }])
    })

    it('an item that throws fails the call naming the task, the mode and the item, keeping the error\'s kind', async () => {
      await assert.rejects(fabric.get(m.check.map.remote(['ok', 'fine', 'bad', 'ok'])),
        (e: Error) => e.name === 'TaskError' && /task 'check' \(map\) failed at item 2: Error: item is bad/.test(e.message))
      await assert.rejects(fabric.get(m.check.filter.remote(['typed'])), (e: Error) => e.name === 'TaskError' && /task 'check' \(filter\) failed at item 0: typed failure on typed/.test(e.message))
      // The kind (`flaky`) survives: retryExceptions naming it retries the call.
      await assert.rejects(fabric.get(m.check.map.options({ retryExceptions: ['flaky'], maxRetries: 1 }).remote(['x', 'typed'])),
        (e: Error) => e.name === 'RetriesExhaustedError' && /failed at item 1/.test(String((e.cause as Error).message)))
      await assert.rejects(fabric.get(m.check.map.options({ retryExceptions: ['other'], maxRetries: 1 }).remote(['typed'])), { name: 'TaskError' })
    })

    it('refuses a filter result that is not a boolean, and a flatMap result that is not an array, naming the item', async () => {
      await assert.rejects(fabric.get(m.raw.filter.remote([true, false, 'yes'])),
        (e: Error) => /task 'raw' \(filter\) returned string at item 2: a filter's task must return true or false/.test(e.message))
      await assert.rejects(fabric.get(m.raw.flatMap.remote([[1], 7])),
        (e: Error) => /task 'raw' \(flatMap\) returned number at item 1: a flatMap's task must return an array/.test(e.message))
      assert.deepEqual(await fabric.get(m.raw.flatMap.remote([[1, [2]], [], [{ c: 3 }]])), [1, [2], { c: 3 }])
    })

    it('refuses items that are not an array: at once, or (a ref to something else) in the guest', async () => {
      assert.throws(() => m.parse.map.remote('rows' as never), (e: Error) => e.name === 'TypeError' && /parse\.map\.remote: the first argument must be the array of items \(or an ObjectRef of one\), got string/.test(e.message))
      await assert.rejects(fabric.get(m.parse.map.remote(fabric.put({ not: 'a list' }) as never)),
        (e: Error) => e.name === 'TaskError' && /task 'parse' \(map\): the first argument must be the array of items, got object/.test(e.message))
    })

    it('refuses a generator task\'s vectorised calls at once, saying why', () => {
      const upTo = m.upTo as unknown as UntypedModule[string]
      for (const mode of ['map', 'filter', 'flatMap'] as const) {
        assert.throws(() => upTo[mode].remote([1, 2]), (e: Error) => e.name === 'TypeError' && new RegExp(`upTo\\.${mode}: task 'upTo' is a generator \\(streaming\\): it cannot be called vectorised`).test(e.message))
      }
    })

    it('refuses vectorised calls of an AssemblyScript component at once, naming its SDK', () => {
      assert.throws(() => as.sumSquares!.map.remote([1, 2]), (e: Error) => e.name === 'TypeError' && /sumSquares\.map: component \S+ \(fabric-as\/0\.1\.0\) takes vectorised calls \(map of task 'sumSquares'\) only from TypeScript guests; call the task per item or use a TypeScript guest/.test(e.message))
    })

    it('applies options: the task\'s (fn.options(o).map) and the call\'s own (fn.map.options(o)), checked at once', async () => {
      await assert.rejects(fabric.get(m.slow.map.options({ timeoutMs: 300, maxRetries: 0 }).remote([1, 2, 3, 4, 5, 6], 1e7)), { name: 'TaskTimeoutError' })
      await assert.rejects(fabric.get(m.slow.options({ timeoutMs: 300, maxRetries: 0 }).map.remote([1, 2, 3, 4, 5, 6], 1e7)), { name: 'TaskTimeoutError' })
      assert.deepEqual(await fabric.get(m.slow.options({ timeoutMs: 300 }).map.options({ timeoutMs: 30_000 }).remote([1, 2, 3], 1e5)), [1, 2, 3])
      assert.throws(() => m.inc.map.options({ cpu: 1 } as never), (e: Error) => e.name === 'TypeError' && /task 'fabric:map:inc': unknown option cpu/.test(e.message))
    })

    it('cancels a vectorised call like any task', async () => {
      const ref = m.slow.map.remote(Array.from({ length: 16 }, (_, i) => i), 1e7)
      await new Promise(resolve => setTimeout(resolve, 300))
      assert.equal(fabric.cancel(ref), true)
      await assert.rejects(fabric.get(ref), { name: 'TaskCancelledError' })
    })
  })
}
