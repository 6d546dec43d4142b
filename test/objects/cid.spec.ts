import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { InvalidCidError, RAW_CODEC, cidOfBytes, cidOfBytesSync, parseCid, verifyCid } from '../../src/objects/cid.js'

const hello = new TextEncoder().encode('hello')
// Same as `ipfs add --cid-version 1 --raw-leaves` of the five bytes "hello".
const HELLO_CID = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'

describe('objects/cid', () => {
  it('names bytes with a CIDv1 (raw, sha2-256, base32), sync and async alike', async () => {
    assert.equal(cidOfBytesSync(hello), HELLO_CID)
    assert.equal(await cidOfBytes(hello), HELLO_CID)
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i * 7)
    assert.equal(await cidOfBytes(big), cidOfBytesSync(big))
    const cid = parseCid(HELLO_CID)
    assert.equal(cid.version, 1)
    assert.equal(cid.code, RAW_CODEC)
  })

  it('verifies bytes against a CID', () => {
    assert.equal(verifyCid(HELLO_CID, hello), true)
    assert.equal(verifyCid(parseCid(HELLO_CID), hello), true)
    assert.equal(verifyCid(HELLO_CID, new TextEncoder().encode('hellO')), false)
    // The codec does not matter, the multihash does.
    const cbor = CID.createV1(0x71, parseCid(HELLO_CID).multihash)
    assert.equal(verifyCid(cbor.toString(), hello), true)
  })

  it('refuses CIDs it cannot verify', () => {
    const identity = CID.createV1(RAW_CODEC, Digest.create(0x00, hello))
    assert.throws(() => verifyCid(identity, hello), (err: unknown) => err instanceof InvalidCidError && /sha2-256 only/.test(err.message))
  })

  it('gives a clear error for garbage', () => {
    for (const bad of ['', 'not a cid', 'bafkzzzz', 'Qm']) {
      assert.throws(() => parseCid(bad), (err: unknown) => err instanceof InvalidCidError && /invalid CID/.test(err.message), bad)
    }
  })
})
