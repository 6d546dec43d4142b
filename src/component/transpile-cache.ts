// The disk cache of transpiled components. Transpiling a QuickJS component costs ~0.6–1 s (plus
// loading jco-transpile itself), so each node does it once per CID and keeps the result:
//
//   <cacheDir>/components/<cid>/component.mjs        instantiation-mode ES module (its JSPI probes
//                                                     rewritten: see glue-patch.ts)
//                              /component.coreN.wasm  core modules, unpatched (memory caps are
//                                                     applied at compile time: they vary per load)
//                              /meta.json             written last: world, transpiler, file hashes
//
// Entries are built in a temporary directory and renamed into place, so a reader sees a whole entry
// or none; `meta.json` carries a sha256 per file, so a damaged entry is detected and rebuilt.
//
// The cache is bounded (`maxDiskBytes`): each read marks its entry used (the directory's mtime), and
// after each write the least recently used entries past the bound are removed, never the one just
// written. That never breaks a component in use: a compiled component holds its core modules in
// memory and its glue lives in `glue/`, which loses only files no entry refers to, that this
// process never handed out, and that no process used for an hour (GLUE_GRACE_MS).
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ComponentWorld } from './interface.js'
import { ComponentCacheError, InvalidComponentError, TranspileLimitError } from './errors.js'
import { defaultTranspiler, type Transpiler } from './transpiler.js'
import { DEFAULT_DISK_CACHE_BYTES } from './constants.js'
import { patchGlue } from './glue-patch.js'

/**
 * Bumped whenever the entry layout or what is stored changes, so old entries are rebuilt rather
 * than misread. 2: the glue's JSPI probes are rewritten (see glue-patch.ts). 3: entries are written
 * only after validation walked every core module and name (inspect.ts): older ones are revalidated.
 * 4: the glue's debug-log calls are guarded (glue-patch.ts).
 */
export const CACHE_FORMAT = 4
const TRANSPILER = '@bytecodealliance/jco-transpile'
const JS_FILE = 'component.mjs'
const META_FILE = 'meta.json'
// Leftovers of a crashed writer older than this are swept on the next write.
const STALE_MS = 60 * 60 * 1000
// A glue file no entry refers to is removed only once unused this long (other processes may hold it).
const GLUE_GRACE_MS = 60 * 60 * 1000

/** The `meta.json` of a cache entry. */
export interface CacheMeta {
  format: number
  cid: string
  /** The transpiler that produced the entry: an upgrade re-transpiles. */
  transpiler: { name: string, version: string }
  world: ComponentWorld
  /** ISO time the entry was written. */
  created: string
  /** Every file of the entry but meta.json, with its size and sha256 (hex). */
  files: Record<string, { size: number, sha256: string }>
}

/** A verified cache entry, with its core modules read into memory. */
export interface CacheEntry {
  dir: string
  meta: CacheMeta
  /** file: URL of the transpiled ES module. */
  jsUrl: string
  /**
   * Core module bytes by the name the transpiled JS asks `getCoreModule` for; modules the caller
   * already holds (see `readCacheEntry`'s `known`) are left out and listed in `sharedModules`.
   */
  coreModules: Record<string, Uint8Array<ArrayBuffer>>
  /** Names of core modules not read because the caller has them compiled, with their sha256. */
  sharedModules: Record<string, string>
}

/**
 * The cache directory: `explicit`, else `$FABRIC_CACHE`, else `~/.cache/fabric`.
 * @example
 * resolveCacheDir() // '/home/me/.cache/fabric'
 */
export function resolveCacheDir (explicit?: string): string {
  if (explicit !== undefined && explicit !== '') return explicit
  const env = process.env.FABRIC_CACHE
  if (env !== undefined && env !== '') return env
  return join(homedir(), '.cache', 'fabric')
}

let transpilerVersion: string | undefined

/** The installed jco-transpile version, read from its package.json (its exports map hides it). */
export function getTranspilerVersion (): string {
  if (transpilerVersion === undefined) {
    const entry = createRequire(import.meta.url).resolve(TRANSPILER)
    // entry is <pkg>/dist/index.js
    const pkg = JSON.parse(readFileSync(join(dirname(dirname(entry)), 'package.json'), 'utf8')) as { version: string }
    transpilerVersion = pkg.version
  }
  return transpilerVersion
}

function entryDir (cacheDir: string, cid: string): string {
  return join(cacheDir, 'components', cid)
}

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Read and verify the entry for `cid`. Returns undefined when there is none or when it is stale
 * (other format or transpiler version), partial or damaged: the caller then rebuilds it.
 *
 * Synchronous on purpose: this is the cold-start path of every cached load, the files are usually
 * in the page cache, and a dozen promise round trips through the thread pool cost more than the
 * reads. The compile that follows blocks longer anyway.
 */
