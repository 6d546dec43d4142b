// A streaming task on an embedded fabric: `primes` is a generator task that yields the primes
// below N one block at a time; the driver consumes it with `for await (const ref of ...)`,
// printing each block as it arrives, then passes all the blocks' refs to a `summarize` task.
//
//   npx fabric run examples/streaming.ts [limit] [blockSize]
//   STREAM_LIMIT=10000000 STREAM_BLOCK=1000000 npx fabric run examples/streaming.ts
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cachedBuild } from 'wasm-fabric/build'
import { Fabric, type GuestModule, type ObjectRef } from 'wasm-fabric'
import type { Block } from './guests/streaming.js'

type Streaming = GuestModule<typeof import('./guests/streaming.js')>

const here = path.dirname(fileURLToPath(import.meta.url))
const LIMIT = Number(process.argv[2] ?? process.env.STREAM_LIMIT ?? 2_000_000)
const BLOCK = Number(process.argv[3] ?? process.env.STREAM_BLOCK ?? 200_000)
const WORKERS = process.env.FABRIC_WORKERS === undefined ? undefined : Number(process.env.FABRIC_WORKERS)

const t0 = performance.now()
const wasm = await cachedBuild(path.join(here, 'guests', 'streaming.ts'), path.join(here, '..', '.cache', 'examples'))
const fabric = await Fabric.start(WORKERS === undefined ? {} : { workers: WORKERS })
try {
  const m = await fabric.load<Streaming>(wasm)
  console.log(`primes below ${LIMIT.toLocaleString('en')}, streamed in blocks of ${BLOCK.toLocaleString('en')}`)

  const started = performance.now()
  const refs: Array<ObjectRef<Block>> = []
  for await (const ref of m.primes.remote(LIMIT, BLOCK)) {
    refs.push(ref)
    const block = await fabric.get(ref)
    const ms = (performance.now() - started).toFixed(0).padStart(6)
    const last = block.primes.at(-1)
    console.log(`${ms} ms  block ${block.index}: [${block.from}, ${block.to}) ${block.primes.length} primes` +
      (last === undefined ? '' : `, last ${last}`))
  }
  // The stream's items are refs like any other: hand them all to a follow-up task.
  const summary = await fabric.get(m.summarize.remote(...refs))
  console.log(`summary: ${summary.count} primes below ${LIMIT} in ${summary.blocks} blocks; largest ${summary.largest}; ` +
    `${summary.twins} twin pairs; widest gap ${summary.gap.size} after ${summary.gap.after}`)
  console.log(`wall time ${((performance.now() - t0) / 1000).toFixed(2)} s`)
} finally {
  await fabric.stop()
}
