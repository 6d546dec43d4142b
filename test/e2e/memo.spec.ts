// End to end: memoised tasks across `fabric join` processes (issue 19). Two drivers (two jobs) on a
// 3-process fabric call the same memoised task on different nodes: it runs once (counted in the
// guest's log lines, which reach each driver), and both get identical results; changing one
// argument byte runs it again. A large result travels by CID from the node that holds it.
import assert from 'node:assert/strict'
import type { ConnectedFabric, GuestModule } from '../../src/index.js'
import type { LogLine } from '../../src/runtime/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { waitFor } from '../helpers/wait-for.js'
import { Cluster, type Joined } from './cluster.js'

type Memo = GuestModule<typeof import('../fixtures/guests/ts/memo.js')>

describe('e2e: memoised tasks across fabric join processes (/fabric/memo/1 and memo gossip)', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let nodes: Joined[]
  let a: ConnectedFabric
  let b: ConnectedFabric
  let ma: Memo
  let mb: Memo
  const lines: LogLine[] = []
  const ran = (prefix: string): LogLine[] => lines.filter(l => l.message.startsWith(prefix))
  const on = (n: Joined): { scheduling: { nodeAffinity: string } } => ({ scheduling: { nodeAffinity: n.peer } })
  /** Log lines reach a driver a little after the result: wait that long before saying none came. */
  const settle = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 1500)) }

  before(async () => {
    const component = await fixtureComponent('guests/ts/memo.ts')
    nodes = await cluster.start(3)
    ;[a, b] = await Promise.all([
      cluster.connect(3, { log: line => { lines.push(line) } }, nodes[0]),
      cluster.connect(3, { log: line => { lines.push(line) } }, nodes[1])
    ])
    ;[ma, mb] = await Promise.all([a.load<Memo>(component), b.load<Memo>(component)])
  })

  after(async () => {
    await a?.stop()
    await b?.stop()
    await cluster.stop()
  })

  it('a memoised task called from two drivers on different nodes runs once; the results are identical', async () => {
    assert.notEqual(a.jobId, b.jobId)
    const bytes = new Uint8Array(10_000).map((_, i) => (i * 31) & 0xff)
    const first = await a.get(ma.checksum.options({ memo: true, ...on(nodes[0]!) }).remote(bytes))
    await waitFor(() => ran('ran checksum').length === 1, 'the first run\'s log line', 10_000)
    assert.equal(ran('ran checksum')[0]!.node, nodes[0]!.peer)
    // At once (a lookup) on another node, and later (a gossiped hint) on the third.
    const second = await b.get(mb.checksum.options({ memo: true, ...on(nodes[1]!) }).remote(bytes.slice()))
    await settle()
    const third = await b.get(mb.checksum.options({ memo: true, ...on(nodes[2]!) }).remote(bytes.slice()))
    const again = await a.get(ma.checksum.options({ memo: true, ...on(nodes[2]!) }).remote(bytes.slice()))
    await settle()
    assert.deepEqual([second, third, again], [first, first, first])
    assert.equal(ran('ran checksum').length, 1, JSON.stringify(ran('ran checksum')))

    // One byte changed: another call, which runs.
    const changed = bytes.slice()
    changed[4321] ^= 0x80
    const other = await b.get(mb.checksum.options({ memo: true, ...on(nodes[1]!) }).remote(changed))
    assert.notDeepEqual(other, first)
    await waitFor(() => ran('ran checksum').length === 2, 'the changed call runs', 10_000)
    assert.equal(ran('ran checksum')[1]!.job, b.jobId)
  })

  it('a large memoised result is pulled by CID from the node that holds it, the same bytes', async () => {
    const big = await a.get(ma.expand.options({ memo: true, ...on(nodes[2]!) }).remote(9, 400_000)) as Uint8Array
    const fromB = await b.get(mb.expand.options({ memo: true, ...on(nodes[0]!) }).remote(9, 400_000)) as Uint8Array
    await settle()
    assert.equal(ran('ran expand 9').length, 1)
    assert.equal(fromB.length, 400_000)
    assert.deepEqual(fromB, big)
  })

  it('a task the guest declared memoised is memoised across drivers without asking', async () => {
    assert.equal(await a.get(ma.declared.options(on(nodes[1]!)).remote(41)), 42)
    assert.equal(await b.get(mb.declared.options(on(nodes[2]!)).remote(41)), 42)
    await settle()
    assert.equal(ran('ran declared 41').length, 1)
  })
})
