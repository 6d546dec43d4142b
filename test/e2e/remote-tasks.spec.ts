// End to end: tasks across separate `fabric join` processes on 127.0.0.1 over /fabric/task/1 —
// a caller places tasks on three nodes, each node pulls the component from the caller by CID,
// results are correct and every node ran some; then a node is SIGKILLed in the middle
// of a 2,000-task job and every task still gives its correct result (resubmitted on the survivors).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { createStatusClient, type NetNode } from '../../src/net/index.js'
import { Fabric, ObjectRef, type UntypedModule } from '../../src/index.js'
import type { RemoteRunner } from '../../src/runtime/index.js'
import { encode } from '../../src/objects/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { waitFor } from '../helpers/wait-for.js'
import { Cluster, ROOT, type Joined } from './cluster.js'


/** What sumSquares(n) returns: Σ i² for i < n. */
const sumSquares = (n: number): number => (n - 1) * n * (2 * n - 1) / 6

describe('e2e: tasks across fabric join processes (/fabric/task/1)', function () {
  this.timeout(180_000)
  let cluster: Cluster
  let joined: Joined[]
  let client: NetNode
  let runner: RemoteRunner
  let cid: string
  let componentPath: string

  before(async () => {
    cluster = new Cluster()
    joined = cluster.joined
    componentPath = await fixtureComponent('guests/ts/kitchen.ts')
    const component = fs.readFileSync(componentPath)
    await cluster.start()
    // The caller: a net node offering no CPUs (so no task is placed on it) that serves the component.
    ;({ net: client, runner, cid } = await cluster.caller(component))
  })

  after(async () => {
    await client?.stop({ leave: false })
    await cluster?.stop()
  })

  it('tasks land on all three nodes (each pulls the component by CID) and the results are correct', async () => {
    // One task on each node first: each pulls the component from this caller and compiles it.
    for (const j of joined) assert.deepEqual(await client.runTask(j.peer, { type: 'run', id: `warm-${j.name}`, component: cid, name: 'add', args: encode([1, 2]) }), { value: encode(3) })
    const results = await Promise.all(Array.from({ length: 60 }, async (_, i) => await runner.submit(cid, 'add', [i, 1000])))
    results.forEach((r, i) => assert.equal(r.value, i + 1000))
    const byPeer = new Map<string, number>()
    for (const r of results) byPeer.set(r.peer, (byPeer.get(r.peer) ?? 0) + 1)
    assert.deepEqual([...byPeer.keys()].sort(), joined.map(j => j.peer).sort(), `tasks per node: ${JSON.stringify([...byPeer])}`)
  })

  it("a task's own failure comes back typed; an unknown task says so", async () => {
    await assert.rejects(runner.submit(cid, 'failTyped', ['quota']), (err: Error & { kind?: string }) => err.name === 'TaskError' && err.kind === 'quota')
    await assert.rejects(runner.submit(cid, 'nope', []), (err: Error & { kind?: string }) => err.kind === 'unknown-task' && /nope/.test(err.message))
  })

  it('spillback: a node full of soft-affinity work sends tasks back to nodes with room', async () => {
    const target = joined[0]!.peer
    const spills = runner.spillbacks
    // A node sends work only to nodes idle at their last heartbeat: let the earlier tests' load
    // drain from the view. Two idle heartbeats from every node in a row (gossip reaches every
    // node alike) mean the nodes have seen each other idle too.
    const idleSeq = new Map<string, number>()
    await waitFor(() => client.view.peers().length === joined.length && client.view.peers().every(p => {
      if (!(p.state === 'alive' && p.info.queue === 0 && p.info.resources.available.cpus >= 1)) { idleSeq.delete(p.info.peer); return false }
      const first = idleSeq.get(p.info.peer)
      if (first === undefined) idleSeq.set(p.info.peer, p.info.seq)
      return first !== undefined && p.info.seq > first
    }), 'two idle heartbeats in a row from every node', 15_000, 50)
    const n = 1_500_000
    let expected = 0
    for (let i = 0; i < n; i++) expected += i * i
    const results = await Promise.all(Array.from({ length: 9 }, async () => await runner.submit(cid, 'sumSquares', [n], { scheduling: { nodeAffinity: target, soft: true } })))
    for (const r of results) assert.equal(r.value, expected)
    const elsewhere = results.filter(r => r.peer !== target).length
    console.log(`      (${runner.spillbacks - spills} spillbacks; ${results.length - elsewhere} ran on the preferred node, ${elsewhere} elsewhere)`)
    assert.ok(runner.spillbacks > spills, 'the full node sent no task back')
    assert.ok(elsewhere > 0 && elsewhere < results.length, `${elsewhere} of ${results.length} ran elsewhere`)
  })

  it('a node SIGKILLed in the middle of a 2,000-task job: every task still gives its correct result', async () => {
    const victim = joined[1]!
    let done = 0
    const job = Promise.all(Array.from({ length: 2000 }, async (_, i) => {
      const n = 20_000 + i
      const r = await runner.submit(cid, 'sumSquares', [n], { maxRetries: 3 })
      done++
      return { n, ...r }
    }))
    await waitFor(() => done >= 400, '400 results of the job', 60_000, 10)
    victim.proc.kill('SIGKILL')
    const results = await job
    for (const r of results) assert.equal(r.value, sumSquares(r.n))
    const after = results.filter(r => r.peer === victim.peer).length
    console.log(`      (${results.length} results; ${after} from the killed node before it died, the rest from the two survivors)`)
    assert.ok(results.some(r => r.peer !== victim.peer))
  })

  it('Fabric.connect drives the fabric from a program: chained refs, many tasks, wait, typed errors', async () => {
    const fabric = await Fabric.connect(joined[0]!.addr)
    try {
      // connect() returns once one node is in view; the two survivors of the test above come soon after.
      // The node killed there may show up too for a while, when that test ended within seconds of
      // the kill: its last heartbeat, still in the survivors' gossip caches, reaches this new driver,
      // which drops it after its dead timeout.
      await waitFor(() => fabric.nodes().length === 2, `the two survivors in view: ${JSON.stringify(fabric.nodes())}`, 20_000, 50)
      assert.equal(fabric.nodes().length, 2, `nodes: ${JSON.stringify(fabric.nodes())}`)
      const m = await fabric.load<UntypedModule>(componentPath)
      const six = m.add!.remote(1, m.add!.remote(2, 3) as ObjectRef)
      assert.equal(await fabric.get(six as ObjectRef), 6)
      const refs = Array.from({ length: 50 }, (_, i) => m.add!.remote(i, i) as ObjectRef<number>)
      const { ready } = await fabric.wait(refs, { numReturns: 50 })
      assert.equal(ready.length, 50)
      // wait in a loop (numReturns 1) hands back every ref once, in the order given among the ready.
      let pending = Array.from({ length: 40 }, (_, i) => m.add!.remote(i, 1) as ObjectRef<number>)
      const seen: ObjectRef[] = []
      while (pending.length > 0) {
        const r = await fabric.wait(pending, { numReturns: 1 })
        assert.equal(r.ready.length, 1)
        assert.equal(r.ready.length + r.pending.length, pending.length)
        seen.push(...r.ready)
        pending = r.pending
      }
      assert.equal(new Set(seen.map(r => r.id)).size, 40)
      // A wait that times out returns what is ready so far: nothing of a task that spins.
      const spinning = m.spin!.remote() as ObjectRef
      const t0 = Date.now()
      const timed = await fabric.wait([spinning, six as ObjectRef], { numReturns: 2, timeoutMs: 200 })
      assert.ok(Date.now() - t0 < 5000, 'the wait returned at its timeout')
      assert.deepEqual(timed.ready.map(r => r.id), [(six as ObjectRef).id])
      assert.deepEqual(timed.pending.map(r => r.id), [spinning.id])
      fabric.cancel(spinning)
      assert.deepEqual(await fabric.get(refs), refs.map((_, i) => 2 * i))
      await assert.rejects(fabric.get(m.failTyped!.remote('quota') as ObjectRef), (err: Error & { kind?: string }) => err.kind === 'quota')
      assert.throws(() => m.add!.options({ cpu: 1 } as never).remote(1, 2), /unknown option cpu/)
    } finally {
      await fabric.stop()
    }
  })

  it('a generator task streams its items from a remote node, in order', async () => {
    const fabric = await Fabric.connect(joined[0]!.addr)
    try {
      const m = await fabric.load<UntypedModule>(componentPath)
      const items: unknown[] = []
      for await (const ref of m.countTo!.remote(5) as unknown as AsyncIterable<ObjectRef>) items.push(await fabric.get(ref))
      assert.deepEqual(items, [1, 2, 3, 4, 5])
      const big: unknown[] = []
      for await (const ref of m.slowCount!.remote(3, 1000) as unknown as AsyncIterable<ObjectRef>) big.push(await fabric.get(ref))
      assert.equal(big.length, 3)
    } finally {
      await fabric.stop()
    }
  })

  it('cancel stops a task running on a remote node; the node is free again', async () => {
    const fabric = await Fabric.connect(joined[0]!.addr)
    const status = await createStatusClient()
    try {
      const m = await fabric.load<UntypedModule>(componentPath)
      const on = { scheduling: { nodeAffinity: joined[0]!.peer } }
      const running = async (): Promise<number> => (await status.status(joined[0]!.addr, { timeoutMs: 5000 })).self.work?.running ?? -1
      await waitFor(async () => await running() === 0, 'the node to be idle', 20_000, 100)
      const spinning = m.spin!.options(on).remote() as ObjectRef
      // The node says it runs the task (it never returns by itself), then the cancel stops it.
      await waitFor(async () => await running() === 1, 'the spinning task to run on its node', 20_000, 100)
      assert.equal(fabric.cancel(spinning), true)
      await assert.rejects(fabric.get(spinning), (err: Error) => err.name === 'TaskCancelledError')
      assert.equal(fabric.cancel(spinning), false)
      await waitFor(async () => await running() === 0, 'the node to report nothing running after the cancel', 10_000, 100)
      // The node's only CPU is free again: a task pinned to it runs.
      assert.equal(await fabric.get(m.add!.options(on).remote(2, 2) as ObjectRef, { timeoutMs: 20_000 }), 4)
    } finally {
      await status.stop()
      await fabric.stop()
    }
  })

  it('fabric run --address runs a driver against the running fabric', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, [path.join(ROOT, 'bin/fabric.js'), 'run', '--address', joined[0]!.addr, path.join(ROOT, 'test/e2e/connect-driver.ts'), componentPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      let text = ''
      proc.stdout!.on('data', (d: Buffer) => { text += d.toString() })
      proc.stderr!.on('data', (d: Buffer) => { text += d.toString() })
      const t = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`fabric run did not finish in 60 s: ${text}`)) }, 60_000)
      proc.once('exit', (code) => { clearTimeout(t); code === 0 ? resolve(text) : reject(new Error(`fabric run exited ${String(code)}: ${text}`)) })
    })
    assert.match(out, /results \[11,12,13\]/)
  })
})
