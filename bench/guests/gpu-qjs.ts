// The GPU-bridge benchmark's QuickJS guest: matmul through the bridge.
import { task, tensor, matmul } from 'fabric/guest'

/** As bridgeMatmul in gpu-as.ts: `reps` products of two n×n tensors, the last one read back. */
export const bridgeMatmul = task((a: Float32Array, b: Float32Array, n: number, reps: number): number => {
  const A = tensor(a, [n, n])
  const B = tensor(b, [n, n])
  let last = 0
  for (let i = 0; i < reps; i++) {
    const C = matmul(A, B)
    if (i === reps - 1) {
      const out = C.toFloat32Array()
      last = out[out.length - 1]!
    }
    C.dispose()
  }
  A.dispose()
  B.dispose()
  return last
})
