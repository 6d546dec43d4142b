import path from 'node:path'
import { cachedBuild } from '../../guest-sdk/src/build/cached-build.js'
import { loadComponent } from '../../src/component/index.js'
import { createExecPool } from '../../src/exec/index.js'
import { encode } from '../../src/objects/codec.js'
const root = path.resolve('.cache/bench')
const wasm = await cachedBuild(path.resolve('bench/guests/ray-qjs.ts'), root)
const cacheDir = path.join(root, 'transpiled')
const pool = createExecPool({ workers: 2, cacheDir })
await pool.start()
const c = await loadComponent(wasm, { cacheDir })
const args = encode([])
const out: string[] = []
for (let r = 0; r < 12; r++) {
  const t0 = performance.now()
  for (let i = 0; i < 500; i++) await pool.call(c, 'noop', args)
  out.push(((performance.now() - t0) * 1000 / 500).toFixed(0))
}
console.log(out.join(' '))
await pool.stop()