// Glue files verified (and handed out) by this process: jco emits the same glue for every component
// of one toolchain (all QuickJS components share it), so it is stored once, by content, and workers
// import one module for all of them. A worker started later imports it again: trimming never
// removes these files.
const verifiedGlue = new Set<string>()

function sharedGlue (cacheDir: string, sha: string, read: () => Uint8Array): string | undefined {
  const file = join(cacheDir, 'glue', `${sha}.mjs`)
  if (verifiedGlue.has(file)) {
    touch(file)
    return pathToFileURL(file).href
  }
  try {
    if (sha256(readFileSync(file)) === sha) {
      verifiedGlue.add(file)
      return pathToFileURL(file).href
    }
  } catch { /* not there yet: write it below */ }
  try {
    const data = read()
    if (sha256(data) !== sha) return undefined
    mkdirSync(join(cacheDir, 'glue'), { recursive: true })
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
    writeFileSync(tmp, data)
    renameSync(tmp, file)
    verifiedGlue.add(file)
    return pathToFileURL(file).href
  } catch {
    return undefined
  }
}

/**
 * Read and verify the cache entry of `cid`. Core modules whose sha256 `known` recognises (already
 * compiled by the caller) are not read: the QuickJS engine module is 1.3 MB and the same in every
 * QuickJS component.
 */
export function readCacheEntry (cacheDir: string, cid: string, known: (sha256: string) => boolean = () => false): CacheEntry | undefined {
  const dir = entryDir(cacheDir, cid)
  let meta: CacheMeta
  try {
    meta = JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')) as CacheMeta
  } catch {
    return undefined
  }
  if (!isUsableMeta(meta, cid)) return undefined
  const coreModules: Record<string, Uint8Array<ArrayBuffer>> = {}
  const sharedModules: Record<string, string> = {}
  for (const [name, expected] of Object.entries(meta.files)) {
    if (name.endsWith('.wasm') && known(expected.sha256)) {
      sharedModules[name] = expected.sha256
      continue
    }
    if (name === JS_FILE) continue
    let data: Uint8Array<ArrayBuffer>
    try {
      data = readFileSync(join(dir, name))
    } catch {
      return undefined
    }
    if (data.length !== expected.size || sha256(data) !== expected.sha256) return undefined
    if (name.endsWith('.wasm')) coreModules[name] = data
  }
  const glue = meta.files[JS_FILE]!
  const jsUrl = sharedGlue(cacheDir, glue.sha256, () => readFileSync(join(dir, JS_FILE)))
  if (jsUrl === undefined) return undefined
  touch(dir)
  return { dir, meta, jsUrl, coreModules, sharedModules }
}

/**
 * The `count` most recently used entries of the disk cache (by the mtime each read sets, `used`),
 * most recent first; none when the cache is empty or missing. Whether each is usable is not checked.
 */
export async function recentCacheEntries (cacheDir: string, count: number): Promise<Array<{ cid: string, used: number }>> {
  if (count <= 0) return []
  const root = join(cacheDir, 'components')
  const found: Array<{ cid: string, used: number }> = []
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (name.startsWith('.')) continue
    const st = await stat(join(root, name)).catch(() => undefined)
    if (st?.isDirectory() === true) found.push({ cid: name, used: st.mtimeMs })
  }
  return found.sort((a, b) => b.used - a.used).slice(0, count)
}

/** Set an entry's last use back to `used` (ms since the epoch): a read that was not a use. */
export function restoreUse (cacheDir: string, cid: string, used: number): void {
  try {
    // In seconds as numbers: a Date keeps whole milliseconds, and the restored time came back up to
    // ~1 ms off the one read (stat gives fractions of a millisecond).
    utimesSync(entryDir(cacheDir, cid), Date.now() / 1000, used / 1000)
  } catch { /* removed meanwhile: nothing to restore */ }
}

/** Mark a cache file or entry used now (its mtime orders eviction). */
function touch (path: string): void {
  try {
    const now = new Date()
    utimesSync(path, now, now)
  } catch { /* removed meanwhile, or a read-only cache: eviction order only */ }
}

