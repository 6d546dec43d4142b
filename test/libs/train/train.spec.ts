// wasm-fabric/train on an embedded fabric: two workers gang-scheduled in a placement group train
// data-parallel on their shards, reporting live; checkpoints are objects and files; a worker that
// fails restarts the gang from the last checkpoint (maxFailures), or fails the run; a run resumes
// from a checkpoint; and a 2-worker run on a Fashion-MNIST subset improves its test accuracy.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Fabric, type GuestModule } from '../../../src/index.js'
import { data } from '../../../src/libs/data/index.js'
import * as train from '../../../src/libs/train/index.js'
import { fixtureComponent, tempDir, REPO } from '../../helpers/fixtures.js'
import { skipBecause } from '../../helpers/skip.js'
import { fashionMnist, haveFashionMnist, FASHION_MNIST_DIR } from '../../../examples/fashion-mnist.js'
import { cachedBuild } from '../../../guest-sdk/src/build/cached-build.js'

type Lin = GuestModule<typeof import('../../fixtures/guests/ts-train/train.js')>
type Mlp = GuestModule<typeof import('../../../examples/guests/fashion-mlp.js')>

/** Rows of y = 2 x0 - x1 + 0.5 x2 + 1 (exact). */
function rows (n: number): Array<{ x: number[], y: number }> {
  return Array.from({ length: n }, (_v, i) => {
    const x = [Math.sin(i), Math.cos(i * 1.3), ((i * 37) % 100) / 50 - 1]
    return { x, y: 2 * x[0]! - x[1]! + 0.5 * x[2]! + 1 }
  })
}

