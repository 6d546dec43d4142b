// Actor addresses (a handle's actorId wherever it travels) are parsed strictly: guests may forge
// any string, and a bad one says what is wrong instead of reaching anything.
import assert from 'node:assert/strict'
import { addressOf, formatActorAddress, parseActorAddress } from '../../src/runtime/actor-address.js'

const PEER = '12D3KooWEwuGmQEVq4HJjCtaaRQBc1BZgVSh4fk1ub4XaoWHbq5E'

describe('runtime: actor addresses', () => {
  it('a bare id names an actor of the node that reads it; <id>@<PeerId> one of that node; format is the inverse', () => {
    assert.deepEqual(parseActorAddress('3f2a9c1b/a0c1d2e3'), { actor: '3f2a9c1b/a0c1d2e3' })
    assert.deepEqual(parseActorAddress(`3f2a9c1b/a0c1d2e3@${PEER}`), { actor: '3f2a9c1b/a0c1d2e3', peer: PEER })
    for (const a of [{ actor: 'x/a1' }, { actor: 'x/a1', peer: PEER }]) assert.deepEqual(parseActorAddress(formatActorAddress(a)), a)
  })

  it('refuses empty ids, second @s, blanks, control characters, over-long ids and what is not a PeerId, saying which', () => {
    const bad: Array<[unknown, RegExp]> = [
      [`@${PEER}`, /is empty before its '@node'/],
      [`a@b@${PEER}`, /second '@'/],
      ['a b', /blank, control character/],
      ['a\u0000b', /blank, control character/],
      ['x'.repeat(300), /longer than 256 characters/],
      ['x@', /what follows '@' must be a node's PeerId/],
      ['x@/ip4/1.2.3.4/tcp/80', /what follows '@' must be a node's PeerId/],
      ['x@0OIl0OIl0OIl0OIl0OIl', /what follows '@' must be a node's PeerId/],
      [42, /must be a string/]
    ]
    for (const [input, message] of bad) {
      assert.throws(() => parseActorAddress(input), (err: Error & { kind?: string }) => {
        assert.match(err.message, message)
        assert.equal(err.name, 'BadActorAddressError')
        assert.equal(err.kind, 'bad-argument')
        assert.ok(err instanceof TypeError)
        return true
      }, String(input))
    }
  })

  it('addressOf takes an id or a handle form { actorId }, nothing else', () => {
    assert.deepEqual(addressOf({ actorId: `x/a1@${PEER}` }), { actor: 'x/a1', peer: PEER })
    assert.deepEqual(addressOf('x/a1'), { actor: 'x/a1' })
    assert.throws(() => addressOf({ id: 'x' }), /travels as \{ actorId: string \}/)
    assert.throws(() => addressOf(['x']), /got an array/)
    assert.throws(() => addressOf(null), /got null/)
  })
})
