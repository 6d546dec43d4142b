// One compliance suite, run against every backend this machine has (js always; cpu where the
// native addon loads; cuda where a device answers): each op against the JS reference on fresh
// random inputs, odd shapes, typed errors for shape mismatches, and flat memory over 10,000
// create/drop cycles. A backend that is missing is reported with its reason, never faked.
import assert from 'node:assert/strict'
import { availableBackends, cudaBytesInUse, GpuError, jsKernels, TensorOps, type HostTensor, type Kernels } from '../../src/gpu/index.js'

/** Bounds: f32 elementwise 1e-5 relative; products and convolutions 1e-4. */
const ELEMENTWISE = 1e-5
const PRODUCT = 1e-4

let seed = 0x2545f491
function random (): number {
  // xorshift32: reproducible inputs, fresh per test.
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5
  return (seed >>> 0) / 2 ** 32
}
const rand = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => lo + (hi - lo) * random())
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1)

const ref = new TensorOps(jsKernels as Kernels)
type Op = (ops: TensorOps, t: (data: Float32Array, shape: number[]) => HostTensor) => HostTensor

/**
 * Run `op` on `backend` and on the reference over the same inputs; every element must be within
 * tol × max(|ref|, bound) where `bound` is the same op on |inputs| (for sums: what rounding
 * error scales with), or tol × |ref| for elementwise ops.
 */
function compare (ops: TensorOps, inputs: Array<[Float32Array, number[]]>, op: Op, tol: number, boundOp?: Op): void {
  const made: HostTensor[] = []
  const on = (o: TensorOps, abs = false) => {
    let i = 0
    return (_d: Float32Array, _s: number[]): HostTensor => {
      const [d, s] = inputs[i++]!
      const t = o.fromFloat32(s, abs ? d.map(Math.abs) : d)
      made.push(t)
      return t
    }
  }
  const got = ops.read(op(ops, on(ops)))
  const want = ref.read(op(ref, on(ref)))
  const bound = boundOp === undefined ? undefined : ref.read(boundOp(ref, on(ref, true)))
  assert.equal(got.length, want.length, 'element count')
  let worst = 0
  for (let i = 0; i < got.length; i++) {
    const scale = Math.max(Math.abs(want[i]!), bound === undefined ? 0 : Math.abs(bound[i]!), 1e-30)
    const err = Math.abs(got[i]! - want[i]!) / scale
    if (!(err <= tol)) assert.fail(`element ${i}: got ${got[i]}, want ${want[i]} (relative error ${err.toExponential(2)} > ${tol})`)
    worst = Math.max(worst, err)
  }
  for (const t of made) t.release()
}

const { kernels: backends, missing } = availableBackends()

