// The manifest check shared by guests' `describe` (LocalNode.load) and peers' describe replies
// (net/messages validateManifest): generator methods listed as streaming, old manifests without
// the field, and what is refused.
import assert from 'node:assert/strict'
import { parseManifest } from '../../src/component/index.js'
import { validateManifest } from '../../src/net/messages.js'

const fail = (path: string, what: string): never => { throw new TypeError(`${path}: ${what}`) }

const manifest = (actor: Record<string, unknown>): unknown => ({ sdk: 'fabric-qjs/0.1.0', tasks: [{ name: 'count', streaming: true }], actors: [{ name: 'Feed', ...actor }] })

describe('component/manifest', () => {
  it('keeps the generator methods an actor class lists as streaming', () => {
    assert.deepEqual(parseManifest(manifest({ methods: ['items', 'note'], streaming: ['items'] }), fail), {
      sdk: 'fabric-qjs/0.1.0',
      tasks: [{ name: 'count', streaming: true }],
      actors: [{ name: 'Feed', methods: ['items', 'note'], streaming: ['items'] }]
    })
  })

  it('treats a class without streaming (a component built before the field) as having no streaming methods', () => {
    assert.deepEqual(parseManifest(manifest({ methods: ['items'] }), fail).actors, [{ name: 'Feed', methods: ['items'], streaming: [] }])
    assert.deepEqual(validateManifest(manifest({ methods: ['items'] })).actors, [{ name: 'Feed', methods: ['items'], streaming: [] }])
  })

  it('refuses a streaming method the class does not have, and malformed fields, naming the field', () => {
    assert.throws(() => parseManifest(manifest({ methods: ['note'], streaming: ['items'] }), fail), /^TypeError: manifest\.actors\[0\]\.streaming\[0\]: 'items' is not one of the class's methods \(note\)$/)
    assert.throws(() => parseManifest(manifest({ methods: ['note'], streaming: 'items' }), fail), /manifest\.actors\[0\]\.streaming: expected a list/)
    assert.throws(() => parseManifest(manifest({ methods: ['note'], streaming: [''] }), fail), /manifest\.actors\[0\]\.streaming\[0\]: expected a name of 1-256 chars/)
    assert.throws(() => parseManifest(manifest({ methods: ['note'], extra: 1 }), fail), /manifest\.actors\[0\]: unknown field extra \(known: name, methods, streaming\)/)
    assert.throws(() => parseManifest({ sdk: 'x', tasks: [{ name: 't' }], actors: [] }, fail), /manifest\.tasks\[0\]\.streaming: expected a boolean/)
    assert.throws(() => parseManifest({ sdk: 'x', tasks: [], actors: new Array(4097).fill({ name: 'A', methods: [] }) }, fail), /manifest\.actors: expected a list of at most 4096/)
    assert.throws(() => parseManifest(null, fail), /manifest: expected a record/)
    // From a peer: the same check, as the net area's error.
    assert.throws(() => validateManifest(manifest({ methods: ['note'], streaming: ['items'] })), { name: 'MalformedMessageError' })
  })
})
