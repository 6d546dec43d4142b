import { buildHostImports, loadComponent, type InstantiateComponent } from '../../src/component/index.js'
import { createGpuScope } from '../../src/gpu/index.js'
import { encode } from '../../src/objects/codec.js'
const [cacheDir, p] = process.argv.slice(2)
const c = await loadComponent(p!, { cacheDir })
const imports = buildHostImports({
  log: { log: () => {} },
  objects: { get: () => new Uint8Array(), put: () => '' },
  tasks: { submit: () => '', get: () => new Uint8Array(), wait: (ids) => ids },
  ...(({ imports, collectiveImports }) => ({ gpu: imports, collective: collectiveImports }))(createGpuScope({ readObject: () => new Uint8Array() }))
})
const { instantiate } = await import(process.env.GLUE ?? c.jsUrl) as { instantiate: InstantiateComponent }
const { guest } = instantiate((name) => c.modules[name]!, imports)
const args = encode([new Uint8Array(16).fill(7)])
for (let r = 0; r < 5; r++) {
  const n = 20000
  const t0 = performance.now()
  for (let i = 0; i < n; i++) guest.call('echo', args)
  console.log('µs/call', ((performance.now() - t0) * 1000 / n).toFixed(2))
}
