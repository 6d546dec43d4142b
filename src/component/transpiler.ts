// Transpiling under limits. jco-transpile turns a component into JavaScript glue; it is trusted
// code, but it reads untrusted bytes, so it runs off the main thread in worker threads that have a
// heap limit, a wall-clock limit per transpile (the thread is terminated when it passes), an empty
// environment, and no more of them than `concurrency`; transpiles beyond that wait in a bounded
// queue. A worker that idles is terminated, which gives jco's memory back.
import { Worker } from 'node:worker_threads'
import { DEFAULT_TRANSPILE_CONCURRENCY, DEFAULT_TRANSPILE_HEAP_MB, DEFAULT_TRANSPILE_TIMEOUT_MS } from './constants.js'
import { TranspileLimitError } from './errors.js'

/** Options of a {@link Transpiler}. */
export interface TranspilerInit {
  /**
   * Heap of each transpiler thread in MiB (`resourceLimits.maxOldGenerationSizeMb`). jco needs
   * ~16 MiB for a QuickJS guest. WebAssembly memory (jco's own wasm) is not counted here.
   * @default 256 (DEFAULT_TRANSPILE_HEAP_MB)
   */
  heapMb?: number
  /**
   * Wall-clock limit of one transpile in ms, from when a thread takes it (time queued does not
   * count). Past it the thread is terminated and the transpile fails.
   * @default 60000 (DEFAULT_TRANSPILE_TIMEOUT_MS)
   */
  timeoutMs?: number
  /** Transpiles running at once (threads). @default 1 (DEFAULT_TRANSPILE_CONCURRENCY) */
  concurrency?: number
  /** Transpiles that may wait for a thread; more are refused (retryable). @default 64 */
  maxQueued?: number
  /** A thread idle this long is terminated (its memory given back). @default 30000 */
  idleMs?: number
}

/** What a transpile produces: file name → bytes (`component.js`, `component.core.wasm`, ...). */
export type TranspiledFiles = Record<string, Uint8Array>

/** Counters, for tests and status. */
export interface TranspilerStats {
  threads: number
  running: number
  queued: number
  /** Threads terminated because a transpile ran past the time limit or out of heap. */
  killed: number
}

/** Runs jco-transpile on untrusted component bytes, within limits. */
export interface Transpiler {
  /**
   * Transpile `bytes` with jco-transpile's `options`.
   * @throws {TranspileLimitError} `limit` `timeout`, `heap`, `queue` or `crash`.
   * @throws {Error} what jco reports for a component it cannot transpile.
   */
  transpile: (bytes: Uint8Array, options: Record<string, unknown>) => Promise<TranspiledFiles>
  stats: () => TranspilerStats
  /** Terminate every thread; pending transpiles fail. Idempotent. */
  stop: () => Promise<void>
}

interface Job {
  bytes: Uint8Array
  options: Record<string, unknown>
  resolve: (files: TranspiledFiles) => void
  reject: (err: Error) => void
}

interface Thread {
  worker: Worker
  job?: Job
  timer?: NodeJS.Timeout
  idle?: NodeJS.Timeout
  /** Set once the thread is being terminated: its late messages and exit are ignored. */
  gone: boolean
}

const WORKER_URL = new URL('./transpile-worker.mjs', import.meta.url)

class ThreadTranspiler implements Transpiler {
  private readonly heapMb: number
  private readonly timeoutMs: number
  private readonly concurrency: number
  private readonly maxQueued: number
  private readonly idleMs: number
  private readonly threads = new Set<Thread>()
  private readonly queue: Job[] = []
  private killed = 0
  private stopped = false

  constructor (init: TranspilerInit) {
    this.heapMb = positive(init.heapMb ?? DEFAULT_TRANSPILE_HEAP_MB, 'heapMb')
    this.timeoutMs = positive(init.timeoutMs ?? DEFAULT_TRANSPILE_TIMEOUT_MS, 'timeoutMs')
    this.concurrency = Math.floor(positive(init.concurrency ?? DEFAULT_TRANSPILE_CONCURRENCY, 'concurrency'))
    this.maxQueued = Math.floor(init.maxQueued ?? 64)
    this.idleMs = init.idleMs ?? 30_000
  }

  async transpile (bytes: Uint8Array, options: Record<string, unknown>): Promise<TranspiledFiles> {
    if (this.stopped) throw new TranspileLimitError('the transpiler is stopped', { limit: 'crash' })
    return await new Promise<TranspiledFiles>((resolve, reject) => {
      const job: Job = { bytes, options, resolve, reject }
      const free = [...this.threads].find((t) => t.job === undefined && !t.gone)
      if (free !== undefined) return this.run(free, job)
      if (this.threads.size < this.concurrency) return this.run(this.spawn(), job)
      if (this.queue.length >= this.maxQueued) {
        reject(new TranspileLimitError(
          `${this.queue.length} components are already waiting to be transpiled (at most ${this.maxQueued}, ${this.concurrency} at a time): try again later`,
          { limit: 'queue', retryable: true }
        ))
        return
      }
      this.queue.push(job)
    })
  }