// meta.json is read back from disk: check its shape before trusting it, including that file names
// are plain names (a damaged or hand-edited entry must not make us read outside its directory).
function isUsableMeta (meta: CacheMeta, cid: string): boolean {
  if (typeof meta !== 'object' || meta === null) return false
  if (meta.format !== CACHE_FORMAT || meta.cid !== cid) return false
  if (meta.transpiler?.name !== TRANSPILER || meta.transpiler.version !== getTranspilerVersion()) return false
  if (!Array.isArray(meta.world?.imports) || !Array.isArray(meta.world?.exports)) return false
  if (typeof meta.files !== 'object' || meta.files === null || !Object.hasOwn(meta.files, JS_FILE)) return false
  return Object.entries(meta.files).every(([name, f]) =>
    /^[\w-][\w.-]*$/.test(name) && typeof f?.size === 'number' && typeof f?.sha256 === 'string')
}

/**
 * Transpile `bytes` (already validated, with world `world`) with `transpiler` (its limits apply) and
 * store the result as the entry for `cid`, atomically. When another process stored a valid entry first, that entry is used.
 */
export async function writeCacheEntry (cacheDir: string, cid: string, bytes: Uint8Array, world: ComponentWorld, options: WriteCacheOptions = {}): Promise<CacheEntry> {
  const files = await transpile(bytes, options.transpiler ?? defaultTranspiler())
  const root = join(cacheDir, 'components')
  let tmp: string
  try {
    await mkdir(root, { recursive: true })
    await sweepLeftovers(root)
    tmp = await mkdtemp(join(root, `.tmp-${cid}-`))
  } catch (err) {
    throw new ComponentCacheError(`cannot write the component cache in ${cacheDir}: ${(err as Error).message}; set FABRIC_CACHE or cacheDir to a writable directory`, { cause: err })
  }
  try {
    const meta: CacheMeta = {
      format: CACHE_FORMAT,
      cid,
      transpiler: { name: TRANSPILER, version: getTranspilerVersion() },
      world,
      created: new Date().toISOString(),
      files: {}
    }
    await Promise.all(Object.entries(files).map(async ([name, data]) => {
      meta.files[name] = { size: data.length, sha256: sha256(data) }
      await writeFile(join(tmp, name), data)
    }))
    await writeFile(join(tmp, META_FILE), JSON.stringify(meta, null, 2))
    await publish(root, tmp, cid)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    if (err instanceof ComponentCacheError) throw err
    throw new ComponentCacheError(`cannot write the component cache in ${cacheDir}: ${(err as Error).message}`, { cause: err })
  }
  const entry = readCacheEntry(cacheDir, cid)
  if (entry === undefined) throw new ComponentCacheError(`the cache entry for ${cid} in ${cacheDir} was damaged right after it was written: is another program writing there?`)
  await trimDiskCache(cacheDir, options.maxDiskBytes ?? DEFAULT_DISK_CACHE_BYTES, cid)
  return entry
}

/** Options of {@link writeCacheEntry}. */
export interface WriteCacheOptions {
  /** @default the process's shared transpiler */
  transpiler?: Transpiler
  /** Bound of the disk cache, trimmed after the write. @default 2 GiB (DEFAULT_DISK_CACHE_BYTES) */
  maxDiskBytes?: number
}

/** What {@link trimDiskCache} found and did. */
export interface DiskTrim {
  /** Bytes of entries and glue before and after. */
  before: number
  after: number
  /** CIDs of the entries removed, least recently used first. */
  removed: string[]
  /** Glue files removed. */
  glue: string[]
}

/**
 * Remove least recently used entries of the disk cache until it holds at most `maxBytes` (entries
 * and glue), never `keep`; then glue files that no remaining entry refers to, unless this process
 * handed them out or they were used within the last hour. Concurrent trims (other processes) are
 * safe: an entry is renamed aside before it is deleted, and a reader of it rebuilds it.
 */
export async function trimDiskCache (cacheDir: string, maxBytes: number, keep?: string): Promise<DiskTrim> {
  const root = join(cacheDir, 'components')
  const entries: Array<{ cid: string, bytes: number, used: number, glue?: string }> = []
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (name.startsWith('.')) continue
    entries.push({ cid: name, ...await entrySize(join(root, name)) })
  }
  const glueDir = join(cacheDir, 'glue')
  const glue: Array<{ file: string, bytes: number, used: number }> = []
  for (const name of await readdir(glueDir).catch(() => [] as string[])) {
    if (!name.endsWith('.mjs')) continue
    const st = await stat(join(glueDir, name)).catch(() => undefined)
    if (st !== undefined) glue.push({ file: join(glueDir, name), bytes: st.size, used: st.mtimeMs })
  }
  const before = [...entries, ...glue].reduce((n, e) => n + e.bytes, 0)
  let total = before
  const removed: string[] = []
  if (total > maxBytes) {
    for (const e of [...entries].sort((a, b) => a.used - b.used)) {
      if (total <= maxBytes) break
      if (e.cid === keep) continue
      if (await removeEntry(root, e.cid)) {
        removed.push(e.cid)
        total -= e.bytes
        entries.splice(entries.indexOf(e), 1)
      }
    }
  }
  const referenced = new Set(entries.map((e) => e.glue))
  const now = Date.now()
  const glueRemoved: string[] = []
  for (const g of glue) {
    const name = g.file.slice(glueDir.length + 1, -'.mjs'.length)
    if (referenced.has(name) || verifiedGlue.has(g.file) || now - g.used < GLUE_GRACE_MS) continue
    try {
      await rm(g.file, { force: true })
      glueRemoved.push(name)
      total -= g.bytes
    } catch { /* removed by another process */ }
  }
  return { before, after: total, removed, glue: glueRemoved }
}

