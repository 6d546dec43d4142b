// Loading the native addon: the OpenBLAS core type from CPU flags, and what happens where the
// addon cannot load (the JS backend serves and the reason is kept).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { availableBackends, openblasCoreType, selectKernels } from '../../src/gpu/index.js'
import { REPO } from '../helpers/fixtures.js'
import { skipBecause } from '../helpers/skip.js'

describe('gpu native addon', () => {
  it('picks the OpenBLAS core type from the CPU flags', () => {
    assert.equal(openblasCoreType(new Set(['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512dq'])), 'SkylakeX')
    assert.equal(openblasCoreType(new Set(['avx', 'avx2', 'fma', 'avx512f'])), 'Haswell', 'AVX-512 foundation alone is not SkylakeX')
    assert.equal(openblasCoreType(new Set(['avx'])), 'Sandybridge')
    assert.equal(openblasCoreType(new Set(['sse4_2'])), undefined)
  })

  it('serves tasks from the JS backend where the addon cannot load, and says why', function () {
    this.timeout(60_000)
    const script = [
      "import { availableBackends, selectKernels } from './src/gpu/index.ts'",
      'const { kernels, missing } = availableBackends()',
      'console.log(JSON.stringify({ kinds: kernels.map(k => k.kind), missing, chosen: selectKernels(true).kind }))'
    ].join('\n')
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO,
      env: { ...process.env, FABRIC_GPU_ADDON: '/nonexistent/fabric_gpu.node' },
      encoding: 'utf8'
    })
    const r = JSON.parse(out.trim().split('\n').pop()!) as { kinds: string[], missing: Array<{ kind: string, reason: string }>, chosen: string }
    assert.deepEqual(r.kinds, ['js'])
    assert.equal(r.chosen, 'js')
    assert.match(r.missing.find(m => m.kind === 'cpu')!.reason, /not built.*npm install/)
  })

  it('in this checkout the addon is built and serves the CPU backend', function () {
    const { kernels, missing } = availableBackends()
    const cpu = kernels.find(k => k.kind === 'cpu')
    if (cpu === undefined) skipBecause(this, `the native addon does not load here: ${missing.find(m => m.kind === 'cpu')?.reason ?? ''}`)
    assert.match(cpu.description, /^cpu:(openblas|blocked)/)
    assert.equal(selectKernels(false).kind, 'cpu')
    assert.ok(missing.every(m => m.kind !== 'cpu'))
  })
})
