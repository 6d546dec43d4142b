// The QuickJS guest of the Ray microbenchmark names (bench/ray.bench.ts): a no-op task, an echo,
// a small stateful actor, and a nested fan-out (bench/remote.bench.ts).
import { task, actor, submit, get, type ObjectRef } from 'fabric/guest'

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

/** `work` iterations of busy arithmetic: the fan-out's unit of work. */
export const busy = task((work: number) => {
  let s = 0
  for (let i = 0; i < work; i++) s += i % 7
  return s
})

/** Submit `n` busy tasks as nested tasks, then sum them: where they run is the fabric's choice. */
export const fanOut = task((n: number, work: number) => {
  const refs: Array<ObjectRef<number>> = []
  for (let i = 0; i < n; i++) refs.push(submit<number>('busy', [work]))
  let s = 0
  for (const r of refs) s += get(r)
  return s
})
