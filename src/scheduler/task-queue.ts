// The node's queue of tasks ready to run and waiting for resources, in the local policy's order:
// first in, first out, except that work a running guest waits for goes to the front (depth first).
// Tasks are kept in one deque per resource shape, so finding the next task that fits costs one
// look per shape, not a walk of the queue: a queue of a million tasks dispatches as fast as one
// of ten (a walk per dispatch made 50,000 queued tasks run at a sixth of the rate of 1,000).
import { fits, type Resources } from './resources.js'

/** What the queue needs of a task. */
export interface Queueable {
  /** What the task holds while it runs. */
  readonly demand: Resources
  /**
   * The task's place in the queue's order while it is queued, 0 when it is not: the queue's own
   * bookkeeping, kept on the task so a queued task costs no map entry (see {@link TaskQueue}).
   */
  queueSeq: number
}

/**
 * A double-ended queue of (task, seq) pairs, stored flat (two slots a pair, no object each):
 * `front` is a stack (its top pair comes first), `back` a list read from `head`. Both grow only at
 * one end, so a push is O(1) and nothing is ever spliced.
 */
class Deque<T> {
  private front: Array<T | number> = []
  private back: Array<T | number> = []
  private head = 0

  pushBack (x: T, seq: number): void {
    this.back.push(x, seq)
  }

  pushFront (x: T, seq: number): void {
    this.front.push(x, seq)
  }

  /** The first pair's task and seq, or undefined. */
  peekTask (): T | undefined {
    return (this.front.length > 0 ? this.front[this.front.length - 2] : this.back[this.head]) as T | undefined
  }

  peekSeq (): number {
    return (this.front.length > 0 ? this.front[this.front.length - 1] : this.back[this.head + 1]) as number
  }

  drop (): void {
    if (this.front.length > 0) {
      this.front.length -= 2
      return
    }
    this.back[this.head] = 0 // let the task be collected
    this.head += 2
    if (this.head >= this.back.length) {
      this.back = []
      this.head = 0
    } else if (this.head > 4096 && this.head * 2 > this.back.length) {
      this.back = this.back.slice(this.head)
      this.head = 0
    }
  }
}

interface Shape<T> {
  demand: Resources
  /** Pairs in order of seq; a pair whose task moved (another seq) or left (seq 0) is stale and skipped. */
  deque: Deque<T>
}

/**
 * Tasks waiting for resources. `take(available)` hands out the first task in order whose demand
 * fits; tasks of a shape that does not fit do not hold back smaller ones behind them.
 *
 * @example
 * const q = new TaskQueue<MyTask>()
 * q.push(t)
 * for (let t = q.take(free); t !== undefined; t = q.take(free)) start(t)
 */
export class TaskQueue<T extends Queueable> {
  private readonly shapes = new Map<string, Shape<T>>()
  /** Next sequence number at the back (grows) and at the front (shrinks); never 0. */
  private backSeq = 0
  private frontSeq = 0
  private count = 0
  private cpuFree = 0

  /** Tasks queued. */
  get length (): number {
    return this.count
  }

  /** Queued tasks that need no CPU (they may start while every CPU is busy). */
  get cpuFreeCount (): number {
    return this.cpuFree
  }

  has (t: T): boolean {
    return t.queueSeq !== 0
  }

  /** Queue `t` last, or (`front`) before everything queued now. A queued task moves. */
  push (t: T, front = false): void {
    this.remove(t)
    const key = shapeKey(t.demand)
    let shape = this.shapes.get(key)
    if (shape === undefined) {
      shape = { demand: t.demand, deque: new Deque() }
      this.shapes.set(key, shape)
    }
    const seq = front ? --this.frontSeq : ++this.backSeq
    if (front) shape.deque.pushFront(t, seq)
    else shape.deque.pushBack(t, seq)
    t.queueSeq = seq
    this.count++
    if (t.demand.cpus <= 0) this.cpuFree++
  }

  /** Take `t` out of the queue (it left: cancelled, run elsewhere). Whether it was queued. */
  remove (t: T): boolean {
    if (t.queueSeq === 0) return false
    t.queueSeq = 0
    this.count--
    if (t.demand.cpus <= 0) this.cpuFree--
    return true
  }

  /** The first queued task whose demand fits in `available`, taken out of the queue; undefined when none fits. */
  take (available: Resources): T | undefined {
    const best = this.firstFitting(available)
    if (best === undefined) return undefined
    const t = best.deque.peekTask()!
    best.deque.drop()
    this.remove(t)
    return t
  }

  /**
   * The task {@link take} would hand out if the resources of shape `key` (see {@link shapeKey})
   * were free, left in the queue: of that shape, or of a smaller one queued before it.
   */
  nextWithin (key: string): T | undefined {
    const shape = this.shapes.get(key)
    return shape === undefined ? undefined : this.firstFitting(shape.demand)?.deque.peekTask()
  }

  /** The shape whose first live task is first in order among those that fit in `available`. */
  private firstFitting (available: Resources): Shape<T> | undefined {
    let best: Shape<T> | undefined
    let bestSeq = 0
    for (const [key, shape] of this.shapes) {
      const seq = this.headSeq(shape)
      if (seq === undefined) {
        this.shapes.delete(key)
        continue
      }
      if ((best === undefined || seq < bestSeq) && fits(shape.demand, available)) {
        best = shape
        bestSeq = seq
      }
    }
    return best
  }

  /** The seq of the shape's first live pair (stale pairs, of tasks that moved or left, are dropped on the way). */
  private headSeq (shape: Shape<T>): number | undefined {
    for (;;) {
      const t = shape.deque.peekTask()
      if (t === undefined) return undefined
      const seq = shape.deque.peekSeq()
      if (t.queueSeq === seq) return seq
      shape.deque.drop()
    }
  }
}

/** Tasks with the same key ask for the same resources. */
export function shapeKey (r: Resources): string {
  const custom = Object.keys(r.custom)
  if (custom.length === 0) return `${r.cpus}/${r.gpus}/${r.memoryMb}`
  return `${r.cpus}/${r.gpus}/${r.memoryMb}/${custom.sort().map(k => `${k}=${r.custom[k]!}`).join(',')}`
}
