// End to end: a tuning run over three `fabric join` processes, one of them SIGKILLed mid-run.
// Trials whose actors died with it are recreated on the living nodes and resume from their last
// checkpoint (an object the driver owns), so every trial's history is still exactly its curve.
import assert from 'node:assert/strict'
import type { ConnectedFabric, GuestModule } from '../../src/index.js'
import * as tune from '../../src/libs/tune/index.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { Cluster, type Joined } from './cluster.js'

type Trainables = GuestModule<typeof import('../fixtures/guests/ts/tune-trainables.js')>

describe('e2e: tune across fabric join processes', function () {
  this.timeout(180_000)
  let cluster: Cluster
  let nodes: Joined[]
  let fabric: ConnectedFabric
  let m: Trainables

  before(async () => {
    cluster = new Cluster()
    const componentPath = fixtureComponent('guests/ts/tune-trainables.ts')
    nodes = await cluster.start(3)
    fabric = await cluster.connect()
    // Each node compiles the component once, before the run: trials' actors then spread over the
    // three 1-CPU nodes at once, one on each.
    m = await fabric.load<Trainables>(await componentPath)
    for (const node of nodes) await fabric.kill(await m.Curve.options({ scheduling: { nodeAffinity: node.peer } }).create())
  })

  after(async () => {
    await fabric?.stop()
    await cluster?.stop()
  })

  it('a node SIGKILLed mid-tuning: its trials resume elsewhere from their checkpoints and every result is still right', async () => {
    const iterations = 30
    // Kill once three trials (one actor on each 1-CPU node) have each reported twice.
    const seen = new Map<string, number>()
    let killed = false
    let killedHeld = false
    // The trainable as given, noting where each trial's actor was placed.
    const placed: string[] = []
    const curve = {
      create: m.Curve.create,
      options: (o: Parameters<typeof m.Curve.options>[0]) => ({
        create: async () => {
          const h = await m.Curve.options(o).create()
          placed.push(String(fabric.actorInfo(h).peer))
          return h
        }
      })
    }
    const grid = await tune.tuner(fabric, curve, {
      paramSpace: { floor: tune.grid([0.6, 0.5, 0.4, 0.3, 0.2, 0.1]), rate: 2 },
      metric: 'loss',
      mode: 'min',
      maxConcurrentTrials: 3,
      maxFailures: 3,
      stop: (id, r) => {
        seen.set(id, (seen.get(id) ?? 0) + 1)
        if (!killed && [...seen.values()].filter(n => n >= 2 && n < iterations).length >= 3) { killed = true; killedHeld = placed.includes(nodes[1]!.peer); nodes[1]!.proc.kill('SIGKILL') }
        return r.trainingIteration >= iterations
      }
    }).fit()
    assert.ok(killed, 'the node was killed while trials ran')
    assert.ok(killedHeld, 'a trial\'s actor was on the killed node')
    assert.equal(grid.trials.length, 6)
    for (const t of grid.trials) {
      assert.equal(t.status, 'terminated', `${t.id}: ${String(t.error)}`)
      const c = t.config as { floor: number, rate: number }
      assert.deepEqual(t.history.map(r => r.t), Array.from({ length: iterations }, (_, i) => i + 1), `${t.id}'s iterations`)
      assert.deepEqual(t.history.map(r => r.loss), t.history.map(r => c.floor + 1 / (1 + c.rate * (r.t as number))))
    }
    assert.ok(grid.trials.some(t => t.failures > 0), 'some trial lost its actor with the node and was resumed')
    assert.equal(grid.best().config.floor, 0.1)
  })
})
