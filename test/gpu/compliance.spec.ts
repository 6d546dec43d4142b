// The conformance suite (src/gpu/conformance.ts) against every backend this machine has: js
// always, cpu where the native addon loads, cuda where a device answers. A backend that is
// missing is reported with its reason, never faked.
import assert from 'node:assert/strict'
import { availableBackends, cudaBytesInUse, jsKernels, TensorOps, type Kernels } from '../../src/gpu/index.js'
import { checkCase, checkErrors, conformanceCases, memoryGrowth, seededRandom } from '../../src/gpu/conformance.js'

const { kernels: backends, missing } = availableBackends()
const cases = conformanceCases()
const groups = [...new Set(cases.map(c => c.group))]

describe('gpu compliance', () => {
  it(`finds the backends of this machine (${backends.map(k => k.description).join('; ')})`, () => {
    for (const m of missing) console.log(`      (no ${m.kind} backend here: ${m.reason})`)
    assert.ok(backends.some(k => k.kind === 'js'))
  })

  for (const kernels of backends) {
    describe(kernels.description, () => {
      const ops = new TensorOps(kernels)
      const ref = new TensorOps(jsKernels as Kernels)

      for (const group of groups) {
        const mine = cases.filter(c => c.group === group)
        it(`${group}: ${mine.length} cases match the reference on fresh random inputs`, () => {
          const random = seededRandom(Date.now())
          const failed = mine.map(c => checkCase(ops, ref, c, random)).filter(r => !r.ok)
          assert.deepEqual(failed.map(r => `${r.name}: error ${r.maxError.toExponential(2)} > ${r.tol} (${r.message ?? ''})`), [])
        })
      }

      it('refuses shapes that do not fit with typed errors that say why', () => {
        const results = checkErrors(ops, kernels.kind === 'js' ? undefined : ref)
        assert.deepEqual(results.filter(r => !r.ok).map(r => `${r.name}: ${r.message}`), [])
      })

      it('10,000 create/op/drop cycles leave memory flat', function () {
        this.timeout(120_000)
        const gc = (globalThis as { gc?: () => void }).gc
        const grew = memoryGrowth(ops, () => {
          gc?.()
          return kernels.kind === 'cuda' ? cudaBytesInUse() : process.memoryUsage().arrayBuffers
        })
        // The cycles allocate ~470 MiB in all; one leaked buffer per cycle would be 160 MiB (the
        // margin is for buffers the collector has not swept yet).
        assert.ok(grew < 32 * 1024 * 1024, `memory grew by ${(grew / 2 ** 20).toFixed(1)} MiB over 10,000 cycles`)
      })
    })
  }
})
