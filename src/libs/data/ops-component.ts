// Where the data library's own guest components come from: the ops component (guest/ops.ts,
// QuickJS: parsing, formatting, the row operators) and the record kernels (kernels/records.ts,
// AssemblyScript: sorting blocks of fixed-width records). Each is prebuilt beside this file in an
// installed package (dist/src/libs/data/<name>.wasm), else built from its source on first use with
// the guest SDK's toolchain and cached by the hash of its inputs ($FABRIC_CACHE/data).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FabricDriver, GuestModule } from '../../api/index.js'
import type { ObjectRef } from '../../api/interface.js'

/** The ops component's module type. */
export type Ops = GuestModule<typeof import('./guest/ops.js')>

/** The record kernels' module type (an AssemblyScript guest; its signatures as the driver sees them). */
export interface Kernels {
  sortRecords: { remote: (block: unknown, width: number, keyOffset: number, keyLength: number, descending: boolean) => ObjectRef<Uint8Array> }
  sampleKeys: { remote: (block: unknown, width: number, keyOffset: number, keyLength: number, count: number) => ObjectRef<Uint8Array> }
}

interface Source { name: string, source: string, lang: 'ts' | 'as' }

/** The ops component (QuickJS). */
export const OPS: Source = { name: 'ops', source: 'guest/ops.ts', lang: 'ts' }
/** The record kernels (AssemblyScript). */
export const KERNELS: Source = { name: 'kernels', source: 'kernels/records.ts', lang: 'as' }

const built = new Map<string, Promise<string>>()

/** The path of one of the library's components (built once per process when it must be). */
export async function componentPath (c: Source): Promise<string> {
  const prebuilt = fileURLToPath(new URL(`./${c.name}.wasm`, import.meta.url))
  if (fs.existsSync(prebuilt)) return prebuilt
  let p = built.get(c.name)
  if (p === undefined) {
    p = (async () => {
      // Beside this file in a checkout; from dist/, the package's own src/ (it ships both).
      const candidates = [`./${c.source}`, `../../../../src/libs/data/${c.source}`].map(u => fileURLToPath(new URL(u, import.meta.url)))
      const source = candidates.find(f => fs.existsSync(f))
      if (source === undefined) throw new Error(`the data library's ${c.name} component is missing: neither ${prebuilt} nor its source (${candidates.join(' or ')}) exists (reinstall the package)`)
      let build: typeof import('../../../guest-sdk/src/build/index.js')
      try {
        build = await import('../../../guest-sdk/src/build/index.js')
      } catch (err) {
        throw new Error(`the data library's ${c.name} component must be built from ${source}, which needs the guest toolchain (npm install ${c.lang === 'as' ? 'assemblyscript' : 'componentize-qjs'}): ${(err as Error).message}`, { cause: err })
      }
      const cache = process.env.FABRIC_CACHE !== undefined && process.env.FABRIC_CACHE !== '' ? process.env.FABRIC_CACHE : path.join(os.homedir(), '.cache', 'fabric')
      return await build.cachedBuild(source, path.join(cache, 'data'), c.lang)
    })()
    p.catch(() => built.delete(c.name))
    built.set(c.name, p)
  }
  return await p
}

/** The path of the ops component. */
export async function opsComponentPath (): Promise<string> {
  return await componentPath(OPS)
}

/** Load one of the library's components into `fabric` (once per fabric). */
export async function loadComponent<M> (fabric: FabricDriver, c: Source, loaded: WeakMap<FabricDriver, Map<string, Promise<unknown>>>): Promise<M> {
  let byName = loaded.get(fabric)
  if (byName === undefined) loaded.set(fabric, byName = new Map())
  let m = byName.get(c.name)
  if (m === undefined) {
    m = (async () => await fabric.load<M>(await componentPath(c)))()
    m.catch(() => byName.delete(c.name))
    byName.set(c.name, m)
  }
  return await (m as Promise<M>)
}
