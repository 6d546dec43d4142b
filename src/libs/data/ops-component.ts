// Where the data library's own guest component (guest/ops.ts) comes from: prebuilt beside this file
// in an installed package (dist/src/libs/data/ops.wasm), else built from its source on first use
// with the guest SDK's toolchain and cached by the hash of its inputs ($FABRIC_CACHE/data).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FabricDriver, GuestModule } from '../../api/index.js'

/** The ops component's module type. */
export type Ops = GuestModule<typeof import('./guest/ops.js')>

let built: Promise<string> | undefined

/** The path of the ops component (built once per process when it must be). */
export async function opsComponentPath (): Promise<string> {
  const prebuilt = fileURLToPath(new URL('./ops.wasm', import.meta.url))
  if (fs.existsSync(prebuilt)) return prebuilt
  built ??= (async () => {
    // Beside this file in a checkout; from dist/, the package's own src/ (it ships both).
    const candidates = ['./guest/ops.ts', '../../../../src/libs/data/guest/ops.ts'].map(u => fileURLToPath(new URL(u, import.meta.url)))
    const source = candidates.find(f => fs.existsSync(f))
    if (source === undefined) throw new Error(`the data library's ops component is missing: neither ${prebuilt} nor its source (${candidates.join(' or ')}) exists (reinstall the package)`)
    let build: typeof import('../../../guest-sdk/src/build/index.js')
    try {
      build = await import('../../../guest-sdk/src/build/index.js')
    } catch (err) {
      throw new Error(`the data library's ops component must be built from ${source}, which needs the guest toolchain (npm install componentize-qjs): ${(err as Error).message}`, { cause: err })
    }
    const cache = process.env.FABRIC_CACHE !== undefined && process.env.FABRIC_CACHE !== '' ? process.env.FABRIC_CACHE : path.join(os.homedir(), '.cache', 'fabric')
    return await build.cachedBuild(source, path.join(cache, 'data'))
  })()
  built.catch(() => { built = undefined })
  return await built
}

/** Load the ops component into `fabric` (once per fabric). */
export async function loadOps (fabric: FabricDriver, loaded: WeakMap<FabricDriver, Promise<Ops>>): Promise<Ops> {
  let ops = loaded.get(fabric)
  if (ops === undefined) {
    ops = (async () => await fabric.load<Ops>(await opsComponentPath()))()
    ops.catch(() => loaded.delete(fabric))
    loaded.set(fabric, ops)
  }
  return await ops
}
