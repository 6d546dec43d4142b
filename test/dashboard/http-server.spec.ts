// The dashboard's server over a real node in this process: the page and its bundle, the JSON
// endpoints (a driver's tasks listed and filtered, the sampled history bounded, objects, logs), what it refuses
// (bad queries 400, other methods 405, bodies 413, unknown paths 404, foreign Host names 403), and
// a stop that closes the port.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { Fabric, createNode, type ConnectedFabric, type FabricNode, type GuestModule } from '../../src/index.js'
import { loadWebAssets, startDashboard, type DashboardServer } from '../../src/dashboard/index.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { waitFor } from '../helpers/wait-for.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>

/** A raw request (fetch cannot send a foreign Host header or a body with GET). */
async function request (url: string, init: { method?: string, headers?: Record<string, string>, body?: string } = {}): Promise<{ status: number, type: string, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d }).on('end', () => { resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }) })
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

async function json (url: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const r = await request(url)
  assert.match(r.type, /^application\/json/)
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> }
}

describe('dashboard/http-server (a node in this process)', function () {
  this.timeout(120_000)
  const dir = tempDir('fabric-dashboard-')
  let node: FabricNode
  let dashboard: DashboardServer
  let fabric: ConnectedFabric | undefined

  before(async () => {
    node = await createNode({ dataDir: path.join(dir.dir, 'node'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: { cpus: 1 }, heartbeatMs: 200 })
    dashboard = await startDashboard(node, { port: 0, sampleMs: 100, historyMs: 1000, cacheDir: path.join(dir.dir, 'cache') })
  })

  after(async () => {
    await fabric?.stop()
    await dashboard?.stop()
    await node?.stop()
    dir.remove()
  })

  it('serves the page, its script and its styles, bundled once into the cache', async () => {
    assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/)
    const page = await request(dashboard.url)
    assert.equal(page.status, 200)
    assert.match(page.type, /^text\/html/)
    assert.match(page.body, /<script type="module" src="app.js"><\/script>/)
    const js = await request(dashboard.url + 'app.js')
    assert.equal(js.status, 200)
    assert.match(js.type, /^text\/javascript/)
    assert.ok(js.body.length > 10_000, 'Preact, uPlot and the panels are in it')
    assert.match((await request(dashboard.url + 'app.css')).type, /^text\/css/)
    // Cached by the hash of its inputs: one bundle, and a second load reads it back.
    const bundles = fs.readdirSync(path.join(dir.dir, 'cache', 'dashboard'))
    assert.equal(bundles.length, 1)
    assert.equal((await loadWebAssets(path.join(dir.dir, 'cache')))['app.js'].toString(), js.body)
  })

  it('lists the node, and a driver\'s tasks filtered by job, name and state', async () => {
    const nodes = await json(dashboard.url + 'api/nodes')
    assert.equal(nodes.status, 200)
    assert.deepEqual((nodes.body.rows as Array<Record<string, unknown>>).map(r => [r.node, r.state, r.role]), [[node.peerId, 'alive', 'node']])
    fabric = await Fabric.connect(node.multiaddrs()[0]!, { log: false })
    const m = await fabric.load<Kitchen>(await fixtureComponent('guests/ts/kitchen.ts'))
    assert.deepEqual(await fabric.get([1, 2, 3].map(i => m.add.remote(i, 1))), [2, 3, 4])
    await assert.rejects(fabric.get(m.fail.remote('on purpose')))
    const adds = await json(`${dashboard.url}api/tasks?job=${fabric.jobId}&name=add&state=finished`)
    assert.equal((adds.body.rows as unknown[]).length, 3)
    const failed = await json(`${dashboard.url}api/tasks?job=${fabric.jobId}&state=failed`)
    assert.deepEqual((failed.body.rows as Array<Record<string, unknown>>).map(r => [r.name, r.node]), [['fail', node.peerId]])
    const jobs = await json(dashboard.url + 'api/jobs')
    const job = (jobs.body.rows as Array<Record<string, unknown>>).find(r => r.job === fabric!.jobId)
    assert.deepEqual([job?.finished, job?.failed], [3, 1])
    // The sampled history sees them, and keeps historyMs / sampleMs samples at most.
    await waitFor(async () => {
      const h = await json(dashboard.url + 'api/history')
      const last = (h.body.samples as Array<{ counts: Record<string, number> }>).at(-1)
      return last?.counts.finished === 3 && last.counts.failed === 1
    }, 'the history to count 3 finished and 1 failed', 10_000, 100)
    await new Promise(resolve => setTimeout(resolve, 1200))
    const h = await json(dashboard.url + 'api/history')
    assert.ok((h.body.samples as unknown[]).length <= 10, `at most 10 samples kept, got ${(h.body.samples as unknown[]).length}`)
  })

  it('lists objects (a large result in the node\'s store) and the job\'s log lines', async () => {
    const m = await fabric!.load<Kitchen>(await fixtureComponent('guests/ts/kitchen.ts'))
    const big = 'q'.repeat(300_000)
    const ref = m.shout.remote(big)
    assert.equal((await fabric!.get(ref)).length, big.length)
    const objects = await json(`${dashboard.url}api/objects?kind=object&job=${fabric!.jobId}`)
    assert.equal(objects.status, 200, JSON.stringify(objects.body))
    const row = (objects.body.rows as Array<Record<string, unknown>>).find(r => Number(r.size) >= 300_000)
    assert.ok(row !== undefined, JSON.stringify(objects.body.rows))
    assert.deepEqual([row.holders, row.where, row.spilled], [node.peerId, 'memory', false])
    const logs = await json(`${dashboard.url}api/logs?job=${fabric!.jobId}&tail=10`)
    const line = (logs.body.lines as Array<{ message: string, name: string, node: string }>).find(l => l.name === 'shout')
    assert.ok(line !== undefined && line.node === node.peerId && line.message.startsWith('shouting qqq'), JSON.stringify(logs.body).slice(0, 500))
  })

  it('refuses bad queries (400), other methods (405), bodies (413), unknown paths (404) and foreign Host names (403)', async () => {
    const bad = await json(dashboard.url + 'api/tasks?state=done')
    assert.equal(bad.status, 400)
    assert.match(String(bad.body.error), /state 'done' is not one of/)
    assert.equal((await json(dashboard.url + 'api/tasks?limit=0')).status, 400)
    assert.equal((await json(dashboard.url + 'api/history?x=1')).status, 400)
    assert.match(String((await json(dashboard.url + 'api/objects?where=cloud')).body.error), /where 'cloud' is not one of inline, memory, disk/)
    assert.equal((await request(dashboard.url + 'api/nodes', { method: 'POST' })).status, 405)
    assert.equal((await request(dashboard.url + 'api/nodes', { method: 'GET', headers: { 'content-length': '3' }, body: 'abc' })).status, 413)
    const missing = await request(dashboard.url + 'api/secrets')
    assert.equal(missing.status, 404)
    assert.match(missing.body, /not found: \/api\/secrets/)
    const foreign = await request(dashboard.url + 'api/nodes', { headers: { host: 'attacker.example:80' } })
    assert.equal(foreign.status, 403)
    assert.equal((await request(dashboard.url + 'api/nodes', { headers: { host: `localhost:${new URL(dashboard.url).port}` } })).status, 200)
  })

  it('stops idempotently and closes its port', async () => {
    const d = await startDashboard(node, { port: 0 })
    await d.stop()
    await d.stop()
    await assert.rejects(request(d.url), /ECONNREFUSED/)
    await assert.rejects(startDashboard(node, { port: 70000 }), /dashboard port must be an integer 0-65535, got 70000/)
    await assert.rejects(startDashboard(node, { port: 0, refreshMs: 5 } as never), /startDashboard: unknown option refreshMs \(known: port, host, sampleMs, historyMs, cacheDir\)/)
  })
})
