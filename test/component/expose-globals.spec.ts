import assert from 'node:assert/strict'
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools'
import { GLOBAL_EXPORT_PREFIX, exposeGlobals, exposedGlobals } from '../../src/component/expose-globals.js'
import { InvalidComponentError } from '../../src/component/index.js'
import { Reader, readSections } from '../../src/component/binary.js'
// fixtures.js also sets V8's extended-const flag, which the extended-const module needs on Node 20.
import { coreModules, guestComponent } from './fixtures.js'

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

/** The module's exports as (name, kind, index), read from its export section (no compile). */
function exportsOf (module: Uint8Array): Array<[string, number, number]> {
  const section = readSections(module).find((s) => s.id === 7)
  if (section === undefined) return []
  const r = new Reader(module, section.payloadStart)
  return Array.from({ length: r.u32() }, () => [r.name(), r.byte(), r.u32()])
}

/** The `fabric:global:` names the compiled module exports, with their kinds. */
function exposedNames (module: Uint8Array): string[] {
  return WebAssembly.Module.exports(new WebAssembly.Module(module as Uint8Array<ArrayBuffer>))
    .filter((e) => e.name.startsWith(GLOBAL_EXPORT_PREFIX))
    .map((e) => `${e.name} ${e.kind}`)
}

function instantiate (module: Uint8Array, imports: WebAssembly.Imports = {}): WebAssembly.Exports {
  return new WebAssembly.Instance(new WebAssembly.Module(module as Uint8Array<ArrayBuffer>), imports).exports
}

