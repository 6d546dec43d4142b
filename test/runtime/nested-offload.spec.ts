// A node's nested-task policy with a fake NestedOffload: a guest's nested tasks run on its own node
// until about half the CPUs are taken, then go elsewhere; nothing goes when no other node has room;
// a failure elsewhere fails the nested ref like a local one. (Across real nodes: test/e2e/nested-spread.)
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { LocalNode, resolveTaskOptions, type ArgSpec, type NestedOffload } from '../../src/runtime/index.js'
import { decode, encode } from '../../src/objects/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

const value = (v: unknown): ArgSpec => ({ kind: 'value', bytes: encode(v), refs: [] })

describe('runtime: guests\' nested tasks leave a half-busy node', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let node: LocalNode
  let bytes: Uint8Array
  const sent: Array<{ name: string, args: unknown[] }> = []
  let room = true
  let failWith: Error | undefined

  const offload: NestedOffload = {
    hasRoom: () => room,
    run: async (task) => {
      const args = task.args.map(a => 'value' in a ? decode(a.value) : assert.fail('no object arguments expected'))
      sent.push({ name: task.name, args })
      await new Promise(resolve => setTimeout(resolve, 20))
      if (failWith !== undefined) throw failWith
      return { value: encode((args[0] as number) ** 2), nested: [] }
    }
  }

  const fanOut = async (n: number): Promise<unknown> => {
    const { component } = await node.load(bytes)
    const id = node.submit({ component, name: 'fanOut', args: [value(n), value(200_000), value({})], options: resolveTaskOptions({}, 'fanOut'), streaming: false })
    try {
      return decode(await node.get(id))
    } finally {
      node.release(id)
    }
  }

  before(async () => {
    cache = tempDir()
    bytes = fs.readFileSync(await fixtureComponent('guests/ts-nested/nested.ts'))
    node = new LocalNode({ workers: 4, resources: { cpus: 4 }, cacheDir: cache.dir, log: () => {} })
    await node.start()
    node.setOffload(offload)
  })

  after(async () => {
    await node?.stop()
    cache?.remove()
  })

  beforeEach(() => { sent.length = 0; room = true; failWith = undefined })

  it('packs locally until half the CPUs are taken, then sends the rest elsewhere', async () => {
    const before = node.offloadStats().total
    assert.equal(await fanOut(8), [0, 1, 2, 3, 4, 5, 6, 7].reduce((s, i) => s + i * i, 0))
    // The parent's own CPU does not count (it gives it back while it waits): two children take
    // half of the 4 CPUs, the other 6 go (5 or 4 when local children are already done before the
    // parent has submitted them all, on a slow or busy machine).
    assert.ok(sent.length >= 4 && sent.length <= 6, `sent ${sent.length} of 8`)
    assert.ok(sent.every(s => s.name === 'slowSquare'))
    assert.equal(node.offloadStats().total - before, sent.length)
    assert.equal(node.offloadStats().running, 0)
  })

  it('keeps everything local when no other node has room', async () => {
    room = false
    assert.equal(await fanOut(6), [0, 1, 2, 3, 4, 5].reduce((s, i) => s + i * i, 0))
    assert.equal(sent.length, 0)
  })

  it('a nested task that fails elsewhere fails its ref; the parent sees the error', async () => {
    failWith = new Error('the other node fell over')
    // Of 8 children, 2 run here and 6 go (as above): those fail.
    await assert.rejects(fanOut(8), (err: Error) => /the other node fell over/.test(err.message))
    assert.ok(sent.length > 0)
    // The parent fails at the first failed child; the children still running here finish after.
    for (const deadline = Date.now() + 5000; node.stats().tasks.running > 0 && Date.now() < deadline;) await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(node.stats().tasks.running, 0)
  })
})