describe('libs/train: data-parallel training (embedded fabric)', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let dir: ReturnType<typeof tempDir>
  let fabric: Fabric
  let m: Lin

  before(async () => {
    cache = tempDir()
    dir = tempDir()
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Lin>(await fixtureComponent('guests/ts-train/train.ts'))
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
    dir?.remove()
  })

  it('two workers train on their shards, report each epoch live, and keep checkpoints as objects and files', async () => {
    const live: train.Report[] = []
    const ds = data(fabric).fromItems(rows(1000), { parallelism: 10 })
    const result = await train.dataParallel(fabric, m.Worker, {
      numWorkers: 2,
      config: { epochs: 6, batchSize: 50, lr: 0.1 },
      datasets: { train: ds },
      storagePath: dir.dir,
      name: 'lin',
      onReport: r => live.push(r)
    }).fit()
    assert.equal(result.attempts, 1)
    assert.deepEqual(result.failures, [])
    assert.equal(live.length, 12, 'a report per epoch per worker, each told as it came')
    assert.deepEqual(live.filter(r => r.rank === 0).map(r => r.metrics.epoch), [0, 1, 2, 3, 4, 5])
    // The same steps on both workers: 500 rows each, 10 batches of 50.
    for (const r of live) assert.equal(r.metrics.steps, 10)
    const losses = live.filter(r => r.rank === 0).map(r => r.metrics.loss as number)
    assert.ok(losses.at(-1)! < losses[0]! / 10, `loss ${losses.join(' -> ')}`)
    assert.equal(result.metrics.epoch, 5)
    // The last checkpoint: an object, and a file (two kept).
    const ckpt = result.checkpoint!
    const state = await fabric.get(ckpt.ref) as { epoch: number, model: Record<string, Float32Array> }
    assert.equal(state.epoch, 5)
    assert.ok(state.model.weight instanceof Float32Array && state.model.weight.length === 3)
    assert.ok(Math.abs(state.model.weight[0]! - 2) < 0.1, `weights ${Array.from(state.model.weight).join(', ')}`)
    assert.ok(fs.existsSync(ckpt.path!))
    assert.equal(fs.readdirSync(path.join(dir.dir, 'lin')).length, 2)
    // Everything the run held is given back: every CPU free, no placement group left.
    assert.equal(fabric.nodes()[0]!.cpus.available, 2)
  })

  it('a worker that fails restarts the gang from the last checkpoint (maxFailures); without restarts the run fails', async () => {
    const ds = data(fabric).fromItems(rows(400), { parallelism: 4 })
    const reports: train.Report[] = []
    const result = await train.dataParallel(fabric, m.Worker, {
      numWorkers: 2,
      config: { epochs: 5, batchSize: 50, lr: 0.1, failAt: { attempt: 0, epoch: 3, rank: 1 } },
      datasets: { train: ds },
      maxFailures: 1,
      onReport: r => reports.push(r)
    }).fit()
    assert.equal(result.attempts, 2)
    assert.match(result.failures[0]!, /fails in epoch 3 as told/)
    const second = reports.filter(r => r.attempt === 1 && r.rank === 0)
    // Epoch 2 was the last checkpoint before the failure: the second attempt goes on from epoch 3.
    assert.deepEqual(second.map(r => r.metrics.epoch), [3, 4])
    assert.equal(second[0]!.metrics.resumed, 2)

    await assert.rejects(train.dataParallel(fabric, m.Worker, {
      numWorkers: 2,
      config: { epochs: 3, batchSize: 50, lr: 0.1, failAt: { attempt: 0, epoch: 1, rank: 0 } },
      datasets: { train: ds }
    }).fit(), (e: Error) => e.name === 'TrainingFailedError' && /failed 1 time \(maxFailures 0\).*fails in epoch 1/.test(e.message))
    assert.equal(fabric.nodes()[0]!.cpus.available, 2)
  })

  it('resumes from a checkpoint of an earlier run', async () => {
    const ds = data(fabric).fromItems(rows(200), { parallelism: 2 })
    const first = await train.dataParallel(fabric, m.Worker, { numWorkers: 2, config: { epochs: 2, batchSize: 50, lr: 0.1 }, datasets: { train: ds } }).fit()
    const again = await train.dataParallel(fabric, m.Worker, { numWorkers: 2, config: { epochs: 4, batchSize: 50, lr: 0.1 }, datasets: { train: ds }, resumeFrom: first.checkpoint! }).fit()
    assert.deepEqual(again.history.filter(r => r.rank === 0).map(r => r.metrics.epoch), [2, 3])
  })

  it('refuses bad options and a loop that is not a generator, saying what is wrong', async () => {
    assert.throws(() => train.dataParallel(fabric, m.Worker, { numWorkers: 0 }), /numWorkers must be an integer >= 1/)
    assert.throws(() => train.dataParallel(fabric, m.Worker, { numWorkers: 1, epochs: 3 } as never), /unknown option epochs/)
    assert.throws(() => train.dataParallel(fabric, {} as never, { numWorkers: 1 }), /an actor class of a loaded component/)
    await assert.rejects(train.dataParallel(fabric, m.Worker, { numWorkers: 1, loop: 'plain' }).fit(), /must be a generator method/)
    // More workers than the fabric can ever hold: the placement group fails at once (embedded).
    await assert.rejects(train.dataParallel(fabric, m.Worker, { numWorkers: 3 }).fit(), (e: Error) => e.name === 'TrainingFailedError' && /can never be placed/.test(e.message))
  })
})

describe('libs/train: Fashion-MNIST subset, 2 workers', function () {
  this.timeout(300_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric

  before(async function () {
    if (!haveFashionMnist()) skipBecause(this, `no Fashion-MNIST at ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist; .ci/run installs it)`)
    cache = tempDir()
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('an MLP trained data-parallel on 6,000 images improves its test accuracy past 0.7', async () => {
    const wasm = await cachedBuild(path.join(REPO, 'examples', 'guests', 'fashion-mlp.ts'), path.join(cache.dir, 'build'))
    const m = await fabric.load<Mlp>(wasm)
    const { train: trainSet, test } = fashionMnist(data(fabric), { train: 6000, test: 1000 })
    const result = await train.dataParallel(fabric, m.Worker, {
      numWorkers: 2,
      config: { epochs: 3, batchSize: 100, lr: 2e-3, hidden: 64, seed: 1 },
      datasets: { train: trainSet, test }
    }).fit()
    const acc = result.history.filter(r => r.rank === 0).map(r => r.metrics.accuracy as number)
    assert.equal(acc.length, 3)
    assert.ok(acc.at(-1)! > acc[0]! - 0.01 && acc.at(-1)! >= 0.7, `test accuracy by epoch ${acc.join(', ')}`)
  })
})
