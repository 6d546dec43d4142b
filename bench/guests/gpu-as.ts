// The GPU-bridge benchmark's AssemblyScript guest: matmul through the bridge, and the same matmul
// as a loop inside the guest.
import { tensor, matmul } from 'fabric/guest-as'

/**
 * Make n×n tensors from `a` and `b`, multiply them `reps` times (dropping each product but the
 * last), and return the last product's final element (0 when reps is 0). reps = 0 measures
 * everything but the products.
 */
export function bridgeMatmul(a: Float32Array, b: Float32Array, n: i32, reps: i32): f32 {
  const A = tensor(a, [<u32>n, <u32>n])
  const B = tensor(b, [<u32>n, <u32>n])
  let last: f32 = 0
  for (let i = 0; i < reps; i++) {
    const C = matmul(A, B)
    if (i == reps - 1) {
      const out = C.toFloat32Array()
      last = out[out.length - 1]
    }
    C.dispose()
  }
  A.dispose()
  B.dispose()
  return last
}

/**
 * The same n×n product as a loop in the guest: i-k-j order (unit stride inside), raw loads and
 * stores on the arrays' data (no bounds checks), four lanes at a time with wasm SIMD — as a
 * performance-minded AssemblyScript author would write it.
 */
export function loopMatmul(a: Float32Array, b: Float32Array, n: i32): f32 {
  const c = new Float32Array(n * n)
  const pa = a.dataStart
  const pb = b.dataStart
  const pc = c.dataStart
  const rowBytes = <usize>n << 2
  for (let i = 0; i < n; i++) {
    const crow = pc + <usize>i * rowBytes
    const arow = pa + <usize>i * rowBytes
    for (let k = 0; k < n; k++) {
      const aik = load<f32>(arow + (<usize>k << 2))
      const a4 = f32x4.splat(aik)
      const brow = pb + <usize>k * rowBytes
      let j: usize = 0
      for (; j + 16 <= rowBytes; j += 16) {
        v128.store(crow + j, f32x4.add(v128.load(crow + j), f32x4.mul(a4, v128.load(brow + j))))
      }
      for (; j < rowBytes; j += 4) {
        store<f32>(crow + j, load<f32>(crow + j) + aik * load<f32>(brow + j))
      }
    }
  }
  return c[n * n - 1]
}
