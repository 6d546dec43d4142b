// The memo and durability benchmark's guest (bench/memo.bench.ts): a task that does a fixed amount
// of work on its argument bytes (what a memo hit saves), and a counter actor with a state of
// `stateKiB` KiB of which `touchKiB` change on each call (what a snapshot costs).
import { task, actor } from 'fabric/guest'

/** `rounds` passes of FNV-1a over `bytes`: deterministic work of a chosen size. */
export const digest = task((bytes: Uint8Array, rounds: number) => {
  let h = 2166136261
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 16777619) >>> 0
  }
  return h
})

export class State extends actor {
  n = 0
  state: Uint8Array
  touch: number
  constructor (stateKiB: number, touchKiB: number) {
    super()
    this.state = new Uint8Array(stateKiB * 1024)
    this.touch = Math.min(touchKiB * 1024, this.state.length)
  }

  /** Changes `touchKiB` KiB of the state (a different place each call). */
  step (): number {
    this.n++
    const at = (this.n * 4096) % Math.max(1, this.state.length - this.touch + 1)
    this.state.fill(this.n & 0xff, at, at + this.touch)
    return this.n
  }

  value (): number {
    return this.n
  }

  spin (): number {
    for (;;) { /* until the call's timeout replaces the worker */ }
  }
}
