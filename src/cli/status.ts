// `fabric status`: ask a running node (over `/fabric/status/1`, with a throwaway identity) for its
// view of the fabric and print it as a table or JSON.
import type { Command } from 'commander'
import type { NodeInfo, Resources, StatusReply } from '../net/index.js'

interface StatusOptions {
  address: string
  json: boolean
  secret?: string
  timeoutMs: string
}

/** Errors that are the user's or the network's, reported as one line and exit 1 (anything else is a bug). */
const EXPECTED_ERRORS = ['PeerUnreachableError', 'MalformedMessageError', 'RemoteError', 'NetConfigError', 'SwarmKeyError']

export function registerStatus (program: Command): void {
  program
    .command('status')
    .description("show the fabric as a node sees it: peers, addresses, resources, running and queued tasks, actors, objects, store use, liveness")
    .option('--address <multiaddr>', 'the node to ask ($FABRIC_ADDRESS, else /ip4/127.0.0.1/tcp/7400)', process.env.FABRIC_ADDRESS ?? '/ip4/127.0.0.1/tcp/7400')
    .option('--json', 'print the node\'s reply as JSON', false)
    .option('--secret <file>', 'the swarm key of a private fabric')
    .option('--timeout-ms <ms>', 'give up after this long', '10000')
    .action(async (opts: StatusOptions) => {
      const timeoutMs = Number(opts.timeoutMs)
      if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
        process.stderr.write(`fabric status: --timeout-ms needs a positive integer, got '${opts.timeoutMs}'\n`)
        process.exitCode = 1
        return
      }
      const { createStatusClient, readSwarmKey } = await import('../net/index.js')
      let reply: StatusReply
      try {
        const swarmKey = opts.secret === undefined ? undefined : await readSwarmKey(opts.secret)
        const client = await createStatusClient({ swarmKey })
        try {
          reply = await client.status(opts.address, { timeoutMs })
        } finally {
          await client.stop()
        }
      } catch (err) {
        if (!EXPECTED_ERRORS.includes((err as Error).name)) throw err
        process.stderr.write(`fabric status: ${(err as Error).message.split('\n')[0]}\n`)
        process.exitCode = 1
        return
      }
      process.stdout.write(opts.json ? JSON.stringify(reply, null, 2) + '\n' : formatStatus(reply))
    })
}

/** The status reply as a table: this node first, then its peers by PeerId. */
export function formatStatus (reply: StatusReply): string {
  const rows: Array<{ info: NodeInfo, state: string }> = [
    { info: reply.self, state: 'self' },
    ...[...reply.peers].sort((a, b) => a.info.peer.localeCompare(b.info.peer)).map(p => ({ info: p.info, state: p.state }))
  ]
  const suspected = reply.peers.filter(p => p.state === 'suspected').length
  const header = ['PEER', 'STATE', 'CPUS', 'GPUS', 'MEMORY', 'RUNNING', 'QUEUE', 'ACTORS', 'OBJECTS', 'STORE', 'LABELS', 'ADDRS']
  const table = rows.map(({ info, state }) => {
    const { total, available } = info.resources
    return [
      shortPeer(info.peer),
      state,
      `${fmt(available.cpus)}/${fmt(total.cpus)}`,
      `${fmt(available.gpus)}/${fmt(total.gpus)}${info.gpuModel === undefined ? '' : ` ${info.gpuModel}`}`,
      `${mib(available.memoryMb)}/${mib(total.memoryMb)}${custom(total, available)}`,
      info.work === undefined ? '-' : String(info.work.running),
      String(info.queue),
      info.work === undefined ? '-' : String(info.work.actors),
      info.work === undefined ? '-' : String(info.work.objects),
      bytes(info.store.memoryBytes + info.store.diskBytes),
      Object.entries(info.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
      info.addrs.map(a => a.replace(/\/p2p\/[^/]+$/, '')).join(' ') || '-'
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...table.map(r => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i]!)).join('  ').trimEnd()
  return `fabric '${reply.fabric}' seen from ${reply.self.peer}: ${rows.length} node(s), ${suspected} suspected\n` +
    [line(header), ...table.map(line)].join('\n') + '\n'
}

function shortPeer (peer: string): string {
  // Ed25519 PeerIds all start with 12D3KooW: the tail is what tells them apart.
  return peer.length <= 14 ? peer : `…${peer.slice(-12)}`
}

function fmt (n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2)
}

function mib (mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)}G` : `${fmt(mb)}M`
}

function bytes (n: number): string {
  if (n < 1024) return `${n}B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)}K`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)}M`
  return `${(n / 1024 ** 3).toFixed(1)}G`
}

function custom (total: Resources, available: Resources): string {
  const keys = Object.keys(total.custom)
  return keys.length === 0 ? '' : ' ' + keys.map(k => `${k}=${fmt(available.custom[k] ?? 0)}/${fmt(total.custom[k]!)}`).join(',')
}
