// Public surface of the component area: load, validate and compile fabric components.
export { loadComponent, loadRecentComponents, DEFAULT_MEMORY_LIMIT_MB, type CachedComponent } from './load.js'
export { validateComponent, validateComponentSync, checkComponentHeader, checkComponentWorld, checkComponentSignatures } from './validate.js'
export { inspectComponent, type InspectLimits, type ComponentInspection } from './inspect.js'
export * from './constants.js'
export { createCompiledCache, defaultCompiledCache, CompiledCache, type CompiledCacheInit, type CompiledCacheStats } from './compiled-cache.js'
export { createTranspiler, defaultTranspiler, type Transpiler, type TranspilerInit, type TranspilerStats } from './transpiler.js'
export { limitMemory, mbToPages, WASM_PAGE_BYTES } from './memory-limit.js'
export { resolveCacheDir, getTranspilerVersion, trimDiskCache, CACHE_FORMAT, type CacheMeta, type DiskTrim } from './transpile-cache.js'
export {
  InvalidComponentError, ComponentNotFoundError, ComponentCacheError, TranspileLimitError, type InvalidComponentReason, type TranspileLimit
} from './errors.js'
export {
  buildHostImports, type HostImports, type HostImplementation, type GuestExports, type InstantiateComponent,
  type LogLevel, type TaskError, type WitManifest, type TaskInfo, type ActorClass
} from './host-imports.js'
export * from './interface.js'
export { parseManifest, MAX_MANIFEST_ENTRIES, MAX_MANIFEST_NAME_CHARS, type ManifestFailure } from './manifest.js'
export { cidOfBytes, cidOfBytesSync, verifyCid, parseCid, InvalidCidError } from '../objects/cid.js'