  stats (): TranspilerStats {
    return { threads: this.threads.size, running: [...this.threads].filter((t) => t.job !== undefined).length, queued: this.queue.length, killed: this.killed }
  }

  async stop (): Promise<void> {
    this.stopped = true
    const stopped = new TranspileLimitError('the transpiler was stopped', { limit: 'crash' })
    for (const job of this.queue.splice(0)) job.reject(stopped)
    await Promise.all([...this.threads].map(async (t) => await this.end(t, stopped)))
  }

  private spawn (): Thread {
    const worker = new Worker(WORKER_URL, {
      // Plain JavaScript: no loader. An empty environment: jco needs none, and a bug in it reading
      // untrusted bytes should find no secrets there.
      execArgv: [],
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb }
    })
    const thread: Thread = { worker, gone: false }
    this.threads.add(thread)
    worker.on('message', (msg: { files?: TranspiledFiles, error?: { name: string, message: string } }) => {
      const job = thread.job
      if (thread.gone || job === undefined) return
      this.finish(thread)
      if (msg.files !== undefined) job.resolve(msg.files)
      else job.reject(Object.assign(new Error(msg.error?.message ?? 'transpile failed'), { name: msg.error?.name ?? 'Error' }))
    })
    worker.on('error', (err: Error & { code?: string }) => {
      if (thread.gone) return
      const error = err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new TranspileLimitError(
          `transpiling the component used more than the transpiler's heap limit of ${this.heapMb} MiB, so its thread was terminated: ` +
          'a real guest needs far less; if this one is genuine, raise the transpiler\'s heapMb', { limit: 'heap', cause: err })
        : new TranspileLimitError(`the transpiler thread failed: ${err.message}`, { limit: 'crash', cause: err })
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') this.killed++
      void this.end(thread, error)
    })
    worker.on('exit', (code) => {
      if (thread.gone) return
      void this.end(thread, new TranspileLimitError(`the transpiler thread exited (code ${code})`, { limit: 'crash' }))
    })
    return thread
  }

  private run (thread: Thread, job: Job): void {
    clearTimeout(thread.idle)
    thread.job = job
    thread.worker.ref()
    thread.timer = setTimeout(() => {
      this.killed++
      void this.end(thread, new TranspileLimitError(
        `transpiling the component took longer than the transpiler's time limit of ${this.timeoutMs} ms, so its thread was terminated: ` +
        'a real guest takes about a second; if this one is genuine, raise the transpiler\'s timeoutMs', { limit: 'timeout' }))
    }, this.timeoutMs)
    thread.worker.postMessage({ id: 0, bytes: job.bytes, options: job.options })
  }

  /** A thread finished its job: give it the next one, or let it idle (unref'd) until idleMs. */
  private finish (thread: Thread): void {
    clearTimeout(thread.timer)
    thread.job = undefined
    const next = this.queue.shift()
    if (next !== undefined) return this.run(thread, next)
    thread.worker.unref()
    thread.idle = setTimeout(() => { void this.end(thread) }, this.idleMs)
    thread.idle.unref()
  }

  /** Terminate a thread; its job (if any) fails with `err`; queued jobs go to a fresh thread. */
  private async end (thread: Thread, err?: Error): Promise<void> {
    if (thread.gone) return
    thread.gone = true
    clearTimeout(thread.timer)
    clearTimeout(thread.idle)
    this.threads.delete(thread)
    const job = thread.job
    thread.job = undefined
    if (job !== undefined) job.reject(err ?? new TranspileLimitError('the transpiler thread was terminated', { limit: 'crash' }))
    if (!this.stopped && this.queue.length > 0 && this.threads.size < this.concurrency) this.run(this.spawn(), this.queue.shift()!)
    await thread.worker.terminate()
  }
}

function positive (n: number, name: string): number {
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`transpiler ${name} must be a positive number, got ${n}`)
  return n
}

/**
 * A transpiler with its own threads and limits.
 *
 * @example
 * const transpiler = createTranspiler({ timeoutMs: 10_000, heapMb: 128 })
 * await loadComponent(bytes, { transpiler })
 * await transpiler.stop()
 */
export function createTranspiler (init: TranspilerInit = {}): Transpiler {
  return new ThreadTranspiler(init)
}

let shared: Transpiler | undefined

/** The process's transpiler with default limits (its threads are unref'd while idle). */
export function defaultTranspiler (): Transpiler {
  shared ??= createTranspiler()
  return shared
}
