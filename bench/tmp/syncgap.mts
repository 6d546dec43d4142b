import path from 'node:path'
import { cachedBuild } from '../../guest-sdk/src/build/cached-build.js'
import { Fabric, type ObjectRef } from '../../src/index.js'
import { loadComponent } from '../../src/component/index.js'
import { createExecPool } from '../../src/exec/index.js'
import { encode } from '../../src/objects/codec.js'
const root = path.resolve('.cache/bench')
const wasm = await cachedBuild(path.resolve('bench/guests/ray-qjs.ts'), root)
const cacheDir = path.join(root, 'transpiled')
const W = Number(process.env.W ?? 2)
const f = await Fabric.start({ workers: W, cacheDir, log: () => {} })
type M = Record<string, { remote: () => ObjectRef }>
const m = await f.load<M>(wasm)
const pool = createExecPool({ workers: W, cacheDir })
await pool.start()
const c = await loadComponent(wasm, { cacheDir })
const args = encode([])
const N = 2000
for (let r = 0; r < 6; r++) {
  let t0 = performance.now()
  for (let i = 0; i < N; i++) await f.get(m.noop!.remote())
  const fab = (performance.now() - t0) * 1000 / N
  t0 = performance.now()
  for (let i = 0; i < N; i++) await pool.call(c, 'noop', args)
  const pl = (performance.now() - t0) * 1000 / N
  console.log(`fabric ${fab.toFixed(1)} µs/task, pool ${pl.toFixed(1)} µs/call`)
}
await pool.stop(); await f.stop()
