// loadComponent: bytes -> a component ready to instantiate. The expensive steps run at most once:
// decoding and transpiling once per CID per machine (the disk cache), compiling once per CID and
// memory cap per process (the map below). A cached load only reads, hashes and compiles.
import './v8-features.js'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { cidOfBytesSync } from '../objects/cid.js'
import type { CompiledComponent, LoadComponentInit } from './interface.js'
import { ComponentNotFoundError, InvalidComponentError } from './errors.js'
import { checkComponentHeader, checkComponentWorld, validateComponentSync } from './validate.js'
import { defaultCompiledCache, type CompiledCache } from './compiled-cache.js'
import { readCacheEntry, recentCacheEntries, resolveCacheDir, restoreUse, writeCacheEntry, type CacheEntry } from './transpile-cache.js'
import { exposeGlobals } from './expose-globals.js'
import { limitMemory, mbToPages } from './memory-limit.js'


/** Default cap on each instance's linear memory. */
export const DEFAULT_MEMORY_LIMIT_MB = 256

/**
 * Load a component from a file path or its bytes: identify it by CID, validate it, transpile it
 * (cached on disk per CID, the cache trimmed to `diskCacheBytes`), cap its memories and compile its
 * core modules (cached in this process per CID and cap, least recently used out past the cache's
 * bounds; concurrent loads of one component share the work).
 *
 * @param source - path of a `.wasm` component, or its bytes.
 * @throws {ComponentNotFoundError} when the file cannot be read.
 * @throws {InvalidComponentError} when the bytes are not a fabric component, with a `reason`.
 * @throws {ComponentCacheError} when the cache directory is not writable.
 * @throws {TranspileLimitError} when transpiling ran past the transpiler's time or heap limit.
 * @example
 * const c = await loadComponent('build/hello.wasm', { memoryLimitMb: 128 })
 * const { instantiate } = await import(c.jsUrl)
 * const exports = instantiate((name: string) => c.modules[name], hostImports)
 */
export async function loadComponent (source: string | Uint8Array, init: LoadComponentInit = {}): Promise<CompiledComponent> {
  const maxMemoryPages = mbToPages(init.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB)
  const bytes = typeof source === 'string' ? await readComponentFile(source) : source
  checkComponentHeader(bytes)
  const cid = cidOfBytesSync(bytes)
  const cacheDir = resolveCacheDir(init.cacheDir)
  const cache = init.cache ?? defaultCompiledCache()
  // The compiled component points into its cache folder (the glue's URL): one entry per folder.
  const key = `${cid}:${maxMemoryPages}:${cacheDir}`
  let pending = cache.get(key)
  if (pending === undefined) {
    const modules: string[] = []
    pending = compileComponent(bytes, cid, maxMemoryPages, cacheDir, init, cache, modules)
    // A failure is not remembered: the cause (a full disk, a damaged cache) may go away.
    cache.set(key, pending, modules)
  }
  return await pending
}

async function readComponentFile (path: string): Promise<Uint8Array> {
  const abs = resolve(path)
  try {
    return await readFile(abs)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message
    throw new ComponentNotFoundError(`cannot read component ${abs}: ${why}`, { cause: err })
  }
}

async function compileComponent (
  bytes: Uint8Array, cid: string, maxMemoryPages: number, cacheDir: string, init: LoadComponentInit, cache: CompiledCache, held: string[]
): Promise<CompiledComponent> {
  // Core modules are shared by content (every QuickJS guest carries the same 1.3 MB engine), so a
  // module the cache holds compiled is not even read from disk.
  let entry = readCacheEntry(cacheDir, cid, sha => cache.hasModule(moduleKey(sha, maxMemoryPages)))
  if (entry === undefined) {
    const world = validateComponentSync(bytes, { maxBytes: init.maxComponentBytes })
    entry = await writeCacheEntry(cacheDir, cid, bytes, world, { transpiler: init.transpiler, maxDiskBytes: init.diskCacheBytes })
  } else {
    // The rules may be stricter than when the entry was written.
    checkComponentWorld(entry.meta.world)
  }
  return { cid, size: bytes.length, ...compileEntry(entry, cid, maxMemoryPages, cache, held) }
}

