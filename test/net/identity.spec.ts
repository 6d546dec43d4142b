import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IDENTITY_FILE, loadOrCreateIdentity, newSwarmKey, readSwarmKey } from '../../src/net/index.js'
import { rmDir, tmpDir } from './helpers.js'

describe('net/identity', () => {
  let dir: string | undefined
  afterEach(() => { rmDir(dir); dir = undefined })

  it('creates an Ed25519 key (0600, in a 0700 dir) and loads the same PeerId after a reload', async () => {
    dir = tmpDir()
    const dataDir = path.join(dir, 'node', 'data')
    const a = await loadOrCreateIdentity(dataDir)
    const file = path.join(dataDir, IDENTITY_FILE)
    assert.equal(a.type, 'Ed25519')
    assert.equal(fs.statSync(file).mode & 0o777, 0o600)
    assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700)
    const b = await loadOrCreateIdentity(dataDir)
    assert.equal(peerIdFromPrivateKey(b).toString(), peerIdFromPrivateKey(a).toString())
    assert.deepEqual(fs.readdirSync(dataDir), [IDENTITY_FILE])
  })

  it('two loads racing on a fresh dir agree on one key', async () => {
    dir = tmpDir()
    const keys = await Promise.all([1, 2, 3, 4].map(async () => await loadOrCreateIdentity(dir!)))
    const ids = new Set(keys.map(k => peerIdFromPrivateKey(k).toString()))
    assert.equal(ids.size, 1)
    assert.deepEqual(fs.readdirSync(dir), [IDENTITY_FILE])
  })

  it('a corrupt key file is a clear error naming the file, and is left untouched', async () => {
    dir = tmpDir()
    const file = path.join(dir, IDENTITY_FILE)
    fs.writeFileSync(file, 'not a key')
    await assert.rejects(loadOrCreateIdentity(dir), (err: Error) => {
      assert.equal(err.name, 'IdentityKeyError')
      assert.ok(err.message.includes(file), err.message)
      assert.match(err.message, /corrupt/)
      return true
    })
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a key')
  })

  it('an unreadable key path is a clear error', async () => {
    dir = tmpDir()
    fs.mkdirSync(path.join(dir, IDENTITY_FILE))
    await assert.rejects(loadOrCreateIdentity(dir), (err: Error) => err.name === 'IdentityKeyError' && err.message.includes(IDENTITY_FILE))
  })
})

describe('net/swarm-key', () => {
  let dir: string | undefined
  afterEach(() => { rmDir(dir); dir = undefined })

  it('reads a generated key and refuses files in the wrong format', async () => {
    dir = tmpDir()
    const good = path.join(dir, 'swarm.key')
    fs.writeFileSync(good, newSwarmKey())
    assert.equal((await readSwarmKey(good)).byteLength, 95)
    const bad = path.join(dir, 'bad.key')
    fs.writeFileSync(bad, '/key/swarm/psk/1.0.0/\n/base16/\nabc\n')
    await assert.rejects(readSwarmKey(bad), (err: Error) => err.name === 'SwarmKeyError' && err.message.includes(bad))
    await assert.rejects(readSwarmKey(path.join(dir, 'missing.key')), (err: Error) => err.name === 'SwarmKeyError' && /cannot read/.test(err.message))
  })
})
