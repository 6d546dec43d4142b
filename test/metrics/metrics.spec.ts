// The /metrics exposition of an embedded fabric (Fabric.start({ metricsPort })): metric names and
// types, values that follow the work run, and the endpoint's bounds (404, 405, 413, loopback).
import assert from 'node:assert/strict'
import http from 'node:http'
import { Fabric, type GuestModule } from '../../src/index.js'
import { isLoopbackHost, nodeRegistry, startMetricsServer } from '../../src/metrics/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'

type Kitchen = GuestModule<typeof import('../fixtures/guests/ts/kitchen.js')>

/** A raw request: status, headers and body. */
async function request (url: string, init: { method?: string, path?: string, body?: string } = {}): Promise<{ status: number, type: string, body: string }> {
  const u = new URL(url)
  return await new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: init.path ?? u.pathname, method: init.method ?? 'GET', agent: false }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }) })
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

/** The value of the series `name{labels}` in exposition text (labels: a substring of its label set). */
function value (text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    const [series, v] = line.split(/ (?=[^ ]+$)/)
    if (series!.slice(name.length).includes(labels)) return Number(v)
  }
  return undefined
}

describe('metrics: the /metrics endpoint', function () {
  this.timeout(60_000)
  let fabric: Fabric
  let m: Kitchen

  before(async () => {
    fabric = await Fabric.start({ address: 'local', workers: 2, metricsPort: 0, log: () => {} })
    m = await fabric.load<Kitchen>(await fixtureComponent('guests/ts/kitchen.ts'))
  })
  after(async () => { await fabric?.stop() })

  it('listens on loopback and prints the Prometheus text format with fabric_* names and types', async () => {
    assert.match(fabric.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const sums = await fabric.get(Array.from({ length: 20 }, (_, i) => m.add.remote(i, 1)))
    assert.equal(sums.length, 20)
    await assert.rejects(fabric.get(m.fail.remote('no')))
    const res = await request(fabric.metricsUrl!)
    assert.equal(res.status, 200)
    assert.match(res.type, /^text\/plain; version=0\.0\.4/)
    const types = new Map([...res.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(x => [x[1]!, x[2]!]))
    const expected: Record<string, string> = {
      fabric_tasks_finished_total: 'counter',
      fabric_tasks_failed_total: 'counter',
      fabric_tasks_cancelled_total: 'counter',
      fabric_tasks_waiting: 'gauge',
      fabric_tasks_queued: 'gauge',
      fabric_tasks_running: 'gauge',
      fabric_task_duration_seconds: 'histogram',
      fabric_queue_length: 'gauge',
      fabric_workers: 'gauge',
      fabric_workers_busy: 'gauge',
      fabric_actors: 'gauge',
      fabric_object_store_memory_bytes: 'gauge',
      fabric_object_store_disk_bytes: 'gauge',
      fabric_object_spills_total: 'counter'
    }
    for (const [name, type] of Object.entries(expected)) assert.equal(types.get(name), type, `${name} is a ${type}`)
    for (const name of types.keys()) assert.match(name, /^fabric_/)
    const node = `node="${fabric.id}"`
    assert.ok(value(res.body, 'fabric_tasks_finished_total', node)! >= 20)
    assert.equal(value(res.body, 'fabric_tasks_failed_total', node), 1)
    assert.equal(value(res.body, 'fabric_workers', node), 2)
    assert.ok(value(res.body, 'fabric_task_duration_seconds_count', 'kind="task"')! >= 21)
    assert.ok(value(res.body, 'fabric_task_duration_seconds_bucket', 'le="+Inf"')! >= 21)
  })

  it('counts cancelled tasks apart from failed ones', async () => {
    const ref = m.spin.remote()
    await fabric.cancel(ref)
    await assert.rejects(fabric.get(ref), { name: 'TaskCancelledError' })
    const res = await request(fabric.metricsUrl!)
    assert.ok(value(res.body, 'fabric_tasks_cancelled_total')! >= 1)
    assert.equal(value(res.body, 'fabric_tasks_failed_total'), 1)
  })

  it('answers 404 for other paths, 405 for other methods, 413 for a request body', async () => {
    const url = fabric.metricsUrl!
    assert.equal((await request(url, { path: '/' })).status, 404)
    assert.equal((await request(url, { path: '/metrics/x' })).status, 404)
    assert.equal((await request(url, { path: '/debug' })).status, 404)
    assert.equal((await request(url, { method: 'POST' })).status, 405)
    assert.equal((await request(url, { method: 'DELETE' })).status, 405)
    assert.equal((await request(url, { method: 'POST', body: 'x'.repeat(100) })).status, 413)
    assert.equal((await request(url, { path: '/metrics?x=1' })).status, 200)
  })

  it('stops with the fabric (the port is closed) and refuses bad ports', async () => {
    const f = await Fabric.start({ address: 'local', workers: 1, metricsPort: 0 })
    const url = f.metricsUrl!
    assert.equal((await request(url)).status, 200)
    await f.stop()
    await assert.rejects(request(url), { code: 'ECONNREFUSED' })
    await assert.rejects(Fabric.start({ address: 'local', metricsPort: 70000 }), /metricsPort must be an integer 0-65535/)
  })

  it('a server over a registry: loopback by default; loopback hosts recognised', async () => {
    const registry = nodeRegistry({
      stats: () => ({ tasks: { waiting: 0, queued: 0, running: 0, finished: 3, failed: 2, cancelled: 1 }, actors: 0, refs: 0, resources: { total: { cpus: 1, gpus: 0, memoryMb: 1, custom: {} }, available: { cpus: 1, gpus: 0, memoryMb: 1, custom: {} } }, store: { objects: 0, memoryBytes: 0, diskBytes: 0, spills: 0, reloads: 0 }, memo: { entries: 0, bytes: 0, hints: 0, hits: 0, remoteHits: 0, misses: 0, evictions: 0 }, durable: { snapshots: 0, pagesStored: 0, bytesStored: 0, restores: 0, replicaFailures: 0 } }),
      pool: () => ({ workers: 1, actorWorkers: 0, busy: 0, queued: 0, actors: 0, respawns: 0, sentAhead: 0, takenBack: 0, memoryBytes: 0 }),
      transfers: () => ({ pulls: 4, pulledBytes: 400, pullFailures: 0, served: 5, servedBytes: 500 }),
      peers: () => ({ alive: 2, suspected: 1 })
    }, 'n1')
    const server = await startMetricsServer(registry, { port: 0 })
    try {
      const text = (await request(server.url)).body
      assert.equal(value(text, 'fabric_tasks_failed_total'), 1)
      assert.equal(value(text, 'fabric_object_pulled_bytes_total'), 400)
      assert.equal(value(text, 'fabric_object_served_total'), 5)
      assert.equal(value(text, 'fabric_peers', 'state="suspected"'), 1)
      assert.equal(value(text, 'fabric_peers', 'state="alive"'), 2)
    } finally {
      await server.stop()
      await server.stop()
    }
    assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('localhost'))
    assert.ok(!isLoopbackHost('0.0.0.0') && !isLoopbackHost('10.0.0.1'))
  })
})
