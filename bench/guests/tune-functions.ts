// Test functions of the tune benchmark, plain TypeScript: the guest's tasks and the driver share them.

/** Branin on x1 ∈ [-5, 10], x2 ∈ [0, 15]; global minimum 0.397887. */
export function braninValue (x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI * Math.PI)
  const c = 5 / Math.PI
  const t = 1 / (8 * Math.PI)
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10
}

const A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
const P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
const ALPHA = [1, 1.2, 3, 3.2]

/** Hartmann-6 on [0, 1]^6; global minimum -3.32237. */
export function hartmann6Value (x: readonly number[]): number {
  let s = 0
  for (let i = 0; i < 4; i++) {
    let inner = 0
    for (let j = 0; j < 6; j++) inner += A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2
    s += ALPHA[i] * Math.exp(-inner)
  }
  return -s
}
