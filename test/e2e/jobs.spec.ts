// Jobs, namespaces and ownership across `fabric join` processes (issue 13): each driver is a job;
// a second job cannot read the first's objects (by CID, raw or through a task), find its actors by
// name outside its namespace, or kill them; a guest of one job cannot read another job's ref by
// its id; a detached actor outlives its job and is killed by name in its namespace; a driver that
// goes away takes its running tasks with it.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { Fabric, type ConnectedFabric, type ObjectRef, type UntypedModule } from '../../src/index.js'
import { createNetNode, createStatusClient, fixedResources, type NetNode } from '../../src/net/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { cidOfBytesSync } from '../../src/objects/cid.js'
import { encode } from '../../src/objects/index.js'
import { Cluster, ROOT, type Joined } from './cluster.js'

interface Counter { actorId: string, incr: { remote: (by: number) => ObjectRef<number> } }

describe('e2e: jobs, namespaces and ownership', function () {
  this.timeout(240_000)
  const cluster = new Cluster()
  let nodes: Joined[]
  let a: ConnectedFabric
  let b: ConnectedFabric
  let ma: UntypedModule
  let mb: UntypedModule
  let componentPath: string
  let member: NetNode | undefined

  before(async () => {
    componentPath = await fixtureComponent('guests/ts/kitchen.ts')
    nodes = await cluster.start(2)
    ;[a, b] = await Promise.all([cluster.connect(), cluster.connect()])
    ;[ma, mb] = await Promise.all([a.load<UntypedModule>(componentPath), b.load<UntypedModule>(componentPath)])
  })

  after(async () => {
    await member?.stop()
    await Promise.all([a?.stop(), b?.stop()])
    await cluster.stop()
  })

  it('each driver is a job with its own id and namespace', () => {
    assert.match(a.jobId, /^job-[0-9a-f]{16}$/)
    assert.notEqual(a.jobId, b.jobId)
    assert.notEqual(a.namespace, b.namespace)
  })

  it("a second job cannot pull the first job's result by CID, raw or through a task of its own; the first job's other node can", async () => {
    const big = 'z'.repeat(200_000)
    const ref = ma.echo!.options({ scheduling: { nodeAffinity: nodes[0]!.peer } }).remote(big) as ObjectRef<string>
    assert.equal(await a.get(ref), big)
    const at = await a.locate(ref)
    assert.ok('cid' in at, 'a 200 KB result stays on its node')
    // A member of the fabric that is not the owner, with no key or a made-up one.
    member = await createNetNode({ dataDir: cluster.dir + '/member', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [nodes[0]!.addr], resources: () => fixedResources({}), heartbeatMs: 500 })
    for (const job of [undefined, 'a-made-up-job-key']) {
      await assert.rejects(member.pullObject(at.cid, [nodes[0]!.peer], { timeoutMs: 10_000, ...(job === undefined ? {} : { job }) }), (err: Error) => { assert.match(err.message, /not here for you|does not hold|no holder has/, `job ${String(job)}: ${err.name}: ${err.message}`); return true })
    }
    // A task naming the CID (the node holds it, but for job A), from a peer with a job of its
    // own: the node does not hand it A's copy; the holders it names do not serve it either.
    const component = cidOfBytesSync(new Uint8Array(fs.readFileSync(componentPath)))
    await mb.echo!.options({ scheduling: { nodeAffinity: nodes[0]!.peer } }).remote(1) // the node has the component
    await assert.rejects(member.runTask(nodes[0]!.peer, { type: 'run', id: 'steal', component, name: 'echo', args: encode([null]), refs: [{ index: 0, cid: at.cid, size: at.size, holders: [nodes[0]!.peer, nodes[1]!.peer] }], job: 'job-b-of-its-own' }), (err: Error) => err.name === 'ObjectLostError' && err.message.includes(at.cid), 'the steal fails: the object is lost to this job')
    // Job A's own task on the other node takes the ref: that node pulls it presenting A's key.
    const other = ma.echo!.options({ scheduling: { nodeAffinity: nodes[1]!.peer } }).remote(ref) as ObjectRef<string>
    assert.equal(await a.get(other), big)
  })

  it("a guest of one job cannot read another job's ref by its id, on the same node", async () => {
    const node = { scheduling: { nodeAffinity: nodes[1]!.peer } }
    const { ref, id } = await a.get(ma.stashWithId!.options(node).remote('y'.repeat(150_000)) as ObjectRef<{ ref: ObjectRef<string>, id: string }>)
    assert.equal((await a.get(ref)).length, 150_000)
    await assert.rejects(b.get(mb.readId!.options(node).remote(id) as ObjectRef), (err: Error & { kind?: string }) => err.kind === 'permission-denied' && /was not given to this task/.test(err.message))
  })

  it("a second job finds the first job's named actor only in its namespace, and cannot kill it even with its id", async () => {
    const c = await (ma.Counter as unknown as { options: (o: object) => { create: (n: number) => Promise<Counter> } }).options({ name: 'vault', scheduling: { nodeAffinity: nodes[0]!.peer } }).create(5)
    await assert.rejects(b.getActor('vault'), (err: Error) => err.name === 'ActorNotFoundError')
    // A guessed id is not an actor; the real id (a capability) attaches, but only the owner kills.
    await assert.rejects(b.actorHandle(c.actorId.replace(/a[0-9a-f-]{8}/, 'a00000000')), (err: Error) => err.name === 'ActorNotFoundError')
    const attached = await b.actorHandle<Counter>(c.actorId) as unknown as Counter
    assert.equal(await b.get(attached.incr.remote(1)), 6)
    await assert.rejects(b.kill(attached), (err: Error) => err.name === 'PermissionDeniedError' && /only its owner may kill it/.test(err.message))
    // In its namespace the name is found, and still only the owner kills a non-detached actor.
    const named = await b.getActor<Counter>('vault', { namespace: a.namespace }) as unknown as Counter
    await assert.rejects(b.kill(named), (err: Error) => err.name === 'PermissionDeniedError')
    assert.equal(await a.get(c.incr.remote(1)), 7, 'the actor lives on for its owner')
    await a.kill(c)
    await assert.rejects(a.get(c.incr.remote(1)), (err: Error) => err.name === 'ActorDiedError')
  })

  it('a detached actor outlives its job and is killed by name within its namespace', async () => {
    const owner = await cluster.connect(undefined, { namespace: 'team-a' })
    try {
      const mo = await owner.load<UntypedModule>(componentPath)
      const ctor = mo.Counter as unknown as { options: (o: object) => { create: (n: number) => Promise<Counter> } }
      assert.throws(() => ctor.options({ lifetime: 'detached' }), /a detached actor needs a name/)
      const d = await ctor.options({ name: 'keeper', lifetime: 'detached' }).create(100)
      assert.equal(await owner.get(d.incr.remote(1)), 101)
    } finally {
      await owner.stop()
    }
    const later = await cluster.connect(undefined, { namespace: 'team-a' })
    try {
      await new Promise(resolve => setTimeout(resolve, 1000))
      const found = await later.getActor<Counter>('keeper') as unknown as Counter
      assert.equal(await later.get(found.incr.remote(1)), 102, 'its state survived its job')
      await later.kill(found)
      await assert.rejects(later.getActor('keeper'), (err: Error) => err.name === 'ActorNotFoundError')
    } finally {
      await later.stop()
    }
  })

  it('a driver that dies takes its running tasks with it: the node is idle again within seconds', async () => {
    const script = path.join(cluster.dir, 'spin-driver.mts')
    fs.writeFileSync(script, [
      `import { Fabric } from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))}`,
      `const f = await Fabric.connect(${JSON.stringify(nodes[0]!.addr)})`,
      `const m = await f.load(${JSON.stringify(componentPath)})`,
      `m.spin.options({ scheduling: { nodeAffinity: ${JSON.stringify(nodes[0]!.peer)} }, timeoutMs: 600000 }).remote()`,
      "console.log('submitted')"
    ].join('\n'))
    const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    const status = await createStatusClient()
    try {
      await new Promise<void>((resolve, reject) => {
        proc.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('submitted')) resolve() })
        proc.once('exit', code => reject(new Error(`driver exited ${String(code)}`)))
      })
      const running = async (): Promise<number> => (await status.status(nodes[0]!.addr, { timeoutMs: 5000 })).self.work?.running ?? 0
      const deadline = Date.now() + 20_000
      while (await running() < 1) {
        if (Date.now() > deadline) assert.fail('the spinning task never started')
        await new Promise(resolve => setTimeout(resolve, 200))
      }
      proc.kill('SIGKILL')
      const killedAt = Date.now()
      while (await running() > 0) {
        if (Date.now() - killedAt > 15_000) assert.fail('the task of a dead driver still runs 15 s later')
        await new Promise(resolve => setTimeout(resolve, 200))
      }
    } finally {
      proc.kill('SIGKILL')
      await status.stop()
    }
  })
})
