// Collective groups on both faces of the driver contract: actors formed into a group run
// all-reduce (sum, mean, max), broadcast and barrier together with the right answers, train a
// model data-parallel to identical weights, and a group whose member dies fails its other
// members at once instead of leaving them waiting.
import assert from 'node:assert/strict'
import type { FabricDriver, GuestModule } from '../../../src/index.js'
import { fixtureComponent } from '../../helpers/fixtures.js'
import { connectedFace, embeddedFace, type Face } from './faces.js'

type Col = GuestModule<typeof import('../../fixtures/guests/ts-collective/collective.js')>
type Member = Awaited<ReturnType<Col['Member']['create']>>

for (const face of [embeddedFace(), connectedFace()] as Face[]) {
  describe(`collective groups: ${face.name}`, function () {
    this.timeout(120_000)
    let fabric: FabricDriver
    let m: Col
    let members: Member[]
    /** One member per node across nodes (3), one per worker embedded (2). */
    let size: number

    before(async function () {
      this.timeout(180_000)
      const path = await fixtureComponent('guests/ts-collective/collective.ts')
      fabric = await face.start()
      m = await fabric.load<Col>(path)
      size = fabric.kind === 'connected' ? 3 : 2
      members = await Promise.all(Array.from({ length: size }, async () => await m.Member.options({ scheduling: 'spread' }).create()))
      const connected = (fabric as { connected?: { actorInfo: (h: { actorId: string }) => { peer?: string } } }).connected
      // Across nodes, one member per node: the chunks go over /fabric/collective/1.
      if (connected !== undefined) assert.equal(new Set(members.map(a => connected.actorInfo(a).peer)).size, 3)
    })

    after(async () => { await face.stop() })

    it('all-reduce sums, averages and takes the max of every member\'s tensor; info gives ranks', async () => {
      const g = await fabric.collectiveGroup(members, { name: 'g1' })
      assert.equal(g.size, size)
      assert.deepEqual(await fabric.get(members.map(a => a.info.remote('g1'))), members.map((_a, rank) => ({ rank, size })))
      // Member r holds r*10 + i at element i (7 elements: segments of unequal length).
      const input = (r: number): Float32Array => Float32Array.from({ length: 7 }, (_v, i) => r * 10 + i)
      for (const op of ['sum', 'mean', 'max'] as const) {
        const outs = await fabric.get(members.map((a, r) => a.allReduce.remote(input(r), [7], op, 'g1')))
        const want = Array.from({ length: 7 }, (_v, i) => {
          const vals = members.map((_a, r) => r * 10 + i)
          return op === 'sum' ? vals.reduce((x, y) => x + y) : op === 'mean' ? vals.reduce((x, y) => x + y) / size : Math.max(...vals)
        })
        for (const out of outs) assert.deepEqual(Array.from(out), want, op)
      }
      // Many in a row, larger than one piece (2^20 + 3 elements), keep their order.
      const sums = await fabric.get(members.map(a => a.repeat.remote(3, 1_048_579, 'g1')))
      const want = [0, 1, 2].map(i => members.reduce((s, _a, r) => s + r + i, 0))
      for (const s of sums) assert.deepEqual(s, want)
      await g.destroy()
    })

    it('broadcast gives every member the root\'s tensor; barrier returns to all', async () => {
      const g = await fabric.collectiveGroup(members, { name: 'g2' })
      const root = size - 1
      const data = Float32Array.from([1.5, -2, 3.25, 4, 5, 6])
      const outs = await fabric.get(members.map((a, r) => a.broadcast.remote(r === root ? data : null, [2, 3], root, 'g2')))
      for (const o of outs) {
        assert.deepEqual(Array.from(o.values), Array.from(data))
        assert.deepEqual(o.shape, [2, 3])
      }
      assert.deepEqual((await fabric.get(members.map(a => a.barrier.remote('g2')))).sort(), members.map((_a, r) => r))
      await g.destroy()
    })

    it('data-parallel training: members start from one model and end with the same weights', async () => {
      const g = await fabric.collectiveGroup(members, { name: 'ddp' })
      const outs = await fabric.get(members.map(a => a.train.remote(60, 'ddp')))
      for (const o of outs.slice(1)) assert.deepEqual(Array.from(o.weights), Array.from(outs[0]!.weights))
      // y = 2 x0 - x1 + 0.5 x2 + 1: learned from every member's shard.
      const w = Array.from(outs[0]!.weights)
      assert.ok(Math.abs(w[0]! - 2) < 0.2 && Math.abs(w[1]! + 1) < 0.2 && Math.abs(w[2]! - 0.5) < 0.2 && Math.abs(w[3]! - 1) < 0.2, `weights ${w.join(', ')}`)
      await g.destroy()
    })

    it('refuses what cannot be a group, and a call in no group says so', async () => {
      await assert.rejects(fabric.collectiveGroup([]), /1-1024 actor handles/)
      await assert.rejects(fabric.collectiveGroup([members[0]!, members[0]!]), /in a group once/)
      await assert.rejects(fabric.collectiveGroup(members, { name: '' }), /name must be/)
      await assert.rejects(fabric.get(members[0]!.info.remote('nope')), (e: Error) => (e as { kind?: string }).kind === 'not-found' && /no group named 'nope'/.test(e.message))
    })

    it('a member that dies fails the others\' operations at once, with the reason', async () => {
      const extra = await Promise.all(Array.from({ length: size }, async () => await m.Member.options({ scheduling: 'spread' }).create()))
      await fabric.collectiveGroup(extra, { name: 'doomed', timeoutMs: 120_000 })
      // Rank 0 waits in an all-reduce for the others, who never call: its node hears rank 1 died.
      const waiting = extra[0]!.allReduce.remote(new Float32Array([1]), [1], 'sum', 'doomed')
      await new Promise(resolve => setTimeout(resolve, 300))
      const started = Date.now()
      await fabric.kill(extra[1]!)
      await assert.rejects(fabric.get(waiting), (e: Error) => (e as { kind?: string }).kind === 'unavailable' && /died/.test(e.message))
      assert.ok(Date.now() - started < 20_000, `failed after ${Date.now() - started} ms`)
      await Promise.all(extra.filter((_a, i) => i !== 1).map(async a => { await fabric.kill(a) }))
    })
  })
}
