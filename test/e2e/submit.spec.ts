// Jobs as `ray job submit` (issue 14, item 5), across processes: `fabric submit` bundles a driver,
// sends its working directory to a node started with --accept-jobs, which runs it with
// `Fabric.connect()` joining the fabric; the output and exit code come back, `fabric jobs` lists,
// follows and stops it, and what the job made (its actor, its running task) is gone once it ends.
// A node without --accept-jobs, and an upload over the node's limit, are refused with the reason.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { waitFor } from '../helpers/wait-for.js'
import { Cluster, ROOT, type Joined } from './cluster.js'

const CLI = path.join(ROOT, 'bin/fabric.js')

interface Ran { stdout: string, stderr: string, code: number }

/** Run the `fabric` command (from the sources, as a user of a checkout does) to its end. */
async function fabric (...args: string[]): Promise<Ran> {
  return await new Promise(resolve => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 })
    })
  })
}

type Row = Record<string, unknown>
const rows = async (kind: string, node: Joined, filter: string): Promise<Row[]> => {
  const out = await fabric('list', kind, '--address', node.addr, '--filter', filter, '--json')
  assert.equal(out.code, 0, out.stderr)
  return (JSON.parse(out.stdout) as { rows: Row[] }).rows
}

/** The driver's own job id, which it prints as `jobId job-...`. */
const jobIdIn = (out: string): string => /jobId (job-[0-9a-f]{16})/.exec(out)?.[1] ?? assert.fail(`no jobId in ${out}`)