describe('gpu compliance', () => {
  it(`finds the backends of this machine (${backends.map(k => k.description).join('; ')})`, function () {
    for (const m of missing) console.log(`      (no ${m.kind} backend here: ${m.reason})`)
    assert.ok(backends.some(k => k.kind === 'js'))
  })

  for (const kernels of backends) {
    describe(kernels.description, () => {
      const ops = new TensorOps(kernels)
      const x = (shape: number[], lo?: number, hi?: number): [Float32Array, number[]] => [rand(size(shape), lo, hi), shape]

      it('matmul: square, odd and degenerate shapes, every transpose combination, batches', () => {
        const cases: Array<[number, number, number]> = [[1, 1, 1], [1, 37, 1], [37, 1, 29], [1, 64, 65], [17, 33, 65], [64, 64, 64], [129, 257, 63]]
        for (const [m, k, n] of cases) {
          for (const ta of [false, true]) {
            for (const tb of [false, true]) {
              const a = x(ta ? [k, m] : [m, k])
              const b = x(tb ? [n, k] : [k, n])
              const op: Op = (o, t) => o.matmul(t(...a), t(...b), ta, tb)
              compare(ops, [a, b], op, PRODUCT, op)
            }
          }
        }
        const batchA = x([3, 5, 7, 9])
        const shared = x([9, 4])
        const own = x([3, 5, 9, 4])
        const op1: Op = (o, t) => o.matmul(t(...batchA), t(...shared))
        compare(ops, [batchA, shared], op1, PRODUCT, op1)
        const op2: Op = (o, t) => o.matmul(t(...batchA), t(...own))
        compare(ops, [batchA, own], op2, PRODUCT, op2)
        const wide = x([2, 300, 500])
        const tall = x([700, 300])
        const op3: Op = (o, t) => o.matmul(t(...wide), t(...tall), true, true)
        compare(ops, [wide, tall], op3, PRODUCT, op3)
      })

      it('linear: with and without bias, rank 1 to 3 inputs', () => {
        for (const xs of [[19], [5, 19], [2, 3, 19]]) {
          const xi = x(xs)
          const w = x([23, 19])
          const b = x([23])
          const withBias: Op = (o, t) => o.linear(t(...xi), t(...w), t(...b))
          compare(ops, [xi, w, b], withBias, PRODUCT, withBias)
          const noBias: Op = (o, t) => o.linear(t(...xi), t(...w))
          compare(ops, [xi, w], noBias, PRODUCT, noBias)
        }
      })

      it('add, sub, mul, div: same shape, suffix broadcast, one-element broadcast', () => {
        for (const op of ['add', 'sub', 'mul', 'div'] as const) {
          for (const [as, bs] of [[[7, 13], [7, 13]], [[4, 5, 6], [5, 6]], [[4, 5, 6], [6]], [[3, 17], [1]], [[1], [1]], [[1000], [1]], [[2, 1, 3], [1, 3]]]) {
            const a = x(as!)
            const b = op === 'div' ? x(bs!, 0.5, 2) : x(bs!)
            compare(ops, [a, b], (o, t) => o.binary(op, t(...a), t(...b)), ELEMENTWISE)
          }
        }
      })

      it('scale, relu, gelu, exp', () => {
        const a = x([3, 1001], -4, 4)
        compare(ops, [a], (o, t) => o.scale(t(...a), 0.37), ELEMENTWISE)
        compare(ops, [a], (o, t) => o.scale(t(...a), -3), ELEMENTWISE)
        for (const u of ['relu', 'gelu', 'exp'] as const) compare(ops, [a], (o, t) => o.unary(u, t(...a)), ELEMENTWISE)
        const big = x([70000], -10, 10)
        compare(ops, [big], (o, t) => o.unary('exp', t(...big)), ELEMENTWISE)
      })

      it('softmax along every axis, rows long and short', () => {
        const a = x([3, 4, 5], -5, 5)
        for (const axis of [0, 1, 2, -1, -3]) compare(ops, [a], (o, t) => o.softmax(t(...a), axis), ELEMENTWISE)
        const row = x([2, 50000], -20, 20)
        compare(ops, [row], (o, t) => o.softmax(t(...row), -1), ELEMENTWISE)
        const one = x([5, 1])
        compare(ops, [one], (o, t) => o.softmax(t(...one)), ELEMENTWISE)
      })

      it('sum and mean: all elements, each axis, keepDims', () => {
        const a = x([6, 7, 8])
        for (const r of ['sum', 'mean'] as const) {
          for (const axis of [undefined, 0, 1, 2, -1]) {
            for (const keep of [false, true]) {
              const op: Op = (o, t) => o.reduce(r, t(...a), axis, keep)
              compare(ops, [a], op, ELEMENTWISE * 10, op)
            }
          }
          const long = x([100003])
          const op: Op = (o, t) => o.reduce(r, t(...long))
          compare(ops, [long], op, ELEMENTWISE * 10, op)
        }
        const t = ops.reduce('sum', ops.fromFloat32([2, 3], new Float32Array(6)), 1, true)
        assert.deepEqual(t.shape, [2, 1])
        assert.deepEqual(ops.reduce('sum', ops.fromFloat32([2, 3], new Float32Array(6))).shape, [])
      })

      it('transpose (2-D, batched, odd sizes) and reshape (shares storage, infers -1)', () => {
        for (const s of [[1, 1], [1, 77], [77, 1], [33, 65], [3, 31, 17]]) {
          const a = x(s)
          compare(ops, [a], (o, t) => o.transpose(t(...a)), 0)
        }
        const a = x([4, 6])
        compare(ops, [a], (o, t) => o.reshape(t(...a), [3, -1, 2]), 0)
        const base = ops.fromFloat32([4, 6], a[0])
        const view = ops.reshape(base, [24])
        assert.deepEqual(view.shape, [24])
        base.release()
        assert.deepEqual(Array.from(ops.read(view)), Array.from(a[0]), 'a view outlives the tensor it was made from')
        view.release()
      })

      it('conv2d: stride, padding, bias, odd sizes, 1x1 kernels', () => {
        const cases: Array<{ n: number, c: number, h: number, w: number, k: number, r: number, s: number, stride: number, pad: number, bias: boolean }> = [
          { n: 1, c: 1, h: 5, w: 5, k: 1, r: 3, s: 3, stride: 1, pad: 0, bias: false },
          { n: 2, c: 3, h: 9, w: 11, k: 4, r: 3, s: 3, stride: 2, pad: 1, bias: true },
          { n: 1, c: 5, h: 7, w: 6, k: 3, r: 1, s: 1, stride: 1, pad: 0, bias: true },
          { n: 3, c: 2, h: 13, w: 8, k: 5, r: 5, s: 3, stride: 3, pad: 2, bias: false }
        ]
        for (const q of cases) {
          const input = x([q.n, q.c, q.h, q.w])
          const weight = x([q.k, q.c, q.r, q.s])
          const bias = x([q.k])
          const op: Op = q.bias ? (o, t) => o.conv2d(t(...input), t(...weight), t(...bias), q.stride, q.pad) : (o, t) => o.conv2d(t(...input), t(...weight), undefined, q.stride, q.pad)
          compare(ops, q.bias ? [input, weight, bias] : [input, weight], op, PRODUCT, op)
        }
      })

      it('refuses shapes that do not fit with typed errors naming both shapes', () => {
        const t = (shape: number[]) => ops.fromFloat32(shape, new Float32Array(size(shape)))
        const kind = (fn: () => unknown, want: string, text: RegExp): void => {
          assert.throws(fn, (err: unknown) => err instanceof GpuError && err.kind === want && text.test(err.message))
        }
        kind(() => ops.matmul(t([2, 3]), t([4, 5])), 'shape-mismatch', /\[2, 3\].*\[4, 5\]/)
        kind(() => ops.matmul(t([3]), t([3, 1])), 'shape-mismatch', /rank >= 2/)
        kind(() => ops.matmul(t([2, 2, 3]), t([3, 3, 1])), 'shape-mismatch', /batch dimensions/)
        kind(() => ops.binary('add', t([2, 3]), t([2])), 'shape-mismatch', /do not broadcast/)
        kind(() => ops.linear(t([2, 3]), t([4, 5])), 'shape-mismatch', /input features/)
        kind(() => ops.linear(t([2, 5]), t([4, 5]), t([5])), 'shape-mismatch', /bias/)
        kind(() => ops.conv2d(t([1, 3, 5, 5]), t([2, 4, 3, 3]), undefined), 'shape-mismatch', /channels/)
        kind(() => ops.conv2d(t([1, 1, 2, 2]), t([1, 1, 5, 5]), undefined), 'shape-mismatch', /larger than/)
        kind(() => ops.conv2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), undefined, 0), 'invalid-argument', /stride/)
        kind(() => ops.softmax(t([2, 3]), 2), 'invalid-argument', /axis 2/)
        kind(() => ops.reshape(t([2, 3]), [4, -1]), 'shape-mismatch', /cannot infer/)
        kind(() => ops.reshape(t([2, 3]), [7]), 'shape-mismatch', /6 elements/)
        kind(() => ops.fromFloat32([2, 2], new Float32Array(3)), 'invalid-argument', /needs 4 elements/)
        kind(() => ops.fromBytes([2], 'f16', new Uint8Array(4)), 'dtype-mismatch', /f16/)
        kind(() => ops.fromFloat32([2 ** 16, 2 ** 16], new Float32Array(1)), 'out-of-memory', /limit/)
        const gone = t([2, 2])
        gone.release()
        kind(() => ops.unary('relu', gone), 'released', /released/)
        if (kernels.kind !== 'js') kind(() => ops.binary('add', t([2]), ref.fromFloat32([2], new Float32Array(2))), 'invalid-argument', /backend/)
      })

      it('10,000 create/op/drop cycles leave memory flat', function () {
        this.timeout(120_000)
        const gc = (globalThis as { gc?: () => void }).gc
        const measure = (): number => {
          gc?.()
          return kernels.kind === 'cuda' ? cudaBytesInUse() : process.memoryUsage().arrayBuffers
        }
        const cycle = (): void => {
          const a = ops.fromFloat32([64, 64], rand(4096))
          const b = ops.unary('relu', a)
          const c = ops.reshape(b, [4096])
          a.release(); b.release(); c.release()
        }
        for (let i = 0; i < 500; i++) cycle()
        const before = measure()
        for (let i = 0; i < 10_000; i++) cycle()
        const after = measure()
        // 10,000 cycles allocate ~470 MiB in all; a leak of even one buffer per cycle shows as 160+ MiB.
        assert.ok(after - before < 8 * 1024 * 1024, `memory grew by ${((after - before) / 2 ** 20).toFixed(1)} MiB over 10,000 cycles`)
      })
    })
  }
})
