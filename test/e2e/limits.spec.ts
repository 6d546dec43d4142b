// Node ceilings and per-peer quotas (issue 13): a `fabric join` node started with `--limit` refuses
// work past them with QuotaExceededError naming the quota and its limit, ends a task that sets no
// timeout at the node's task-time ceiling, and takes work again once the peer is back under.
import assert from 'node:assert/strict'
import { type ConnectedFabric, type ObjectRef, type RemoteActorClass, type UntypedModule } from '../../src/index.js'
import { parseLimits } from '../../src/cli/join.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'

const isQuota = (quota: string, limit: number) => (err: Error & { quota?: string, limit?: number }): boolean => {
  assert.equal(err.name, 'QuotaExceededError', `${err.name}: ${err.message}`)
  assert.equal(err.quota, quota)
  assert.equal(err.limit, limit)
  return true
}

describe('e2e: node ceilings and per-peer quotas (fabric join --limit)', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let node: Joined
  let fabric: ConnectedFabric
  let m: UntypedModule

  before(async () => {
    const componentPath = await fixtureComponent('guests/ts/kitchen.ts')
    ;[node] = await cluster.start(1, () => ['--cpus', '2', '--limit', 'actors=2,task-time=3000,retries=5', '--limit', 'stored-bytes=300000'])
    fabric = await cluster.connect()
    m = await fabric.load<UntypedModule>(componentPath)
  })

  after(async () => {
    await fabric?.stop()
    await cluster.stop()
  })

  it('parses --limit flags and refuses unknown names and bad numbers, saying which', () => {
    assert.deepEqual(parseLimits(['actors=2,task-time=3000', 'pulls=8']), { actorsPerPeer: 2, maxTaskMs: 3000, pullsPerPeer: 8 })
    assert.throws(() => parseLimits(['cpus=2']), /--limit 'cpus=2': use name=N with a name of task-time, retries/)
    assert.throws(() => parseLimits(['actors=-1']), /--limit actors: '-1' is not a positive integer/)
  })

  it('a task that sets no timeout ends at the node\'s ceiling; one asking for more, or for too many retries, is refused', async () => {
    const started = Date.now()
    await assert.rejects(fabric.get(m.spin!.remote() as ObjectRef), (err: Error) => err.name === 'TaskTimeoutError')
    assert.ok(Date.now() - started < 20_000, 'the ceiling ended it')
    await assert.rejects(fabric.get(m.add!.options({ timeoutMs: 60_000 }).remote(1, 2) as ObjectRef), isQuota('task-time', 3000))
    await assert.rejects(fabric.get(m.add!.options({ maxRetries: 6 }).remote(1, 2) as ObjectRef), isQuota('retries', 5))
    assert.equal(await fabric.get(m.add!.options({ timeoutMs: 2000, maxRetries: 5 }).remote(1, 2) as ObjectRef<number>), 3)
  })

  it('a peer past its actors quota is refused; once one is killed it may create another', async () => {
    const Counter = m.Counter! as unknown as RemoteActorClass<[number], { incr: (n: number) => number }>
    const a = await Counter.create(1)
    const b = await Counter.create(2)
    await assert.rejects(Counter.create(3), isQuota('actors', 2))
    await fabric.kill(a)
    const c = await Counter.create(4)
    assert.equal(await fabric.get(c.incr.remote(1)), 5)
    await fabric.kill(b)
    await fabric.kill(c)
  })

  it('a peer past its stored-bytes quota gets QuotaExceededError for the result that would pass it; freed, it fits again', async () => {
    const big = 'q'.repeat(200_000)
    const first = m.echo!.remote(big) as ObjectRef<string>
    assert.equal(await fabric.get(first), big)
    await assert.rejects(fabric.get(m.echo!.remote('r'.repeat(200_000)) as ObjectRef), isQuota('stored-bytes', 300000))
    fabric.free(first)
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        assert.equal((await fabric.get(m.echo!.remote('s'.repeat(200_000)) as ObjectRef<string>)).length, 200_000)
        break
      } catch (err) {
        if ((err as Error).name !== 'QuotaExceededError' || Date.now() > deadline) throw err
        await new Promise(resolve => setTimeout(resolve, 200)) // the release is on its way to the node
      }
    }
    assert.ok(node.stdout().includes('ready'))
  })
})
