// Guest workers get only the environment their own code reads (issue 13: the jco glue runs in
// workers with full Node access; what they can read of the node's secrets is cut down here).
import assert from 'node:assert/strict'
import { guestWorkerEnv } from '../../src/exec/worker-env.js'

describe('exec/worker-env', () => {
  it("keeps the GPU bridge's and OpenBLAS's settings and drops everything else", () => {
    const env = { AWS_SECRET_ACCESS_KEY: 'x', HOME: '/root', PATH: '/bin', FABRIC_GPU_BACKEND: 'cpu', FABRIC_GPU_MAX_BYTES: '1', OPENBLAS_NUM_THREADS: '2', FABRIC_SECRET: 'k' }
    assert.deepEqual(guestWorkerEnv(env), { FABRIC_GPU_BACKEND: 'cpu', FABRIC_GPU_MAX_BYTES: '1', OPENBLAS_NUM_THREADS: '2' })
  })
})