describe('component expose globals', () => {
  it('exports every defined mutable global under its index: the same global, not a copy', async () => {
    const module = await parse(`(module
      (import "env" "f" (func))
      (import "env" "mem" (memory 1 2))
      (import "env" "table" (table 1 funcref))
      (import "env" "imported" (global $imported (mut i32)))
      (global $a (mut i32) (i32.const 7))
      (global $b (mut i64) (i64.const -5))
      (global $c i32 (i32.const 9))
      (global $d (mut f64) (f64.const 2.5))
      (global $e (mut funcref) (ref.null func))
      (func $readA (export "readA") (result i32) (global.get $a))
      (export "a" (global $a))
      (export "c" (global $c)))`)
    const out = exposeGlobals(module)
    assert.deepEqual(exportsOf(out).slice(0, 3), exportsOf(module), 'the existing exports come first, unchanged')
    assert.deepEqual(exportsOf(out).slice(3), [
      ['fabric:global:1', 3, 1], ['fabric:global:2', 3, 2], ['fabric:global:4', 3, 4], ['fabric:global:5', 3, 5]
    ], 'no export for the imported (0) or the immutable (3) global')

    const imported = new WebAssembly.Global({ value: 'i32', mutable: true }, 1)
    const table = new WebAssembly.Table({ initial: 1, element: 'anyfunc' })
    const exports = instantiate(out, { env: { f: () => {}, mem: new WebAssembly.Memory({ initial: 1, maximum: 2 }), table, imported } })
    const globals = exposedGlobals(exports)
    assert.deepEqual(globals.map(([i]) => i), [1, 2, 4, 5])
    assert.deepEqual(globals.map(([, g]) => g.value), [7, -5n, 2.5, null])
    assert.ok(globals.every(([, g]) => g instanceof WebAssembly.Global))
    assert.equal(exports['fabric:global:3'], undefined)

    const [[, a]] = globals
    a.value = 42
    assert.equal((exports.readA as () => number)(), 42, 'the function reads what the host wrote')
    assert.equal((exports.a as WebAssembly.Global).value, 42, 'the existing export is the same global')
  })

  it('adds an export section where there was none, in section order, around custom sections', async () => {
    const module = await parse(`(module
      (@custom "first" (before first) "x")
      (memory 1)
      (global $g (mut i32) (i32.const 3))
      (@custom "after-global" (after global) "y")
      (func $f) (start $f) (elem declare func $f)
      (func (result i32) (memory.size) (data.drop 0))
      (data "x"))`)
    const ids = readSections(module).map((s) => s.id)
    assert.deepEqual(ids.slice(0, 7), [0, 1, 3, 5, 6, 0, 8], 'the fixture has no export section')
    const out = exposeGlobals(module)
    assert.deepEqual(readSections(out).map((s) => s.id), [...ids.slice(0, 5), 7, ...ids.slice(5)],
      'the export section follows the global section, before the custom section after it and the start section')
    assert.deepEqual(exportsOf(out), [['fabric:global:0', 3, 0]])
    assert.equal((instantiate(out)['fabric:global:0'] as WebAssembly.Global).value, 3)
  })

  it('reads extended-const, v128 and 64-bit memory limits', async () => {
    const module = await parse(`(module
      (import "env" "base" (global $base i32))
      (global $sp (mut i32) (i32.add (global.get $base) (i32.mul (i32.const 8) (i32.const 2))))
      (global $big (mut i64) (i64.sub (i64.const 0x7fffffffffffffff) (i64.const 1)))
      (global $v (mut v128) (v128.const i32x4 1 2 3 4)))`)
    const out = exposeGlobals(module)
    assert.deepEqual(exposedNames(out), ['fabric:global:1 global', 'fabric:global:2 global', 'fabric:global:3 global'])
    const exports = instantiate(out, { env: { base: 100 } })
    assert.equal((exports['fabric:global:1'] as WebAssembly.Global).value, 116)
    assert.equal((exports['fabric:global:2'] as WebAssembly.Global).value, 0x7ffffffffffffffen)

    // memory64 and typed references (parsed only: V8 in Node 20 runs neither without flags).
    const wide = await parse('(module (import "env" "m" (memory i64 1 0x100000000)) (import "env" "g" (global i32)) (global (mut i32) (i32.const 1)))')
    assert.deepEqual(exportsOf(exposeGlobals(wide)), [['fabric:global:1', 3, 1]])
  })

  it('reads typed-reference and GC constant expressions', async () => {
    const module = await parse(`(module
      (type $t (func)) (type $s (struct (field i32))) (type $arr (array i32))
      (import "env" "g" (global (ref null $t)))
      (func $f (type $t))
      (global (mut (ref $t)) (ref.func $f))
      (global (ref null $s) (ref.null $s))
      (global (mut (ref $s)) (struct.new $s (i32.const 1)))
      (global (mut (ref $arr)) (array.new_fixed $arr 2 (i32.const 1) (i32.const 2)))
      (global (mut i31ref) (ref.i31 (i32.const 5))))`)
    assert.deepEqual(exportsOf(exposeGlobals(module)).map(([name]) => name),
      ['fabric:global:1', 'fabric:global:3', 'fabric:global:4', 'fabric:global:5'])
  })

  it('returns the input when there is nothing to add, and is idempotent', async () => {
    const none = await parse('(module (import "env" "g" (global (mut i32))) (global i32 (i32.const 1)) (func))')
    assert.equal(exposeGlobals(none), none)
    const noGlobals = await parse('(module (func))')
    assert.equal(exposeGlobals(noGlobals), noGlobals)
    const once = exposeGlobals(await parse('(module (global (mut i32) (i32.const 1)))'))
    assert.equal(exposeGlobals(once), once)
  })

  it('refuses an export of another thing under a fabric:global name', async () => {
    const module = await parse('(module (global $g (mut i32) (i32.const 1)) (func (export "fabric:global:0")))')
    assert.throws(() => exposeGlobals(module, 'guest.core.wasm'), (err: unknown) =>
      err instanceof InvalidComponentError && err.reason === 'bad-name' && /guest\.core\.wasm already exports "fabric:global:0"/.test(err.message))
  })

  it('refuses malformed modules', () => {
    // one global: mut i32, i32.const 624485 (e5 8e 26), end
    const global = [0x01, 0x7f, 0x01, 0x41, 0xe5, 0x8e, 0x26, 0x0b]
    const whole = Uint8Array.from([...HEADER, 0x06, global.length, ...global])
    assert.deepEqual(exportsOf(exposeGlobals(whole)), [['fabric:global:0', 3, 0]])
    const isTruncated = (err: unknown): boolean => err instanceof InvalidComponentError && err.reason === 'truncated'
    for (let n = 9; n < whole.length; n++) {
      assert.throws(() => exposeGlobals(whole.subarray(0, n)), isTruncated, `cut at ${n} bytes`)
    }
    const truncatedLeb = Uint8Array.from([...HEADER, 0x06, 0x07, 0x01, 0x7f, 0x01, 0x41, 0xe5, 0x8e, 0x0b])
    assert.throws(() => exposeGlobals(truncatedLeb), isTruncated)
    const badOpcode = Uint8Array.from([...HEADER, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x20, 0x00, 0x0b]) // local.get
    assert.throws(() => exposeGlobals(badOpcode, 'x.wasm'), (err: unknown) => isTruncated(err) && /x\.wasm is malformed \(opcode 0x20/.test((err as Error).message))
    assert.throws(() => exposeGlobals(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00)), /not a core WebAssembly module/)
  })

  it('lists only fabric:global globals, by index', () => {
    const g = (v: number): WebAssembly.Global => new WebAssembly.Global({ value: 'i32', mutable: true }, v)
    const exports = { 'fabric:global:10': g(10), 'fabric:global:2': g(2), 'fabric:global:x': g(0), 'fabric:global:01': g(0), other: g(0), 'fabric:global:3': () => {} }
    assert.deepEqual(exposedGlobals(exports).map(([i, global]) => [i, global.value]), [[2, 2], [10, 10]])
  })

  it('exposes the globals of a real QuickJS component\'s core modules, which still compile', async () => {
    const component = await guestComponent()
    let exposed = 0
    let stackPointers = 0
    for (const { start, end } of coreModules(component)) {
      const module = component.subarray(start, end)
      const out = exposeGlobals(module, 'guest.core.wasm')
      const before = WebAssembly.Module.exports(new WebAssembly.Module(module.slice()))
      const after = WebAssembly.Module.exports(new WebAssembly.Module(out as Uint8Array<ArrayBuffer>))
      assert.deepEqual(after.slice(0, before.length), before, 'the existing exports are kept, in order')
      assert.ok(after.slice(before.length).every((e) => e.kind === 'global' && e.name.startsWith(GLOBAL_EXPORT_PREFIX)))
      exposed += after.length - before.length
      // The module that defines the stack pointer (the QuickJS runtime imports it) exposes it too.
      const sp = exportsOf(out).find(([name, kind]) => name === '__stack_pointer' && kind === 3)
      if (sp === undefined) continue
      stackPointers++
      assert.ok(exportsOf(out).some(([name, kind, index]) => name === `fabric:global:${sp[2]}` && kind === 3 && index === sp[2]))
    }
    assert.ok(exposed >= 1 && stackPointers === 1, `${exposed} globals exposed, ${stackPointers} modules define __stack_pointer`)
    // The QuickJS runtime defines only immutable globals (extended-const), read and left alone.
    const largest = coreModules(component).reduce((a, b) => b.end - b.start > a.end - a.start ? b : a)
    const runtime = component.subarray(largest.start, largest.end)
    assert.equal(exposeGlobals(runtime), runtime)
  })
})
