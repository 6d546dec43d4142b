import assert from 'node:assert/strict'
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools'
import { deserializeError, serializeError } from '../../src/errors/index.js'
import {
  InvalidComponentError, checkComponentHeader, checkComponentWorld, validateComponent, type InvalidComponentReason
} from '../../src/component/index.js'
import { guestComponent, otherWorldComponent, wasiGuestComponent, wat } from './fixtures.js'

/** Assert `fn` rejects with an InvalidComponentError of `reason` whose message matches every pattern. */
async function rejects (fn: () => unknown, reason: InvalidComponentReason, ...patterns: RegExp[]): Promise<InvalidComponentError> {
  let caught: unknown
  try {
    await fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof InvalidComponentError, `expected InvalidComponentError, got ${String(caught)}`)
  assert.equal(caught.reason, reason, caught.message)
  for (const p of patterns) assert.match(caught.message, p)
  return caught
}

describe('component validation', function () {
  this.timeout(60_000)

  before(async () => {
    // Build the QuickJS fixtures up front so each test's time is its own.
    await Promise.all([guestComponent(), otherWorldComponent(), wasiGuestComponent()])
  })

  it('refuses empty input', async () => {
    await rejects(() => validateComponent(new Uint8Array()), 'empty', /empty \(0 bytes\)/)
  })

  it('refuses garbage bytes, showing what they start with', async () => {
    const garbage = new TextEncoder().encode('hello world, not wasm at all')
    await rejects(() => validateComponent(garbage), 'not-wasm', /68 65 6c 6c/, /00 61 73 6d/)
  })

  it('refuses a plain core module and says how to make a component', async () => {
    const core = await parse('(module (func (export "f")))')
    await rejects(() => validateComponent(core), 'core-module', /core WebAssembly module, not a component/, /fabric build/, /jco new/)
  })

  it('refuses a component binary of another encoding version', async () => {
    const old = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0a, 0x00, 0x01, 0x00)
    await rejects(() => validateComponent(old), 'unsupported-encoding', /0xa/, /0xd/)
  })

  it('refuses a preamble cut short', async () => {
    await rejects(() => validateComponent(Uint8Array.of(0x00, 0x61, 0x73)), 'truncated', /3 bytes/)
  })

  it('refuses a real component cut in half', async () => {
    const bytes = await guestComponent()
    const half = bytes.subarray(0, bytes.length >> 1)
    await rejects(() => validateComponent(half), 'truncated', /declares \d+ bytes but only \d+ remain/, /cut short/)
  })

  it('refuses a component of another world, naming its exports', async () => {
    await rejects(async () => await validateComponent(await otherWorldComponent()), 'wrong-world',
      /does not export fabric:core\/guest@0\.1\.0/, /exports init, run/, /fabric build/)
  })

  it('refuses WASI filesystem and socket imports, naming them', async () => {
    await rejects(async () => await validateComponent(await wat('wasi-imports.wat')), 'forbidden-import',
      /wasi:filesystem\/types@0\.2\.0, wasi:sockets\/tcp@0\.2\.0/, /no filesystem access/, /no network \(socket\) access/,
      /stubWasi/)
  })

  it('refuses a QuickJS guest built without stubbing WASI', async () => {
    await rejects(async () => await validateComponent(await wasiGuestComponent()), 'forbidden-import',
      /wasi:cli\/environment@/, /and \d+ more/, /fabric:core\/log/)
  })

  it('refuses another minor version of fabric:core', async () => {
    await rejects(async () => await validateComponent(await wat('future-version.wat')), 'incompatible-version',
      /fabric:core\/guest@0\.2\.0/, /serves fabric:core@0\.1\.0/, /0\.1\.x/)
    const guest = 'fabric:core/guest@0.1.0'
    await rejects(() => checkComponentWorld({ imports: ['fabric:core/log@0.2.1'], exports: [guest] }), 'incompatible-version', /log@0\.2\.1/)
    await rejects(() => checkComponentWorld({ imports: ['fabric:core/log'], exports: [guest] }), 'incompatible-version')
  })

  it('accepts patch versions, extra exports, and only the granted interfaces', async () => {
    checkComponentWorld({ imports: ['fabric:core/log@0.1.7', 'fabric:core/types@0.1.0'], exports: ['init', 'fabric:core/guest@0.1.2'] })
    await rejects(() => checkComponentWorld({ imports: ['fabric:core/secrets@0.1.0'], exports: ['fabric:core/guest@0.1.0'] }), 'forbidden-import')
    await rejects(() => checkComponentWorld({ imports: ['now'], exports: ['fabric:core/guest@0.1.0'] }), 'forbidden-import', /host functions outside any interface/)
  })

  it('accepts a valid QuickJS guest and reports its world', async () => {
    const bytes = await guestComponent()
    checkComponentHeader(bytes)
    const world = await validateComponent(bytes)
    assert.deepEqual([...world.imports].sort(), ['fabric:core/log@0.1.0', 'fabric:core/objects@0.1.0', 'fabric:core/tasks@0.1.0', 'fabric:core/types@0.1.0'])
    assert.deepEqual(world.exports, ['init', 'fabric:core/guest@0.1.0'])
  })

  it('keeps the reason across serialization', () => {
    const err = new InvalidComponentError('no', { reason: 'forbidden-import' })
    const back = deserializeError(serializeError(err))
    assert.ok(back instanceof InvalidComponentError)
    assert.equal(back.reason, 'forbidden-import')
    assert.equal(back.retryable, false)
  })
})
