// A holder process for the transfer benchmark: a fabric node serving one object of random bytes
// over /fabric/object/1, and a plain TCP server sending the same bytes to each connection (the
// baseline). Prints one JSON line { addrs, tcpPort, cid, bytes }, then runs until stdin closes.
//
//   npx tsx bench/net/holder.ts <bytes> <tls|noise> <dataDir>
import { randomFillSync } from 'node:crypto'
import net from 'node:net'
import { createNetNode, fixedResources } from '../../src/net/index.js'
import { cidOfBytesSync } from '../../src/objects/cid.js'

const bytes = Number(process.argv[2])
const encrypter = process.argv[3] as 'tls' | 'noise'
const dataDir = process.argv[4]!
const data = randomFillSync(new Uint8Array(bytes))
const cid = cidOfBytesSync(data)
const node = await createNetNode({
  dataDir,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  encrypter,
  resources: () => fixedResources({ cpus: 1, memoryMb: 1024 }, { store: { memoryBytes: bytes, diskBytes: 0 } }),
  objects: { get: (c) => (c === cid ? data : undefined) }
})
const server = net.createServer((socket) => {
  socket.end(data)
  socket.on('error', () => {})
})
await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
const tcpPort = (server.address() as net.AddressInfo).port
process.stdout.write(JSON.stringify({ addrs: node.multiaddrs(), tcpPort, cid, bytes }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => {
  server.close()
  void node.stop({ leave: false }).then(() => process.exit(0))
})
