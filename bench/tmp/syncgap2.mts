import path from 'node:path'
import { cachedBuild } from '../../guest-sdk/src/build/cached-build.js'
import { Fabric, type ObjectRef } from '../../src/index.js'
import { JsPool } from '../baseline/js-pool.js'
const root = path.resolve('.cache/bench')
const wasm = await cachedBuild(path.resolve('bench/guests/ray-qjs.ts'), root)
const cacheDir = path.join(root, 'transpiled')
const f = await Fabric.start({ workers: 2, cacheDir, log: () => {} })
type M = Record<string, { remote: () => ObjectRef }>
const m = await f.load<M>(wasm)
const js = new JsPool(2); await js.start()
const extra: JsPool[] = []
if (process.env.EXTRA) for (let i = 0; i < Number(process.env.EXTRA); i++) { const p = new JsPool(2); await p.start(); extra.push(p) }
const N = 500
const NOARGS = new Uint8Array([0x80])
for (let r = 0; r < 8; r++) {
  let t0 = performance.now()
  for (let i = 0; i < N; i++) await f.get(m.noop!.remote())
  const fab = (performance.now() - t0) * 1000 / N
  t0 = performance.now()
  for (let i = 0; i < N; i++) await js.call('noop', NOARGS)
  const pl = (performance.now() - t0) * 1000 / N
  console.log(`fabric ${fab.toFixed(1)} µs/task, js pool ${pl.toFixed(1)} µs/call ratio ${(pl / fab).toFixed(2)}`)
}
await js.stop(); for (const p of extra) await p.stop(); await f.stop()
