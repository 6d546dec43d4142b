// A driver's bound on the tasks it has started at once. A driver may submit a million tasks in one
// loop; each started call is an async chain (placement, retries, its stream to a node: ~4 KB live
// and ~10 KB of garbage that outlives scavenges), while only RemoteRunner.MAX_IN_FLIGHT_PER_NODE
// per node can be on the wire anyway. Tasks past the bound wait here as one small record each, in
// submission order, and start as others end; cancelling a waiting one drops it.
import { Cancel, type Abortable } from '../errors/index.js'

/** A submitted call: waiting for room, running, or done. */
export class GateEntry<A, T> {
  state: 'waiting' | 'running' | 'done' = 'waiting'
  /** Made when the call starts: only running calls have one (see errors/cancel.ts for why not an AbortController). */
  controller: Cancel | undefined = undefined
  /** The caller's name for it (the gate's `ended` callback gets the entry back). */
  key: string | undefined = undefined

  constructor (readonly arg: A, readonly resolve: (value: T) => void, readonly reject: (err: Error) => void) {}
}

export class SubmitGate<A, T> {
  /** Entries waiting for room, read from `head` (a shift() of a long array is O(n)). */
  private waiting: Array<GateEntry<A, T> | undefined> = []
  private head = 0
  private running = 0

  /**
   * @param start runs one call (`signal` aborts it)
   * @param capacity how many may run at once now (read at each start: it follows the fabric's size)
   * @param ended told of each entry as it is done (ended, or cancelled while waiting), before its result settles
   */
  constructor (private readonly start: (arg: A, signal: Abortable) => Promise<T>, private readonly capacity: () => number, private readonly ended?: (entry: GateEntry<A, T>) => void) {}

  /** Calls started and not yet ended, and calls waiting for room. */
  get stats (): { running: number, waiting: number } {
    return { running: this.running, waiting: this.waiting.length - this.head }
  }

  /** Run `arg` now if there is room, else once there is; the entry cancels it. */
  submit (arg: A): { result: Promise<T>, entry: GateEntry<A, T> } {
    let entry!: GateEntry<A, T>
    const result = new Promise<T>((resolve, reject) => { entry = new GateEntry<A, T>(arg, resolve, reject) })
    if (this.running < Math.max(1, this.capacity())) this.launch(entry)
    else this.waiting.push(entry)
    return { result, entry }
  }

  /** Cancel a call: a waiting one fails with `reason` at once, a running one is aborted. Whether it had not ended. */
  cancel (entry: GateEntry<A, T>, reason: Error): boolean {
    if (entry.state === 'done') return false
    if (entry.state === 'waiting') {
      entry.state = 'done' // skipped when its turn comes
      this.ended?.(entry)
      entry.reject(reason)
      return true
    }
    entry.controller!.abort(reason)
    return true
  }

  private launch (entry: GateEntry<A, T>): void {
    entry.state = 'running'
    entry.controller = new Cancel()
    this.running++
    let out: Promise<T>
    try {
      out = this.start(entry.arg, entry.controller)
    } catch (err) {
      out = Promise.reject(err)
    }
    out.then(
      value => this.end(entry, undefined, value),
      (err: Error) => this.end(entry, err)
    )
  }

  private end (entry: GateEntry<A, T>, err: Error | undefined, value?: T): void {
    this.running--
    entry.state = 'done'
    entry.controller = undefined
    this.ended?.(entry)
    if (err !== undefined) entry.reject(err)
    else entry.resolve(value as T)
    while (this.running < Math.max(1, this.capacity())) {
      const next = this.next()
      if (next === undefined) return
      if (next.state === 'waiting') this.launch(next)
    }
  }

  private next (): GateEntry<A, T> | undefined {
    if (this.head >= this.waiting.length) return undefined
    const e = this.waiting[this.head]
    this.waiting[this.head++] = undefined
    if (this.head === this.waiting.length) {
      this.waiting = []
      this.head = 0
    } else if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head)
      this.head = 0
    }
    return e
  }
}
