// `fabric submit [--address A] [--working-dir DIR] [--name N] [--no-wait] driver.ts [-- args]`:
// what `ray job submit` is to Ray. Bundles the driver, sends it with the working directory's files
// to a node that accepts jobs (`fabric join --accept-jobs`), which runs it there with
// `Fabric.connect()` connecting to the fabric; the output streams back and this exits with the
// job's exit code. Ctrl-C detaches (the job runs on: `fabric jobs logs|stop`).
import os from 'node:os'
import type { Command } from 'commander'
import type { JobInfo } from '../jobs/index.js'

interface SubmitCliOptions {
  address: string
  workingDir?: string
  name?: string
  wait: boolean
  secret?: string
  timeoutMs: string
}

/** Errors that are the user's or the network's, reported as one line and exit 1. */
export const JOBS_EXPECTED_ERRORS = ['PeerUnreachableError', 'MalformedMessageError', 'RemoteError', 'NetConfigError', 'SwarmKeyError', 'JobRefusedError', 'JobNotFoundError', 'UploadError', 'RangeError']

/** The exit code a finished job stands for: its own, 128 + the signal that killed it, else 1. */
export function exitCodeOf (job: JobInfo): number {
  if (job.exitCode !== undefined) return job.exitCode
  const n = job.signal === undefined ? undefined : os.constants.signals[job.signal as NodeJS.Signals]
  return n === undefined ? 1 : 128 + n
}

export function registerSubmit (program: Command): void {
  program
    .command('submit')
    .description('run a driver as a job on a node of the fabric (one started with --accept-jobs), with its working directory; the output streams back and the exit code is the job\'s')
    .argument('<driver>', 'the driver file (.ts, .js, ...): bundled here, `wasm-fabric` left to the node\'s own copy')
    .argument('[args...]', 'arguments for the driver (after --)')
    .option('--address <multiaddr>', 'the node to run the job on ($FABRIC_ADDRESS, else /ip4/127.0.0.1/tcp/7400)', process.env.FABRIC_ADDRESS ?? '/ip4/127.0.0.1/tcp/7400')
    .option('--working-dir <dir>', 'the files to send, the job\'s current directory there (default: the driver\'s folder; node_modules, .git and symlinks are not sent)')
    .option('--name <name>', 'a name for the job (shown by fabric jobs list)')
    .option('--no-wait', 'print the submission id once the job starts, and return')
    .option('--secret <file>', 'the swarm key of a private fabric')
    .option('--timeout-ms <ms>', 'give up on an unanswering node after this long', '30000')
    .allowUnknownOption()
    .action(async (driver: string, args: string[], opts: SubmitCliOptions) => {
      const fail = (msg: string): never => {
        process.stderr.write(`fabric submit: ${msg}\n`)
        process.exit(1)
      }
      const timeoutMs = Number(opts.timeoutMs)
      if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) return fail(`--timeout-ms needs a positive integer, got '${opts.timeoutMs}'`)
      const { createJobsClient, prepareUpload } = await import('../jobs/index.js')
      const { readSwarmKey } = await import('../net/index.js')
      let code: number
      try {
        const upload = await prepareUpload(driver, opts.workingDir)
        const swarmKey = opts.secret === undefined ? undefined : await readSwarmKey(opts.secret)
        const client = await createJobsClient({ swarmKey, timeoutMs })
        const bar = await progressBar()
        let id: string | undefined
        // Ctrl-C leaves the job running, as Ray's does.
        process.once('SIGINT', () => {
          bar?.stop()
          process.stderr.write(id === undefined
            ? '\nfabric submit: interrupted before the job started\n'
            : `\nfabric submit: detached; ${id} keeps running (fabric jobs logs --follow ${id}; fabric jobs stop ${id})\n`)
          process.exit(130)
        })
        try {
          const job = await client.submit(opts.address, upload, {
            args,
            wait: opts.wait,
            ...(opts.name === undefined ? {} : { name: opts.name }),
            onProgress: (sent, total) => { bar?.update(sent, total) },
            onStarted: (job) => {
              bar?.stop()
              id = job.id
              if (opts.wait) process.stderr.write(`fabric submit: ${job.id} running (${upload.files.length} files, ${job.sentBytes} of ${job.bytes} bytes sent)\n`)
            },
            onOutput: (fd, data) => { (fd === 1 ? process.stdout : process.stderr).write(data) }
          })
          if (!opts.wait) {
            process.stdout.write(`${job.id}\n`)
            process.stderr.write(`fabric submit: ${job.id} started; follow it with fabric jobs logs --follow ${job.id}\n`)
            code = 0
          } else {
            code = exitCodeOf(job)
            process.stderr.write(`fabric submit: ${job.id} ${job.state}${job.message === undefined ? '' : ` (${job.message})`}\n`)
          }
        } finally {
          bar?.stop()
          await client.close()
        }
      } catch (err) {
        if (!JOBS_EXPECTED_ERRORS.includes((err as Error).name)) throw err
        return fail((err as Error).message.split('\n')[0]!)
      }
      // Flush what the job printed before leaving (libp2p may leave slow-closing handles behind).
      await new Promise<void>(resolve => process.stdout.write('', () => { resolve() }))
      process.exit(code)
    })
}

/** An upload progress bar on stderr when it is a terminal (src/cli/progress.ts decides; else nothing). */
async function progressBar (): Promise<{ update: (sent: number, total: number) => void, stop: () => void } | undefined> {
  if (process.stderr.isTTY !== true) return undefined
  const { progressBar: bar } = await import('./progress.js')
  let shown: ReturnType<typeof bar> | undefined
  let stopped = false
  return {
    update (sent, total) {
      if (stopped || total === 0) return
      shown ??= bar(process.stderr, { total, label: 'upload', unit: 'MiB', formatValue: n => (n / 2 ** 20).toFixed(1) })
      shown.update(sent)
    },
    stop () {
      stopped = true
      shown?.stop()
    }
  }
}
