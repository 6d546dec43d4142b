// The serve library on an embedded fabric, over real HTTP (node:http ingress, fetch as the
// client): answers of every kind, errors, routing over replicas, back-pressure, timeouts,
// batching, composition, autoscaling up and down, a replica that dies, a rolling update.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule } from '../../../src/index.js'
import { serve, type ServeHandle } from '../../../src/libs/serve/index.js'
import { fixtureComponent, tempDir } from '../../helpers/fixtures.js'

type Apps = GuestModule<typeof import('../../fixtures/guests/ts/serve-apps.js')>
type AppsV2 = GuestModule<typeof import('../../fixtures/guests/ts/serve-v2.js')>

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

async function until (what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

describe('libs/serve: deployments behind HTTP (embedded)', function () {
  this.timeout(120_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let m: Apps
  const handles: ServeHandle[] = []
  const start = async (...args: Parameters<typeof serve.run> extends [unknown, ...infer R] ? R : never): Promise<ServeHandle> => {
    const h = await serve.run(fabric, ...args)
    handles.push(h)
    return h
  }

  before(async () => {
    cache = tempDir()
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Apps>(await fixtureComponent('guests/ts/serve-apps.ts'))
  })

  afterEach(async () => {
    for (const h of handles.splice(0)) await h.shutdown()
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('answers JSON, text, bytes and { status, headers, body }; a guest error is a 500 with its message; bad requests are refused', async () => {
    const h = await start(serve.deployment(m.Echo, { name: 'echo' }).bind('hi'), { port: 0, routePrefix: '/api' })
    assert.match(h.url, /^http:\/\/127\.0\.0\.1:\d+\/api$/)
    let res = await fetch(`${h.url}/things?a=1&b=two`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: [1, 2] }) })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /application\/json/)
    const echoed = await res.json() as Record<string, unknown>
    assert.deepEqual({ ...echoed, served: undefined }, { greeting: 'hi', method: 'POST', path: '/things', query: { a: '1', b: 'two' }, body: { x: [1, 2] }, type: 'application/json', served: undefined })
    res = await fetch(`${h.url}/text?who=ann`)
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(await res.text(), 'hi, ann')
    res = await fetch(`${h.url}/bytes?who=bo`)
    assert.equal(res.headers.get('content-type'), 'application/octet-stream')
    assert.equal(Buffer.from(await res.arrayBuffer()).toString(), 'bytes for bo')
    res = await fetch(`${h.url}/created`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'a note' })
    assert.equal(res.status, 201)
    assert.equal(res.headers.get('x-made'), 'yes')
    assert.deepEqual(await res.json(), { made: 'a note' })
    res = await fetch(`${h.url}/created`, { method: 'POST', body: new Uint8Array([1, 2, 3]) })
    assert.deepEqual(await res.json(), { made: { 0: 1, 1: 2, 2: 3 } }, 'bytes reach the guest as a Uint8Array (JSON-encoded by its answer)')
    res = await fetch(`${h.url}/fail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":7}' })
    assert.equal(res.status, 500)
    assert.match((await res.json() as { error: string }).error, /bad input: \{"n":7\}/)
    res = await fetch(`${h.url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' })
    assert.equal(res.status, 400)
    assert.match((await res.json() as { error: string }).error, /not valid JSON/)
    res = await fetch(h.url.replace(/\/api$/, '/other'))
    assert.equal(res.status, 404)
    // The replica still serves after the errors.
    assert.equal((await fetch(`${h.url}/`)).status, 200)
    const origin = h.url.replace(/\/api$/, '')
    const metrics = await (await fetch(`${origin}/-/metrics`)).text()
    const app = `app="${new URL(h.url).host}"`
    assert.ok(metrics.includes(`fabric_serve_requests_total{${app},deployment="echo",code="200"} 4\n`), metrics)
    assert.ok(metrics.includes(`fabric_serve_requests_total{${app},deployment="echo",code="201"} 2\n`))
    assert.ok(metrics.includes(`fabric_serve_requests_total{${app},deployment="echo",code="500"} 1\n`))
    assert.match(metrics, /fabric_serve_request_duration_seconds_count\{app="[^"]+",deployment="echo"\} \d+/)
    assert.ok(metrics.includes(`fabric_serve_replicas{${app},deployment="echo"} 1\n`))
    assert.deepEqual((await (await fetch(`${origin}/-/status`)).json() as { deployments: Array<{ name: string }> }).deployments.map(d => d.name), ['echo'])
    const st = h.status()
    assert.equal(st.deployments[0]!.name, 'echo')
    assert.ok(st.deployments[0]!.requests.total >= 7 && st.deployments[0]!.requests.failed >= 1, JSON.stringify(st))
  })

  it("serve's metrics are on the fabric's metrics endpoint after the node's own, while an application runs", async () => {
    const own = await Fabric.start({ address: 'local', workers: 1, cacheDir: cache.dir, log: () => {}, metricsPort: 0 })
    try {
      const mine = await own.load<Apps>(await fixtureComponent('guests/ts/serve-apps.ts'))
      const a = await serve.run(own, serve.deployment(mine.Echo, { name: 'echo' }).bind('hi'), { port: 0 })
      const b = await serve.run(own, serve.deployment(mine.Echo, { name: 'echo' }).bind('ho'), { port: 0 })
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`${a.url}/text?who=x`)).status, 200)
      assert.equal((await fetch(`${b.url}/text?who=y`)).status, 200)
      let text = await (await fetch(own.metricsUrl!)).text()
      assert.match(text, /^fabric_tasks_finished_total[{ ]/m, "the node's own metrics")
      assert.ok(text.includes(`fabric_serve_requests_total{app="${new URL(a.url).host}",deployment="echo",code="200"} 3\n`), text)
      assert.ok(text.includes(`fabric_serve_requests_total{app="${new URL(b.url).host}",deployment="echo",code="200"} 1\n`))
      assert.equal(text.match(/^# TYPE fabric_serve_requests_total /mg)?.length, 1, 'one family for both applications')
      await a.shutdown()
      text = await (await fetch(own.metricsUrl!)).text()
      assert.ok(!text.includes(`app="${new URL(a.url).host}"`) && text.includes(`app="${new URL(b.url).host}"`))
      await b.shutdown()
      text = await (await fetch(own.metricsUrl!)).text()
      assert.ok(!text.includes('fabric_serve_'), 'gone with the last application')
      assert.throws(() => own.addMetrics('nope' as never), /give a function returning Prometheus text/)
    } finally {
      await own.stop()
    }
  })

  it('spreads requests over replicas (power of two choices) and refuses with 503 + Retry-After when every replica is full', async () => {
    const h = await start(serve.deployment(m.Echo, { numReplicas: 2, maxOngoingRequests: 2 }).bind(), { port: 0 })
    const answers = await Promise.all(Array.from({ length: 24 }, async () => await fetch(`${h.url}/work?n=300000`)))
    const codes = answers.map(r => r.status)
    await Promise.all(answers.map(async r => await r.arrayBuffer()))
    const served = h.status().deployments[0]!.replicas.map(r => r.served)
    assert.equal(served.length, 2)
    assert.ok(served.every(n => n > 0), `both replicas served: ${served.join(', ')}`)
    assert.ok(codes.includes(503), `24 at once on 2 replicas of 2: some refused (${codes.join(',')})`)
    const refused = answers.find(r => r.status === 503)!
    assert.equal(refused.headers.get('retry-after'), '1')
    assert.ok(codes.filter(c => c === 200).length >= 4)
    assert.equal(h.status().deployments[0]!.requests.rejected, codes.filter(c => c === 503).length)
  })

  it('a request past requestTimeoutMs is a 504', async () => {
    const h = await start(serve.deployment(m.Echo, { requestTimeoutMs: 30 }).bind(), { port: 0 })
    const res = await fetch(`${h.url}/work?n=5000000`)
    assert.equal(res.status, 504)
    assert.match((await res.json() as { error: string }).error, /no answer within 30 ms/)
  })

  it('batches: the method gets arrays of requests gathered within batchWaitTimeoutMs; a wrong-length answer fails the batch clearly', async () => {
    const h = await start(serve.deployment(m.Doubler, { maxBatchSize: 4, batchWaitTimeoutMs: 50 }).bind(), { port: 0 })
    const out = await Promise.all(Array.from({ length: 8 }, async (_, x) => await (await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x }) })).json() as { doubled: number, batch: number }))
    assert.deepEqual(out.map(o => o.doubled), [0, 2, 4, 6, 8, 10, 12, 14])
    assert.ok(out.some(o => o.batch >= 2), `a batch of 2 or more: ${out.map(o => o.batch).join(',')}`)
    assert.ok(out.every(o => o.batch <= 4))
    const bad = await start(serve.deployment(m.ShortBatch, { maxBatchSize: 2, batchWaitTimeoutMs: 20 }).bind(), { port: 0 })
    const res = await Promise.all([1, 2].map(async () => await fetch(bad.url)))
    for (const r of res) {
      assert.equal(r.status, 500)
      assert.match((await r.json() as { error: string }).error, /returns an array of one answer per request/)
    }
  })

  it('composes: a deployment bound with another gets its replica\'s handle and calls it from the guest', async () => {
    const h = await start(serve.deployment(m.Front, { name: 'front', numReplicas: 2 }).bind(serve.deployment(m.Back, { name: 'back' }).bind()), { port: 0 })
    assert.deepEqual(await (await fetch(`${h.url}/?x=3`)).json(), { front: true, answer: { x: 3, score: 10 } })
    assert.deepEqual(h.status().deployments.map(d => d.name).sort(), ['back', 'front'])
  })

  it("a composed deployment's replica that dies is found by the health check and replaced; the replicas given its handle are renewed", async () => {
    const h = await start(serve.deployment(m.Front, { name: 'front', numReplicas: 2 }).bind(serve.deployment(m.Back, { name: 'back' }).bind()), { port: 0 })
    const of = (name: string): Array<{ actorId: string, state: string }> => h.status().deployments.find(d => d.name === name)!.replicas
    const victim = of('back')[0]!.actorId
    const fronts = of('front').map(r => r.actorId)
    await fabric.kill(await fabric.actorHandle(victim))
    assert.equal(await fabric.isActorAlive({ actorId: victim }), false)
    // No request reaches 'back' from the ingress: only the health check can see it died.
    await until('the back replica replaced and both fronts renewed', () => {
      const back = of('back')
      const front = of('front')
      return back.length === 1 && back[0]!.actorId !== victim && back[0]!.state === 'running' &&
        front.length === 2 && front.every(r => r.state === 'running' && !fronts.includes(r.actorId))
    }, 15_000)
    for (let i = 0; i < 4; i++) assert.deepEqual(await (await fetch(`${h.url}/?x=3`)).json(), { front: true, answer: { x: 3, score: 10 } })
    assert.equal(await fabric.isActorAlive({ actorId: of('back')[0]!.actorId }), true)
  })

  it('autoscales up under load and back down after it', async () => {
    const h = await start(serve.deployment(m.Echo, { autoscaling: { minReplicas: 1, maxReplicas: 3, targetOngoingRequests: 1, upscaleDelayMs: 0, downscaleDelayMs: 300 }, maxOngoingRequests: 4 }).bind(), { port: 0 })
    const replicas = (): number => h.status().deployments[0]!.replicas.filter(r => r.state === 'running').length
    assert.equal(replicas(), 1)
    let loading = true
    const load = (async () => {
      while (loading) await Promise.all(Array.from({ length: 4 }, async () => { const r = await fetch(`${h.url}/work?n=2000000`); await r.arrayBuffer() }))
    })()
    await until('a scale-up', () => replicas() >= 2, 15_000)
    loading = false
    await load
    await until('a scale-down', () => replicas() === 1, 15_000)
    assert.equal(h.status().deployments[0]!.target, 1)
  })

  it('a replica that dies is replaced; a GET on it is tried again elsewhere', async () => {
    const h = await start(serve.deployment(m.Echo, { numReplicas: 2 }).bind(), { port: 0 })
    const victim = h.status().deployments[0]!.replicas[0]!.actorId
    await fabric.kill(await fabric.actorHandle(victim))
    const codes: number[] = []
    for (let i = 0; i < 10; i++) codes.push((await fetch(`${h.url}/`)).status)
    assert.deepEqual(codes, Array(10).fill(200))
    await until('a replacement', () => { const rs = h.status().deployments[0]!.replicas; return rs.length === 2 && rs.every(r => r.state === 'running' && r.actorId !== victim) })
  })

  it('a second run on the same port is a rolling update to a new component version: it answers, no request fails', async () => {
    const v2m = await fabric.load<AppsV2>(await fixtureComponent('guests/ts/serve-v2.ts'))
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const v1 = await start(serve.deployment(m.Echo, { numReplicas: 2 }).bind('v1'), { port })
    const seen: string[] = []
    const failed: number[] = []
    let going = true
    const traffic = (async () => {
      while (going) {
        const got = await Promise.all(Array.from({ length: 3 }, async () => await fetch(`${v1.url}/text`)))
        for (const r of got) { if (r.status !== 200) failed.push(r.status); seen.push(await r.text()) }
      }
    })()
    await until('traffic', () => seen.length > 6)
    const v2 = await serve.run(fabric, serve.deployment(v2m.Echo, { numReplicas: 2 }).bind('v2'), { port })
    assert.equal(v2.url, v1.url)
    await until('the new version', () => seen.slice(-3).every(s => s === 'v2 (version 2), you'))
    going = false
    await traffic
    assert.deepEqual(failed, [])
    assert.ok(seen.includes('v1, you') && seen.includes('v2 (version 2), you'))
    assert.ok(seen.every(s => s === 'v1, you' || s === 'v2 (version 2), you'), 'every answer is one version\'s')
    const rs = v2.status().deployments[0]!.replicas
    assert.equal(rs.length, 2)
    // A new version whose replicas cannot start: the run fails, the running version keeps serving.
    await assert.rejects(serve.run(fabric, serve.deployment(m.Broken).bind(), { port }), /Broken cannot start/)
    assert.equal(await (await fetch(`${v1.url}/text`)).text(), 'v2 (version 2), you')
  })

  it('streams a generator method\'s values chunked, as JSON lines or text; a client that leaves lets the replica finish and serve again', async () => {
    const h = await start(serve.deployment(m.Story).bind(), { port: 0 })
    let res = await fetch(`${h.url}/?n=4`)
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson')
    assert.equal(res.headers.get('transfer-encoding'), 'chunked')
    const lines = (await res.text()).trim().split('\n').map(l => JSON.parse(l) as { part: number })
    assert.deepEqual(lines.map(l => l.part), [1, 2, 3, 4])
    res = await fetch(`${h.url}/?n=3&as=text`)
    assert.equal(await res.text(), 'line 1\nline 2\nline 3\n')
    // Read one chunk of a long stream, then leave: the method runs to its end on the replica (an
    // actor's call is not stopped midway), which counts as busy until then, and serves again after.
    const ctl = new AbortController()
    res = await fetch(`${h.url}/?n=60`, { signal: ctl.signal })
    const reader = res.body!.getReader()
    await reader.read()
    ctl.abort()
    await until('the stream to be let go', () => h.status().deployments[0]!.replicas[0]!.ongoing === 0)
    assert.equal((await fetch(`${h.url}/?n=1`)).status, 200)
  })

  it('refuses bad options at once, naming them', () => {
    assert.throws(() => serve.deployment(m.Echo, { numReplicas: 0 }), /numReplicas must be a positive integer/)
    assert.throws(() => serve.deployment(m.Echo, { numReplicas: 2, autoscaling: {} }), /numReplicas or autoscaling, not both/)
    assert.throws(() => serve.deployment(m.Echo, { autoscaling: { minReplicas: 3, maxReplicas: 2 } }), /maxReplicas \(2\) is below minReplicas \(3\)/)
    assert.throws(() => serve.deployment(m.Echo, { maxBatchSize: 8, maxOngoingRequests: 4 }), /below maxBatchSize/)
    assert.throws(() => serve.deployment(m.Echo, { replicas: 2 } as never), /unknown option 'replicas'/)
    assert.throws(() => serve.deployment({} as never), /actor class of a loaded component/)
    return assert.rejects(serve.run(fabric, {} as never), /bound with \.bind/)
  })
})
