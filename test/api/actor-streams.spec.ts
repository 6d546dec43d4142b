// Actor methods that are generators, on an embedded fabric, beyond the conformance suite (which
// runs the driver's view on both faces): components whose manifest predates the `streaming` field
// still load and answer with refs, a manifest naming a streaming method the class lacks is refused
// at load, and a stream left early gives its refs back.
import assert from 'node:assert/strict'
import { EARLIER_SHAPES } from '../component/gen-fabric-signatures.js'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { componentize } from 'componentize-qjs'
import { Fabric, ObjectRef, type GuestModule } from '../../src/index.js'
import { fixtureComponent, REPO, tempDir } from '../helpers/fixtures.js'

type Streams = GuestModule<typeof import('../fixtures/guests/ts-streams/streams.js')>

/** A hand-written guest (no SDK) whose `describe` returns `actorClass` for its one class, Echo. */
function rawGuest (actorClass: string): string {
  return `export const guest = {
  describe () { return { sdk: 'test', tasks: [], actors: [${actorClass}] } },
  call (name, args) { return args },
  Actor: class {
    static create () { return new this() }
    invoke (method, args) { return args }
  }
}
`
}

/** Componentize `source` against `wit` (plain-guest-world), as the component specs do. */
async function build (dir: string, name: string, wit: string, source: string): Promise<Uint8Array> {
  const witPath = path.join(dir, `${name}.wit`)
  const jsPath = path.join(dir, `${name}.js`)
  await writeFile(witPath, wit)
  await writeFile(jsPath, source)
  const { component } = await componentize({ witPath, world: 'plain-guest-world', jsSource: source, jsPath, sync: true, stubWasi: true })
  return new Uint8Array(component)
}

describe('api: actor methods that are generators (embedded)', function () {
  this.timeout(180_000)
  let cache: ReturnType<typeof tempDir>
  let fabric: Fabric
  let wit: string

  before(async () => {
    cache = tempDir()
    wit = await readFile(path.join(REPO, 'wit', 'fabric.wit'), 'utf8')
    fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
  })

  after(async () => {
    await fabric?.stop()
    cache?.remove()
  })

  it('a component built before actor-class had `streaming` loads; its methods answer with one ref each', async () => {
    // The WIT as it was: actor-class without the streaming field (and so task-info without memo, added later).
    const old = EARLIER_SHAPES.reduce((shape, e) => e.edit(shape), wit)
    assert.ok(!/record actor-class \{[^}]*streaming/.test(old), 'the old WIT has no streaming field')
    const bytes = await build(cache.dir, 'old', old, rawGuest("{ name: 'Echo', methods: ['echo'] }"))
    const m = await fabric.load(bytes)
    const echo = await m.Echo!.create() as unknown as { echo: { remote: (x: number) => unknown } }
    const ref = echo.echo.remote(7)
    assert.ok(ref instanceof ObjectRef, 'a plain ref, not a stream')
    assert.deepEqual(await fabric.get(ref as ObjectRef<unknown>), [7])
  })

  it('a manifest listing a streaming method its class lacks is refused at load, saying which', async () => {
    const bytes = await build(cache.dir, 'bad', wit, rawGuest("{ name: 'Echo', methods: ['echo'], streaming: ['items'] }"))
    await assert.rejects(fabric.load(bytes), (e: Error & { reason?: string }) =>
      e.name === 'InvalidComponentError' && e.reason === 'bad-manifest' && /manifest\.actors\[0\]\.streaming\[0\]: 'items' is not one of the class's methods \(echo\)/.test(e.message))
  })

  it('a stream left early gives its refs back; the actor goes on', async () => {
    const s = await fabric.load<Streams>(await fixtureComponent('guests/ts-streams/streams.ts'))
    const feed = await s.Feed.create()
    const refsBefore = fabric.embedded!.stats().refs
    for await (const r of feed.items.remote(5)) {
      assert.deepEqual(await fabric.get(r), { i: 1, seen: 1 })
      break
    }
    assert.equal(await fabric.get(feed.note.remote('next')), 2)
    // The stream's own ref went when the loop left; its untaken values with it (the taken one is held by `r` until collected).
    assert.ok(fabric.embedded!.stats().refs <= refsBefore + 2, `${fabric.embedded!.stats().refs} refs held, ${refsBefore} before`)
  })
})
