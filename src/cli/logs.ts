// `fabric logs <job|task|actor id>`: the guest log lines of a job, a task or an actor, from every
// node (the node asked merges them), as `ray logs` and `ray job logs` show a Ray cluster's; with
// --follow, new lines as they come until Ctrl-C.
import type { Command } from 'commander'
import type { LogFilterWire, WireLogLine } from '../net/index.js'

interface LogsOptions {
  address: string
  follow: boolean
  tail: string
  json: boolean
  secret?: string
  timeoutMs: string
  level?: string
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error']

/** Errors that are the user's or the network's, reported as one line and exit 1. */
const EXPECTED_ERRORS = ['PeerUnreachableError', 'MalformedMessageError', 'RemoteError', 'NetConfigError', 'SwarmKeyError']

export function registerLogs (program: Command): void {
  program
    .command('logs <id>')
    .description('print the guest log lines of a job (job-...), a task or an actor, from every node of the fabric')
    .option('--address <multiaddr>', 'the node to ask ($FABRIC_ADDRESS, else /ip4/127.0.0.1/tcp/7400)', process.env.FABRIC_ADDRESS ?? '/ip4/127.0.0.1/tcp/7400')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C', false)
    .option('--tail <n>', 'the last lines to print first (0-10000)', '1000')
    .option('--level <level>', `only lines at this level or above (${LEVELS.join(', ')})`)
    .option('--json', 'print each line as JSON (one per line)', false)
    .option('--secret <file>', 'the swarm key of a private fabric')
    .option('--timeout-ms <ms>', 'give up connecting after this long', '30000')
    .action(async (id: string, opts: LogsOptions) => {
      const fail = (msg: string): void => {
        process.stderr.write(`fabric logs: ${msg}\n`)
        process.exitCode = 1
      }
      const tail = Number(opts.tail)
      if (!Number.isSafeInteger(tail) || tail < 0 || tail > 10_000) return fail(`--tail needs an integer from 0 to 10000, got '${opts.tail}'`)
      if (id.length === 0 || id.length > 256) return fail('give the id of a job (job-...), a task or an actor, as `fabric list` shows it')
      if (opts.level !== undefined && !LEVELS.includes(opts.level)) return fail(`--level must be one of ${LEVELS.join(', ')}, got '${opts.level}'`)
      const least = opts.level === undefined ? 0 : LEVELS.indexOf(opts.level)
      const filter: LogFilterWire = id.startsWith('job-') ? { job: id } : { of: id }
      const { createStatusClient, readSwarmKey, requestLogs, LOGS_PROTOCOL } = await import('../net/index.js')
      const done = new AbortController()
      const onSignal = (): void => { done.abort() }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      let printed = 0
      try {
        const swarmKey = opts.secret === undefined ? undefined : await readSwarmKey(opts.secret)
        const client = await createStatusClient({ swarmKey })
        try {
          await requestLogs(async s => await client.dial(opts.address, LOGS_PROTOCOL, { signal: AbortSignal.any([s, AbortSignal.timeout(Number(opts.timeoutMs))]) }),
            { filter, tail, ...(opts.follow ? { follow: true } : {}) }, f => {
              if (f.type === 'lines') {
                for (const line of f.lines) {
                  if (LEVELS.indexOf(line.level) < least) continue
                  printed++
                  process.stdout.write(opts.json ? JSON.stringify(line) + '\n' : formatLine(line))
                }
              } else if (f.type === 'dropped') {
                process.stderr.write(`fabric logs: ${f.count} line(s) dropped (read too slowly)\n`)
              } else {
                if (f.unreachable !== undefined) process.stderr.write(`fabric logs: no answer from ${f.unreachable.join(', ')}\n`)
                if (f.truncated) process.stderr.write(`fabric logs: older lines left out (raise --tail, up to 10000)\n`)
                if (f.type === 'end' && printed === 0) process.stderr.write(`fabric logs: no lines of ${id} on any node (is it the id \`fabric list\` shows? lines are kept while the nodes' log files hold them)\n`)
              }
            }, done.signal)
        } finally {
          await client.stop()
        }
      } catch (err) {
        if (!EXPECTED_ERRORS.includes((err as Error).name)) throw err
        return fail((err as Error).message.split('\n')[0]!)
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })
}

/** A line as `fabric logs` prints it: time, node, who, level, message. */
export function formatLine (line: WireLogLine): string {
  const who = line.actor !== undefined ? `${line.name} actor=${line.actor.slice(0, 12)}` : line.task !== undefined ? `${line.name} task=${line.task}` : line.name
  return `${new Date(line.time).toISOString()} node=${line.node.slice(-8)} (${who}) ${line.level === 'info' ? '' : `${line.level}: `}${line.message}\n`
}
