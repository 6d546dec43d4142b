// The conformance suite (src/gpu/conformance.ts) against every backend this machine has: js
// always, cpu where the native addon loads, cuda where a device answers. A backend that is
// missing is reported with its reason, never faked. The random cases use this run's seed
// (printed; FABRIC_TEST_SEED replays it); the known answers check the reference itself.
import assert from 'node:assert/strict'
import { availableBackends, cudaBytesInUse, jsKernels, TensorOps, type Kernels } from '../../src/gpu/index.js'
import { checkCase, checkErrors, checkKnownAnswer, conformanceCases, knownAnswerCases, memoryGrowth, seededRandom } from '../../src/gpu/conformance.js'
import { testSeed } from '../helpers/seed.js'

const { kernels: backends, missing } = availableBackends()
const cases = conformanceCases()
const groups = [...new Set(cases.map(c => c.group))]
const known = knownAnswerCases()
const knownGroups = [...new Set(known.map(c => c.group))]

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
          const random = seededRandom(testSeed())
          const failed = mine.map(c => checkCase(ops, ref, c, random)).filter(r => !r.ok)
          assert.deepEqual(failed.map(r => `${r.name}: error ${r.maxError.toExponential(2)} > ${r.tol} (${r.message ?? ''})`), [])
        })
      }

      for (const group of knownGroups) {
        const mine = known.filter(c => c.group === group)
        it(`${group}: ${mine.length} known answers worked by hand`, () => {
          const failed = mine.map(c => checkKnownAnswer(ops, c)).filter(r => !r.ok)
          assert.deepEqual(failed.map(r => `${r.name}: ${r.message ?? ''}`), [])
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

  // The known answers must be able to fail: a reference with a wrong softmax or gelu (which the
  // random cases, comparing it with itself, would pass) fails them.
  for (const [what, broken, group] of [
    ['softmax without the max shift', { ...jsKernels, softmax: brokenSoftmax }, 'softmax'],
    ['gelu as 0.5x(1 + tanh x)', { ...jsKernels, unary: brokenGelu }, 'unary'],
    ['a matmul that ignores transposition', { ...jsKernels, gemm: (a, b, c, batch, m, n, k, _ta, _tb, sa, sb) => jsKernels.gemm(a, b, c, batch, m, n, k, 0, 0, sa, sb) }, 'matmul']
  ] as Array<[string, typeof jsKernels, string]>) {
    it(`the known answers catch a reference with ${what}`, () => {
      const ops = new TensorOps(broken as Kernels)
      const ref = new TensorOps(broken as Kernels)
      const random = seededRandom(1)
      assert.ok(cases.filter(c => c.group === group).every(c => checkCase(ops, ref, c, random).ok), 'the random cases pass it (they compare it with itself)')
      const failed = known.filter(c => c.group === group).map(c => checkKnownAnswer(ops, c)).filter(r => !r.ok)
      assert.ok(failed.length > 0, 'no known answer failed')
    })
  }
})

/** exp(x) / Σ exp without subtracting the max: right for small inputs, NaN where exp overflows. */
function brokenSoftmax (a: Float32Array, c: Float32Array, outer: number, dim: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i
      let total = 0
      for (let d = 0; d < dim; d++) total += Math.exp(a[base + d * inner]!)
      for (let d = 0; d < dim; d++) c[base + d * inner] = Math.exp(a[base + d * inner]!) / total
    }
  }
}

/** A plausible-looking wrong gelu for op 1 (gelu); the other unary ops as the reference. */
function brokenGelu (op: number, a: Float32Array, c: Float32Array, n: number): void {
  if (op !== 1) { jsKernels.unary(op, a, c, n); return }
  for (let i = 0; i < n; i++) c[i] = 0.5 * a[i]! * (1 + Math.tanh(a[i]!))
}
