// Guests of both paths (QuickJS and AssemblyScript) using the GPU bridge through a real fabric:
// the 2-layer MLP gives the reference answer, lifetimes hold, errors arrive typed, and `gpus`
// places work.
import assert from 'node:assert/strict'
import { Fabric, type UntypedModule } from '../../src/index.js'
import { gpuInventory, jsKernels, TensorOps, type Kernels } from '../../src/gpu/index.js'
import { seededRandom } from '../../src/gpu/conformance.js'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'

const B = 5
const IN = 13
const HIDDEN = 32
const OUT = 7

const random = seededRandom(7)
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => random() - 0.5)

function reference (x: Float32Array, w1: Float32Array, b1: Float32Array, w2: Float32Array, b2: Float32Array): Float32Array {
  const o = new TensorOps(jsKernels as Kernels)
  const h = o.unary('relu', o.linear(o.fromFloat32([B, IN], x), o.fromFloat32([HIDDEN, IN], w1), o.fromFloat32([HIDDEN], b1)))
  return o.read(o.softmax(o.linear(h, o.fromFloat32([OUT, HIDDEN], w2), o.fromFloat32([OUT], b2))))
}

function assertClose (got: Float32Array, want: Float32Array, tol = 1e-5): void {
  assert.equal(got.length, want.length)
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `element ${i}: ${got[i]} vs ${want[i]}`)
}

describe('gpu bridge from guests', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let ts: UntypedModule
  let as: UntypedModule
  const x = rand(B * IN)
  const w1 = rand(HIDDEN * IN)
  const b1 = rand(HIDDEN)
  const w2 = rand(OUT * HIDDEN)
  const b2 = rand(OUT)
  const want = reference(x, w1, b1, w2, b2)
  const savedLimit = process.env.FABRIC_GPU_MAX_BYTES

  before(async () => {
    cache = tempDir()
    const [tsPath, asPath] = await Promise.all([fixtureComponent('guests/ts-gpu/mlp.ts'), fixtureComponent('guests/as-gpu/mlp.ts', 'as')])
    // Workers copy the environment when they start: a 64 MiB tensor budget per instance.
    process.env.FABRIC_GPU_MAX_BYTES = String(64 * 2 ** 20)
    fabric = await Fabric.start({ workers: 2, cacheDir: cache.dir, resources: { gpus: 1 }, log: () => {} })
    ts = await fabric.load(tsPath)
    as = await fabric.load(asPath)
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
    if (savedLimit === undefined) delete process.env.FABRIC_GPU_MAX_BYTES
    else process.env.FABRIC_GPU_MAX_BYTES = savedLimit
  })

  it('a QuickJS guest runs the 2-layer MLP and gets the reference answer', async () => {
    assertClose(await fabric.get(ts.mlp!.remote(x, w1, b1, w2, b2, [B, IN, HIDDEN, OUT])) as Float32Array, want)
  })

  it('an AssemblyScript guest runs the same MLP and gets the same answer', async () => {
    assertClose(await fabric.get(as.mlp!.remote(x, w1, b1, w2, b2, Int32Array.of(B, IN, HIDDEN, OUT))) as Float32Array, want)
  })

  it('weights from an object go to the host tensor by ref', async () => {
    const ref = await fabric.put(w1)
    assertClose(await fabric.get(ts.mlpFromObject!.remote(x, [ref], b1, w2, b2, [B, IN, HIDDEN, OUT])) as Float32Array, want)
  })

  it('shape mismatches arrive typed: caught in QuickJS, as the task error in AssemblyScript', async () => {
    assert.match(await fabric.get(ts.mismatch!.remote()) as string, /^GuestError shape-mismatch: matmul: inner dimensions differ/)
    await assert.rejects(fabric.get(as.mismatch!.remote()), (err: Error & { kind?: string }) => err.kind === 'shape-mismatch' && /\[2, 2\].*\[3, 1\]/.test(err.message))
    assert.match(await fabric.get(ts.useAfterDispose!.remote()) as string, /disposed/)
  })

  it("a task's tensors are freed when it returns: 20 tasks of 40 MiB each under a 64 MiB budget", async () => {
    const floats = 10 * 2 ** 20 / 4
    for (let i = 0; i < 20; i++) assert.equal(await fabric.get(ts.leak!.remote(4, floats)), 4)
    await assert.rejects(fabric.get(ts.leak!.remote(7, floats)), (err: Error & { kind?: string }) => err.kind === 'out-of-memory' && /over its limit/.test(err.message))
    assert.equal(await fabric.get(ts.ones!.remote(8)), 8, 'the instance still serves after the refusal')
  })

  it('an actor keeps its tensors between calls', async () => {
    const model = await ts.Model!.create([1, 0, 0, 1, 2, 3], 3, 2)
    for (let i = 0; i < 3; i++) assert.deepEqual(await fabric.get(model.apply!.remote([5, 7])), [5, 7, 31])
    await fabric.kill(model)
  })

  it('tasks without gpus run on the CPU backend; gpus: 1 tasks on the device backend when one answers', async () => {
    const cpuSide = await fabric.get(ts.backend!.remote()) as string
    assert.match(cpuSide, /^(cpu|js)/)
    const gpuSide = await fabric.get(ts.backend!.options({ gpus: 1 }).remote()) as string
    const inv = gpuInventory()
    if (inv.devices > 0) assert.match(gpuSide, /^cuda:/)
    else assert.match(gpuSide, /^(cpu|js)/, `no device here (${inv.reason ?? ''}): falls back`)
    assert.match(await fabric.get(as.backend!.remote()) as string, /^(cpu|js)/)
  })

  it('a task asking for more GPUs than any node has is infeasible, and says so', async () => {
    await assert.rejects(async () => await fabric.get(ts.ones!.options({ gpus: 2 }).remote(2)), /gpus: needs 2, has 1/)
  })
})
