// The AssemblyScript guest SDK, imported by guests as 'fabric/guest-as' (`fabric build --lang as`
// resolves that name to this file wherever the guest lives).
//
//   import { log, fail } from 'fabric/guest-as'
//   log.info('starting')            // or log('info', 'starting'); levels: trace debug info warn error
//   if (n < 0) { fail('n must be >= 0'); return 0 }   // the call returns a task-error
//
// Exported functions of the guest's entry file become tasks and exported classes actor classes;
// the build generates the canonical-ABI glue (see guest-sdk/src/build/as-glue.ts).
import { setFailure } from './abi'

// The WIT enum `fabric:core/log.level`, in declaration order. An enum rather than constants: the
// abort handler can be compiled before this file's globals are initialised.
enum Level { Trace, Debug, Info, Warn, Error }

@external("fabric:core/log@0.1.0", "log")
declare function hostLog(level: i32, ptr: usize, len: usize): void

function write(level: Level, message: string): void {
  // Encode into an untracked block and free it at once: logging creates no garbage.
  const len = <usize>String.UTF8.byteLength(message)
  const ptr = heap.alloc(len)
  String.UTF8.encodeUnsafe(changetype<usize>(message), message.length, ptr)
  hostLog(level, ptr, len)
  heap.free(ptr)
}

/**
 * Logs `message` through the host at `level` ("trace", "debug", "info", "warn" or "error"; anything
 * else logs at "info" with the level name prefixed, so nothing is lost).
 */
export function log(level: string, message: string): void {
  if (level == 'trace') write(Level.Trace, message)
  else if (level == 'debug') write(Level.Debug, message)
  else if (level == 'info') write(Level.Info, message)
  else if (level == 'warn') write(Level.Warn, message)
  else if (level == 'error') write(Level.Error, message)
  else write(Level.Info, '[' + level + '] ' + message)
}

export namespace log {
  export function trace(message: string): void { write(Level.Trace, message) }
  export function debug(message: string): void { write(Level.Debug, message) }
  export function info(message: string): void { write(Level.Info, message) }
  export function warn(message: string): void { write(Level.Warn, message) }
  export function error(message: string): void { write(Level.Error, message) }
}

/**
 * Makes the current task or actor call fail with task-error `{ kind, message, retryable }` instead
 * of returning: the function should return right after (its return value is discarded). Unlike
 * `abort`, which traps and loses the instance (and an actor's state), the guest stays usable.
 */
export function fail(message: string, kind: string = 'application', retryable: bool = false): void {
  setFailure(kind, message, retryable)
}

// The build points AssemblyScript's `abort`, `trace` and `seed` (imported from "env" by default)
// at the three functions below, so a guest imports nothing but fabric:core.

/** `abort()` and failed assertions: log where and why, then trap (the host discards the instance). */
export function fabricAbort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  let text = 'abort: ' + (message != null ? message : '(no message)')
  if (fileName != null) text += ' at ' + fileName + ':' + line.toString() + ':' + column.toString()
  write(Level.Error, text)
  unreachable()
}

/** `trace(message, n, a0..a4)`: logs at debug level. */
export function fabricTrace(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {
  let text = 'trace: ' + message
  if (n > 0) text += ' ' + a0.toString()
  if (n > 1) text += ', ' + a1.toString()
  if (n > 2) text += ', ' + a2.toString()
  if (n > 3) text += ', ' + a3.toString()
  if (n > 4) text += ', ' + a4.toString()
  write(Level.Debug, text)
}

/**
 * Seed of `Math.random`. The fabric world offers no entropy source, so the sequence is fixed:
 * runs are reproducible, and guests must not rely on Math.random for anything secret.
 */
export function fabricSeed(): f64 {
  return 0x5eed
}
export { Tensor, tensor, fromObject, gpuBackend, gpuError, matmul, linear, add, sub, mul, div, scale, relu, gelu, exp, softmax, sum, mean, transpose, reshape, conv2d } from './gpu'
