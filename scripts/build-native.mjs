// `npm install` builds the GPU bridge's native addon here. A missing compiler, BLAS or CUDA never
// fails the install: the build is retried without CUDA, then skipped (the pure-JS backend serves).
// FABRIC_NATIVE=0 skips it; FABRIC_CUDA=0 builds without CUDA.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'

if (process.env.FABRIC_NATIVE === '0') {
  console.log('fabric: FABRIC_NATIVE=0, not building the native GPU-bridge addon (the JS backend will serve)')
  process.exit(0)
}

const gyp = process.env.npm_config_node_gyp
const command = gyp !== undefined && existsSync(gyp) ? [process.execPath, gyp] : ['node-gyp']

// Node's own headers when installed beside it (no download: the install may be offline).
const prefix = path.dirname(path.dirname(process.execPath))
const nodedir = process.env.npm_config_nodedir === undefined && existsSync(path.join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : []

function build (env, what) {
  const started = Date.now()
  const r = spawnSync(command[0], [...command.slice(1), 'rebuild', ...nodedir], { stdio: 'inherit', env: { ...process.env, ...env } })
  const ok = r.status === 0
  console.log(`fabric: native addon ${what}: ${ok ? 'built' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return ok
}

// The built JavaScript (dist/src/gpu/native.js) looks for the addon under dist/build/Release: an
// installed package has dist/ already, a checkout gets the copy from `npm run build` (prepare).
function placeForDist () {
  if (!existsSync('dist')) return
  mkdirSync('dist/build/Release', { recursive: true })
  copyFileSync('build/Release/fabric_gpu.node', 'dist/build/Release/fabric_gpu.node')
}

if (build({}, 'build') || (process.env.FABRIC_CUDA !== '0' && build({ FABRIC_CUDA: '0' }, 'build without CUDA'))) {
  placeForDist()
  process.exit(0)
}
rmSync('build', { recursive: true, force: true })
rmSync('dist/build', { recursive: true, force: true })
console.warn('fabric: WARNING: the native GPU-bridge addon could not be built (no C++ compiler?); the pure-JS backend will serve tensors (slow matmul)')
