// Guest log lines across `fabric join` processes (issue 14, item 2): a line a guest prints on a
// remote node reaches its driver, prefixed with the task and the node; `fabric logs` asked of one
// node prints a job's, a task's lines from every node, and follows new ones; the node keeps them
// in a rotated file under its data dir.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { type ConnectedFabric, type ObjectRef, type UntypedModule } from '../../src/index.js'
import type { LogLine } from '../../src/runtime/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { waitFor } from '../helpers/wait-for.js'
import { Cluster, fabricCli, ROOT, type Joined } from './cluster.js'

const fabric = fabricCli
const CLI = path.join(ROOT, 'test/e2e/fabric-cli.ts')

describe('e2e: guest log lines (driver, fabric logs)', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let nodes: Joined[]
  let driver: ConnectedFabric
  let m: UntypedModule
  const lines: LogLine[] = []

  before(async () => {
    const componentPath = await fixtureComponent('guests/ts/kitchen.ts')
    nodes = await cluster.start(2, i => i === 1 ? ['--log-max-mb', '1', '--log-files', '1'] : [])
    driver = await cluster.connect(2, { log: line => { lines.push(line) } })
    m = await driver.load<UntypedModule>(componentPath)
  })

  after(async () => {
    await driver?.stop()
    await cluster.stop()
  })

  it('a guest\'s line printed on each remote node reaches the driver, with its task, function, job and node', async () => {
    const on = (n: Joined) => ({ scheduling: { nodeAffinity: n.peer } })
    const got = await driver.get(nodes.map((n, i) => m.shout!.options(on(n)).remote(`hello from ${i}`) as ObjectRef<string>))
    assert.deepEqual(got, ['HELLO FROM 0', 'HELLO FROM 1'])
    await waitFor(() => lines.length >= 2, 'two lines at the driver', 10_000)
    for (const [i, n] of nodes.entries()) {
      const line = lines.find(l => l.message.includes(`hello from ${i}`))
      assert.ok(line !== undefined, `line of node ${i}: ${JSON.stringify(lines)}`)
      assert.equal(line.node, n.peer)
      assert.equal(line.name, 'shout')
      assert.equal(line.job, driver.jobId)
      assert.equal(line.level, 'info')
      assert.match(line.task ?? '', /\S/)
    }
  })

  it('fabric logs <job> asked of one node prints the job\'s lines from every node; <task> just that task\'s', async () => {
    const out = await fabric('logs', driver.jobId, '--address', nodes[0]!.addr)
    assert.equal(out.code, 0, out.stderr)
    for (const [i, n] of nodes.entries()) {
      const line = out.stdout.split('\n').find(l => l.includes(`hello from ${i}`))
      assert.ok(line !== undefined, out.stdout)
      assert.ok(line.includes(`node=${n.peer.slice(-8)}`) && line.includes('(shout task='), line)
    }
    const task = lines.find(l => l.message.includes('hello from 1'))!.task!
    const one = await fabric('logs', task, '--address', nodes[0]!.addr, '--json')
    assert.equal(one.code, 0, one.stderr)
    const parsed = one.stdout.trim().split('\n').map(l => JSON.parse(l) as LogLine)
    assert.deepEqual(parsed.map(l => [l.task, l.node]), [[task, nodes[1]!.peer]])
    const none = await fabric('logs', 'job-0000000000000000', '--address', nodes[0]!.addr)
    assert.equal(none.code, 0)
    assert.match(none.stderr, /no lines of job-0000000000000000/)
  })

  it('fabric logs --follow prints new lines as guests write them, from any node', async () => {
    const follower = spawn(process.execPath, ['--import', 'tsx', CLI, 'logs', driver.jobId, '--address', nodes[0]!.addr, '--follow', '--tail', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    follower.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    try {
      // The follow is open once a line logged now shows up; keep logging until it does.
      const deadline = Date.now() + 30_000
      for (let i = 0; !out.includes('followed'); i++) {
        assert.ok(Date.now() < deadline, `nothing followed in 30 s: ${out}`)
        await driver.get(m.shout!.options({ scheduling: { nodeAffinity: nodes[i % 2]!.peer } }).remote(`followed ${i}`) as ObjectRef<string>)
        await new Promise(resolve => setTimeout(resolve, 300))
      }
    } finally {
      follower.kill('SIGINT')
      await new Promise(resolve => follower.once('exit', resolve))
    }
  })

  it('keeps the lines in <data-dir>/logs/guest.log, rotated at --log-max-mb with --log-files kept', async () => {
    const dir = path.join(cluster.dir, 'n1', 'logs')
    // 1.5 MiB of lines on n1: the file rotates once, one old file is kept.
    const big = 'x'.repeat(15_000)
    await driver.get(Array.from({ length: 110 }, (_, i) => m.shout!.options({ scheduling: { nodeAffinity: nodes[1]!.peer } }).remote(`${i} ${big}`) as ObjectRef<string>))
    await waitFor(() => fs.existsSync(path.join(dir, 'guest.log.1')), 'guest.log rotated', 10_000)
    assert.ok(!fs.existsSync(path.join(dir, 'guest.log.2')), 'one rotated file kept')
    for (const f of ['guest.log', 'guest.log.1']) assert.ok(fs.statSync(path.join(dir, f)).size <= 2 ** 20, `${f} within 1 MiB`)
    const last = fs.readFileSync(path.join(dir, 'guest.log'), 'utf8').trim().split('\n').at(-1)!
    assert.equal((JSON.parse(last) as LogLine).node, nodes[1]!.peer)
  })

  it('refuses a malformed logs request clearly and keeps serving', async () => {
    const { createStatusClient, LOGS_PROTOCOL, requestLogs } = await import('../../src/net/index.js')
    const client = await createStatusClient()
    try {
      await assert.rejects(requestLogs(async s => await client.dial(nodes[0]!.addr, LOGS_PROTOCOL, { signal: s }), { filter: { job: driver.jobId }, tail: 50_000 }, () => {}),
        (err: Error) => err.name === 'RemoteError' && /tail must be an integer from 0 to 10000/.test(err.message))
      const frames: string[] = []
      await requestLogs(async s => await client.dial(nodes[0]!.addr, LOGS_PROTOCOL, { signal: s }), { filter: { job: driver.jobId }, tail: 5 }, f => { frames.push(f.type) })
      assert.equal(frames.at(-1), 'end')
    } finally {
      await client.stop()
    }
  })
})
