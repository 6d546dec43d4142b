// The QuickJS guest of the component benchmarks.
import { task } from 'fabric/guest'

export const echo = task((bytes: Uint8Array) => bytes)

export const sumSquares = task((n: number) => {
  let s = 0
  for (let i = 0; i < n; i++) s += i * i
  return s
})
