// Test fixtures built from source at test time (test/fixtures/components/), memoised for the run:
// QuickJS builds take 1–2 s each, so every spec file shares them.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { componentize } from 'componentize-qjs'
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools'
// Sets V8's extended-const flag, which compiling QuickJS modules needs on Node 20.
import '../../src/component/load.js'
import { tempDir as makeTempDir } from '../helpers/fixtures.js'

export const FIXTURES = fileURLToPath(new URL('../fixtures/components/', import.meta.url))
export const FABRIC_WIT = fileURLToPath(new URL('../../wit/fabric.wit', import.meta.url))

const memo = new Map<string, Promise<Uint8Array>>()
function once (key: string, build: () => Promise<Uint8Array>): Promise<Uint8Array> {
  let p = memo.get(key)
  if (p === undefined) { p = build(); memo.set(key, p) }
  return p
}

async function qjs (witPath: string, world: string, source: string, stubWasi: boolean): Promise<Uint8Array> {
  const jsPath = join(FIXTURES, source)
  const { component } = await componentize({ witPath, world, jsSource: await readFile(jsPath, 'utf8'), jsPath, sync: true, stubWasi })
  return new Uint8Array(component)
}

/** A valid QuickJS fabric guest (WASI stubbed, as `fabric build` makes them). */
export const guestComponent = (): Promise<Uint8Array> => once('guest', () => qjs(FABRIC_WIT, 'plain-guest-world', 'guest.js', true))
/** The same guest built without stubbing WASI: imports wasi:filesystem, wasi:cli, ... */
export const wasiGuestComponent = (): Promise<Uint8Array> => once('wasi-guest', () => qjs(FABRIC_WIT, 'guest-world', 'guest.js', false))
/** A QuickJS component of another world (exports `run: func() -> u32`). */
export const otherWorldComponent = (): Promise<Uint8Array> => once('other', () => qjs(join(FIXTURES, 'other-world.wit'), 'runner', 'other-world.js', true))
/** A WAT fixture from test/fixtures/components/, assembled. */
export const wat = (name: string): Promise<Uint8Array> => once(`wat:${name}`, async () => await parse(await readFile(join(FIXTURES, name), 'utf8')))

/** A fresh temporary directory (test/helpers' tempDir), with an async `cleanup` for these specs. */
export async function tempDir (prefix = 'fabric-component-'): Promise<{ dir: string, cleanup: () => Promise<void> }> {
  const t = makeTempDir(prefix)
  return { dir: t.dir, cleanup: async () => t.remove() }
}