/** An entry's bytes (from its meta.json, else its files), when it was last used, its glue's sha256. */
async function entrySize (dir: string): Promise<{ bytes: number, used: number, glue?: string }> {
  const used = (await stat(dir).catch(() => undefined))?.mtimeMs ?? 0
  try {
    const text = await readFile(join(dir, META_FILE), 'utf8')
    const meta = JSON.parse(text) as CacheMeta
    const files = Object.values(meta.files ?? {})
    if (files.every((f) => typeof f?.size === 'number')) {
      return { bytes: text.length + files.reduce((n, f) => n + f.size, 0), used, glue: meta.files[JS_FILE]?.sha256 }
    }
  } catch { /* partial or damaged: measure its files */ }
  let bytes = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) bytes += (await stat(join(dir, name)).catch(() => undefined))?.size ?? 0
  return { bytes, used }
}

async function removeEntry (root: string, cid: string): Promise<boolean> {
  const trash = join(root, `.trash-${cid}-${randomBytes(6).toString('hex')}`)
  try {
    await rename(join(root, cid), trash)
  } catch {
    return false // another process removed or replaced it first
  }
  await rm(trash, { recursive: true, force: true })
  return true
}

/**
 * Rename the finished `tmp` to the entry's name. rename(2) refuses to replace a non-empty
 * directory: then another process got there first (keep its entry if valid) or a damaged/stale
 * entry is in the way (move it aside, then retry).
 */
async function publish (root: string, tmp: string, cid: string): Promise<void> {
  const dir = join(root, cid)
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await rename(tmp, dir)
      return
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw err
    }
    if (readCacheEntry(dirname(root), cid) !== undefined) {
      await rm(tmp, { recursive: true, force: true })
      return
    }
    const trash = join(root, `.trash-${cid}-${randomBytes(6).toString('hex')}`)
    try {
      await rename(dir, trash)
    } catch (err) {
      // Another process moved it aside first: just retry.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    await rm(trash, { recursive: true, force: true })
  }
  throw new ComponentCacheError(`could not replace the cache entry ${dir} after 5 attempts: another process keeps rewriting it`)
}

/** Remove temporary and trash directories that crashed writers left behind. */
async function sweepLeftovers (root: string): Promise<void> {
  const now = Date.now()
  for (const name of await readdir(root)) {
    if (!name.startsWith('.tmp-') && !name.startsWith('.trash-')) continue
    const path = join(root, name)
    try {
      if (now - (await stat(path)).mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true })
    } catch {
      // Swept concurrently by another process.
    }
  }
}

/** Transpile in instantiation mode: the JS has no imports and takes the host's imports as an argument. */
async function transpile (bytes: Uint8Array, transpiler: Transpiler): Promise<Record<string, Uint8Array>> {
  let files: Record<string, Uint8Array>
  try {
    files = await transpiler.transpile(bytes, {
      name: 'component',
      instantiation: { tag: 'sync' },
      wasiShim: false,
      emitTypescriptDeclarations: false
    })
  } catch (err) {
    if (err instanceof TranspileLimitError) throw err
    throw new InvalidComponentError(
      `jco-transpile ${getTranspilerVersion()} cannot transpile the component (${(err as Error).message}): ` +
      'it probably uses a component-model feature this host does not support yet (async, threads); build it with `fabric build`',
      { reason: 'unsupported-feature', cause: err }
    )
  }
  const out: Record<string, Uint8Array> = {}
  for (const [name, data] of Object.entries(files)) {
    // .mjs: the cache directory has no package.json saying "type": "module".
    if (name === 'component.js') out[JS_FILE] = patchGlue(data)
    else if (name.endsWith('.wasm')) out[name] = data
  }
  if (out[JS_FILE] === undefined) throw new Error(`jco-transpile produced no component.js (files: ${Object.keys(files).join(', ')})`)
  return out
}
