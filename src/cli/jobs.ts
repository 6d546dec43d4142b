// `fabric jobs list|status|logs|stop`: ask a node about the jobs submitted to it (`fabric submit`),
// over `/fabric/jobs/1`. The node keeps them under its data dir, so they outlive the submitter.
import type { Command } from 'commander'
import type { JobInfo, JobsClient } from '../jobs/index.js'
import { JOBS_EXPECTED_ERRORS, exitCodeOf } from './submit.js'

interface JobsCliOptions {
  address: string
  json: boolean
  follow: boolean
  secret?: string
  timeoutMs: string
}

export function registerJobs (program: Command): void {
  const jobs = program
    .command('jobs')
    .description('the jobs submitted to a node (fabric submit): list, status, logs, stop')
  const common = (cmd: Command): Command => cmd
    .option('--address <multiaddr>', 'the node the jobs were submitted to ($FABRIC_ADDRESS, else /ip4/127.0.0.1/tcp/7400)', process.env.FABRIC_ADDRESS ?? '/ip4/127.0.0.1/tcp/7400')
    .option('--secret <file>', 'the swarm key of a private fabric')
    .option('--timeout-ms <ms>', 'give up on an unanswering node after this long', '30000')
  common(jobs.command('list').description('the jobs the node remembers, newest first').option('--json', 'print them as JSON', false))
    .action(async (opts: JobsCliOptions) => {
      await withClient('list', opts, async (c) => {
        const r = await c.list(opts.address)
        process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatJobs(r.jobs, r.truncated))
      })
    })
  common(jobs.command('status <id>').description('one job: state, exit code, times').option('--json', 'print it as JSON', false))
    .action(async (id: string, opts: JobsCliOptions) => {
      await withClient('status', opts, async (c) => {
        const job = await c.status(opts.address, id)
        process.stdout.write(opts.json ? JSON.stringify(job, null, 2) + '\n' : formatJob(job))
      })
    })
  common(jobs.command('logs <id>').description('a job\'s output (stdout and stderr as they were kept, interleaved)').option('--follow', 'keep printing until the job ends; exit with its code', false))
    .action(async (id: string, opts: JobsCliOptions) => {
      await withClient('logs', opts, async (c) => {
        const job = await c.logs(opts.address, id, { follow: opts.follow, onOutput: (fd, data) => { (fd === 1 ? process.stdout : process.stderr).write(data) } })
        if (opts.follow) process.exitCode = exitCodeOf(job)
      })
    })
  common(jobs.command('stop <id>').description('stop a job: SIGTERM to its processes, SIGKILL after the node\'s grace').option('--json', 'print its final status as JSON', false))
    .action(async (id: string, opts: JobsCliOptions) => {
      await withClient('stop', opts, async (c) => {
        const job = await c.stopJob(opts.address, id)
        process.stdout.write(opts.json ? JSON.stringify(job, null, 2) + '\n' : `${job.id} ${job.state}\n`)
      })
    })
}

async function withClient (command: string, opts: JobsCliOptions, use: (c: JobsClient) => Promise<void>): Promise<void> {
  const fail = (msg: string): void => {
    process.stderr.write(`fabric jobs ${command}: ${msg}\n`)
    process.exitCode = 1
  }
  const timeoutMs = Number(opts.timeoutMs)
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) return fail(`--timeout-ms needs a positive integer, got '${opts.timeoutMs}'`)
  const { createJobsClient } = await import('../jobs/index.js')
  const { readSwarmKey } = await import('../net/index.js')
  try {
    const swarmKey = opts.secret === undefined ? undefined : await readSwarmKey(opts.secret)
    const client = await createJobsClient({ swarmKey, timeoutMs })
    try {
      await use(client)
    } finally {
      await client.close()
    }
  } catch (err) {
    if (!JOBS_EXPECTED_ERRORS.includes((err as Error).name)) throw err
    fail((err as Error).message.split('\n')[0]!)
  }
}

const time = (ms: number | undefined): string => ms === undefined ? '-' : new Date(ms).toISOString()

function duration (job: JobInfo): string {
  if (job.startedAt === undefined) return '-'
  return `${(((job.endedAt ?? Date.now()) - job.startedAt) / 1000).toFixed(1)}s`
}

/** Jobs as an aligned table. */
export function formatJobs (jobs: JobInfo[], truncated = false): string {
  const rows = [['ID', 'NAME', 'STATE', 'EXIT', 'DRIVER', 'SUBMITTED', 'DURATION'], ...jobs.map(j => [
    j.id, j.name ?? '-', j.state, j.exitCode !== undefined ? String(j.exitCode) : j.signal ?? '-', j.driver, time(j.submittedAt), duration(j)
  ])]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)))
  const lines = rows.map(r => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd())
  return [...lines, '', `${jobs.length} jobs${truncated ? ' (the newest; more are remembered)' : ''}`].join('\n') + '\n'
}

/** One job, a field a line. */
export function formatJob (job: JobInfo): string {
  const fields: Array<[string, string | undefined]> = [
    ['id', job.id], ['name', job.name], ['state', job.state], ['driver', [job.driver, ...job.args].join(' ')],
    ['exit code', job.exitCode?.toString()], ['signal', job.signal], ['message', job.message],
    ['submitted', time(job.submittedAt)], ['started', job.startedAt === undefined ? undefined : time(job.startedAt)],
    ['ended', job.endedAt === undefined ? undefined : time(job.endedAt)], ['duration', duration(job)],
    ['submitter', job.submitter], ['files', `${job.files} (${job.bytes} bytes, ${job.sentBytes} sent)`]
  ]
  return fields.filter(([, v]) => v !== undefined).map(([k, v]) => `${k.padEnd(10)} ${v!}`).join('\n') + '\n'
}
