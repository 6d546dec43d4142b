// Test fixtures built from source at test time (test/fixtures/components/), memoised for the run:
// QuickJS builds take 1–2 s each, so every spec file shares them.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { componentize } from 'componentize-qjs'
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco-transpile/wasm-tools'
// Sets V8's extended-const flag, which compiling QuickJS modules needs on Node 20.
import '../../src/component/load.js'
import { Reader, readSections } from '../../src/component/binary.js'
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

/** A component of the fabric's world built from `wit` alone (wasm-tools' dummy core module). */
export async function witComponent (wit: string, world = 'guest-world'): Promise<Uint8Array> {
  return await componentNew(await componentEmbed({ dummy: true, witSource: wit, world }))
}

/** Where each core module lies in a component (nested components' too), depth first. */
export function coreModules (bytes: Uint8Array, base = 0, depth = 0): Array<{ start: number, end: number, depth: number }> {
  const out: Array<{ start: number, end: number, depth: number }> = []
  for (const s of readSections(bytes)) {
    if (s.id === 1) out.push({ start: base + s.payloadStart, end: base + s.end, depth })
    if (s.id === 4) out.push(...coreModules(bytes.subarray(s.payloadStart, s.end), base + s.payloadStart, depth + 1))
  }
  return out
}

/**
 * A copy of `bytes` with the first function body of the largest core module left without its
 * final `end` (0x0b becomes a `nop`): a one-byte change that no validator accepts.
 */
export function breakCoreModule (bytes: Uint8Array): { damaged: Uint8Array, module: number } {
  const modules = coreModules(bytes)
  const index = modules.reduce((best, m, i) => m.end - m.start > modules[best]!.end - modules[best]!.start ? i : best, 0)
  const { start, end } = modules[index]!
  const module = bytes.subarray(start, end)
  const code = readSections(module).find((s) => s.id === 10)!
  const r = new Reader(module, code.payloadStart)
  r.u32() // function count
  const size = r.u32()
  const last = start + r.offset + size - 1
  if (bytes[last] !== 0x0b) throw new Error('the first function body does not end with `end`')
  const damaged = bytes.slice()
  damaged[last] = 0x01
  return { damaged, module: index }
}

/** A copy of `bytes` with every occurrence of `from` replaced by `to` (same length, so offsets hold). */
export function replaceAll (bytes: Uint8Array, from: string, to: string): Uint8Array {
  if (from.length !== to.length) throw new Error('replaceAll keeps lengths')
  const out = Buffer.from(bytes)
  const needle = Buffer.from(from, 'latin1')
  let n = 0
  for (let at = out.indexOf(needle); at !== -1; at = out.indexOf(needle, at + 1)) { out.write(to, at, 'latin1'); n++ }
  if (n === 0) throw new Error(`${from} does not occur`)
  return new Uint8Array(out)
}
