// Mutable globals made reachable from the host by byte surgery on core modules: every mutable
// global a module defines gets one more export, `fabric:global:<index>`, so a host can snapshot an
// instance's state (linear memory plus globals such as `__stack_pointer` or a runtime's heap
// pointers) and restore it into a fresh instance. Extra exports change nothing else: the module's
// code, its other exports and its imports are left as they were.
import { BinaryEndError, CORE_MODULE_VERSION, Reader, encodeU32, readPreamble, readSections } from './binary.js'
import { InvalidComponentError } from './errors.js'

/** Export name prefix of the added exports; the global's index in the module follows it. */
export const GLOBAL_EXPORT_PREFIX = 'fabric:global:'

const IMPORT_SECTION = 2
const GLOBAL_SECTION = 6
const EXPORT_SECTION = 7
const EXTERN_GLOBAL = 0x03
// Required order of the known sections (custom sections may appear anywhere): tag (13) sits
// between memory and global, data count (12) between element and code.
const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11]
const BEFORE_EXPORTS = new Set(SECTION_ORDER.slice(0, SECTION_ORDER.indexOf(EXPORT_SECTION)))

/**
 * Return `module` with an export `fabric:global:<i>` of every mutable global it defines (`i` is
 * the global's index, imported globals first). Globals already exported keep their exports and
 * gain this one too; an alias the module already has is not added twice. Returns the input
 * unchanged when there is nothing to add (no defined mutable global). Imported globals are left
 * alone: they belong to whoever defines them.
 *
 * @param module - a core WebAssembly module.
 * @param label - names the module in error messages (its file name in the component).
 * @throws {InvalidComponentError} reason `truncated` when the module is malformed; `bad-name`
 *   when it already exports a `fabric:global:<i>` name for something other than global `i`.
 * @example
 * const instance = new WebAssembly.Instance(new WebAssembly.Module(exposeGlobals(coreBytes)), imports)
 * for (const [index, global] of exposedGlobals(instance.exports)) saved[index] = global.value
 */
export function exposeGlobals<B extends ArrayBufferLike> (module: Uint8Array<B>, label = 'core module'): Uint8Array<B> | Uint8Array<ArrayBuffer> {
  try {
    const preamble = readPreamble(module)
    if (preamble?.kind !== 'core-module' || preamble.version !== CORE_MODULE_VERSION) {
      throw malformed(label, 'not a core WebAssembly module (version 1)')
    }
    const sections = readSections(module)
    const globals = sections.find((s) => s.id === GLOBAL_SECTION)
    if (globals === undefined) return module
    const imports = sections.find((s) => s.id === IMPORT_SECTION)
    const first = imports === undefined ? 0 : countImportedGlobals(module, imports.payloadStart, imports.end, label)
    const mutable = mutableGlobals(module, globals.payloadStart, globals.end, label).map((i) => first + i)
    if (mutable.length === 0) return module

    const exports = sections.find((s) => s.id === EXPORT_SECTION)
    const existing = exports === undefined
      ? { count: 0, entries: new Uint8Array(0), names: new Map<string, [number, number]>() }
      : readExports(module, exports.payloadStart, exports.end, label)
    const added: Uint8Array[] = []
    let count = existing.count
    for (const index of mutable) {
      const name = GLOBAL_EXPORT_PREFIX + String(index)
      const target = existing.names.get(name)
      if (target !== undefined) {
        if (target[0] === EXTERN_GLOBAL && target[1] === index) continue
        throw new InvalidComponentError(
          `${label} already exports "${name}" for something other than global ${index}: names starting with "${GLOBAL_EXPORT_PREFIX}" are the fabric's, rename the export`,
          { reason: 'bad-name' }
        )
      }
      const bytes = utf8.encode(name)
      added.push(encodeU32(bytes.length), bytes, Uint8Array.of(EXTERN_GLOBAL), encodeU32(index))
      count++
    }
    if (count === existing.count) return module

    const payload = concat([encodeU32(count), existing.entries, ...added])
    const section = concat([Uint8Array.of(EXPORT_SECTION), encodeU32(payload.length), payload])
    // Replace the export section, or put a new one right after the last section that must precede
    // it (custom sections after that one stay after it).
    const insertAt = sections.reduce((at, s) => BEFORE_EXPORTS.has(s.id) ? s.end : at, globals.end)
    const [cutStart, cutEnd] = exports !== undefined ? [exports.start, exports.end] : [insertAt, insertAt]
    return concat([module.subarray(0, cutStart), section, module.subarray(cutEnd)])
  } catch (err) {
    if (err instanceof BinaryEndError || err instanceof RangeError) throw malformed(label, err.message, err)
    throw err
  }
}

/**
 * The `fabric:global:<i>` globals of an instance made from `exposeGlobals`' output, sorted by `i`.
 * @example
 * const saved = exposedGlobals(instance.exports).map(([i, g]) => [i, g.value])
 */
export function exposedGlobals (exports: WebAssembly.Exports): Array<[number, WebAssembly.Global]> {
  const out: Array<[number, WebAssembly.Global]> = []
  for (const [name, value] of Object.entries(exports)) {
    if (!name.startsWith(GLOBAL_EXPORT_PREFIX) || !(value instanceof WebAssembly.Global)) continue
    const index = name.slice(GLOBAL_EXPORT_PREFIX.length)
    if (/^(0|[1-9]\d*)$/.test(index)) out.push([Number(index), value])
  }
  return out.sort((a, b) => a[0] - b[0])
}

