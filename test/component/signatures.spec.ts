import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { InvalidComponentError } from '../../src/component/index.js'
import { FABRIC_SIGNATURES } from '../../src/component/fabric-signatures.js'
import { TypeBudget, renderExtern, type Extern, type FuncType, type ResourceType } from '../../src/component/component-types.js'
import { validateComponentSync } from '../../src/component/validate.js'
import { FABRIC_WIT, guestComponent, witComponent } from './fixtures.js'
import { EARLIER_SHAPES, TABLE_PATH, fabricSignatures, signaturesSource } from './gen-fabric-signatures.js'

/** wit/fabric.wit with `from` replaced by `to` (which must occur once). */
async function wit (from: string, to: string): Promise<string> {
  const source = await readFile(FABRIC_WIT, 'utf8')
  assert.equal(source.split(from).length, 2, `${from} occurs once in the WIT`)
  return source.replace(from, to)
}

function mismatch (bytes: Uint8Array, ...patterns: RegExp[]): void {
  assert.throws(() => validateComponentSync(bytes), (err: unknown) => {
    assert.ok(err instanceof InvalidComponentError, String(err))
    assert.equal(err.reason, 'signature-mismatch', err.message)
    for (const p of patterns) assert.match(err.message, p)
    assert.match(err.message, /rebuild it against this fabric's wit\/fabric\.wit \(fabric:core@0\.1\.0\) with `fabric build`/)
    return true
  })
}

describe('component signatures against the fabric WIT', function () {
  this.timeout(60_000)

  it('the committed table matches wit/ (WIT changed: run npx tsx test/component/gen-fabric-signatures.ts)', async () => {
    const table = await fabricSignatures()
    assert.deepEqual(FABRIC_SIGNATURES, table)
    assert.equal(await readFile(TABLE_PATH, 'utf8'), signaturesSource(table))
    assert.deepEqual(Object.keys(table).sort(), ['collective', 'gpu', 'guest', 'log', 'objects', 'tasks', 'types'])
  })

  it('accepts a component built from the WIT itself, and the QuickJS guest', async () => {
    validateComponentSync(await witComponent(await readFile(FABRIC_WIT, 'utf8')))
    validateComponentSync(await guestComponent())
  })

  it('accepts a component built against an earlier shape of the WIT this host still runs (task-info without memo; and actor-class without streaming)', async () => {
    // Each earlier shape is the one after it with its change undone (newest first).
    let shape = await readFile(FABRIC_WIT, 'utf8')
    for (const { edit } of EARLIER_SHAPES) {
      shape = edit(shape)
      validateComponentSync(await witComponent(shape))
    }
    // But not a shape no WIT ever had.
    mismatch(await witComponent(await wit('    methods: list<string>,\n', '    methods: list<u32>,\n')), /`actor-class` of another type/, /or one of 1 earlier shape this host still runs/)
  })

  it('refuses an import whose function has another type, naming it with expected and found', async () => {
    const bytes = await witComponent(await wit('get: func(id: string) -> result<list<u8>, task-error>;', 'get: func(id: u32) -> result<list<u8>, task-error>;'))
    // Before: only the interface name was checked, and this passed.
    mismatch(bytes, /imports fabric:core\/objects@0\.1\.0 with `get` of another type/,
      /expected func\(id: string\) -> result<list<u8>, record \{ kind: string, message: string, retryable: bool \}>/,
      /found func\(id: u32\) -> result<list<u8>/)
  })

  it('refuses an import of a record with another shape and of an item the host does not serve', async () => {
    mismatch(await witComponent(await wit('    retryable: bool,\n', '    retryable: u8,\n')), /`task-error` of another type/, /retryable: u8/)
    mismatch(await witComponent(await wit('  put: func(data: list<u8>) -> result<string, task-error>;', '  put: func(data: list<u8>) -> result<string, task-error>;\n  delete: func(id: string);')),
      /imports fabric:core\/objects@0\.1\.0 with an item `delete` that the fabric's fabric:core\/objects does not have \(it has task-error, get, put\)/)
  })

  it('refuses a guest export of another type or without an item the fabric calls', async () => {
    mismatch(await witComponent(await wit('  call: func(name: string, args: list<u8>) -> result<list<u8>, task-error>;', '  call: func(name: string, args: list<u8>) -> list<u8>;')),
      /exports fabric:core\/guest@0\.1\.0 with `call` of another type/, /found func\(name: string, args: list<u8>\) -> list<u8>;/)
    mismatch(await witComponent(await wit('  describe: func() -> manifest;', '')), /exports fabric:core\/guest@0\.1\.0 without `describe`, which the fabric calls/)
  })

  it('writes a handle to a resource the interface does not export as foreign, so it never matches', () => {
    const tensor: ResourceType = { kind: 'resource', name: 'tensor' }
    const impostor: ResourceType = { kind: 'resource', name: 'tensor' }
    const f: Extern = { sort: 'func', type: { kind: 'func', params: [['self', { kind: 'borrow', resource: impostor }]], result: { kind: 'list', element: { kind: 'primitive', name: 'u32' } } } }
    const names = new Map([[tensor, 'tensor']])
    const budget = new TypeBudget(100, 100)
    assert.equal(renderExtern(f, names, budget), 'func(self: borrow<?tensor>) -> list<u32>')
    assert.notEqual(renderExtern(f, names, budget), FABRIC_SIGNATURES.gpu!['[method]tensor.shape']![0])
    const own: Extern = { ...f, type: { ...f.type as FuncType, params: [['self', { kind: 'borrow', resource: tensor }]] } }
    assert.equal(renderExtern(own, names, budget), FABRIC_SIGNATURES.gpu!['[method]tensor.shape']![0])
  })
})
