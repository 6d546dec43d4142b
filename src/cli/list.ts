// `fabric list nodes|tasks|actors|objects|jobs` and `fabric summary tasks|actors|objects|jobs`: ask a running node
// for state rows over `/fabric/state/1` (it asks every node in its view and merges their rows) and
// print them as a table, JSON, or counts. What `ray list` and `ray summary` are to a Ray cluster.
import type { Command } from 'commander'
import type { StateReply, StateRow } from '../net/index.js'

interface ListOptions {
  address: string
  filter?: string[]
  limit: string
  json: boolean
  secret?: string
  timeoutMs: string
}

const KINDS = ['nodes', 'tasks', 'actors', 'objects', 'jobs']

/** The columns of each kind's table, in order (JSON has every field). */
const COLUMNS: Record<string, string[]> = {
  nodes: ['node', 'state', 'role', 'cpus', 'cpusFree', 'gpus', 'running', 'queue', 'actors', 'objects', 'labels'],
  tasks: ['id', 'name', 'kind', 'state', 'node', 'job', 'attempts', 'submittedAt', 'endedAt', 'error', 'reason'],
  actors: ['id', 'class', 'name', 'namespace', 'state', 'node', 'job', 'restarts', 'detached'],
  objects: ['cid', 'ref', 'size', 'where', 'spilled', 'kind', 'refs', 'holders', 'job'],
  jobs: ['job', 'tasks', 'running', 'queued', 'finished', 'failed', 'cancelled', 'node']
}

/** Errors that are the user's or the network's, reported as one line and exit 1. */
const EXPECTED_ERRORS = ['PeerUnreachableError', 'MalformedMessageError', 'RemoteError', 'NetConfigError', 'SwarmKeyError']

export function registerList (program: Command): void {
  const collect = (v: string, prev: string[] = []): string[] => [...prev, v]
  const common = (cmd: Command): Command => cmd
    .option('--address <multiaddr>', 'the node to ask ($FABRIC_ADDRESS, else /ip4/127.0.0.1/tcp/7400)', process.env.FABRIC_ADDRESS ?? '/ip4/127.0.0.1/tcp/7400')
    .option('--filter <field=value>', 'keep rows whose field equals the value (repeatable), e.g. state=failed', collect)
    .option('--secret <file>', 'the swarm key of a private fabric')
    .option('--timeout-ms <ms>', 'give up after this long', '30000')
  common(program
    .command('list <kind>')
    .description(`list the fabric's ${KINDS.join(', ')} (every node's, merged by the node asked)`)
    .option('--limit <n>', 'rows at most (1-10000)', '100')
    .option('--json', 'print the rows as JSON', false))
    .action(async (kind: string, opts: ListOptions) => {
      const reply = await ask('list', kind, opts, Number(opts.limit))
      if (reply === undefined) return
      process.stdout.write(opts.json ? JSON.stringify(reply, null, 2) + '\n' : formatRows(kind, reply))
    })
  common(program
    .command('summary <kind>')
    .description('count the fabric\'s tasks (by name and state), actors (by class and state), objects (by where they are: memory, disk, inline) or jobs')
    .option('--json', 'print the counts as JSON', false))
    .action(async (kind: string, opts: ListOptions) => {
      const reply = await ask('summary', kind, opts, 10_000)
      if (reply === undefined) return
      const counts = summarize(kind, reply.rows)
      process.stdout.write(opts.json ? JSON.stringify(counts, null, 2) + '\n' : formatSummary(counts, reply))
    })
}

async function ask (command: string, kind: string, opts: ListOptions, limit: number): Promise<StateReply | undefined> {
  const fail = (msg: string): undefined => {
    process.stderr.write(`fabric ${command}: ${msg}\n`)
    process.exitCode = 1
    return undefined
  }
  if (!KINDS.includes(kind)) return fail(`unknown kind '${kind}': use one of ${KINDS.join(', ')}`)
  const timeoutMs = Number(opts.timeoutMs)
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) return fail(`--timeout-ms needs a positive integer, got '${opts.timeoutMs}'`)
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) return fail(`--limit needs an integer from 1 to 10000, got '${opts.limit}'`)
  const filters: Record<string, string> = {}
  for (const f of opts.filter ?? []) {
    const at = f.indexOf('=')
    if (at <= 0) return fail(`--filter '${f}': use field=value, e.g. state=failed`)
    filters[f.slice(0, at)] = f.slice(at + 1)
  }
  const { createStatusClient, readSwarmKey } = await import('../net/index.js')
  try {
    const swarmKey = opts.secret === undefined ? undefined : await readSwarmKey(opts.secret)
    const client = await createStatusClient({ swarmKey })
    try {
      return await client.list(opts.address, { what: kind as 'tasks', filters, limit }, { timeoutMs })
    } finally {
      await client.stop()
    }
  } catch (err) {
    if (!EXPECTED_ERRORS.includes((err as Error).name)) throw err
    return fail((err as Error).message.split('\n')[0]!)
  }
}

/** Rows as an aligned table; times as ISO strings, long ids cut to their end. */
export function formatRows (kind: string, reply: StateReply): string {
  const cols = COLUMNS[kind] ?? []
  const cell = (row: StateRow, c: string): string => {
    const v = row[c]
    if (v === undefined) return '-'
    if (c.endsWith('At') && typeof v === 'number') return new Date(v).toISOString()
    const s = String(v)
    return (c === 'node' || c === 'id') && s.length > 24 ? `…${s.slice(-20)}` : s.length > 60 ? `${s.slice(0, 57)}...` : s
  }
  const table = [cols.map(c => c.toUpperCase()), ...reply.rows.map(r => cols.map(c => cell(r, c)))]
  const widths = cols.map((_, i) => Math.max(...table.map(r => r[i]!.length)))
  const lines = table.map(r => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd())
  const notes = [`${reply.rows.length} ${kind}${reply.truncated ? ' (more matched: raise --limit)' : ''}`]
  if (reply.unreachable !== undefined) notes.push(`no answer from ${reply.unreachable.join(', ')}`)
  return [...lines, '', ...notes].join('\n') + '\n'
}

/** Counts by name (tasks) or class (actors) and state; jobs as they are. */
export function summarize (kind: string, rows: StateRow[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {}
  for (const r of rows) {
    if (kind === 'objects') {
      // Objects by where they are: counts and bytes.
      const by = out[String(r.where ?? 'unknown')] ??= {}
      by.objects = (by.objects ?? 0) + 1
      by.bytes = (by.bytes ?? 0) + Number(r.size ?? 0)
      continue
    }
    const key = kind === 'tasks' ? String(r.name) : kind === 'actors' ? String(r.class) : kind === 'jobs' ? String(r.job) : String(r.role)
    const state = kind === 'jobs' ? 'tasks' : String(r.state)
    const by = out[key] ??= {}
    by[state] = (by[state] ?? 0) + (kind === 'jobs' ? Number(r.tasks ?? 0) : 1)
  }
  return out
}

function formatSummary (counts: Record<string, Record<string, number>>, reply: StateReply): string {
  const lines = Object.entries(counts).map(([k, by]) => `${k}: ${Object.entries(by).map(([s, n]) => `${s} ${n}`).join(', ')}`)
  if (reply.truncated) lines.push('(over 10000 rows: the counts cover the newest)')
  return lines.join('\n') + '\n'
}
