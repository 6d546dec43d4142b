import assert from 'node:assert/strict'
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools'
import { InvalidComponentError, validateComponent, type InvalidComponentReason } from '../../src/component/index.js'
import { inspectComponent } from '../../src/component/inspect.js'
import { validateComponentSync } from '../../src/component/validate.js'
import { breakCoreModule, coreModules, guestComponent, replaceAll } from './fixtures.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { readFile } from 'node:fs/promises'

function refuses (fn: () => unknown, reason: InvalidComponentReason, ...patterns: RegExp[]): InvalidComponentError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof InvalidComponentError, `expected InvalidComponentError, got ${String(caught)}`)
  assert.equal(caught.reason, reason, caught.message)
  for (const p of patterns) assert.match(caught.message, p)
  return caught
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

describe('component inspection (the walk before transpile)', function () {
  this.timeout(120_000)

  it('validates every core module: a one-byte change inside one is refused, naming the module and the fix', async () => {
    const bytes = await guestComponent()
    const { damaged, module } = breakCoreModule(bytes)
    assert.ok(coreModules(bytes)[module]!.depth >= 1, 'the damaged module sits in a nested component')
    // Before: only the preamble and import names were checked, and this passed.
    await assert.rejects(validateComponent(damaged), (err: unknown) => {
      assert.ok(err instanceof InvalidComponentError)
      assert.equal(err.reason, 'invalid-core-module', err.message)
      assert.match(err.message, new RegExp(`core module ${module} \\(in nested component 0 of nested component 0 of the component, at offset 0x[0-9a-f]+\\)`))
      assert.match(err.message, /is not valid WebAssembly \(Compiling function #\d+.*failed/)
      assert.match(err.message, /fabric build/)
      return true
    })
    // The intact component passes.
    validateComponentSync(bytes)
  })

  it('refuses a core name that would end a string in generated JavaScript', async () => {
    const bytes = await guestComponent()
    const hostile = replaceAll(bytes, 'cabi_post_fabric:core/guest@0.1.0#call', "x'];globalThis.__fabricPwned=1;//aaaaa")
    refuses(() => validateComponentSync(hostile), 'bad-name', /core export name "x'\];globalThis\.__fabricPwned=1;\/\/aaaaa"/, /unescaped/, /fabric build/)
    // Line breaks and non-ASCII (U+2028 ends a line in JavaScript) too.
    refuses(() => validateComponentSync(replaceAll(bytes, 'cabi_post_fabric:core/guest@0.1.0#call', 'cabi_post_fabric:core/guest@0.1.0#cal\n')), 'bad-name', /"cabi_post_fabric:core\/guest@0\.1\.0#cal\\n"/)
  })

  it('refuses import, export and label names outside the component model grammar', async () => {
    const plain = await parse('(component (import "Bad Name" (func)))')
    refuses(() => inspectComponent(plain), 'bad-name', /"Bad Name" is not a component-model name/)
    const label = await parse('(component (type (enum "ok" "a\'b")))')
    refuses(() => inspectComponent(label), 'bad-name', /"a'b" is not a kebab-case label/)
    const field = await parse('(component (type (record (field "x`${y}" u8))))')
    refuses(() => inspectComponent(field), 'bad-name', /is not a kebab-case label/)
  })

  it('is bounded: size, sections, core modules and nesting depth', async () => {
    const bytes = await guestComponent()
    refuses(() => inspectComponent(bytes, { maxBytes: 1 << 20 }), 'too-large', /MiB, over the limit of 1\.0 MiB/)
    refuses(() => inspectComponent(bytes, { maxSections: 50 }), 'too-large', /more than 50 sections/)
    refuses(() => inspectComponent(bytes, { maxCoreModules: 2 }), 'too-large', /more than 2 core modules/)
    refuses(() => inspectComponent(bytes, { maxDepth: 1 }), 'too-large', /nested more than 1 deep/)
    const ok = inspectComponent(bytes)
    assert.equal(ok.coreModules, coreModules(bytes).length)
  })

  it('refuses types built to blow up exponentially after a bounded amount of work', async () => {
    // 40 tuples, each of two of the one before: 2^40 nodes when written out.
    const chain = Array.from({ length: 40 }, (_, i) => `(type $t${i + 1} (tuple $t${i} $t${i}))`).join('\n')
    const wat = `(component
      (type $i (instance
        (type $t0 (tuple u8 u8))
        ${chain}
        (type $f (func (param "level" $t40) (param "message" string)))
        (export "log" (func (type $f)))))
      (import "fabric:core/log@0.1.0" (instance (type $i)))
      (instance $g)
      (export "fabric:core/guest@0.1.0" (instance $g)))`
    const bytes = await parse(wat)
    const t = performance.now()
    refuses(() => validateComponentSync(bytes), 'too-large', /types take more than 1000000 steps/)
    const ms = performance.now() - t
    assert.ok(ms < 5_000, `refused after ${ms.toFixed(0)} ms`)
  })

  it('refuses features the host cannot run, and structure that does not decode', async () => {
    const stream = await parse('(component (type (stream u8)))')
    refuses(() => inspectComponent(stream), 'unsupported-feature', /streams \(async\)/)
    // An import of instance type 5 when only one type exists.
    const bytes = await parse('(component (type (instance)) (import "a" (instance (type 0))))')
    const bad = replaceAll(bytes, '\x05\x00', '\x05\x05')
    refuses(() => inspectComponent(bad), 'malformed', /type index 5 is out of range/, /in the section at offset 0x/)
  })

  it('accepts every real guest, QuickJS and AssemblyScript, in milliseconds (measured)', async () => {
    const guests: Array<[string, Uint8Array]> = [['QuickJS (test fixture)', await guestComponent()]]
    for (const [entry, lang] of [['guests/ts/kitchen.ts', 'ts'], ['guests/as/math.ts', 'as']] as const) {
      try {
        guests.push([`${lang === 'ts' ? 'QuickJS' : 'AssemblyScript'} (${entry})`, new Uint8Array(await readFile(await fixtureComponent(entry, lang)))])
      } catch (err) {
        console.log(`      (${entry} not built: ${(err as Error).message.split('\n')[0]})`)
      }
    }
    for (const [name, bytes] of guests) {
      validateComponentSync(bytes)
      const times = Array.from({ length: 7 }, () => {
        const t = performance.now()
        validateComponentSync(bytes)
        return performance.now() - t
      })
      const m = median(times)
      console.log(`      validation of ${name}, ${(bytes.length / 1e6).toFixed(2)} MB, ${coreModules(bytes).length} core modules: median ${m.toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`)
      assert.ok(m < 250, `${name}: ${m} ms`)
    }
  })
})
