// A child process for the object e2e test: a fabric net node holding one object of `bytes`
// pseudo-random bytes (from `seed`), served over /fabric/object/1. Prints one JSON line
// { peer, addrs, cid }, then { served: n } for each request it is asked, and runs until stdin
// closes. With `stallFrom` = k, requests from the k-th on are never answered (a holder that
// hangs mid-pull, until it is killed).
//
//   node --import tsx test/e2e/object-holder.ts <bytes> <seed> <dataDir> [stallFrom]
import { createCipheriv, createHash } from 'node:crypto'
import { createNetNode, fixedResources } from '../../src/net/index.js'
import { cidOfBytesSync } from '../../src/objects/cid.js'

/** The object: an AES-128-CTR keystream keyed by the seed (GB/s), so the parent can rebuild and compare it. */
export function seededBytes (bytes: number, seed: string): Uint8Array {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  const out = cipher.update(new Uint8Array(bytes))
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const data = seededBytes(Number(process.argv[2]), process.argv[3]!)
  const cid = cidOfBytesSync(data)
  const stallFrom = process.argv[5] === undefined ? Infinity : Number(process.argv[5])
  let served = 0
  const node = await createNetNode({
    dataDir: process.argv[4]!,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    resources: () => fixedResources({ cpus: 1, memoryMb: 1024 }, { store: { memoryBytes: data.byteLength, diskBytes: 0 } }),
    objects: {
      get: async (c) => {
        process.stdout.write(JSON.stringify({ served: ++served }) + '\n')
        if (served >= stallFrom) await new Promise(() => {})
        return c === cid ? data : undefined
      }
    }
  })
  process.stdout.write(JSON.stringify({ peer: node.peerId, addrs: node.multiaddrs(), cid }) + '\n')
  process.stdin.resume()
  process.stdin.on('end', () => { void node.stop({ leave: false }).then(() => process.exit(0)) })
}
