// The guest SDK's nn module in a real QuickJS component, on every GPU-bridge backend this machine
// has (js always, cpu where the addon loads; cuda is checked by bench/gpu/device-check.sh on a GPU
// machine): every differentiable op's gradient against central finite differences, small
// training runs with SGD and Adam, a long-lived actor's loop with flat host memory (tidy), and
// parameters round-tripped through a flat array and a state dict.
import assert from 'node:assert/strict'
import { Fabric, type GuestModule } from '../../src/index.js'
import { availableBackends } from '../../src/gpu/select.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { testSeed } from '../helpers/seed.js'

type Nn = GuestModule<typeof import('../fixtures/guests/ts-nn/nn.js')>

const backends = availableBackends().kernels.map(k => k.kind).filter(k => k !== 'cuda')

for (const backend of backends) {
  describe(`guest nn on the ${backend} backend (FABRIC_GPU_BACKEND=${backend})`, function () {
    this.timeout(180_000)
    let cache: ReturnType<typeof tempDir>
    let fabric: Fabric
    let m: Nn
    const previous = process.env.FABRIC_GPU_BACKEND

    before(async () => {
      cache = tempDir()
      // Workers read it when they start: this fabric's guests use that backend.
      process.env.FABRIC_GPU_BACKEND = backend
      fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
      m = await fabric.load<Nn>(await fixtureComponent('guests/ts-nn/nn.ts'))
    })

    after(async () => {
      await fabric?.stop()
      cache?.remove()
      if (previous === undefined) delete process.env.FABRIC_GPU_BACKEND
      else process.env.FABRIC_GPU_BACKEND = previous
    })

    it('every op\'s gradient matches central finite differences (within 5e-3 + 5%)', async () => {
      const seed = testSeed()
      const names = await fabric.get(m.caseNames.remote())
      assert.ok(names.length >= 14)
      const results = await fabric.get(names.map(n => m.gradCheck.remote(n, seed)))
      for (const r of results) assert.ok(r.backend.startsWith(backend), `ran on ${r.backend}`)
      const bad = results.map((r, i) => ({ name: names[i], ...r })).filter(r => !(r.worst <= 1))
      assert.deepEqual(bad.map(r => `${r.name!}: ${r.worst.toFixed(2)}x the tolerance at ${r.at}`), [], `seed ${seed} (FABRIC_TEST_SEED replays it)`)
      assert.ok(results.reduce((n, r) => n + r.checked, 0) > 400)
    })

    it('SGD with momentum and Adam each learn two spirals (loss down, accuracy up)', async () => {
      for (const opt of ['sgd', 'adam'] as const) {
        const r = await fabric.get(m.trainSpirals.remote(opt, 200))
        assert.ok(r.after.loss < r.before.loss / 4, `${opt}: loss ${r.before.loss} -> ${r.after.loss}`)
        assert.ok(r.after.accuracy >= 0.95, `${opt}: accuracy ${r.before.accuracy} -> ${r.after.accuracy}`)
      }
    })

    it('an actor trains with tidy in flat host memory; parameters round-trip through a flat array and a state dict', async () => {
      const t = await m.Trainer.create()
      const first = await fabric.get(t.steps.remote(5, true))
      const later = await fabric.get(t.steps.remote(300, true))
      assert.ok(later < first, `loss ${first} -> ${later}`)
      assert.equal(await fabric.get(t.roundTrip.remote()), true)
      await fabric.kill(t)
    })
  })
}

describe('guest nn: host memory of a training loop', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let m: Nn
  const previous = process.env.FABRIC_GPU_MAX_BYTES

  before(async () => {
    cache = tempDir()
    // 4 MiB of tensors per instance: 50 steps that free nothing need far more; steps under tidy far less.
    process.env.FABRIC_GPU_MAX_BYTES = String(4 * 1024 * 1024)
    fabric = await Fabric.start({ address: 'local', workers: 1, cacheDir: cache.dir, log: () => {} })
    m = await fabric.load<Nn>(await fixtureComponent('guests/ts-nn/nn.ts'))
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
    if (previous === undefined) delete process.env.FABRIC_GPU_MAX_BYTES
    else process.env.FABRIC_GPU_MAX_BYTES = previous
  })

  it('steps under tidy run for long within the instance\'s tensor budget; steps that free nothing run out of it', async () => {
    const tidy = await m.Trainer.create()
    assert.ok(Number.isFinite(await fabric.get(tidy.steps.remote(500, true))))
    const leaky = await m.Trainer.create()
    await assert.rejects(fabric.get(leaky.steps.remote(500, false)), (e: Error) => /out-of-memory|over its limit/.test(`${(e as { kind?: string }).kind ?? ''} ${e.message}`))
  })
})
