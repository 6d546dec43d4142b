// Every limit of the component area in one place: what validation, the transpiler thread and the
// component caches accept by default. Components arrive from untrusted peers, so each bound is
// chosen well above what a real guest needs (QuickJS guests: ~2.3 MB, 5 core modules, 4 nested
// components, a few hundred sections; StarlingMonkey guests: ~12.5 MB) and far below what would
// hurt a node.

/** Largest component accepted, in bytes. */
export const MAX_COMPONENT_BYTES = 64 * 1024 * 1024
/** Most nested scopes (components inside components, instance and component types inside types). */
export const MAX_COMPONENT_DEPTH = 16
/** Most sections in a component, nested components' included. */
export const MAX_COMPONENT_SECTIONS = 100_000
/** Most core modules in a component, nested components' included. */
export const MAX_CORE_MODULES = 1_000
/** Longest import, export or type name, in bytes. */
export const MAX_NAME_BYTES = 1_024
/**
 * Most steps of type evaluation (a step renders or substitutes one type node). A QuickJS guest
 * takes ~2,000; types built to blow up exponentially are refused after this many.
 */
export const MAX_TYPE_STEPS = 1_000_000

/** Heap of a transpiler thread (jco-transpile on a 1.6 MB QuickJS guest runs in 16 MiB, not in 8). */
export const DEFAULT_TRANSPILE_HEAP_MB = 256
/** Wall-clock time one transpile may take before its thread is terminated. */
export const DEFAULT_TRANSPILE_TIMEOUT_MS = 60_000
/** Transpiles running at once in a process (each is a second or more of one core's work). */
export const DEFAULT_TRANSPILE_CONCURRENCY = 1

/** Compiled components kept in memory per process (by CID, memory cap and cache folder). */
export const DEFAULT_MEMORY_CACHE_ENTRIES = 256
/** Bytes of core modules kept compiled in memory (each distinct module counted once). */
export const DEFAULT_MEMORY_CACHE_BYTES = 512 * 1024 * 1024
/** Bytes of transpiled components kept in the disk cache (`<cacheDir>/components`). */
export const DEFAULT_DISK_CACHE_BYTES = 2 * 1024 * 1024 * 1024
