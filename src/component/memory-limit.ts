// Per-instance memory caps by byte surgery on core modules: every memory a module defines gets a
// declared maximum, so `memory.grow` past the cap returns -1 inside the guest (an out-of-memory
// the guest can report) instead of taking the host process's memory. V8 enforces the declared
// maximum per memory; the process-wide `--wasm-max-mem-pages` is only a backstop.
import { BinaryEndError, CORE_MODULE_VERSION, Reader, encodeU32, readPreamble, readSections } from './binary.js'
import { InvalidComponentError } from './errors.js'

/** Size of a WebAssembly page. */
export const WASM_PAGE_BYTES = 65536
/** Pages in 4 GiB: the most a 32-bit memory can declare. */
export const MAX_WASM32_PAGES = 65536

const MEMORY_SECTION = 5
// Limits flags (core spec + threads + memory64 + custom-page-sizes proposals).
const FLAG_HAS_MAX = 0x01
const FLAG_SHARED = 0x02
const FLAG_MEMORY64 = 0x04
const FLAG_PAGE_SIZE = 0x08

/** Convert a limit in MiB to whole pages (16 pages per MiB). */
export function mbToPages (mb: number): number {
  if (!Number.isFinite(mb) || mb <= 0) throw new RangeError(`memory limit must be a positive number of MiB, got ${mb}`)
  const pages = Math.floor((mb * 1024 * 1024) / WASM_PAGE_BYTES)
  if (pages < 1) throw new RangeError(`memory limit of ${mb} MiB is below one 64 KiB page`)
  if (pages > MAX_WASM32_PAGES) throw new RangeError(`memory limit of ${mb} MiB is over 4 GiB, the most a 32-bit memory can address`)
  return pages
}

/**
 * Return `module` with every defined memory's maximum set to at most `maxPages` (a smaller
 * existing maximum is kept). Returns the input unchanged when it defines no memory. Imported
 * memories are left alone: in a component they are defined (and capped) by a sibling module.
 *
 * @param module - a core WebAssembly module.
 * @param maxPages - cap in 64 KiB pages (1 … 65536).
 * @param label - names the module in error messages (its file name in the component).
 * @throws {InvalidComponentError} reason `memory-too-large` when a memory starts above the cap;
 *   `unsupported-memory` for a shared or 64-bit memory; `truncated` when the module is malformed.
 * @example
 * const capped = limitMemory(coreBytes, mbToPages(256), 'component.core.wasm')
 * new WebAssembly.Module(capped)
 */
export function limitMemory<B extends ArrayBufferLike> (module: Uint8Array<B>, maxPages: number, label = 'core module'): Uint8Array<B> | Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > MAX_WASM32_PAGES) {
    throw new RangeError(`maxPages must be an integer from 1 to ${MAX_WASM32_PAGES}, got ${maxPages}`)
  }
  try {
    const preamble = readPreamble(module)
    if (preamble?.kind !== 'core-module' || preamble.version !== CORE_MODULE_VERSION) {
      throw malformed(label, 'not a core WebAssembly module (version 1)')
    }
    const section = readSections(module).find((s) => s.id === MEMORY_SECTION)
    if (section === undefined) return module
    const payload = rewriteMemories(module, section.payloadStart, section.end, maxPages, label)
    const size = encodeU32(payload.length)
    const out = new Uint8Array(module.length - (section.end - section.start) + 1 + size.length + payload.length)
    out.set(module.subarray(0, section.start), 0)
    let at = section.start
    out[at++] = MEMORY_SECTION
    out.set(size, at); at += size.length
    out.set(payload, at); at += payload.length
    out.set(module.subarray(section.end), at)
    return out
  } catch (err) {
    if (err instanceof BinaryEndError || err instanceof RangeError) throw malformed(label, err.message, err)
    throw err
  }
}

function rewriteMemories (module: Uint8Array, start: number, end: number, maxPages: number, label: string): Uint8Array {
  const r = new Reader(module.subarray(0, end), start)
  const count = r.u32()
  const parts: Uint8Array[] = [encodeU32(count)]
  for (let i = 0; i < count; i++) {
    const flags = r.byte()
    if ((flags & FLAG_SHARED) !== 0 || (flags & FLAG_MEMORY64) !== 0 || (flags & FLAG_PAGE_SIZE) !== 0 || flags > 0x0f) {
      const what = (flags & FLAG_SHARED) !== 0
        ? 'a shared memory (threads)'
        : (flags & FLAG_MEMORY64) !== 0 ? 'a 64-bit memory (memory64)' : `memory limits flags 0x${flags.toString(16)}`
      throw new InvalidComponentError(
        `${label} defines ${what}, which the fabric does not run: build the guest without threads, memory64 or custom page sizes`,
        { reason: 'unsupported-memory' }
      )
    }
    const min = r.u32()
    const max = (flags & FLAG_HAS_MAX) !== 0 ? r.u32() : undefined
    if (min > maxPages) {
      throw new InvalidComponentError(
        `${label} starts with ${min} pages (${pagesToMb(min)} MiB) of memory, over the limit of ${maxPages} pages (${pagesToMb(maxPages)} MiB): ` +
        'raise memoryLimitMb, or build the guest with a smaller initial memory',
        { reason: 'memory-too-large' }
      )
    }
    parts.push(Uint8Array.of(FLAG_HAS_MAX), encodeU32(min), encodeU32(Math.min(max ?? maxPages, maxPages)))
  }
  if (r.offset !== end) throw malformed(label, `memory section has ${end - r.offset} bytes after its ${count} entries`)
  return concat(parts)
}

function malformed (label: string, detail: string, cause?: unknown): InvalidComponentError {
  return new InvalidComponentError(`${label} is malformed (${detail}): rebuild the component`, { reason: 'truncated', cause })
}

function pagesToMb (pages: number): string {
  return String(Math.round((pages * WASM_PAGE_BYTES) / 1048576 * 100) / 100)
}

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
