// Rewrites of jco's generated glue, applied once when a component is transpiled into the cache.
//
// jco's instantiation code probes for JSPI on every instantiation:
//
//   try { realloc0Async = WebAssembly.promising(exports1.cabi_realloc) } catch (err) { realloc0Async = exports1.cabi_realloc }
//
// Without JSPI (Node 20) `WebAssembly.promising` is undefined, so each probe throws "... is not a
// function" — and V8 writes that message by re-parsing the calling function's source to print the
// callee. The caller is jco's init generator, thousands of lines long: each probe cost 0.4 ms in an
// AssemblyScript component's glue and ~1.6 ms in a QuickJS one (8 probes: ~13 of its ~20 ms per
// instance, measured with --cpu-prof). Even a prebuilt error thrown instead still cost ~0.06 ms a
// probe (V8 records where it was thrown). So each probe of exactly that shape becomes a call that
// returns what the `catch` would have assigned, without throwing; any other use of
// `WebAssembly.promising` goes through a helper that throws one prebuilt error (same control flow,
// no message to build). With JSPI present both call `WebAssembly.promising` as before.
//
// jco's glue also logs through `_debugLog(...)` at ~130 places, many on every call. Each call
// builds its arguments (object literals) and reads `process.env.JCO_DEBUG`, which Node answers
// through an interceptor on the real environment: ~2 µs of a QuickJS guest call's ~9.5 µs (a
// 16 B echo; measured calling the instance directly). Each such call at the start of a line, where
// the glue makes them (statements), becomes `__fabricJcoDebug && _debugLog(...)`: the arguments
// are built only when JCO_DEBUG was set when the glue was imported.

/** Helpers the rewritten calls go through (appended to the glue: hoisted declarations). */
const HELPERS = `
// Added by fabric (src/component/glue-patch.ts): probing for JSPI without building a TypeError.
function __fabricPromisingOr (f, fallback) {
  if (typeof WebAssembly.promising !== 'function') return fallback
  try { return WebAssembly.promising(f) } catch { return fallback }
}
function __fabricPromising (f) {
  if (typeof WebAssembly.promising !== 'function') throw (__fabricNoJspi ??= new TypeError('WebAssembly.promising is not available (no JSPI)'))
  return WebAssembly.promising(f)
}
var __fabricNoJspi
`
/** Put first (the glue's own top-level code may log): jco's debug flag, read once. */
const DEBUG_FLAG = 'var __fabricJcoDebug = Boolean(globalThis.process?.env?.JCO_DEBUG) // added by fabric (src/component/glue-patch.ts)\n'

// try { X = WebAssembly.promising(E); } catch(err) { X = E; }  where E is the same property read
// twice (`exports1.cabi_realloc`, `exports1['cabi_post_...']`): reading it once more has no effect.
const PROP = String.raw`[\w$]+(?:\.[\w$]+|\['[^'\\]*'\])*`
const PROBE_BLOCK = new RegExp(String.raw`try\s*\{\s*([\w$]+)\s*=\s*WebAssembly\.promising\((${PROP})\);\s*\}\s*catch\s*\(\s*[\w$]+\s*\)\s*\{\s*\1\s*=\s*(${PROP});\s*\}`, 'g')
const PROBE_CALL = /\bWebAssembly\.promising\(/g
const DEBUG_CALL = /^([ \t]*)_debugLog\(/gm

/**
 * The glue with its JSPI probes and debug-log calls made cheap; other code is left as it is. Glue
 * with neither comes back unchanged.
 *
 * @example
 * patchGlue(bytes('try { a = WebAssembly.promising(e.f); } catch(err) { a = e.f; }'))
 * // 'a = __fabricPromisingOr(e.f, e.f);' + the helpers
 */
export function patchGlue (js: Uint8Array): Uint8Array {
  let source = new TextDecoder().decode(js)
  const probes = source.includes('WebAssembly.promising(')
  const debug = source.search(DEBUG_CALL) >= 0
  if (!probes && !debug) return js
  if (probes) {
    source = source.replace(PROBE_BLOCK, (whole, target: string, probed: string, fallback: string) =>
      probed === fallback ? `${target} = __fabricPromisingOr(${probed}, ${fallback});` : whole).replace(PROBE_CALL, '__fabricPromising(')
  }
  if (debug) source = DEBUG_FLAG + source.replace(DEBUG_CALL, '$1__fabricJcoDebug && _debugLog(')
  return new TextEncoder().encode(probes ? source + HELPERS : source)
}
