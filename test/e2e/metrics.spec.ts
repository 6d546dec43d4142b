// End to end: a `fabric join --metrics-port 0` node runs tasks from a connected driver, a real
// Prometheus (/usr/bin/prometheus, Debian's) scrapes its /metrics every second, and the values are
// read back through Prometheus's HTTP query API: the fabric's counters and libp2p's own metrics.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { ConnectedFabric } from '../../src/api/connected-fabric.js'
import type { GuestModule } from '../../src/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { skipBecause } from '../helpers/skip.js'
import { waitFor } from '../helpers/wait-for.js'
import { Cluster, ROOT } from './cluster.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>

const PROMETHEUS = '/usr/bin/prometheus'
const TASKS = 12

/** A free loopback port (bound and released at once). */
async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

/** The one value of an instant query (undefined while Prometheus has none). */
async function query (base: string, promql: string): Promise<number | undefined> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`)
  if (!res.ok) return undefined
  const body = await res.json() as { status: string, data: { result: Array<{ value: [number, string] }> } }
  const v = body.data.result[0]?.value[1]
  return v === undefined ? undefined : Number(v)
}

describe('e2e: Prometheus scrapes fabric join --metrics-port', function () {
  this.timeout(120_000)
  let cluster: Cluster | undefined
  let driver: ConnectedFabric | undefined
  let prometheus: ChildProcess | undefined
  let promExit: Promise<unknown> | undefined
  let promLog = ''

  before(function () {
    if (!fs.existsSync(PROMETHEUS)) skipBecause(this, `${PROMETHEUS} is missing (apt-get install prometheus; .ci/run does)`)
  })

  after(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null && prometheus.signalCode === null) {
      prometheus.kill('SIGTERM')
      const killer = setTimeout(() => prometheus?.kill('SIGKILL'), 5000)
      await promExit
      clearTimeout(killer)
    }
    await driver?.stop()
    await cluster?.stop() // kills the node, removes the temp dir (Prometheus's data with it)
  })

  it('reads fabric_tasks_finished_total and libp2p metrics back through the query API', async () => {
    const t0 = Date.now()
    cluster = new Cluster()
    const node = await cluster.join('n0', undefined, ['--metrics-port', '0'])
    const line = node.stdout().split('\n').find(l => l.startsWith('metrics '))
    assert.ok(line !== undefined, `no metrics line in:\n${node.stdout()}`)
    const url = new URL(line.slice('metrics '.length))
    assert.equal(url.hostname, '127.0.0.1', 'loopback unless --metrics-host says otherwise')
    assert.equal(url.pathname, '/metrics')

    driver = await cluster.connect(1)
    const m = await driver.load<Kitchen>(await fixtureComponent('guests/ts/kitchen.ts'))
    const sums = await driver.get(Array.from({ length: TASKS }, (_, i) => m.add.remote(i, i)))
    assert.deepEqual(sums, Array.from({ length: TASKS }, (_, i) => 2 * i))
    const tasksDone = Date.now()

    const dir = path.join(cluster.dir, 'prometheus')
    fs.mkdirSync(dir)
    const config = path.join(dir, 'prometheus.yml')
    fs.writeFileSync(config, [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: fabric',
      '    static_configs:',
      `      - targets: ['${url.host}']`,
      ''
    ].join('\n'))
    const port = await freePort()
    prometheus = spawn(PROMETHEUS, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`
    ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    promExit = new Promise(resolve => prometheus!.once('exit', resolve))
    prometheus.stdout!.setEncoding('utf8').on('data', (d: string) => { promLog += d })
    prometheus.stderr!.setEncoding('utf8').on('data', (d: string) => { promLog += d })
    const base = `http://127.0.0.1:${port}`

    try {
      await waitFor(async () => (await query(base, 'up{job="fabric"}').catch(() => undefined)) === 1, 'Prometheus scraped the node', 30_000, 250)
      const scraped = Date.now()
      let finished: number | undefined
      await waitFor(async () => {
        finished = await query(base, 'sum(fabric_tasks_finished_total{job="fabric"})')
        return finished !== undefined && finished >= TASKS
      }, `fabric_tasks_finished_total >= ${TASKS}`, 30_000, 250)
      assert.equal(await query(base, `fabric_workers{job="fabric",node="${node.peer}"}`), 1, 'the node label names the PeerId')
      assert.ok((await query(base, 'sum(fabric_task_duration_seconds_count{job="fabric"})'))! >= TASKS)
      assert.ok((await query(base, 'count({job="fabric",__name__=~"libp2p_.+"})'))! > 0, 'libp2p metrics are scraped too')
      assert.ok((await query(base, 'sum(fabric_object_served_total{job="fabric"})')) !== undefined)
      process.stdout.write(`      node up + ${TASKS} tasks ${tasksDone - t0} ms; Prometheus up and first scrape ${scraped - tasksDone} ms; values read back ${Date.now() - scraped} ms\n`)
    } catch (err) {
      throw new Error(`${(err as Error).message}\nPrometheus log (tail):\n${promLog.slice(-3000)}`)
    }
  })
})

describe('e2e: fabric join --metrics-host (the trust rule)', function () {
  this.timeout(60_000)
  const CLI = path.join(ROOT, 'test/e2e/fabric-cli.ts')
  let dir: string

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-metrics-')) })
  after(() => { fs.rmSync(dir, { recursive: true, force: true }) })

  /** Run `fabric join` until `ready` (then SIGTERM) or its exit; its stdout, stderr and exit code. */
  async function join (args: string[]): Promise<{ out: string, err: string, code: number | null }> {
    const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'join', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', path.join(dir, 'node'), '--cpus', '1', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FABRIC_CACHE: path.join(dir, 'cache') } })
    let out = ''
    let err = ''
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d })
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d
      if (out.split('\n').includes('ready')) proc.kill('SIGTERM')
    })
    const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000)
    const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
    clearTimeout(killer)
    return { out, err, code }
  }

  it('beyond loopback only when named, with a warning without --secret', async () => {
    const open = await join(['--metrics-port', '0', '--metrics-host', '0.0.0.0'])
    assert.match(open.out, /^metrics http:\/\/0\.0\.0\.0:\d+\/metrics$/m, open.out + open.err)
    assert.match(open.err, /WARNING: metrics on 0\.0\.0\.0 without a swarm key \(--secret\)/)
    const local = await join(['--metrics-port', '0'])
    assert.match(local.out, /^metrics http:\/\/127\.0\.0\.1:\d+\/metrics$/m)
    assert.doesNotMatch(local.err, /WARNING: metrics/)
  })

  it('refuses --metrics-host without --metrics-port, and a bad port, in one line', async () => {
    const r = await join(['--metrics-host', '0.0.0.0'])
    assert.equal(r.code, 1)
    assert.equal(r.err.trim(), 'fabric join: --metrics-host needs --metrics-port')
    const bad = await join(['--metrics-port', '70000'])
    assert.equal(bad.code, 1)
    assert.match(bad.err, /--metrics-port needs a port 0-65535/)
  })
})