describe('e2e: jobs (fabric submit, fabric jobs)', function () {
  this.timeout(150_000)
  const cluster = new Cluster()
  const work = tempDir('fabric-submit-')
  let nodes: Joined[]

  before(async () => {
    const component = await fixtureComponent('guests/ts/kitchen.ts')
    nodes = await cluster.start(2, i => i === 0 ? ['--accept-jobs', '--max-upload-mb', '3'] : [])
    fs.copyFileSync(component, path.join(work.dir, 'kitchen.wasm'))
    // Loads the component from its working directory, runs tasks, makes an actor, leaves a process
    // behind holding its output open, exits 3 without stopping the fabric.
    fs.writeFileSync(path.join(work.dir, 'driver.ts'), `
import { spawn } from 'node:child_process'
import { Fabric } from 'wasm-fabric'
const fabric = await Fabric.connect()
console.log(\`jobId \${fabric.jobId} submission \${process.env.FABRIC_SUBMISSION_ID} args \${process.argv.slice(2).join(',')}\`)
const m: any = await fabric.load('kitchen.wasm')
const sums = await fabric.get([1, 2, 3, 4].map(i => m.add.remote(i, 10)))
const counter = await m.Counter.create(5)
// A large result stays on the node that made it, owned by this driver.
const big = await fabric.get(m.echo.remote(new Float64Array(200_000).fill(7)))
console.log(\`big \${big.length}\`)
console.log(\`sums \${sums.join(',')} counter \${await fabric.get(counter.incr.remote(2))}\`)
console.error('a line on stderr')
console.log(\`leftover \${spawn('sleep', ['300'], { stdio: 'inherit' }).pid}\`)
process.exit(3)
`)
    // Runs until stopped: an actor, a task that never returns, a line every 200 ms.
    fs.writeFileSync(path.join(work.dir, 'forever.ts'), `
import { Fabric } from 'wasm-fabric'
const fabric = await Fabric.connect()
const m: any = await fabric.load('kitchen.wasm')
const counter = await m.Counter.create(1)
await fabric.get(counter.incr.remote(1))
m.spin.remote()
console.log(\`jobId \${fabric.jobId} ready\`)
let i = 0
setInterval(() => { console.log(\`tick \${i++}\`) }, 200)
`)
  })

  after(async () => {
    // A clean stop of the accepting node stops any job still running there.
    const n0 = nodes?.[0]
    if (n0 !== undefined && n0.proc.exitCode === null) {
      n0.proc.kill('SIGTERM')
      await Promise.race([n0.exit, new Promise(resolve => setTimeout(resolve, 8000))])
    }
    await cluster.stop()
    work.remove()
  })

  it('fabric submit runs the driver on the node: its output and exit code come back; fabric jobs list shows it; its actor is gone', async () => {
    const out = await fabric('submit', '--address', nodes[0]!.addr, '--name', 'sums', path.join(work.dir, 'driver.ts'), '--', 'x', 'y')
    assert.equal(out.code, 3, out.stderr)
    assert.match(out.stdout, /submission job-submit-[0-9a-f]{16} args x,y/)
    assert.match(out.stdout, /sums 11,12,13,14 counter 7/)
    assert.match(out.stderr, /a line on stderr/)
    assert.match(out.stderr, /job-submit-[0-9a-f]{16} failed \(the driver exited with code 3\)/)
    const id = /submission (job-submit-[0-9a-f]{16})/.exec(out.stdout)![1]!
    // What the driver left behind went with it (and did not keep the job open).
    const leftover = Number(/leftover (\d+)/.exec(out.stdout)?.[1])
    await waitFor(() => { try { process.kill(leftover, 0); return false } catch { return true } }, 'the leftover process to be gone', 5000, 100)
    const list = await fabric('jobs', 'list', '--address', nodes[0]!.addr, '--json')
    assert.equal(list.code, 0, list.stderr)
    const job = (JSON.parse(list.stdout) as { jobs: Row[] }).jobs.find(j => j.id === id)
    assert.ok(job !== undefined, list.stdout)
    assert.equal(job.state, 'failed')
    assert.equal(job.exitCode, 3)
    assert.equal(job.name, 'sums')
    assert.equal(job.driver, 'driver.ts')
    // The job ended without stopping its fabric: its connection went, and its (non-detached) actor with it.
    const ns = `anonymous-${jobIdIn(out.stdout)}`
    await waitFor(async () => { const a = await rows('actors', nodes[0]!, `namespace=${ns}`); return a.length === 1 && a.every(r => r.state === 'dead') }, 'the job\'s actor to be dead', 20_000, 500)
    // Once the nodes have the driver for dead (5 s here), the results it owned are dropped.
    assert.match(out.stdout, /big 200000/)
    const objects = async (): Promise<number> => (await rows('nodes', nodes[0]!, 'role=node')).reduce((n, r) => n + Number(r.objects), 0)
    await waitFor(async () => await objects() === 0, 'the nodes to drop the results the exited job owned', 20_000, 500)
  })

  it('--no-wait prints the id; jobs logs --follow streams until jobs stop ends it; its task and actor are gone', async () => {
    const n0 = nodes[0]!
    const started = await fabric('submit', '--no-wait', '--address', n0.addr, path.join(work.dir, 'forever.ts'))
    assert.equal(started.code, 0, started.stderr)
    const id = started.stdout.trim()
    assert.match(id, /^job-submit-[0-9a-f]{16}$/)
    const follow = spawn(process.execPath, [CLI, 'jobs', 'logs', '--follow', '--address', n0.addr, id], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let followed = ''
    follow.stdout.setEncoding('utf8').on('data', (d: string) => { followed += d })
    const followExit = new Promise<number | null>(resolve => follow.once('exit', resolve))
    try {
      await waitFor(() => /ready[\s\S]*tick 2\b/.test(followed), 'the followed output to show the job ready and ticking', 40_000, 100)
      const jobId = jobIdIn(followed)
      await waitFor(async () => (await rows('tasks', n0, `job=${jobId}`)).some(r => r.name === 'spin' && r.state === 'running'), 'the job\'s spin task to run', 20_000, 500)
      const stop = await fabric('jobs', 'stop', '--address', n0.addr, id, '--json')
      assert.equal(stop.code, 0, stop.stderr)
      const stopped = JSON.parse(stop.stdout) as Row
      assert.equal(stopped.state, 'stopped')
      assert.equal(stopped.signal, 'SIGTERM')
      assert.equal(await followExit, 128 + 15, 'logs --follow exits with the job\'s code')
      const status = await fabric('jobs', 'status', '--address', n0.addr, id)
      assert.match(status.stdout, /state\s+stopped/)
      await waitFor(async () => {
        const spin = (await rows('tasks', n0, `job=${jobId}`)).filter(r => r.name === 'spin')
        const actors = await rows('actors', n0, `namespace=anonymous-${jobId}`)
        return spin.length === 1 && spin[0]!.state !== 'running' && actors.length === 1 && actors[0]!.state === 'dead'
      }, 'the stopped job\'s task to stop running and its actor to die', 20_000, 500)
    } finally {
      if (follow.exitCode === null) follow.kill('SIGKILL')
    }
  })

  it('a node without --accept-jobs refuses, naming the flag; an upload over the limit is refused with its size and the limit', async () => {
    const refused = await fabric('submit', '--address', nodes[1]!.addr, path.join(work.dir, 'driver.ts'))
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /^fabric submit: this node does not accept jobs: start it with `fabric join --accept-jobs`/m)
    const big = tempDir('fabric-submit-big-')
    try {
      fs.copyFileSync(path.join(work.dir, 'driver.ts'), path.join(big.dir, 'driver.ts'))
      fs.writeFileSync(path.join(big.dir, 'data.bin'), new Uint8Array(4 * 1024 * 1024))
      const over = await fabric('submit', '--address', nodes[0]!.addr, path.join(big.dir, 'driver.ts'))
      assert.equal(over.code, 1)
      assert.match(over.stderr, /^fabric submit: the working directory is 4\.0 MiB in 3 files; this node takes at most 3\.0 MiB \(fabric join --max-upload-mb/m)
    } finally {
      big.remove()
    }
    const missing = await fabric('jobs', 'status', '--address', nodes[0]!.addr, 'job-submit-0000000000000000')
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^fabric jobs status: no job job-submit-0000000000000000 on this node/m)
  })

  it('a job whose node is SIGKILLed stops itself (and what it started) within seconds', async () => {
    const orphan = tempDir('fabric-submit-orphan-')
    const doomed = await cluster.join('doomed', nodes[0]!.addr, ['--accept-jobs'])
    try {
      // Writes its pid and its child's into its working directory, then runs until stopped.
      fs.writeFileSync(path.join(orphan.dir, 'linger.ts'), `
import fs from 'node:fs'
import { spawn } from 'node:child_process'
const child = spawn('sleep', ['300'], { stdio: 'ignore' })
fs.writeFileSync('pids', \`\${process.pid} \${child.pid}\`)
console.log('lingering')
setInterval(() => {}, 1000)
`)
      const submitted = await fabric('submit', '--address', doomed.addr, '--no-wait', path.join(orphan.dir, 'linger.ts'))
      assert.equal(submitted.code, 0, submitted.stderr)
      const id = /job-submit-[0-9a-f]{16}/.exec(submitted.stdout)?.[0] ?? assert.fail(submitted.stdout)
      const pidFile = path.join(cluster.dir, 'doomed', 'jobs', id, 'files', 'pids')
      await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').includes(' '), 'the job to write its pids', 30_000)
      const pids = fs.readFileSync(pidFile, 'utf8').split(' ').map(Number)
      const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true } catch { return false } }
      assert.ok(pids.every(alive))
      doomed.proc.kill('SIGKILL')
      await doomed.exit
      await waitFor(() => !pids.some(alive), 'the orphaned job and its child to end', 10_000)
    } finally {
      if (doomed.proc.exitCode === null && doomed.proc.signalCode === null) doomed.proc.kill('SIGKILL')
      orphan.remove()
    }
  })
})
