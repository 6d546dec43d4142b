// End to end: a hung node (SIGSTOP: its TCP connections stay open, it answers nothing) among three
// `fabric join` processes is suspected by the liveness probe in ~1-2 s — by a driver in this
// process and by the other two nodes — tasks submitted meanwhile run on the other two, and after
// SIGCONT its next heartbeat makes it alive again (not a death and a rejoin).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createStatusClient, type NetNode } from '../../src/net/index.js'
import type { RemoteRunner } from '../../src/runtime/index.js'
import { encode } from '../../src/objects/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'

// The nodes run the default heartbeat and probe (1 s; ping after 1.25 s of silence, suspect 0.75 s
// later), with the heartbeat timeouts moved out of the way, so a suspicion within ~2 s can only be
// the probe's and the hang (a few seconds) cannot turn into a death.
const NODE_TIMING = ['--heartbeat-ms', '1000', '--suspect-after-ms', '5000', '--dead-after-ms', '15000']

/** The bound asserted for "noticed": ~2.1 s expected; slack for a loaded 2-core CI box. */
const SUSPECT_BOUND_MS = 4000

describe('e2e: a hung node (SIGSTOP) is suspected in ~1-2 s, avoided, and alive again after SIGCONT', function () {
  this.timeout(120_000)
  let cluster: Cluster
  let joined: Joined[]
  let client: NetNode
  let runner: RemoteRunner
  let status: Awaited<ReturnType<typeof createStatusClient>>
  let cid: string
  let victim: Joined | undefined

  before(async () => {
    cluster = new Cluster()
    joined = cluster.joined
    const component = fs.readFileSync(await fixtureComponent('guests/ts/kitchen.ts'))
    await cluster.start(3, () => NODE_TIMING)
    // The driver: a net node offering no CPUs, with the library defaults (heartbeat timeouts 3 s /
    // 10 s, probe on), serving the component to the nodes.
    ;({ net: client, runner, cid } = await cluster.caller(component, 'driver'))
    status = await createStatusClient()
    // The two nodes that will take the work pull and compile the component now, not while n2 hangs
    // (compiling takes seconds on a loaded box, and would stretch the hang).
    await Promise.all(joined.filter(j => j.name !== 'n2').map(async j => assert.deepEqual(await client.runTask(j.peer, { type: 'run', id: `warm-${j.name}`, component: cid, name: 'add', args: encode([1, 2]) }), { value: encode(3) })))
  })

  afterEach(() => {
    // Never leave a stopped process behind, whatever failed.
    if (victim !== undefined && victim.proc.exitCode === null && victim.proc.signalCode === null) victim.proc.kill('SIGCONT')
  })

  after(async () => {
    if (victim !== undefined && victim.proc.exitCode === null) victim.proc.kill('SIGCONT')
    await status?.stop()
    await client?.stop({ leave: false })
    await cluster?.stop()
  })

  it('suspected by the driver and the other nodes within the bound; tasks go to the others; alive again after SIGCONT', async () => {
    victim = joined.find(j => j.name === 'n2')!
    const others = joined.filter(j => j !== victim)
    const byDriver: string[] = []
    const record = (what: string) => (e: { info: { peer: string }, suspectReason?: string }): void => {
      byDriver.push(`${what} ${joined.find(j => j.peer === e.info.peer)?.name ?? e.info.peer}${e.suspectReason === undefined ? '' : ` (${e.suspectReason})`}`)
    }
    client.view.on('suspect', record('suspect'))
    client.view.on('alive', record('alive'))
    client.view.on('dead', record('dead'))
    client.view.on('join', record('join'))

    /** ms from `t0` until `cond` holds on every observer, polled (driver: 20 ms; nodes over /fabric/status/1: 100 ms). */
    const measure = async (t0: number, state: 'alive' | 'suspected', limitMs: number): Promise<{ driver: number, nodes: number[] }> => {
      const driver = (async () => {
        while (client.view.get(victim!.peer)?.state !== state) {
          if (Date.now() - t0 > limitMs) throw new Error(`the driver did not see ${victim!.name} ${state} within ${limitMs} ms: ${byDriver.join('; ')}`)
          await new Promise(resolve => setTimeout(resolve, 20))
        }
        return Date.now() - t0
      })()
      const nodes = Promise.all(others.map(async o => {
        while (true) {
          const reply = await status.status(o.addr, { timeoutMs: 2000 })
          if (reply.peers.find(p => p.info.peer === victim!.peer)?.state === state) return Date.now() - t0
          if (Date.now() - t0 > limitMs) throw new Error(`${o.name} did not see ${victim!.name} ${state} within ${limitMs} ms: ${JSON.stringify(reply.peers.map(p => [p.info.peer, p.state]))}`)
          await new Promise(resolve => setTimeout(resolve, 100))
        }
      }))
      return { driver: await driver, nodes: await nodes }
    }

    const stoppedAt = Date.now()
    victim.proc.kill('SIGSTOP')
    const suspected = await measure(stoppedAt, 'suspected', 15_000)
    console.log(`      (${victim.name} SIGSTOPped: suspected by the driver after ${suspected.driver} ms, by ${others.map((o, i) => `${o.name} after ${suspected.nodes[i]!} ms`).join(', ')})`)
    assert.match(client.view.get(victim.peer)?.suspectReason ?? '', /no ping reply/, byDriver.join('; '))
    assert.ok(suspected.driver < SUSPECT_BOUND_MS, `driver: ${suspected.driver} ms`)
    for (const ms of suspected.nodes) assert.ok(ms < SUSPECT_BOUND_MS, `nodes: ${suspected.nodes.join(', ')} ms`)

    // Tasks submitted while it hangs run on the two others (placement prefers alive nodes).
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => await runner.submit(cid, 'sumSquares', [10_000 + i])))
    results.forEach((r, i) => assert.equal(r.value, (10_000 + i - 1) * (10_000 + i) * (2 * (10_000 + i) - 1) / 6))
    const byPeer = new Map<string, number>()
    for (const r of results) {
      const name = joined.find(j => j.peer === r.peer)?.name ?? r.peer
      byPeer.set(name, (byPeer.get(name) ?? 0) + 1)
    }
    console.log(`      (20 tasks while it hung: ${JSON.stringify(Object.fromEntries(byPeer))})`)
    assert.ok(!byPeer.has(victim.name), JSON.stringify([...byPeer]))
    assert.equal(client.view.get(victim.peer)?.state, 'suspected')

    const resumedAt = Date.now()
    victim.proc.kill('SIGCONT')
    const alive = await measure(resumedAt, 'alive', 15_000)
    console.log(`      (hung ${resumedAt - stoppedAt} ms; SIGCONT: alive again on the driver after ${alive.driver} ms, on ${others.map((o, i) => `${o.name} after ${alive.nodes[i]!} ms`).join(', ')})`)
    // Brought back by its heartbeats: a suspicion and an alive, no death and no rejoin; nobody else suspected.
    const aboutVictim = byDriver.filter(e => e.split(' ')[1] === victim!.name)
    assert.deepEqual(aboutVictim.map(e => e.split(' ')[0]), ['suspect', 'alive'], byDriver.join('; '))
    assert.deepEqual(byDriver.filter(e => e.split(' ')[1] !== victim!.name), [], 'false suspicions of healthy nodes')
  })
})
