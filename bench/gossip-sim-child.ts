// Lightweight fabric nodes for the gossip simulation (bench/gossip-sim.bench.ts): M real NetNodes
// (libp2p: TCP, TLS, yamux, gossipsub, the resources gossip, the liveness view and probe) in one
// process, with fixed resources and no runtime, workers or components: what a node costs the
// fabric's gossip, without what it costs to run work.
//
// `node --import tsx bench/gossip-sim-child.ts <count> <dir> [bootstrap multiaddr ...]`
// Each node bootstraps through one of the given addresses (chosen at random); with none, the first
// node starts the fabric and the others bootstrap through it. Prints `node <peer> <addr>` per node
// once it started, `ready` once all have, then `all <peer>` the moment every node of this process
// has `<peer>` in its view (fabric-wide convergence is the last such line over all processes).
// Exits on SIGTERM, stopping every node. GOSSIP_SIM_DEBUG=1 prints each process's view sizes,
// connections, gossip counters and view events every 5 s on stderr (the parent passes it on).
import path from 'node:path'
import { createNetNode, fixedResources, type NetNode } from '../src/net/index.js'

const [countArg, dir, ...seeds] = process.argv.slice(2)
const count = Number(countArg)
if (!(count >= 1) || dir === undefined) throw new Error('usage: gossip-sim-child.ts <count> <dir> [bootstrap ...]')

const nodes: NetNode[] = []
const seen = new Map<string, number>()
let latest = ''
const out = (line: string): void => { process.stdout.write(line + '\n') }

const events = { suspect: 0, dead: 0, alive: 0 }
const reasons: Record<string, number> = {}
const closes: Record<string, number> = {}

function watch (node: NetNode): void {
  for (const e of ['suspect', 'dead', 'alive'] as const) node.view.on(e, () => { events[e]++ })
  // Why peers were suspected (the reason's first words: a probe's unanswered ping, a heartbeat timeout, a closed connection).
  node.view.on('suspect', e => {
    const why = (e.suspectReason ?? '').split(' ').slice(0, 3).join(' ')
    reasons[why] = (reasons[why] ?? 0) + 1
  })
  node.view.on('join', e => {
    const n = (seen.get(e.info.peer) ?? 0) + 1
    seen.set(e.info.peer, n)
    latest = e.info.peer
    // A node of this process is its own peer for none of the others: count it as seen by itself.
    if (n === count - (nodes.some(x => x.peerId === e.info.peer) ? 1 : 0)) out(`all ${e.info.peer}`)
  })
}

for (let i = 0; i < count; i++) {
  const local = nodes.map(n => n.multiaddrs()[0]!)
  const pool = seeds.length > 0 ? seeds : local.slice(0, 1)
  const bootstrap = pool.length === 0 ? [] : [pool[Math.floor(Math.random() * pool.length)]!]
  const node = await createNetNode({
    dataDir: path.join(dir, `n${i}`),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap,
    resources: () => fixedResources({ cpus: 1 }),
    // GOSSIP_SIM_ENCRYPTER=noise: the cheaper handshake (~9 ms of CPU against TLS's ~19).
    ...(process.env.GOSSIP_SIM_ENCRYPTER === 'noise' ? { encrypter: 'noise' as const } : {})
  }, {
    onBootstrapRetry: (addr, err, attempt) => {
      if (process.env.GOSSIP_SIM_DEBUG !== undefined && (attempt <= 2 || attempt % 10 === 0)) process.stderr.write(`node ${i}: bootstrap ${addr} failed (attempt ${attempt}): ${err.message}\n`)
    }
  })
  nodes.push(node)
  watch(node)
  if (process.env.GOSSIP_SIM_DEBUG !== undefined) countCloses(node)
  out(`node ${node.peerId} ${node.multiaddrs()[0]!}`)
}
out('ready')

// Why connections end: each connection's abort (with its error) or close, counted by cause.
function countCloses (node: NetNode): void {
  type Conn = { abort: (err: Error) => void, close: (o?: unknown) => Promise<void> }
  const l = (node as unknown as { libp2p: { addEventListener: (e: string, f: (evt: CustomEvent<Conn>) => void) => void } }).libp2p
  l.addEventListener('connection:open', evt => {
    const conn = evt.detail
    const abort = conn.abort.bind(conn)
    const close = conn.close.bind(conn)
    conn.abort = (err: Error) => { const k = `abort ${err?.name}: ${String(err?.message).replace(/^peer \S+ was /, '').slice(0, 40)}`; closes[k] = (closes[k] ?? 0) + 1; abort(err) }
    conn.close = async (o?: unknown) => { closes.close = (closes.close ?? 0) + 1; await close(o) }
  })
  l.addEventListener('connection:close', () => { closes.ended = (closes.ended ?? 0) + 1 })
}
// For a simulation that does not converge: this process's view sizes and connections, every 5 s.
if (process.env.GOSSIP_SIM_DEBUG !== undefined) {
  setInterval(() => {
    const sizes = nodes.map(n => n.view.peers().length).sort((a, b) => a - b)
    const conns = nodes.map(n => (n as unknown as { libp2p: { getConnections: () => unknown[] } }).libp2p.getConnections().length).sort((a, b) => a - b)
    const lonely = nodes.map((n, i) => [i, (n as unknown as { libp2p: { getConnections: () => unknown[], getDialQueue: () => unknown[] } }).libp2p] as const).filter(([, l]) => l.getConnections().length === 0).map(([i, l]) => `${i}(dq ${l.getDialQueue().length})`)
    const st = nodes.map(n => n.stats()).reduce((a, b) => ({ published: a.published + b.published, received: a.received + b.received, malformed: a.malformed + b.malformed, oversized: a.oversized + b.oversized, spoofed: a.spoofed + b.spoofed }))
    const mesh = nodes.map(n => (n as unknown as { libp2p: { services: { pubsub: { getMeshPeers: (t: string) => unknown[] } } } }).libp2p.services.pubsub.getMeshPeers('fabric/default/resources').length).sort((a, b) => a - b)
    // Gossipsub's peer scores as each node sees its peers: the lowest, and how many are below its
    // publish (-50: no flood publish to them) and graylist (-80: their messages ignored) thresholds.
    const scores = nodes.flatMap(n => {
      const ps = (n as unknown as { libp2p: { services: { pubsub: { getPeers: () => Array<{ toString: () => string }>, getScore: (p: string) => number } } } }).libp2p.services.pubsub
      return ps.getPeers().map(p => ps.getScore(p.toString()))
    })
    const low = scores.length === 0 ? 0 : Math.min(...scores)
    process.stderr.write(`stats ${JSON.stringify(st)} view events ${JSON.stringify(events)} suspected for ${JSON.stringify(reasons)} mesh ${mesh[0]}..${mesh[mesh.length - 1]} scores min ${low.toFixed(1)}, ${scores.filter(x => x < -50).length} below publish, ${scores.filter(x => x < -80).length} graylisted of ${scores.length}; connections ended ${JSON.stringify(closes)}\n`)
    process.stderr.write(`unconnected ${lonely.join(' ')}; the latest peer to join is seen by ${seen.get(latest) ?? 0} of ${count}\n`)
    process.stderr.write(`views ${sizes[0]}..${sizes[sizes.length - 1]} (median ${sizes[sizes.length >> 1]}), connections ${conns[0]}..${conns[conns.length - 1]}\n`)
  }, 5000).unref()
}

process.once('SIGTERM', () => {
  void Promise.allSettled(nodes.map(async n => { await n.stop({ leave: false }) })).then(() => process.exit(0))
})
