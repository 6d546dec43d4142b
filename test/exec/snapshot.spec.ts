// Durable actors' snapshots in the pool (exec/snapshot.ts): after each call the worker sends the
// pages of the instance's memory that changed and its mutable globals; an image built from them,
// written over a fresh instance whose constructor ran with the same arguments, resumes the actor
// exactly (QuickJS and AssemblyScript guests: AssemblyScript keeps its allocator's state in globals).
import assert from 'node:assert/strict'
import { loadComponent, type CompiledComponent } from '../../src/component/index.js'
import { createExecPool, type ExecPool } from '../../src/exec/index.js'
import { SNAPSHOT_PAGE_BYTES, type SnapshotDelta, type SnapshotImage } from '../../src/exec/snapshot.js'
import { encode, decode } from '../../src/objects/codec.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

/** Fold deltas into the image they add up to: the latest bytes of each page, the last globals. */
function fold (deltas: SnapshotDelta[]): SnapshotImage {
  const memories: Array<{ size: number, pages: Map<number, Uint8Array> }> = []
  for (const d of deltas) {
    d.memories.forEach((m, i) => {
      const mem = memories[i] ??= { size: 0, pages: new Map() }
      mem.size = m.size
      for (const p of m.changed) mem.pages.set(p.index, p.bytes)
    })
  }
  return { memories: memories.map(m => ({ size: m.size, pages: [...m.pages].map(([index, bytes]) => ({ index, bytes })) })), globals: deltas[deltas.length - 1]!.globals }
}

describe('exec/snapshot: durable actors\' state in the pool', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let qjs: CompiledComponent
  let as: CompiledComponent
  let pool: ExecPool

  before(async () => {
    cache = tempDir()
    ;[qjs, as] = await Promise.all([
      loadComponent(await fixtureComponent('guests/ts/memo.ts'), { cacheDir: cache.dir }),
      loadComponent(await fixtureComponent('guests/as/math.ts', 'as'), { cacheDir: cache.dir })
    ])
    pool = createExecPool({ workers: 1, actorWorkers: 2, cacheDir: cache.dir, host: { log: () => {} } })
    await pool.start()
  })

  after(async () => {
    await pool?.stop()
    cache?.remove()
  })

  const invoke = async (actor: Awaited<ReturnType<ExecPool['createActor']>>, method: string, args: unknown[], deltas?: SnapshotDelta[]): Promise<unknown> =>
    decode(await pool.invoke(actor, method, encode(args), deltas === undefined ? {} : { snapshot: d => { deltas.push(d) } }))

  it('QuickJS: a 1 MiB state changing 4 KiB a call sends a few pages a call, and a restore resumes it exactly', async () => {
    const args = encode([1024, 4])
    const actor = await pool.createActor(qjs, 'Counter', args, { durable: true })
    const deltas: SnapshotDelta[] = []
    for (let i = 1; i <= 50; i++) assert.equal(await invoke(actor, 'incr', [], deltas), i)
    assert.equal(deltas.length, 50)
    const size = deltas[0]!.memories.reduce((s, m) => s + m.size, 0)
    const first = deltas[0]!.memories.reduce((s, m) => s + m.changed.length, 0)
    assert.equal(first, deltas[0]!.memories.reduce((s, m) => s + Math.ceil(m.size / SNAPSHOT_PAGE_BYTES), 0), 'the first snapshot sends every page')
    const later = deltas.slice(1).map(d => d.memories.reduce((s, m) => s + m.changed.reduce((b, p) => b + p.bytes.length, 0), 0))
    later.sort((a, b) => a - b)
    const median = later[later.length >> 1]!
    assert.ok(size > 1024 * 1024, `the instance holds the 1 MiB state (${size} B)`)
    // QuickJS itself dirties a few pages per call (its stack, allocator and GC): far less than all.
    assert.ok(median * 16 <= size, `a call changing 4 KiB sends ${median} B of ${size} B`)
    const digest = await invoke(actor, 'digest', [])

    const restored = await pool.createActor(qjs, 'Counter', args, { durable: true, restore: fold(deltas) })
    assert.equal(await invoke(restored, 'value', []), 50)
    assert.equal(await invoke(restored, 'digest', []), digest)
    // It goes on as the original does.
    for (let i = 51; i <= 60; i++) {
      assert.equal(await invoke(actor, 'incr', []), i)
      assert.equal(await invoke(restored, 'incr', []), i)
    }
    assert.equal(await invoke(restored, 'digest', []), await invoke(actor, 'digest', []))
    // A restore without durable snapshots on: the next call asks for one and is told why not.
    const plain = await pool.createActor(qjs, 'Counter', args)
    await assert.rejects(invoke(plain, 'incr', [], []), /snapshot was asked of an actor not created durable/)
    for (const a of [actor, restored, plain]) await pool.destroyActor(a)
  })

  it('AssemblyScript: globals (the allocator\'s state) come back with the memory', async () => {
    const args = encode([5])
    const actor = await pool.createActor(as, 'Counter', args, { durable: true })
    const deltas: SnapshotDelta[] = []
    for (let i = 1; i <= 20; i++) assert.equal(await invoke(actor, 'incr', [i], deltas), 5 + i * (i + 1) / 2)
    assert.ok(deltas[0]!.globals.length > 0, 'AssemblyScript keeps state in mutable globals')
    const restored = await pool.createActor(as, 'Counter', args, { durable: true, restore: fold(deltas) })
    const sum = 5 + 20 * 21 / 2
    assert.equal(await invoke(restored, 'incr', [0]), sum)
    for (let i = 0; i < 200; i++) await invoke(restored, 'incr', [1]) // allocations go on from the restored heap
    assert.equal(await invoke(restored, 'incr', [0]), sum + 200)
    // An image of another component does not fit: refused, saying so.
    await assert.rejects(pool.createActor(qjs, 'Counter', encode([0, 0]), { restore: fold(deltas) }), /taken of another component/)
    for (const a of [actor, restored]) await pool.destroyActor(a)
  })
})
