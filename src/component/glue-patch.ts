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

// try { X = WebAssembly.promising(E); } catch(err) { X = E; }  where E is the same property read
// twice (`exports1.cabi_realloc`, `exports1['cabi_post_...']`): reading it once more has no effect.
const PROP = String.raw`[\w$]+(?:\.[\w$]+|\['[^'\\]*'\])*`
const PROBE_BLOCK = new RegExp(String.raw`try\s*\{\s*([\w$]+)\s*=\s*WebAssembly\.promising\((${PROP})\);\s*\}\s*catch\s*\(\s*[\w$]+\s*\)\s*\{\s*\1\s*=\s*(${PROP});\s*\}`, 'g')
const PROBE_CALL = /\bWebAssembly\.promising\(/g

/**
 * The glue with its JSPI probes made cheap; other code is left as it is. Glue without probes comes
 * back unchanged.
 *
 * @example
 * patchGlue(bytes('try { a = WebAssembly.promising(e.f); } catch(err) { a = e.f; }'))
 * // 'a = __fabricPromisingOr(e.f, e.f);' + the helpers
 */
export function patchGlue (js: Uint8Array): Uint8Array {
  const source = new TextDecoder().decode(js)
  if (!source.includes('WebAssembly.promising(')) return js
  const blocks = source.replace(PROBE_BLOCK, (whole, target: string, probed: string, fallback: string) =>
    probed === fallback ? `${target} = __fabricPromisingOr(${probed}, ${fallback});` : whole)
  return new TextEncoder().encode(blocks.replace(PROBE_CALL, '__fabricPromising(') + HELPERS)
}
