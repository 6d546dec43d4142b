// Errors of the component area. Each message says what is wrong with the component and how to fix
// it, because the person reading it is usually the one who built the component.
import { FabricError, registerError } from '../errors/index.js'

/**
 * Why a component was refused:
 * - `empty`: no bytes at all;
 * - `not-wasm`: the bytes are not WebAssembly;
 * - `core-module`: a core WebAssembly module, not a component;
 * - `unsupported-encoding`: a component binary of a pre-release or future encoding version;
 * - `truncated`: a component header followed by bytes that do not parse (cut short or damaged);
 * - `malformed`: whole, but its structure does not decode (an unknown section, an index out of range);
 * - `too-large`: over a limit of size, sections, core modules, nesting or type complexity;
 * - `invalid-core-module`: a core module inside it that WebAssembly does not validate;
 * - `bad-name`: a name the fabric refuses (not a component-model name, or a core name with
 *   characters that could end a string in generated JavaScript);
 * - `signature-mismatch`: it imports or exports a fabric:core interface with other types than
 *   the fabric's WIT gives it;
 * - `wrong-world`: it does not export `fabric:core/guest`;
 * - `forbidden-import`: it imports something the fabric does not grant (WASI, sockets, ...);
 * - `incompatible-version`: it targets another major/minor version of `fabric:core`;
 * - `memory-too-large`: a linear memory starts larger than the memory limit;
 * - `unsupported-memory`: a shared or 64-bit memory, which the fabric does not run;
 * - `unsupported-feature`: valid, but uses a feature this host's transpiler or V8 lacks;
 * - `bad-manifest`: its `describe` export returned a manifest the fabric cannot use;
 * - `invalid`: rebuilt from a wire form that carried no reason.
 */
export type InvalidComponentReason =
  | 'empty'
  | 'not-wasm'
  | 'core-module'
  | 'unsupported-encoding'
  | 'truncated'
  | 'malformed'
  | 'too-large'
  | 'invalid-core-module'
  | 'bad-name'
  | 'signature-mismatch'
  | 'wrong-world'
  | 'forbidden-import'
  | 'incompatible-version'
  | 'memory-too-large'
  | 'unsupported-memory'
  | 'unsupported-feature'
  | 'bad-manifest'
  | 'invalid'

/** Thrown when bytes cannot be run as a fabric component. Never retryable: the bytes won't change. */
export class InvalidComponentError extends FabricError {
  override name = 'InvalidComponentError'
  /** Machine-readable cause; the message is for people. */
  reason: InvalidComponentReason

  constructor (message: string, options: { reason?: InvalidComponentReason, cause?: unknown, retryable?: boolean } = {}) {
    super(message, { cause: options.cause, retryable: false })
    this.reason = options.reason ?? 'invalid'
  }

  // The wire form (SerializedError) has one free-form field, `kind`: the reason travels in it, so
  // a peer's deserializeError rebuilds an InvalidComponentError with the same reason.
  get kind (): string {
    return this.reason
  }

  set kind (value: string) {
    this.reason = value as InvalidComponentReason
  }
}
registerError('InvalidComponentError', InvalidComponentError)

/** Thrown when a component file cannot be read (missing, unreadable). */
export class ComponentNotFoundError extends FabricError {
  override name = 'ComponentNotFoundError'
}
registerError('ComponentNotFoundError', ComponentNotFoundError)

/** Thrown when the transpile cache directory cannot be created or written. */
export class ComponentCacheError extends FabricError {
  override name = 'ComponentCacheError'
}
registerError('ComponentCacheError', ComponentCacheError)

/** Which limit stopped a transpile (see transpiler.ts). */
export type TranspileLimit = 'timeout' | 'heap' | 'queue' | 'crash'

/**
 * Thrown when a component could not be transpiled within the transpiler's limits: it took longer
 * than `timeoutMs` (`timeout`) or more heap than `heapMb` (`heap`), and its thread was terminated;
 * too many transpiles were waiting (`queue`, retryable); or the thread died (`crash`).
 */
export class TranspileLimitError extends FabricError {
  override name = 'TranspileLimitError'
  limit: TranspileLimit

  constructor (message: string, options: { limit?: TranspileLimit, cause?: unknown, retryable?: boolean } = {}) {
    super(message, { cause: options.cause, retryable: options.retryable ?? false })
    this.limit = options.limit ?? 'crash'
  }

  // The limit travels as the wire form's `kind`, as InvalidComponentError's reason does.
  get kind (): string {
    return this.limit
  }

  set kind (value: string) {
    this.limit = value as TranspileLimit
  }
}
registerError('TranspileLimitError', TranspileLimitError)
