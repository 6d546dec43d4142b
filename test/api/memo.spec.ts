// Memoised tasks on an embedded fabric: a call with the same component, function and argument
// bytes returns the stored result without running (the guest's log says how often it ran), a
// changed byte runs again, nested calls of a memoised task are memoised, failures are not kept,
// results come back the same bytes, and what cannot be memoised is refused with the reason.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule } from '../../src/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

type Memo = GuestModule<typeof import('../fixtures/guests/ts/memo.js')>

describe('api: memoised tasks (embedded)', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let component: string
  let fabric: Fabric
  let m: Memo
  const ran: string[] = []
  const runs = (prefix: string): number => ran.filter(l => l.startsWith(prefix)).length

  before(async () => {
    cache = tempDir()
    component = await fixtureComponent('guests/ts/memo.ts')
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: (_level, message) => { if (message.startsWith('ran ')) ran.push(message) } })
    m = await fabric.load<Memo>(component)
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('runs a memoised call once: the second call returns the first result without running', async () => {
    const sq = m.square.options({ memo: true })
    assert.equal(await fabric.get(sq.remote(7)), 49)
    assert.equal(await fabric.get(sq.remote(7)), 49)
    assert.equal(await fabric.get(sq.remote(7)), 49)
    assert.equal(runs('ran square 7'), 1)
    // Without memo it runs every time.
    assert.equal(await fabric.get(m.square.remote(7)), 49)
    assert.equal(runs('ran square 7'), 2)
    const stats = fabric.embedded!.stats().memo
    assert.ok(stats.hits >= 2, JSON.stringify(stats))
  })

  it('a changed argument byte runs again; a ref argument is named by its value', async () => {
    const ck = m.checksum.options({ memo: true })
    const bytes = new Uint8Array(4096).map((_, i) => i * 7)
    const first = await fabric.get(ck.remote(bytes))
    assert.deepEqual(await fabric.get(ck.remote(bytes.slice())), first)
    assert.equal(runs('ran checksum'), 1)
    const changed = bytes.slice()
    changed[1234] ^= 1
    const other = await fabric.get(ck.remote(changed))
    assert.notDeepEqual(other, first)
    assert.equal(runs('ran checksum'), 2)
    // The same bytes behind a ref: the same call.
    assert.deepEqual(await fabric.get(ck.remote(fabric.put(bytes))), first)
    assert.equal(runs('ran checksum'), 2)
  })

  it('a large result comes back as the same bytes', async () => {
    const ex = m.expand.options({ memo: true })
    const a = await fabric.get(ex.remote(5, 300_000))
    const b = await fabric.get(ex.remote(5, 300_000))
    assert.equal(runs('ran expand 5'), 1)
    assert.deepEqual(b, a)
    assert.equal((a as Uint8Array).length, 300_000)
  })

  it('a task the guest declared memoised is memoised unless the caller says memo: false', async () => {
    assert.equal(await fabric.get(m.declared.remote(1)), 2)
    assert.equal(await fabric.get(m.declared.remote(1)), 2)
    assert.equal(runs('ran declared 1'), 1)
    assert.equal(await fabric.get(m.declared.options({ memo: false }).remote(1)), 2)
    assert.equal(runs('ran declared 1'), 2)
  })

  it('nested calls of a memoised task are memoised', async () => {
    const out = m.outer.options({ memo: true })
    assert.equal(await fabric.get(out.remote(3)), 70)
    assert.equal(runs('ran inner'), 2)
    assert.equal(runs('ran outer'), 1)
    // Another outer call shares one inner call with the first.
    assert.equal(await fabric.get(out.remote(4)), 90)
    assert.equal(runs('ran outer'), 2)
    assert.equal(runs('ran inner 4'), 1)
    assert.equal(runs('ran inner 5'), 1)
    assert.equal(await fabric.get(out.remote(3)), 70)
    assert.equal(runs('ran outer'), 2)
  })

  it('a memoised generator yields the same items again without running', async () => {
    const items = async (): Promise<unknown[]> => {
      const out: unknown[] = []
      for await (const ref of m.countUp.options({ memo: true }).remote(5)) out.push(await fabric.get(ref))
      return out
    }
    const first = await items()
    assert.deepEqual(first.map(x => (x as { i: number }).i), [1, 2, 3, 4, 5])
    assert.deepEqual(await items(), first)
    assert.equal(runs('ran countUp 5'), 1)
  })

  it('a failure is not kept: the next call runs again', async () => {
    const f = m.failing.options({ memo: true })
    await assert.rejects(fabric.get(f.remote(1)), /failing 1/)
    await assert.rejects(fabric.get(f.remote(1)), /failing 1/)
    assert.equal(runs('ran failing 1'), 2)
  })

  it('refuses what cannot be memoised, saying why', async () => {
    assert.throws(() => m.square.options({ memo: true, gpus: 1 }), /memo cannot be used with gpus/)
    assert.throws(() => m.square.options({ memo: 'yes' as unknown as boolean }), /option memo must be a boolean/)
    const counter = await m.Counter.create()
    await assert.rejects(fabric.get(m.readCounter.options({ memo: true }).remote(counter)), /memoised task may not call actor method 'value'/)
    await assert.rejects(fabric.get(m.getWithTimeout.options({ memo: true }).remote(1)), /memoised task may not get with a timeout/)
    // Without memo the same task reads the actor.
    assert.equal(await fabric.get(m.readCounter.remote(counter)), 0)
  })
})
