// The in-memory cache of compiled components, least recently used first out, bounded by entries
// and by the bytes of the core modules it keeps compiled. Core modules are shared between entries
// by content (every QuickJS guest carries the same 1.3 MB engine module) and counted once; a module
// leaves with the last entry that uses it.
//
// Eviction only drops the cache's references. A component already handed out (to the runtime, a
// pool worker, a live actor) keeps its compiled modules alive and working: a WebAssembly.Module is
// freed by the garbage collector when nothing refers to it. Loading an evicted component again
// reads the disk cache and compiles it again (tens of milliseconds).
import type { CompiledComponent } from './interface.js'
import { DEFAULT_MEMORY_CACHE_BYTES, DEFAULT_MEMORY_CACHE_ENTRIES } from './constants.js'

/** Options of a {@link CompiledCache}. */
export interface CompiledCacheInit {
  /** Components kept (by CID, memory cap and cache folder). @default 256 (DEFAULT_MEMORY_CACHE_ENTRIES) */
  maxEntries?: number
  /**
   * Bytes of core modules kept compiled, each distinct module counted once by its size in the
   * component (V8's compiled code is a few times larger). @default 512 MiB (DEFAULT_MEMORY_CACHE_BYTES)
   */
  maxBytes?: number
}

/** Counters, for tests and status. */
export interface CompiledCacheStats {
  entries: number
  /** Distinct core modules held. */
  modules: number
  /** Their bytes. */
  bytes: number
  evictions: number
}

interface Entry {
  pending: Promise<CompiledComponent>
  /** Keys of the modules it holds once compiled. */
  modules: string[]
  settled: boolean
}

/** Compiled components of one process, bounded (see the file comment for what eviction means). */
export class CompiledCache {
  readonly maxEntries: number
  readonly maxBytes: number
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, Entry>()
  private readonly modules = new Map<string, { module: WebAssembly.Module, bytes: number, refs: number }>()
  private bytes = 0
  private evictions = 0

  constructor (init: CompiledCacheInit = {}) {
    this.maxEntries = positiveInteger(init.maxEntries ?? DEFAULT_MEMORY_CACHE_ENTRIES, 'maxEntries')
    this.maxBytes = positiveInteger(init.maxBytes ?? DEFAULT_MEMORY_CACHE_BYTES, 'maxBytes')
  }

  /** The entry of `key`, marked as just used. */
  get (key: string): Promise<CompiledComponent> | undefined {
    const e = this.entries.get(key)
    if (e === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, e)
    return e.pending
  }

  /**
   * Remember `pending` under `key`. When it resolves, `modules` (filled by the compile) become its
   * modules and the cache is trimmed; when it rejects, it is forgotten (the cause may pass).
   */
  set (key: string, pending: Promise<CompiledComponent>, modules: string[]): void {
    const entry: Entry = { pending, modules, settled: false }
    this.entries.set(key, entry)
    pending.then(() => {
      if (this.entries.get(key) !== entry) return this.release(modules)
      entry.settled = true
      this.trim()
    }, () => {
      if (this.entries.get(key) === entry) this.entries.delete(key)
      this.release(modules)
    })
  }

  /** A compiled core module by key (`sha256:pages`), counted for the entry being compiled. */
  module (key: string, holder: string[]): WebAssembly.Module | undefined {
    const m = this.modules.get(key)
    if (m === undefined) return undefined
    m.refs++
    holder.push(key)
    return m.module
  }

  /** Whether a module is held, without taking it. */
  hasModule (key: string): boolean {
    return this.modules.has(key)
  }

  /** Keep a freshly compiled module, counted for the entry being compiled. */
  addModule (key: string, module: WebAssembly.Module, bytes: number, holder: string[]): void {
    const known = this.modules.get(key)
    if (known !== undefined) {
      known.refs++
    } else {
      this.modules.set(key, { module, bytes, refs: 1 })
      this.bytes += bytes
    }
    holder.push(key)
  }

  stats (): CompiledCacheStats {
    return { entries: this.entries.size, modules: this.modules.size, bytes: this.bytes, evictions: this.evictions }
  }

  /** Forget everything (components handed out keep working). */
  clear (): void {
    for (const [key, e] of [...this.entries]) {
      this.entries.delete(key)
      if (e.settled) this.release(e.modules)
    }
  }

  /** Evict least recently used, settled entries until within both bounds (the newest always stays). */
  private trim (): void {
    let newest: string | undefined
    for (const key of this.entries.keys()) newest = key
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) return
      if (!e.settled || key === newest) continue
      this.entries.delete(key)
      this.release(e.modules)
      this.evictions++
    }
  }

  private release (modules: string[]): void {
    for (const key of modules.splice(0)) {
      const m = this.modules.get(key)
      if (m === undefined) continue
      if (--m.refs <= 0) {
        this.modules.delete(key)
        this.bytes -= m.bytes
      }
    }
  }
}

function positiveInteger (n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`component cache ${name} must be a positive integer, got ${n}`)
  return n
}

/**
 * A cache of compiled components with its own bounds.
 *
 * @example
 * const cache = createCompiledCache({ maxEntries: 32, maxBytes: 64 * 1024 * 1024 })
 * await loadComponent(bytes, { cache })
 */
export function createCompiledCache (init: CompiledCacheInit = {}): CompiledCache {
  return new CompiledCache(init)
}

let shared: CompiledCache | undefined

/** The process's cache with default bounds. */
export function defaultCompiledCache (): CompiledCache {
  shared ??= new CompiledCache()
  return shared
}
