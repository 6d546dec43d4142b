// The state API across `fabric join` processes (issue 14, item 1): `fabric list` and
// `fabric summary` ask one node, which merges every node's rows: a job's tasks listed as finished
// (or failed, with the error) with the node that ran them, its actors with class, name and
// namespace, its job with counts, the nodes with their resources.
import assert from 'node:assert/strict'
import { type ConnectedFabric, type ObjectRef, type RemoteActorClass, type UntypedModule } from '../../src/index.js'
import { formatRows, summarize } from '../../src/cli/list.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, fabricCli, type Joined } from './cluster.js'

const fabric = fabricCli

describe('e2e: the state API (fabric list, fabric summary)', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let nodes: Joined[]
  let driver: ConnectedFabric
  let m: UntypedModule

  before(async () => {
    const componentPath = await fixtureComponent('guests/ts/kitchen.ts')
    nodes = await cluster.start(2)
    // The guest's log lines (a 300 kB one among them) are not this test's concern.
    driver = await cluster.connect(2, { log: false })
    m = await driver.load<UntypedModule>(componentPath)
  })

  after(async () => {
    await driver?.stop()
    await cluster.stop()
  })

  it('fabric list tasks --json, asked of one node, lists the job\'s tasks on every node as finished with the node that ran them', async () => {
    const on = (n: Joined) => ({ scheduling: { nodeAffinity: n.peer } })
    const refs = nodes.flatMap(n => [1, 2, 3].map(i => m.add!.options(on(n)).remote(i, 100) as ObjectRef<number>))
    assert.deepEqual(await driver.get(refs), [101, 102, 103, 101, 102, 103])
    await assert.rejects(driver.get(m.fail!.options(on(nodes[1]!)).remote('on purpose') as ObjectRef))
    const out = await fabric('list', 'tasks', '--address', nodes[0]!.addr, '--filter', `job=${driver.jobId}`, '--json')
    assert.equal(out.code, 0, out.stderr)
    const reply = JSON.parse(out.stdout) as { rows: Array<Record<string, unknown>>, truncated: boolean }
    const adds = reply.rows.filter(r => r.name === 'add')
    assert.equal(adds.length, 6, JSON.stringify(reply.rows))
    for (const n of nodes) assert.equal(adds.filter(r => r.node === n.peer && r.state === 'finished').length, 3, `three finished on ${n.name}`)
    for (const r of adds) assert.ok(typeof r.submittedAt === 'number' && typeof r.endedAt === 'number' && r.attempts === 1)
    const failed = reply.rows.find(r => r.name === 'fail')
    assert.equal(failed?.state, 'failed')
    assert.equal(failed?.node, nodes[1]!.peer)
    assert.match(String(failed?.error), /on purpose/)
    // The table form says the same.
    const table = await fabric('list', 'tasks', '--address', nodes[1]!.addr, '--filter', 'state=failed', '--filter', `job=${driver.jobId}`)
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /^ID +NAME +KIND +STATE/m)
    assert.match(table.stdout, /fail +task +failed/)
    assert.match(table.stdout, /^1 tasks$/m)
  })

  it('lists actors (class, name, namespace), jobs with counts, and the nodes; summary counts by name and state', async () => {
    const Counter = m.Counter! as unknown as RemoteActorClass<[number], { incr: (n: number) => number }>
    const c = await Counter.options({ name: 'listed', scheduling: { nodeAffinity: nodes[1]!.peer } }).create(1)
    assert.equal(await driver.get(c.incr.remote(1)), 2)
    const actors = JSON.parse((await fabric('list', 'actors', '--address', nodes[0]!.addr, '--json')).stdout) as { rows: Array<Record<string, unknown>> }
    const row = actors.rows.find(r => r.name === 'listed')
    assert.deepEqual({ class: row?.class, namespace: row?.namespace, state: row?.state, node: row?.node, job: row?.job }, { class: 'Counter', namespace: driver.namespace, state: 'alive', node: nodes[1]!.peer, job: driver.jobId })
    const jobs = JSON.parse((await fabric('list', 'jobs', '--address', nodes[0]!.addr, '--json')).stdout) as { rows: Array<Record<string, unknown>> }
    const job = jobs.rows.find(r => r.job === driver.jobId)
    assert.ok(job !== undefined && Number(job.finished) >= 7 && Number(job.failed) === 1, JSON.stringify(jobs.rows))
    const listed = JSON.parse((await fabric('list', 'nodes', '--address', nodes[0]!.addr, '--json')).stdout) as { rows: Array<Record<string, unknown>> }
    assert.deepEqual(listed.rows.filter(r => r.role === 'node').map(r => r.node).sort(), nodes.map(n => n.peer).sort())
    const summary = await fabric('summary', 'tasks', '--address', nodes[0]!.addr)
    assert.equal(summary.code, 0, summary.stderr)
    assert.match(summary.stdout, /^add: finished \d+/m)
    await driver.kill(c)
  })

  it('lists objects with CID, size, where they are and the nodes holding them; summary objects counts them by where', async () => {
    // A result over the inline limit stays in the store of the node that made it.
    const big = 'q'.repeat(300_000)
    const ref = m.shout!.options({ scheduling: { nodeAffinity: nodes[1]!.peer } }).remote(big) as ObjectRef<string>
    assert.equal((await driver.get(ref)).length, big.length)
    const out = await fabric('list', 'objects', '--address', nodes[0]!.addr, '--filter', `job=${driver.jobId}`, '--filter', 'kind=object', '--json')
    assert.equal(out.code, 0, out.stderr)
    const rows = (JSON.parse(out.stdout) as { rows: Array<Record<string, unknown>> }).rows
    const row = rows.find(r => Number(r.size) > 300_000)
    assert.ok(row !== undefined, JSON.stringify(rows))
    assert.match(String(row.cid), /^b[a-z2-7]{20,}/)
    assert.equal(row.holders, nodes[1]!.peer)
    assert.equal(row.where, 'memory')
    assert.equal(row.spilled, false)
    const summary = await fabric('summary', 'objects', '--address', nodes[0]!.addr, '--json')
    const counts = JSON.parse(summary.stdout) as Record<string, { objects: number, bytes: number }>
    assert.ok((counts.memory?.objects ?? 0) >= 1 && (counts.memory?.bytes ?? 0) > 300_000, summary.stdout)
  })

  it('refuses an unknown kind and a bad filter, saying what would do', async () => {
    const bad = await fabric('list', 'widgets', '--address', nodes[0]!.addr)
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /unknown kind 'widgets': use one of nodes, tasks, actors, objects, jobs/)
    const filter = await fabric('list', 'tasks', '--address', nodes[0]!.addr, '--filter', 'nonsense')
    assert.match(filter.stderr, /--filter 'nonsense': use field=value/)
  })

  it('formats rows and summaries', () => {
    assert.match(formatRows('jobs', { type: 'rows', rows: [{ job: 'job-1', tasks: 3, finished: 3 }], truncated: true, unreachable: ['12D3KooWx'] }), /JOB +TASKS[\s\S]*job-1 +3[\s\S]*1 jobs \(more matched: raise --limit\)\nno answer from 12D3KooWx/)
    assert.deepEqual(summarize('tasks', [{ name: 'a', state: 'finished' }, { name: 'a', state: 'failed' }, { name: 'a', state: 'finished' }]), { a: { finished: 2, failed: 1 } })
  })
})
