// What a node says of its tasks (the state API's rows, issue 14): live tasks with why they wait,
// the last finished ones in a bounded ring, jobs counted. (Across nodes: test/e2e/state.spec.ts.)
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { LocalNode, resolveTaskOptions, type ArgSpec } from '../../src/runtime/index.js'
import { TaskHistory } from '../../src/runtime/task-history.js'
import { decodeStateRequest } from '../../src/net/index.js'
import { encode } from '../../src/objects/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

const value = (v: unknown): ArgSpec => ({ kind: 'value', bytes: encode(v), refs: [] })

describe('runtime: task rows for the state API', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let node: LocalNode

  before(async () => {
    cache = tempDir()
    node = new LocalNode({ workers: 1, resources: { cpus: 1 }, cacheDir: cache.dir, log: () => {}, taskHistory: 3 })
    await node.start()
  })

  after(async () => {
    await node?.stop()
    cache?.remove()
  })

  it('says why a task waits: for its arguments, or for resources; running ones are running; finished ones are kept, the last N', async () => {
    const { component } = await node.load(fs.readFileSync(await fixtureComponent('guests/ts/kitchen.ts')))
    const opts = (o: Record<string, unknown> = {}): ReturnType<typeof resolveTaskOptions> => resolveTaskOptions(o, 't')
    const spinning = node.submit({ component, name: 'spin', args: [], options: opts({ timeoutMs: 1500, maxRetries: 0 }), streaming: false, job: 'key-a' })
    const queued = node.submit({ component, name: 'add', args: [value(1), value(2)], options: opts(), streaming: false, job: 'key-a' })
    const dependent = node.submit({ component, name: 'add', args: [{ kind: 'ref', id: queued }, value(2)], options: opts(), streaming: false })
    const deadline = Date.now() + 10_000
    let rows = node.stateRows('tasks')
    while (!rows.some(r => r.state === 'running') && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 50))
      rows = node.stateRows('tasks')
    }
    const by = (id: string): Record<string, unknown> | undefined => rows.find(r => r.id === id)
    assert.equal(by(spinning)?.state, 'running')
    assert.equal(by(queued)?.state, 'waiting-for-resources')
    assert.match(String(by(queued)?.reason), /needs cpus/)
    assert.equal(by(dependent)?.state, 'waiting-for-args')
    assert.match(String(by(dependent)?.reason), new RegExp(`waiting for 1 argument\\(s\\) to be ready: ${queued.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`))
    assert.match(String(by(spinning)?.job), /^job-[0-9a-f]{16}$/)
    await assert.rejects(node.get(spinning))
    await node.get(dependent)
    rows = node.stateRows('tasks')
    assert.deepEqual(rows.map(r => [r.name, r.state]), [['add', 'finished'], ['add', 'finished'], ['spin', 'failed']], 'newest first')
    assert.match(String(rows[2]!.error), /^TaskTimeoutError: /)
    const jobs = node.stateRows('jobs')
    assert.deepEqual(jobs.find(j => j.job === rows[2]!.job), { job: rows[2]!.job, tasks: 2, failed: 1, finished: 1 })
    for (const id of [spinning, queued, dependent]) node.release(id)
  })

  it('keeps only the last `capacity` rows', () => {
    const h = new TaskHistory(2)
    for (const id of ['a', 'b', 'c']) h.record({ id, name: 'x', kind: 'task', job: undefined, attempts: 1, submittedAt: 5, startedAt: 0 } as unknown as Parameters<TaskHistory['record']>[0], id === 'b' ? new Error('boom') : undefined, 9)
    assert.deepEqual(h.rows().map(r => [r.id, r.state, r.error, r.submittedAt, r.startedAt, r.endedAt]), [['c', 'finished', undefined, 5, undefined, 9], ['b', 'failed', 'Error: boom', 5, undefined, 9]])
    assert.deepEqual(new TaskHistory(0).rows(), [])
  })

  it('validates state requests: kinds, filters, limits', () => {
    assert.deepEqual(decodeStateRequest(encode({ type: 'list', what: 'tasks', filters: { state: 'failed' }, limit: 5 })), { type: 'list', what: 'tasks', filters: { state: 'failed' }, limit: 5 })
    assert.throws(() => decodeStateRequest(encode({ type: 'list', what: 'secrets' })), /what must be one of nodes, tasks, actors, objects, jobs/)
    assert.throws(() => decodeStateRequest(encode({ type: 'list', what: 'tasks', limit: 10_001 })), /limit must be an integer from 1 to 10000/)
    assert.throws(() => decodeStateRequest(encode({ type: 'list', what: 'tasks', filters: { state: 1 } })), /at most 16 filters/)
    assert.throws(() => decodeStateRequest(encode({ type: 'list', what: 'tasks', drop: true })), /must be \{ type: 'list'/)
  })
})
