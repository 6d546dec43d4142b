// A tuning run's state as JSON: search spaces and checkpoint values (typed arrays, bigints, Maps)
// come back as they were; a file that is not a run's state is refused saying what it expected.
import assert from 'node:assert/strict'
import * as tune from '../../../src/libs/tune/index.js'
import { isDomain } from '../../../src/libs/tune/search-space.js'
import { stateFromJson, stateToJson, type TuneState } from '../../../src/libs/tune/storage.js'

describe('tune: stored state', () => {
  it('a state round-trips: domains stay domains, checkpoint values keep their types', () => {
    const state: TuneState = {
      version: 1,
      init: { paramSpace: { lr: tune.loguniform(1e-4, 1), net: { layers: tune.choice([1, 2]), act: 'relu' }, g: tune.grid([1, 2]), n: tune.randint(1, 9), u: tune.uniform(0, 1) }, metric: 'loss', mode: 'min', numSamples: 4, searchAlg: 'tpe', seed: 3, stop: { trainingIteration: 5 }, maxFailures: 1, checkpointFrequency: 1 },
      trials: [{ id: 'trial_00000', index: 0, config: { lr: 0.01 }, status: 'pending', history: [{ loss: 1, trainingIteration: 1 }], iteration: 1, failures: 0, stoppedEarly: false, checkpoint: { iteration: 1, value: { w: new Float32Array([1.5, 2]), big: 12345678901234567890n, m: new Map([['a', 1]]), b: new Uint8Array([1, 2, 3]) } } }]
    }
    const back = stateFromJson(stateToJson(state))
    const space = back.init.paramSpace as { lr: unknown, net: { layers: unknown, act: string }, g: unknown, n: unknown, u: unknown }
    for (const d of [space.lr, space.net.layers, space.g, space.n, space.u]) assert.ok(isDomain(d))
    assert.deepEqual({ ...space.lr as object }, { kind: 'loguniform', low: 1e-4, high: 1 })
    assert.equal(space.net.act, 'relu')
    assert.deepEqual(back.trials[0]?.checkpoint?.value, state.trials[0]?.checkpoint?.value)
    assert.ok((back.trials[0]?.checkpoint?.value as { w: unknown }).w instanceof Float32Array)
  })

  it('something that is not a run\'s state is refused with TuneStateError', () => {
    assert.throws(() => stateFromJson('{', 'x.json'), { name: 'TuneStateError', message: /x\.json is not JSON/ })
    assert.throws(() => stateFromJson('{"version":2,"trials":[]}', 'x.json'), { name: 'TuneStateError', message: /not a tuning run's state .*storagePath/ })
    assert.throws(() => stateFromJson('{"version":1,"init":{"metric":"m","paramSpace":{"a":{"$domain":{"kind":"weird"}}}},"trials":[]}'), { name: 'TuneStateError', message: /unknown domain kind weird/ })
  })
})