/** Compile the core modules of a cache entry (those the cache holds compiled are taken from it). */
function compileEntry (entry: CacheEntry, cid: string, maxMemoryPages: number, cache: CompiledCache, held: string[]): Omit<CompiledComponent, 'cid' | 'size'> {
  const modules: Record<string, WebAssembly.Module> = {}
  for (const [name, sha] of Object.entries(entry.sharedModules)) {
    // Synchronous since readCacheEntry: nothing can have evicted it in between.
    const known = cache.module(moduleKey(sha, maxMemoryPages), held)
    if (known === undefined) throw new Error(`core module ${name} of ${cid} was neither read nor compiled`)
    modules[name] = known
  }
  for (const [name, core] of Object.entries(entry.coreModules)) {
    const key = moduleKey(entry.meta.files[name]?.sha256 ?? `${cid}/${name}`, maxMemoryPages)
    const known = cache.module(key, held)
    if (known !== undefined) {
      modules[name] = known
      continue
    }
    // Mutable globals exported too (unused by the glue): a durable actor's snapshot reads and restores them.
    const capped = limitMemory(exposeGlobals(core, name), maxMemoryPages, name)
    try {
      modules[name] = new WebAssembly.Module(capped)
    } catch (err) {
      // The bytes matched their hash, so the module itself uses something this V8 cannot compile.
      throw new InvalidComponentError(
        `core module ${name} of component ${cid} does not compile on Node ${process.versions.node}: ${(err as Error).message}`,
        { reason: 'unsupported-feature', cause: err }
      )
    }
    cache.addModule(key, modules[name], core.length, held)
  }
  return { world: entry.meta.world, jsUrl: entry.jsUrl, modules, maxMemoryPages }
}

/** A compiled core module's key in the compiled cache: its content and the memory cap applied. */
function moduleKey (sha256: string, maxMemoryPages: number): string {
  return `${sha256}:${maxMemoryPages}`
}

/** A component compiled from the disk cache alone (its own bytes are not read: it has no `size`). */
export type CachedComponent = Omit<CompiledComponent, 'size'>

/**
 * Compile the `count` most recently used components of the disk cache, for a pool to run once
 * before any work asks for them (`ExecPool.prewarm`): the QuickJS engine module every QuickJS
 * guest shares is compiled, and its code warmed, before the first task of any QuickJS component.
 * Entries that are missing, damaged or no longer allowed are skipped. The modules stay in the
 * compiled cache (counted against its bounds like any entry), so a later `loadComponent` of any
 * component sharing them compiles only its own.
 */
export async function loadRecentComponents (count: number, init: LoadComponentInit = {}): Promise<CachedComponent[]> {
  const maxMemoryPages = mbToPages(init.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB)
  const cacheDir = resolveCacheDir(init.cacheDir)
  const cache = init.cache ?? defaultCompiledCache()
  const out: CachedComponent[] = []
  // Newest first, past unusable ones (after a transpiler upgrade the newest may be stale), looking
  // at a bounded number; each entry read gets its last use back: a prewarm is not a use.
  for (const { cid, used } of await recentCacheEntries(cacheDir, count + PREWARM_EXTRA_ENTRIES)) {
    if (out.length >= count) break
    const key = `prewarm:${cid}:${maxMemoryPages}:${cacheDir}`
    let pending = cache.get(key) as Promise<CachedComponent> | undefined
    if (pending === undefined) {
      const held: string[] = []
      pending = (async () => {
        const entry = readCacheEntry(cacheDir, cid, sha => cache.hasModule(moduleKey(sha, maxMemoryPages)))
        if (entry === undefined) throw new Error(`no usable cache entry for ${cid}`)
        checkComponentWorld(entry.meta.world)
        return { cid, ...compileEntry(entry, cid, maxMemoryPages, cache, held) }
      })()
      cache.set(key, pending as Promise<CompiledComponent>, held)
    }
    try {
      out.push(await pending)
    } catch { /* skipped: see above */ } finally {
      restoreUse(cacheDir, cid, used)
    }
  }
  return out
}

/** Entries looked at past the ones asked for, when the newest are unusable. */
const PREWARM_EXTRA_ENTRIES = 16
