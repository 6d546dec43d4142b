// The serve benchmark's MLP shape and weights from a seed: the guest (serve-qjs.ts) and the
// in-process baseline (serve.bench.ts) make the same network.
export const IN = 64
export const HIDDEN = 256
export const OUT = 10

export function weights (seed: number): { w1: Float32Array, b1: Float32Array, w2: Float32Array, b2: Float32Array } {
  let s = seed >>> 0 || 1
  const next = (): number => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32 - 0.5 }
  const fill = (n: number, k: number): Float32Array => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = next() * k; return a }
  return { w1: fill(HIDDEN * IN, 0.25), b1: fill(HIDDEN, 0.1), w2: fill(OUT * HIDDEN, 0.12), b2: fill(OUT, 0.1) }
}
