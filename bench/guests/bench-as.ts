// The AssemblyScript twin of bench-qjs.ts.

export function echo (bytes: Uint8Array): Uint8Array {
  return bytes
}

export function sumSquares (n: i32): f64 {
  let s: f64 = 0
  for (let i = 0; i < n; i++) s += <f64>i * <f64>i
  return s
}
