// A fix for a crash in private fabrics. @libp2p/pnet encrypts with `xsalsa20`, whose WebAssembly
// instances share one memory. Each connection keeps its own view of that memory; once another
// connection grows the memory, the view is detached (length 0), and its next large write grows
// the memory by the write's whole size again instead of by what is missing. About 30 connections
// that each see one 2 MB write then exceed the memory's maximum, and the process dies of an
// uncaught RangeError. Here the shared memory is captured when xsalsa20 loads, and its `realloc`
// grows only by what is missing and refreshes the view. Imported before @libp2p/pnet.
import { createRequire } from 'node:module'

/** What xsalsa20's instances look like inside (version 1.2: `WASM` objects with a `_memory` view). */
interface WasmXor { _memory: Uint8Array, realloc: (size: number) => void }

function patch (): boolean {
  let memory: WebAssembly.Memory | undefined
  const Instance = WebAssembly.Instance
  let load: NodeJS.Require
  try {
    // Resolve xsalsa20 as @libp2p/pnet does, so both get the one module instance.
    load = createRequire(import.meta.resolve('@libp2p/pnet'))
  } catch {
    return false
  }
  let XSalsa20: (nonce: Uint8Array, key: Uint8Array) => { _xor: unknown, finalize: () => void }
  // Capture the memory of the instance xsalsa20 makes when it loads (it exports no handle to it).
  WebAssembly.Instance = function (module: WebAssembly.Module, imports?: WebAssembly.Imports) {
    const instance = new Instance(module, imports)
    const m = instance.exports.memory
    if (m instanceof WebAssembly.Memory && memory === undefined) memory = m
    return instance
  } as unknown as typeof WebAssembly.Instance
  try {
    XSalsa20 = load('xsalsa20')
  } catch {
    return false
  } finally {
    WebAssembly.Instance = Instance
  }
  if (memory === undefined) return false // loaded before this ran: nothing to capture
  const probe = XSalsa20(new Uint8Array(24), new Uint8Array(32))
  const proto = Object.getPrototypeOf(probe._xor) as WasmXor
  probe.finalize()
  if (typeof proto.realloc !== 'function') return false
  const shared = memory
  proto.realloc = function (this: WasmXor, size: number): void {
    const missing = Math.ceil((size - shared.buffer.byteLength) / 65536)
    if (missing > 0) shared.grow(missing)
    this._memory = new Uint8Array(shared.buffer)
  }
  return true
}

/** Whether the fix is in place (false when xsalsa20 was missing or loaded first: pnet then behaves as shipped). */
export const xsalsa20MemoryFixed = patch()
