// Vectorised calls on a node: a peer's `fabric:<mode>:<task>` is checked against the component's
// manifest before it runs (a task of it, not streaming, of an SDK that runs them), and the node's
// own submit refuses a reserved name that is no vectorised call, rather than failing in the guest.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { cidOfBytesSync } from '../../src/component/index.js'
import { LocalNode, RemoteTaskExecutor, resolveTaskOptions } from '../../src/runtime/index.js'
import { checkCallName, parseVectorisedName, vectorisedName } from '../../src/runtime/vectorised-call.js'
import { decode, encode } from '../../src/objects/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

const ASKER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

describe('runtime/vectorised-call: names and the manifest check', () => {
  const manifest = { sdk: 'fabric-qjs/0.1.0', tasks: [{ name: 'parse', streaming: false }, { name: 'items', streaming: true }], actors: [] }

  it('names a call fabric:<mode>:<task> and reads it back; ordinary names are not vectorised calls', () => {
    assert.equal(vectorisedName('flatMap', 'parse'), 'fabric:flatMap:parse')
    assert.deepEqual(parseVectorisedName('fabric:filter:a:b'), { mode: 'filter', task: 'a:b' })
    assert.equal(parseVectorisedName('parse'), undefined)
    for (const bad of ['fabric:sort:parse', 'fabric:map:', 'fabric:map', 'fabric:']) {
      assert.throws(() => parseVectorisedName(bad), (e: Error & { kind?: string }) => e.name === 'TaskError' && e.kind === 'unknown-task' && /reserved names are fabric:<map\|filter\|flatMap>:<task>/.test(e.message), bad)
    }
  })

  it('accepts a task of the manifest and a vectorised call of a plain one; refuses the rest, saying why', () => {
    assert.deepEqual(checkCallName('parse', manifest, 'c1'), { name: 'parse', streaming: false })
    assert.deepEqual(checkCallName('items', manifest, 'c1'), { name: 'items', streaming: true })
    assert.deepEqual(checkCallName('fabric:map:parse', manifest, 'c1'), { name: 'fabric:map:parse', streaming: false })
    const refused = (name: string, m: typeof manifest, why: RegExp): void => {
      assert.throws(() => checkCallName(name, m, 'c1'), (e: Error & { kind?: string }) => e.name === 'TaskError' && e.kind === 'unknown-task' && why.test(e.message), name)
    }
    refused('nope', manifest, /component c1 has no task named "nope" \(it has: parse, items\)/)
    refused('fabric:map:nope', manifest, /component c1 has no task named "nope"/)
    refused('fabric:filter:items', manifest, /task 'items' is a generator \(streaming\): it cannot be called vectorised \(filter\)/)
    refused('fabric:map:parse', { ...manifest, sdk: 'fabric-as/0.1.0' }, /component c1 \(fabric-as\/0\.1\.0\) takes vectorised calls \(map of task 'parse'\) only from TypeScript guests; call the task per item or use a TypeScript guest/)
  })
})

describe("runtime/vectorised-call: a peer's vectorised calls on a node", function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let node: LocalNode
  let executor: RemoteTaskExecutor
  let rows: { cid: string, bytes: Uint8Array }
  let math: { cid: string, bytes: Uint8Array }

  before(async () => {
    const [r, m] = await Promise.all([fixtureComponent('guests/ts/rows.ts'), fixtureComponent('guests/as/math.ts', 'as')])
    rows = { bytes: new Uint8Array(fs.readFileSync(r)), cid: '' }
    math = { bytes: new Uint8Array(fs.readFileSync(m)), cid: '' }
    rows.cid = cidOfBytesSync(rows.bytes)
    math.cid = cidOfBytesSync(math.bytes)
    cache = tempDir()
    node = new LocalNode({ workers: 1, resources: { cpus: 1 }, cacheDir: cache.dir, log: () => {} })
    await node.start()
    const byCid = new Map([[rows.cid, rows.bytes], [math.cid, math.bytes]])
    executor = new RemoteTaskExecutor(node, async cid => byCid.get(cid)!)
  })

  after(async () => {
    await node?.stop()
    cache?.remove()
  })

  const run = async (component: string, name: string, args: unknown[]): Promise<unknown> => {
    const outcome = await executor.run({ type: 'run', id: 't1', component, name, args: encode(args) }, ASKER)
    assert.ok('value' in outcome)
    return decode(outcome.value)
  }

  it('runs fabric:map / filter / flatMap of a task of the component', async () => {
    assert.deepEqual(await run(rows.cid, 'fabric:map:scale', [[1, 2, 3], 10, 1]), [11, 21, 31])
    assert.deepEqual(await run(rows.cid, 'fabric:filter:raw', [[true, false, true]]), [true, true])
    assert.deepEqual(await run(rows.cid, 'fabric:flatMap:raw', [[[1, 2], [], [3]]]), [1, 2, 3])
  })

  it('refuses, before running anything, a streaming task, an unknown task or mode, and an AssemblyScript component', async () => {
    const refused = async (component: string, name: string, why: RegExp): Promise<void> => {
      await assert.rejects(run(component, name, [[1]]), (e: Error & { kind?: string }) => e.name === 'TaskError' && e.kind === 'unknown-task' && why.test(e.message), name)
    }
    await refused(rows.cid, 'fabric:map:upTo', /task 'upTo' is a generator \(streaming\)/)
    await refused(rows.cid, 'fabric:map:nope', /has no task named "nope"/)
    await refused(rows.cid, 'fabric:sort:inc', /reserved names are fabric:<map\|filter\|flatMap>:<task>/)
    await refused(math.cid, 'fabric:map:sumSquares', /\(fabric-as\/0\.1\.0\) takes vectorised calls \(map of task 'sumSquares'\) only from TypeScript guests/)
  })

  it("the node's own submit refuses a reserved name that is no vectorised call", async () => {
    const { component } = await node.load(rows.bytes)
    const sub = (name: string): string => node.submit({ component, name, args: [{ kind: 'value', bytes: encode([1]), refs: [] }], options: resolveTaskOptions({}, name), streaming: false })
    assert.throws(() => sub('fabric:reduce:inc'), (e: Error & { kind?: string }) => e.name === 'TaskError' && e.kind === 'unknown-task')
    const id = sub('fabric:map:inc')
    assert.deepEqual(decode(await node.get(id) as Uint8Array), [2])
    node.release(id)
  })
})
