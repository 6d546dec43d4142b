// The QuickJS guest of the Ray microbenchmark names (bench/ray.bench.ts): a no-op task, an echo,
// and a small stateful actor.
import { task, actor } from 'fabric/guest'

export const noop = task(() => 0)

export const echo = task((x: unknown) => x)

export class Sink extends actor {
  n = 0
  noop (): number { return 0 }
  add (x: number): number {
    this.n += x
    return this.n
  }
}
