// Contracts of the component area: what a loaded, validated, compiled component looks like to
// the rest of the fabric.
import type { Transpiler } from './transpiler.js'
import type { CompiledCache } from './compiled-cache.js'

/** The WIT package and world every guest targets. */
export const FABRIC_WIT_PACKAGE = 'fabric:core'
export const FABRIC_WIT_VERSION = '0.1.0'
export const FABRIC_WORLD = 'guest-world'

/** The interfaces a guest may import (anything else is refused at load). */
export const ALLOWED_IMPORTS = ['types', 'log', 'objects', 'tasks', 'gpu', 'collective'] as const

/** A manifest as the guest's `describe` returns it (checked by `parseManifest`). */
export interface Manifest {
  sdk: string
  /** `memo`: the guest declared the task memoised (absent: not). */
  tasks: Array<{ name: string, streaming: boolean, memo?: boolean }>
  /**
   * Actor classes: their methods, and which of those are generators (`streaming`: a driver's call
   * streams their values). Empty for components built before the field existed.
   */
  actors: Array<{ name: string, methods: string[], streaming: string[] }>
}

/** What validation learned about a component's interface. */
export interface ComponentWorld {
  /** Imported interfaces, fully qualified (`fabric:core/log@0.1.0`). */
  imports: string[]
  /** Exported interfaces and functions (`fabric:core/guest@0.1.0`, `init`). */
  exports: string[]
}

/**
 * A component ready to run: named by the CID of its bytes, transpiled (cached on disk) and its
 * core modules compiled in this process. `WebAssembly.Module`s can be posted to workers.
 */
export interface CompiledComponent {
  /** CIDv1 (raw, sha2-256) of the component bytes. */
  cid: string
  /** Size of the component in bytes. */
  size: number
  world: ComponentWorld
  /** file: URL of the transpiled instantiation-mode ES module (exports `instantiate`). */
  jsUrl: string
  /** Compiled core modules, keyed by the file name the transpiled JS asks for. */
  modules: Record<string, WebAssembly.Module>
  /** Memory cap applied to each core module's linear memory, in 64 KiB pages. */
  maxMemoryPages: number
}

/** Options for {@link loadComponent}. */
export interface LoadComponentInit {
  /**
   * Directory of the transpile cache.
   * @default $FABRIC_CACHE, else ~/.cache/fabric
   */
  cacheDir?: string
  /**
   * Cap on each instance's linear memory in MiB (written into the core modules' memory maximum).
   * @default 256
   */
  memoryLimitMb?: number
  /**
   * Transpiles components not in the cache, within its limits (time, heap, concurrency).
   * @default the process's shared transpiler (createTranspiler() defaults: 60 s, 256 MiB, 1 at a time)
   */
  transpiler?: Transpiler
  /**
   * Compiled components kept in this process, bounded by entries and bytes (LRU). Evicting one
   * never breaks a component already handed out: loading it again only compiles it again.
   * @default the process's shared cache (256 entries, 512 MiB of core modules)
   */
  cache?: CompiledCache
  /**
   * Bytes the disk cache (`<cacheDir>/components` and `glue`) may hold; after each transpile the
   * least recently used entries beyond it are removed (never the one just written).
   * @default 2 GiB (DEFAULT_DISK_CACHE_BYTES)
   */
  diskCacheBytes?: number
  /**
   * Largest component accepted, in bytes.
   * @default 64 MiB (MAX_COMPONENT_BYTES)
   */
  maxComponentBytes?: number
}