/** How many of the module's imports are globals (they take the first global indices). */
function countImportedGlobals (module: Uint8Array, start: number, end: number, label: string): number {
  const r = new Reader(module.subarray(0, end), start)
  const count = r.u32()
  let globals = 0
  for (let i = 0; i < count; i++) {
    r.take(r.u32()) // module name
    r.take(r.u32()) // field name
    const kind = r.byte()
    if (kind === 0x00) r.u32() // func: type index
    else if (kind === 0x01) { skipValType(r); skipLimits(r) } // table: reftype, limits
    else if (kind === 0x02) skipLimits(r) // memory
    else if (kind === EXTERN_GLOBAL) { skipValType(r); r.byte(); globals++ } // global: valtype, mutability
    else if (kind === 0x04) { r.byte(); r.u32() } // tag: attribute, type index
    else throw malformed(label, `import ${i} has unknown kind 0x${kind.toString(16)}`)
  }
  if (r.offset !== end) throw malformed(label, `import section has ${end - r.offset} bytes after its ${count} entries`)
  return globals
}

/** Positions (within the global section) of the mutable globals the module defines. */
function mutableGlobals (module: Uint8Array, start: number, end: number, label: string): number[] {
  const r = new Reader(module.subarray(0, end), start)
  const count = r.u32()
  const mutable: number[] = []
  for (let i = 0; i < count; i++) {
    skipValType(r)
    if ((r.byte() & 0x01) !== 0) mutable.push(i) // bit 1 is `shared` (shared-everything proposal)
    skipConstExpr(r, label)
  }
  if (r.offset !== end) throw malformed(label, `global section has ${end - r.offset} bytes after its ${count} entries`)
  return mutable
}

/** The export section's count, its entries' bytes, and each name's (kind, index). */
function readExports (module: Uint8Array, start: number, end: number, label: string): { count: number, entries: Uint8Array, names: Map<string, [number, number]> } {
  const r = new Reader(module.subarray(0, end), start)
  const count = r.u32()
  const entriesStart = r.offset
  const names = new Map<string, [number, number]>()
  for (let i = 0; i < count; i++) {
    const name = r.name(end - r.offset)
    names.set(name, [r.byte(), r.u32()])
  }
  if (r.offset !== end) throw malformed(label, `export section has ${end - r.offset} bytes after its ${count} entries`)
  return { count, entries: module.subarray(entriesStart, end), names }
}

/** A value type: one byte, or `(ref null? ht)` (0x63/0x64) followed by a heap type (s33). */
function skipValType (r: Reader): void {
  const type = r.byte()
  if (type === 0x63 || type === 0x64) r.skipSigned(33)
}

/** Table or memory limits: flags, minimum, maximum if flag 0x01, page size (log2) if flag 0x08. */
function skipLimits (r: Reader): void {
  const flags = r.u32()
  const bits = (flags & 0x04) !== 0 ? 64 : 32 // 64-bit table or memory: u64 values
  r.skipSigned(bits) // skipping a LEB128 is the same whether it is signed or not
  if ((flags & 0x01) !== 0) r.skipSigned(bits)
  if ((flags & 0x08) !== 0) r.u32()
}

/** A constant expression up to and including its `end` (0x0b). */
function skipConstExpr (r: Reader, label: string): void {
  for (;;) {
    const at = r.offset
    const op = r.byte()
    switch (op) {
      case 0x0b: return // end
      case 0x41: r.skipSigned(32); break // i32.const
      case 0x42: r.skipSigned(64); break // i64.const
      case 0x43: r.take(4); break // f32.const
      case 0x44: r.take(8); break // f64.const
      case 0x23: case 0xd2: r.u32(); break // global.get, ref.func
      case 0xd0: r.skipSigned(33); break // ref.null: heap type
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break // extended-const i32/i64 add, sub, mul
      case 0xfd: { // v128.const
        const sub = r.u32()
        if (sub !== 0x0c) throw malformed(label, `0xfd ${sub} at offset 0x${at.toString(16)} is not a constant instruction`)
        r.take(16)
        break
      }
      case 0xfb: { // GC: struct.new(_default), array.new(_default), array.new_fixed, ref.i31, any/extern conversions
        const sub = r.u32()
        if (sub === 0 || sub === 1 || sub === 6 || sub === 7) r.u32()
        else if (sub === 8) { r.u32(); r.u32() } else if (sub < 0x1a || sub > 0x1c) {
          throw malformed(label, `0xfb ${sub} at offset 0x${at.toString(16)} is not a constant instruction`)
        }
        break
      }
      default:
        throw malformed(label, `opcode 0x${op.toString(16)} at offset 0x${at.toString(16)} is not a constant instruction`)
    }
  }
}

function malformed (label: string, detail: string, cause?: unknown): InvalidComponentError {
  return new InvalidComponentError(`${label} is malformed (${detail}): rebuild the component`, { reason: 'truncated', cause })
}

const utf8 = new TextEncoder()

function concat (parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
