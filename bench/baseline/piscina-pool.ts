// Piscina running the same plain-JS functions as the baseline pool (CBOR bytes in and out).
// `threads: 1` is a dedicated worker holding module state: the "actor" baseline.
import { Piscina } from 'piscina'

export class PiscinaPool {
  private readonly pool: Piscina

  constructor (private readonly threads: number) {
    this.pool = new Piscina({
      filename: new URL('./piscina-worker.mjs', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      // Keep the queue unbounded and idle threads alive for the whole benchmark.
      idleTimeout: 60_000,
      execArgv: []
    })
  }

  /** Resolves once every thread answered one call (warm, spawned). */
  async start (): Promise<void> {
    const { encode } = await import('cborg')
    await Promise.all(Array.from({ length: this.threads }, async () => await this.call('noop', encode([]))))
  }

  async call (name: string, args: Uint8Array): Promise<Uint8Array> {
    return await this.pool.run({ name, args }) as Uint8Array
  }

  async stop (): Promise<void> {
    await this.pool.destroy()
  }
}
