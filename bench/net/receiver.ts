// A receiver process for the broadcast benchmark: a fabric node that pulls objects when told to
// and then serves them (a new holder). Reads JSON lines on stdin:
//   { "pull": cid, "holders": [multiaddr...] }   pull it (verified), keep it, answer { "ms": n }
//   { "drop": true }                             forget what it pulled, answer { "dropped": n }
// Prints { "addr": multiaddr } once ready; exits when stdin closes.
//
//   npx tsx bench/net/receiver.ts <dataDir>
import readline from 'node:readline'
import { createNetNode, fixedResources } from '../../src/net/index.js'

const held = new Map<string, Uint8Array>()
const node = await createNetNode({
  dataDir: process.argv[2]!,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  resources: () => fixedResources({ cpus: 1, memoryMb: 1024 }),
  objects: { get: (cid) => held.get(cid) }
})
process.stdout.write(JSON.stringify({ addr: node.multiaddrs()[0] }) + '\n')
const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const cmd = JSON.parse(line) as { pull?: string, holders?: string[], drop?: boolean }
  void (async () => {
    if (cmd.drop === true) {
      const n = held.size
      held.clear()
      return { dropped: n }
    }
    const t = performance.now()
    const bytes = await node.pullObject(cmd.pull!, cmd.holders!, {
      // A range taken up again elsewhere is worth knowing about in a benchmark: it costs time.
      onRetry: (holder, err, at) => { process.stderr.write(`receiver: range resumed at byte ${at} after ${holder}: ${err.name}: ${err.message}\n`) }
    })
    held.set(cmd.pull!, bytes)
    return { ms: performance.now() - t }
  })().then(
    reply => { process.stdout.write(JSON.stringify(reply) + '\n') },
    (err: Error) => { process.stdout.write(JSON.stringify({ error: `${err.name}: ${err.message}` }) + '\n') }
  )
})
rl.on('close', () => { void node.stop({ leave: false }).then(() => process.exit(0)) })
