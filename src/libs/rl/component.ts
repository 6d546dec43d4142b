// Where the rl library's guest component comes from: prebuilt beside this file in an installed
// package (dist/src/libs/rl/rl.wasm), else built from guest/rl.ts on first use with the guest SDK's
// toolchain and cached by the hash of its inputs ($FABRIC_CACHE/rl), as the data library's.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

let built: Promise<string> | undefined

/** The path of the rl component (built once per process when it must be). */
export async function rlComponentPath (): Promise<string> {
  const prebuilt = fileURLToPath(new URL('./rl.wasm', import.meta.url))
  if (fs.existsSync(prebuilt)) return prebuilt
  built ??= (async () => {
    const candidates = ['./guest/rl.ts', '../../../../src/libs/rl/guest/rl.ts'].map(u => fileURLToPath(new URL(u, import.meta.url)))
    const source = candidates.find(f => fs.existsSync(f))
    if (source === undefined) throw new Error(`the rl library's component is missing: neither ${prebuilt} nor its source (${candidates.join(' or ')}) exists (reinstall the package)`)
    let build: typeof import('../../../guest-sdk/src/build/index.js')
    try {
      build = await import('../../../guest-sdk/src/build/index.js')
    } catch (err) {
      throw new Error(`the rl library's component must be built from ${source}, which needs the guest toolchain (npm install componentize-qjs): ${(err as Error).message}`, { cause: err })
    }
    const cache = process.env.FABRIC_CACHE !== undefined && process.env.FABRIC_CACHE !== '' ? process.env.FABRIC_CACHE : path.join(os.homedir(), '.cache', 'fabric')
    return await build.cachedBuild(source, path.join(cache, 'rl'), 'ts')
  })()
  built.catch(() => { built = undefined })
  return await built
}
