// `fabric run [--address <multiaddr>] <driver.ts|.js> [args...]`: run a driver program. TypeScript
// runs as is: through tsx, registered here when the CLI itself runs as JavaScript (installed; in a
// checkout bin/fabric.js has registered it already). tsx is optional for an installed package, so
// a .ts driver without it gets an error naming what to install. The driver starts its
// embedded fabric itself with `Fabric.start()`, or with `--address` (FABRIC_ADDRESS) connects to a
// running one with `Fabric.connect()`. With stdout on a terminal, a status line below the
// driver's output shows its job's tasks by state while the driver module runs.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Command } from 'commander'
import diagnostics from 'node:diagnostics_channel'
import type { ConnectedFabric } from '../api/connected-fabric.js'
import type { FabricStarted } from '../api/index.js'
import type { StateRow } from '../net/index.js'
import type { TaskCounts } from './progress.js'

export async function registerTypeScript (program: Command, driver: string): Promise<void> {
  let api: { register: () => unknown }
  try {
    api = await import('tsx/esm/api')
  } catch {
    program.error(`fabric run: ${driver} is TypeScript, which needs tsx: npm install --save-dev tsx@4.23.15 ` +
      '(or compile the driver to JavaScript and run it with node)')
  }
  api.register()
}

export function registerRun (program: Command): void {
  program
    .command('run')
    .description('run a driver program (TypeScript or JavaScript) against an embedded fabric, or a running one with --address')
    .argument('<driver>', 'the driver file (.ts, .mts, .js, .mjs)')
    .argument('[args...]', 'arguments for the driver (process.argv after the driver path)')
    .option('--address <multiaddr>', 'a node of a running fabric: sets FABRIC_ADDRESS, so the driver\'s Fabric.start() (and Fabric.connect()) connects there')
    .allowUnknownOption()
    .action(async (driver: string, args: string[], opts: { address?: string }) => {
      const file = path.resolve(driver)
      if (!fs.existsSync(file)) program.error(`fabric run: no such driver file: ${driver}`)
      if (opts.address !== undefined) process.env.FABRIC_ADDRESS = opts.address
      // The driver sees itself as the script being run, with its own arguments.
      process.argv = [process.argv[0]!, file, ...args]
      if (/\.[mc]?tsx?$/.test(file) && !import.meta.url.endsWith('.ts')) await registerTypeScript(program, driver)
      const stopCounts = await showTaskCounts()
      try {
        await import(pathToFileURL(file).href)
      } finally {
        await stopCounts?.()
      }
    })
}

/** Where a connected job's counts come from: its rows in the state API (`fabric list jobs`), once a second. */
function pollJobRows (fabric: ConnectedFabric): { counts: () => TaskCounts | undefined, stop: () => void } {
  let last: TaskCounts | undefined
  let asking = false
  let stopped = false
  const timer = setInterval(() => {
    if (asking) return
    asking = true
    // The line keeps its last counts while the state API does not answer (or the driver stopped).
    fabric.list('jobs', { job: fabric.jobId }, 10_000).then(reply => { if (!stopped) last = sumJobRows(reply.rows) }, () => {}).finally(() => { asking = false })
  }, 1000)
  timer.unref()
  return {
    counts: () => last,
    stop: () => {
      stopped = true
      clearInterval(timer)
    }
  }
}

/** A job's rows (one per node) summed; waiting-for-resources counts as queued, failed includes cancelled. */
export function sumJobRows (rows: StateRow[]): TaskCounts {
  const n = (row: StateRow, field: string): number => typeof row[field] === 'number' ? row[field] : 0
  const c = { running: 0, queued: 0, waiting: 0, finished: 0, failed: 0, cancelled: 0 }
  for (const r of rows) {
    c.running += n(r, 'running')
    c.queued += n(r, 'queued') + n(r, 'waiting-for-resources')
    c.waiting += n(r, 'waiting-for-args')
    c.finished += n(r, 'finished')
    c.failed += n(r, 'failed') + n(r, 'cancelled')
    c.cancelled += n(r, 'cancelled')
  }
  return c
}

/**
 * With stdout on a terminal, show the task counts of the fabrics the driver starts until the
 * driver module has run; returns what ends that. The driver starts its fabric itself: the api
 * announces each on a diagnostics channel (process-wide, whichever copy of the package the driver
 * imported).
 */
async function showTaskCounts (): Promise<(() => Promise<void>) | undefined> {
  const { progressEnabled, statusLine, formatTaskCounts } = await import('./progress.js')
  if (!progressEnabled(process.stdout)) return undefined
  const { FABRIC_STARTED_CHANNEL } = await import('../api/index.js')
  const sources: Array<() => TaskCounts | undefined> = []
  const polls: Array<{ stop: () => void }> = []
  const onStarted = (msg: unknown): void => {
    const started = msg as FabricStarted
    if (started.kind === 'embedded') {
      const embedded = started.fabric
      let last: TaskCounts | undefined
      // A stopped fabric may not answer: the line keeps what it said last.
      sources.push(() => { try { last = embedded.stats().tasks } catch {} return last })
    } else {
      const poll = pollJobRows(started.fabric)
      polls.push(poll)
      sources.push(poll.counts)
    }
  }
  diagnostics.subscribe(FABRIC_STARTED_CHANNEL, onStarted)
  const line = statusLine(process.stdout, () => {
    const all = sources.map(s => s()).filter((c): c is TaskCounts => c !== undefined)
    if (all.length === 0) return undefined
    const sum = (k: keyof TaskCounts): number => all.reduce((t, c) => t + (c[k] ?? 0), 0)
    return formatTaskCounts({ running: sum('running'), queued: sum('queued'), waiting: sum('waiting'), finished: sum('finished'), failed: sum('failed'), cancelled: sum('cancelled') })
  })
  return async () => {
    line.stop()
    diagnostics.unsubscribe(FABRIC_STARTED_CHANNEL, onStarted)
    for (const p of polls) p.stop()
  }
}
