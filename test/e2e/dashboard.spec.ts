// End to end: three `fabric join` processes, one with --dashboard-port 0; a driver runs a job of
// tasks across them; headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// opens the page and sees the three nodes by PeerId and the job's tasks finished on each, with
// their timeline lanes, its actor, its logs and its objects; tasks run after the page loaded appear
// without a reload (the live update).
// The screenshot in docs/ is written when it is missing or DASHBOARD_SCREENSHOT=1.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { ConnectedFabric, GuestModule, ObjectRef } from '../../src/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { skipBecause } from '../helpers/skip.js'
import { Cluster, ROOT, fabricCli, type Joined } from './cluster.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>

const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOT = path.join(ROOT, 'docs', 'dashboard.png')

describe('e2e: the dashboard (fabric join --dashboard-port) in headless Chromium', function () {
  this.timeout(120_000)
  let cluster: Cluster | undefined
  let driver: ConnectedFabric | undefined
  let browser: Browser | undefined
  let nodes: Joined[]
  let url: string
  let m: Kitchen
  const pageErrors: string[] = []

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) skipBecause(this, `${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`)
    cluster = new Cluster()
    nodes = await cluster.start(3, i => i === 0 ? ['--dashboard-port', '0'] : [])
    const line = nodes[0]!.stdout().split('\n').find(l => l.startsWith('dashboard '))
    assert.ok(line !== undefined, `no dashboard line in:\n${nodes[0]!.stdout()}`)
    url = line.slice('dashboard '.length)
    assert.equal(new URL(url).hostname, '127.0.0.1', 'loopback unless --dashboard-host says otherwise')
    const out = nodes[0]!.stdout().split('\n')
    assert.ok(out.indexOf(line) < out.indexOf('ready'), 'the dashboard line comes before ready')
    // The guests' log lines are read on the page here, not printed by the driver.
    driver = await cluster.connect(3, { log: false })
    m = await driver.load<Kitchen>(await fixtureComponent('guests/ts/kitchen.ts'))
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  })

  after(async () => {
    await browser?.close()
    await driver?.stop()
    await cluster?.stop()
  })

  /** The task rows the page shows, as [name, state, node] (data attributes). */
  async function shownTasks (page: Page): Promise<Array<{ name: string, state: string, node: string, job: string }>> {
    return await page.$$eval('#tasks tr[data-task]', trs => trs.map(tr => ({ name: tr.getAttribute('data-name')!, state: tr.getAttribute('data-state')!, node: tr.getAttribute('data-node')!, job: tr.getAttribute('data-job')! })))
  }

  it('shows the 3 nodes and the job\'s tasks finished on each, and new tasks as they run', async () => {
    const on = (n: Joined) => ({ scheduling: { nodeAffinity: n.peer } })
    const refs = nodes.flatMap(n => [1, 2, 3].map(i => m.add.options(on(n)).remote(i, 10) as ObjectRef<number>))
    assert.deepEqual(await driver!.get(refs), [11, 12, 13, 11, 12, 13, 11, 12, 13])
    await assert.rejects(driver!.get(m.fail.options(on(nodes[1]!)).remote('on purpose')))
    assert.deepEqual(await driver!.get(nodes.map(n => m.shout.options(on(n)).remote(`hello from ${n.name}`))), nodes.map(n => `HELLO FROM ${n.name.toUpperCase()}`))
    // A result over the inline limit stays in the store of the node that made it.
    const big = m.echo.options(on(nodes[1]!)).remote('q'.repeat(300_000)) as ObjectRef<string>
    assert.equal((await driver!.get(big)).length, 300_000)
    const counter = await m.Counter.options({ name: 'dashboard-counter', scheduling: { nodeAffinity: nodes[2]!.peer } }).create(1)
    assert.equal(await driver!.get(counter.incr.remote(1)), 2)

    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } })
    page.on('pageerror', err => { pageErrors.push(err.message) })
    page.on('console', msg => { if (msg.type() === 'error') pageErrors.push(msg.text()) })
    await page.goto(url)

    // The nodes, by PeerId, all alive.
    for (const n of nodes) await page.waitForSelector(`#nodes tr[data-node="${n.peer}"][data-state="alive"]`, { timeout: 20_000 })
    assert.equal(await page.locator('#nodes tr[data-node]').count(), 3)

    // The job's tasks, filtered by job through the page's own filter.
    await page.fill('#filter-job', driver!.jobId)
    await page.press('#filter-job', 'Enter')
    await page.waitForFunction((job) => {
      const rows = Array.from(document.querySelectorAll('#tasks tr[data-task]'))
      return rows.length > 0 && rows.every(r => r.getAttribute('data-job') === job) && rows.filter(r => r.getAttribute('data-name') === 'add' && r.getAttribute('data-state') === 'finished').length === 9
    }, driver!.jobId, { timeout: 20_000 })
    const tasks = await shownTasks(page)
    for (const n of nodes) assert.equal(tasks.filter(t => t.name === 'add' && t.node === n.peer && t.state === 'finished').length, 3, `three adds finished on ${n.name}`)
    assert.deepEqual(tasks.filter(t => t.name === 'fail').map(t => [t.state, t.node]), [['failed', nodes[1]!.peer]])
    assert.match(await page.locator('#tasks tr[data-name="fail"] td.why').innerText(), /on purpose/)
    // The timeline: a lane per node that ran the job's tasks.
    assert.deepEqual((await page.$$eval('#tasks svg.timeline g[data-lane]', gs => gs.map(g => g.getAttribute('data-lane')!))).sort(), nodes.map(n => n.peer).sort())
    // The actor, on the node it was placed on.
    await page.waitForSelector(`#actors tr[data-actor][data-node="${nodes[2]!.peer}"][data-class="Counter"]`)
    // The job's row; the chart of counts by state is drawn.
    await page.waitForSelector(`#jobs tr[data-job="${driver!.jobId}"]`)
    assert.equal(await page.locator('#task-states canvas').count() > 0, true)

    // Live: tasks run now appear without a reload.
    const more = await driver!.get(nodes.map((n, i) => m.sumSquares.options(on(n)).remote(i + 2)))
    assert.deepEqual(more, [1, 5, 14])
    await page.waitForFunction(() => document.querySelectorAll('#tasks tr[data-name="sumSquares"][data-state="finished"]').length === 3, undefined, { timeout: 15_000 })

    // The job's logs: each shout task logged a line on its node.
    await page.waitForFunction(() => {
      const logs = Array.from(document.querySelectorAll('#logs .log')).map(l => l.textContent ?? '').join('\n')
      return ['n0', 'n1', 'n2'].every(n => logs.includes(`shouting hello from ${n}`))
    }, undefined, { timeout: 15_000 })
    // Objects: the large value, in memory on the node that made it.
    await page.waitForFunction((holder) => Array.from(document.querySelectorAll('#objects tr[data-kind="object"][data-where="memory"] td[title]'))
      .some(td => td.getAttribute('title') === holder), nodes[1]!.peer, { timeout: 15_000 })
    assert.equal(await page.locator('#objects .store').count(), 3)

    if (process.env.DASHBOARD_SCREENSHOT === '1' || !fs.existsSync(SCREENSHOT)) {
      await page.screenshot({ path: SCREENSHOT, fullPage: true })
    }
    assert.deepEqual(pageErrors, [], 'the page logged no errors')
    await page.close()
  })

  it('stops with its node on SIGINT: the port is closed', async () => {
    assert.equal((await fetch(url)).status, 200)
    nodes[0]!.proc.kill('SIGINT')
    await nodes[0]!.exit
    assert.match(nodes[0]!.stdout(), /^stopped$/m)
    await assert.rejects(fetch(url), /fetch failed/)
  })
})

