// Who may reach a node: loopback only without a swarm key; beyond it with a key or insecureOpen.
import assert from 'node:assert/strict'
import { isLoopback, listenAddresses } from '../../src/api/listen-policy.js'

describe('api/listen-policy', () => {
  const key = new Uint8Array(95)

  it('listens on loopback by default, on every interface with a key or insecureOpen', () => {
    assert.deepEqual(listenAddresses({}), ['/ip4/127.0.0.1/tcp/7400'])
    assert.deepEqual(listenAddresses({ swarmKey: key }), ['/ip4/0.0.0.0/tcp/7400'])
    assert.deepEqual(listenAddresses({ insecureOpen: true }), ['/ip4/0.0.0.0/tcp/7400'])
  })

  it('refuses a non-loopback address without a key, naming both ways to open the node', () => {
    for (const addr of ['/ip4/0.0.0.0/tcp/0', '/ip4/10.0.0.5/tcp/7400', '/ip6/::/tcp/0', '/dns4/node.example/tcp/7400']) {
      assert.throws(() => listenAddresses({ listen: ['/ip4/127.0.0.1/tcp/0', addr] }), (err: Error) => err.name === 'NetConfigError' && err.message.includes(addr) && /--secret FILE/.test(err.message) && /fabric keygen FILE/.test(err.message) && /--insecure-open/.test(err.message))
    }
    assert.deepEqual(listenAddresses({ listen: ['/ip4/0.0.0.0/tcp/0'], swarmKey: key }), ['/ip4/0.0.0.0/tcp/0'])
    assert.deepEqual(listenAddresses({ listen: ['/ip4/0.0.0.0/tcp/0'], insecureOpen: true }), ['/ip4/0.0.0.0/tcp/0'])
  })

  it('knows loopback addresses', () => {
    for (const a of ['/ip4/127.0.0.1/tcp/0', '/ip4/127.1.2.3/tcp/9', '/ip6/::1/tcp/0', '/ip4/127.0.0.1']) assert.equal(isLoopback(a), true, a)
    for (const a of ['/ip4/0.0.0.0/tcp/0', '/ip4/128.0.0.1/tcp/0', '/ip4/1.127.0.0/tcp/0', '/ip6/::/tcp/0', '/ip6/::10/tcp/0', '/dns4/localhost/tcp/0']) assert.equal(isLoopback(a), false, a)
  })
})
