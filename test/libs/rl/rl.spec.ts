// wasm-fabric/rl: CartPole-v1's dynamics and limits (the guest SDK's environment, run here as
// plain code), the vectorised form's resets, and PPO on an embedded fabric: its return improves
// within a bounded number of steps, a dead rollout worker is replaced, and a run restores from a
// checkpoint.
import assert from 'node:assert/strict'
import { Fabric } from '../../../src/index.js'
import * as rl from '../../../src/libs/rl/index.js'
import { CartPole, VectorEnv, makeEnv, registerEnv } from '../../../guest-sdk/src/rl/envs.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('rl: CartPole-v1 environment', () => {
  it('follows the classic dynamics: one step of force from a known state', () => {
    const env = new CartPole(3)
    const o = env.reset()
    assert.equal(o.length, 4)
    for (const v of o) assert.ok(Math.abs(v) <= 0.05)
    // From [x, ẋ, θ, θ̇] = o, a push right: Euler step with Gymnasium's constants, worked here.
    const [x, xd, th, thd] = Array.from(o) as [number, number, number, number]
    const temp = (10 + 0.05 * thd * thd * Math.sin(th)) / 1.1
    const thacc = (9.8 * Math.sin(th) - Math.cos(th) * temp) / (0.5 * (4 / 3 - 0.1 * Math.cos(th) ** 2 / 1.1))
    const xacc = temp - 0.05 * thacc * Math.cos(th) / 1.1
    const r = env.step(1)
    const want = [x + 0.02 * xd, xd + 0.02 * xacc, th + 0.02 * thd, thd + 0.02 * thacc]
    Array.from(r.observation).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `state ${i}: ${v} vs ${want[i]}`))
    assert.equal(r.reward, 1)
    assert.equal(r.terminated, false)
  })

  it('terminates when the pole falls past 12° and truncates at 500 steps', () => {
    const env = new CartPole(1)
    env.reset()
    let steps = 0
    let r
    do { r = env.step(1); steps++ } while (!r.terminated && !r.truncated)
    assert.ok(r.terminated && steps < 50, `always pushing right ends the episode early (${steps} steps)`)
    assert.ok(Math.abs(r.observation[2]!) > 12 * Math.PI / 180 || Math.abs(r.observation[0]!) > 2.4)
    assert.throws(() => env.step(0), /after the episode ended/)
    assert.throws(() => new CartPole().reset() && new CartPole().step(0), /reset\(\) first/)
    // A balancing controller (push towards the pole's lean) keeps it up: truncated at 500.
    env.reset(5)
    steps = 0
    let o = env.reset(5)
    do { r = env.step(o[2]! + 0.5 * o[3]! > 0 ? 1 : 0); o = r.observation; steps++ } while (!r.terminated && !r.truncated)
    assert.equal(steps, 500)
    assert.equal(r.truncated, true)
    assert.equal(r.terminated, false)
  })

  it('the same seed gives the same episode; VectorEnv resets finished episodes and counts their returns', () => {
    const a = new CartPole(9); const b = new CartPole(9)
    assert.deepEqual(Array.from(a.reset()), Array.from(b.reset()))
    const v = new VectorEnv(i => makeEnv('CartPole-v1', i), 3, 4)
    assert.equal(v.observations.length, 12)
    for (let t = 0; t < 200; t++) v.step([1, 1, 1])
    const eps = v.takeEpisodes()
    assert.ok(eps.length >= 3 && eps.every(e => e.return === e.length && e.length < 50), JSON.stringify(eps.slice(0, 4)))
    assert.deepEqual(v.takeEpisodes(), [])
    assert.throws(() => makeEnv('Nope-v0'), /no environment named 'Nope-v0' \(known: CartPole-v1/)
    registerEnv('Tiny-v0', () => new CartPole(0))
    assert.ok(makeEnv('Tiny-v0') instanceof CartPole)
  })
})

describe('rl: PPO on an embedded fabric', function () {
  this.timeout(300_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric

  before(async () => {
    cache = tempDir()
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('improves CartPole\'s return within 25,000 steps, replaces a dead rollout worker, and restores from a checkpoint', async () => {
    const algo = rl.ppo(fabric, { numRolloutWorkers: 2, seed: 3 })
    try {
      const first = await algo.train()
      assert.equal(first.stepsSampled, 256)
      assert.ok(first.learner.samples === 256 && Number.isFinite(first.learner.policyLoss))
      const early = first.episodeReturnMean
      let s = first
      let killed = false
      let replaced = 0
      while (s.totalSteps < 25_000) {
        if (!killed && s.iteration === 10) {
          await fabric.kill(algo.rolloutWorkers[1]!)
          killed = true
        }
        s = await algo.train()
        replaced += s.workersReplaced
      }
      assert.equal(replaced, 1, 'the killed worker was replaced once')
      assert.ok(s.episodeReturnMean > Math.max(100, 3 * early), `mean return ${early.toFixed(1)} -> ${s.episodeReturnMean.toFixed(1)} after ${s.totalSteps} steps`)
      const ckpt = await algo.checkpoint()
      const greedy = await algo.evaluate(10)
      assert.equal(greedy.returns.length, 10)
      // Another run from the checkpoint plays as well (greedy, the same seeds).
      const again = rl.ppo(fabric, { numRolloutWorkers: 1, seed: 3, workerCpus: 0 })
      try {
        await again.restore(ckpt)
        assert.deepEqual((await again.evaluate(10)).returns, greedy.returns)
        assert.equal((await again.checkpoint()).totalSteps, s.totalSteps)
      } finally {
        await again.stop()
      }
    } finally {
      await algo.stop()
    }
  })

  it('refuses bad options, saying what is wrong', () => {
    assert.throws(() => rl.ppo(fabric, { numRolloutWorkers: 0 }), /numRolloutWorkers must be an integer >= 1/)
    assert.throws(() => rl.ppo(fabric, { gamma: 2 }), /gamma must be a number in \[0, 1\]/)
    assert.throws(() => rl.ppo(fabric, { envs: 3 } as never), /unknown option envs/)
    assert.throws(() => rl.ppo(fabric, { module: {} }), /exporting RolloutWorker and PpoLearner/)
  })
})