describe('e2e: fabric join --dashboard-host', function () {
  this.timeout(60_000)

  it('listens where told, prints the bound URL and warns without --secret', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-dashboard-host-'))
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/e2e/fabric-cli.ts'), 'join', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dir, '--cpus', '1', '--dashboard-port', '0', '--dashboard-host', '0.0.0.0'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FABRIC_CACHE: path.join(dir, 'cache') } })
    const exit = new Promise(resolve => proc.once('exit', resolve))
    let out = ''
    let err = ''
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    try {
      await new Promise<void>((resolve, reject) => {
        proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; if (out.split('\n').includes('ready')) resolve() })
        proc.once('exit', code => { reject(new Error(`fabric join exited ${String(code)}: ${err}`)) })
      })
      const url = out.split('\n').find(l => l.startsWith('dashboard '))?.slice('dashboard '.length)
      assert.match(String(url), /^http:\/\/0\.0\.0\.0:\d+\/$/)
      assert.match(err, /fabric join: WARNING: dashboard on 0\.0\.0\.0 without a swarm key \(--secret\): anyone who can reach http:\/\/0\.0\.0\.0:\d+\/ reads the fabric's work and peers/)
      // Not on loopback, the Host name is not checked: a request by another name is answered.
      const port = new URL(url!).port
      const res = await new Promise<{ status: number, body: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/api/fabric', headers: { host: `fabric.example:${port}` } }, r => {
          let body = ''
          r.setEncoding('utf8').on('data', (d: string) => { body += d }).on('end', () => { resolve({ status: r.statusCode!, body }) })
        }).on('error', reject)
      })
      assert.equal(res.status, 200)
      assert.equal((JSON.parse(res.body) as { peerId: string }).peerId, /^peer (\S+)$/m.exec(out)![1])
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      await exit
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('e2e: fabric join --dashboard-port refusals', function () {
  this.timeout(60_000)

  it('refuses --dashboard-host without --dashboard-port, and a port over 65535, in one line', async () => {
    for (const [args, re] of [
      [['--dashboard-host', '0.0.0.0'], /^fabric join: --dashboard-host needs --dashboard-port$/],
      [['--dashboard-port', '70000'], /^fabric join: --dashboard-port needs a port 0-65535, got '70000'$/]
    ] as const) {
      const r = await joinOnce([...args])
      assert.equal(r.code, 1)
      assert.match(r.stderr.trim(), re)
    }
  })

  it('exits 1 in one line when the dashboard port is taken', async () => {
    const taken = net.createServer()
    await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve))
    try {
      const r = await joinOnce(['--dashboard-port', String((taken.address() as net.AddressInfo).port)])
      assert.equal(r.code, 1)
      assert.match(r.stderr, /^fabric join: --dashboard-port: listen EADDRINUSE/m)
    } finally {
      await new Promise(resolve => taken.close(resolve))
    }
  })
})

/** `fabric join` with `args` in a fresh data dir, run to its exit (a refusal exits at once). */
async function joinOnce (args: string[]): Promise<{ code: number, stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-dashboard-cli-'))
  try {
    return await fabricCli('join', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dir, ...args)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
