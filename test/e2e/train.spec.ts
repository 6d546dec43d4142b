// End to end: wasm-fabric/train across `fabric join` processes. Two workers gang-scheduled on two
// of three nodes train data-parallel (gradients all-reduced over /fabric/collective/1); when the
// node of one is SIGKILLed after the first checkpoint, the run tears the gang down, places it
// again on the nodes left and finishes from that checkpoint.
import assert from 'node:assert/strict'
import type { ConnectedFabric, GuestModule } from '../../src/index.js'
import { data } from '../../src/libs/data/index.js'
import * as train from '../../src/libs/train/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'

type Lin = GuestModule<typeof import('../fixtures/guests/ts-train/train.js')>

function rows (n: number): Array<{ x: number[], y: number }> {
  return Array.from({ length: n }, (_v, i) => {
    const x = [Math.sin(i), Math.cos(i * 1.3), ((i * 37) % 100) / 50 - 1]
    return { x, y: 2 * x[0]! - x[1]! + 0.5 * x[2]! + 1 }
  })
}

describe('e2e: data-parallel training across fabric join processes', function () {
  this.timeout(240_000)
  let cluster: Cluster
  let nodes: Joined[]
  let fabric: ConnectedFabric
  let m: Lin

  before(async () => {
    cluster = new Cluster()
    const component = await fixtureComponent('guests/ts-train/train.ts')
    nodes = await cluster.start(3)
    fabric = await cluster.connect()
    m = await fabric.load<Lin>(component)
  })

  after(async () => {
    await fabric?.stop()
    await cluster?.stop()
  })

  it('survives a worker\'s node SIGKILL: the gang is placed again and goes on from the last checkpoint', async () => {
    const ds = data(fabric).fromItems(rows(2000), { parallelism: 20 })
    const reports: train.Report[] = []
    let killed: string | undefined
    const result = await train.dataParallel(fabric, m.Worker, {
      numWorkers: 2,
      placementStrategy: 'SPREAD',
      maxFailures: 2,
      config: { epochs: 12, batchSize: 20, lr: 0.05 },
      datasets: { train: ds },
      onReport: r => {
        reports.push(r)
        // After rank 0's first checkpoint, the node of rank 1 dies.
        if (killed === undefined && r.rank === 0 && r.checkpoint !== undefined && r.metrics.epoch === 1) {
          const victim = reports.find(x => x.rank === 1 && x.attempt === 0)?.node
          const node = nodes.find(n => n.peer === victim)
          if (node !== undefined) {
            killed = node.peer
            node.proc.kill('SIGKILL')
          }
        }
      }
    }).fit()
    assert.ok(killed !== undefined, 'a worker\'s node was killed')
    assert.ok(result.attempts >= 2, `attempts ${result.attempts}, failures ${result.failures.join(' | ')}`)
    const last = reports.filter(r => r.attempt === result.attempts - 1)
    assert.ok(last.every(r => r.node !== killed), 'the last attempt ran on the nodes left')
    assert.ok(new Set(last.map(r => r.node)).size === 2, 'its two workers on two nodes (SPREAD)')
    // It went on from a checkpoint, not from scratch, and finished every epoch.
    const resumed = last.find(r => r.rank === 0)!.metrics.resumed as number
    assert.ok(resumed >= 1, `resumed from epoch ${resumed}`)
    assert.equal(result.metrics.epoch, 11)
    assert.ok((result.metrics.loss as number) < 0.01, `final loss ${String(result.metrics.loss)}`)
  })
})
