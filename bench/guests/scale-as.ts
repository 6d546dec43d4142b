// The AssemblyScript guest of the scale benchmark (bench/scale.bench.ts): a no-op task and a
// small actor, for the many-actors rows (an AssemblyScript instance is ~20 KB, a QuickJS one ~1 MB).
export function noop(): i32 {
  return 0
}

export class Sink {
  n: i32 = 0
  constructor() {}
  add(x: i32): i32 {
    this.n += x
    return this.n
  }
}
