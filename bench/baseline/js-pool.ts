// A plain worker_threads pool running JavaScript functions: the baseline the fabric's pool is
// measured against (same threads, same postMessage round trip, same CBOR work, no sandbox).
import os from 'node:os'
import { Worker } from 'node:worker_threads'

interface Pending { resolve: (v: Uint8Array) => void, reject: (e: Error) => void }

export class JsPool {
  private readonly workers: Worker[] = []
  private readonly idle: Worker[] = []
  // Read from `head`: a plain shift() of a very long array is O(n), which made a million queued calls quadratic.
  private queue: Array<{ msg: { id: number, name: string, args: Uint8Array }, p: Pending } | undefined> = []
  private head = 0
  private readonly pending = new Map<number, Pending>()
  private nextId = 1

  constructor (private readonly size = os.availableParallelism()) {}

  async start (): Promise<void> {
    await Promise.all(Array.from({ length: this.size }, async () => {
      const w = new Worker(new URL('./js-pool-worker.mjs', import.meta.url), { execArgv: [] })
      await new Promise<void>((resolve) => w.once('message', () => resolve()))
      w.on('message', (m: { id: number, type: string, value?: Uint8Array, error?: string }) => {
        const p = this.pending.get(m.id)!
        this.pending.delete(m.id)
        if (m.type === 'done') p.resolve(m.value!)
        else p.reject(new Error(m.error))
        const next = this.queue[this.head]
        if (next !== undefined) {
          this.queue[this.head++] = undefined
          if (this.head > 4096 && this.head * 2 > this.queue.length) {
            this.queue = this.queue.slice(this.head)
            this.head = 0
          }
          this.send(w, next.msg, next.p)
        }
        else this.idle.push(w)
      })
      this.workers.push(w)
      this.idle.push(w)
    }))
  }

  private send (w: Worker, msg: { id: number, name: string, args: Uint8Array }, p: Pending): void {
    this.pending.set(msg.id, p)
    w.postMessage(msg)
  }

  call (name: string, args: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const msg = { id: this.nextId++, name, args }
      const w = this.idle.pop()
      if (w !== undefined) this.send(w, msg, { resolve, reject })
      else this.queue.push({ msg, p: { resolve, reject } })
    })
  }

  async stop (): Promise<void> {
    await Promise.all(this.workers.map(w => w.terminate()))
  }
}
