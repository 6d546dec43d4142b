// A stream of refs fed as a generator's values arrive from elsewhere (another node's actor), read
// by the program with `for await`: values in the order fed, then the end or the generator's error.

/**
 * An async iterable fed by `push` and ended by `end`: `next()` waits for the next value, ends
 * after the last, and throws the error `end` was given once the values before it are read.
 */
export class RefStream<T> implements AsyncIterable<T> {
  private readonly queue: T[] = []
  private readonly waiters: Array<() => void> = []
  private finished = false
  private failure?: Error

  /** Whether the stream has ended, or its reader left early: values are no longer wanted. */
  get closed (): boolean {
    return this.finished
  }

  /** A value arrived. Ignored once closed. */
  push (value: T): void {
    if (this.finished) return
    this.queue.push(value)
    this.wake()
  }

  /** No more values: the iteration ends (with `err`, after the values already pushed). Idempotent. */
  end (err?: Error): void {
    if (this.finished) return
    this.finished = true
    this.failure = err
    this.wake()
  }

  [Symbol.asyncIterator] (): AsyncIterator<T> {
    return {
      next: async (): Promise<IteratorResult<T>> => {
        while (this.queue.length === 0 && !this.finished) await new Promise<void>(resolve => this.waiters.push(resolve))
        if (this.queue.length > 0) return { done: false, value: this.queue.shift()! }
        if (this.failure !== undefined) throw this.failure
        return { done: true, value: undefined }
      },
      // Leaving the loop early drops what is queued and what comes later (the method itself runs
      // on: an actor's call cannot be interrupted).
      return: async (): Promise<IteratorResult<T>> => {
        this.end()
        this.queue.length = 0
        return { done: true, value: undefined }
      }
    }
  }

  private wake (): void {
    for (const w of this.waiters.splice(0)) w()
  }
}
