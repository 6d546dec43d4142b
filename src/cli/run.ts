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
import type { FabricInit } from '../api/fabric.js'
import type { ConnectInit } from '../api/connected-fabric.js'
import type { StateRow } from '../net/index.js'
import type { TaskCounts } from './progress.js'

async function registerTypeScript (program: Command, driver: string): Promise<void> {
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
function pollJobRows (address: string, job: string, swarmKey: Uint8Array | undefined): { counts: () => TaskCounts | undefined, stop: () => Promise<void> } {
  let client: ReturnType<typeof import('../net/index.js')['createStatusClient']> | undefined
  let last: TaskCounts | undefined
  let asking = false
  let stopped = false
  const ask = async (): Promise<void> => {
    client ??= import('../net/index.js').then(async net => await net.createStatusClient({ swarmKey }))
    const reply = await (await client).list(address, { what: 'jobs', filters: { job }, limit: 10_000 }, { timeoutMs: 5000 })
    if (!stopped) last = sumJobRows(reply.rows)
  }
  const timer = setInterval(() => {
    if (asking) return
    asking = true
    // The line keeps its last counts while the state API does not answer.
    ask().catch(() => {}).finally(() => { asking = false })
  }, 1000)
  timer.unref()
  return {
    counts: () => last,
    stop: async () => {
      stopped = true
      clearInterval(timer)
      await (await client?.catch(() => undefined))?.stop()
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
 * driver module has run; returns what ends that. The driver starts its fabric itself, so
 * Fabric.start and Fabric.connect are wrapped to see it: the class the CLI imports is the
 * driver's (bin/fabric.js resolves the package to the CLI's own sources or dist).
 */
async function showTaskCounts (): Promise<(() => Promise<void>) | undefined> {
  const { progressEnabled, statusLine, formatTaskCounts } = await import('./progress.js')
  if (!progressEnabled(process.stdout)) return undefined
  const { Fabric } = await import('../api/fabric.js')
  const sources: Array<() => TaskCounts | undefined> = []
  const polls: Array<{ stop: () => Promise<void> }> = []
  const watchConnected = (job: string, address: string | string[] | undefined, swarmKey: Uint8Array | undefined): void => {
    const at = Array.isArray(address) ? address[0] : address
    if (at === undefined || at === '') return
    const poll = pollJobRows(at, job, swarmKey)
    polls.push(poll)
    sources.push(poll.counts)
  }
  const start = Fabric.start
  const connect = Fabric.connect
  Fabric.start = async (init?: FabricInit) => {
    const fabric = await start.call(Fabric, init)
    const embedded = fabric.embedded
    if (embedded !== undefined) {
      let last: TaskCounts | undefined
      // A stopped fabric may not answer: the line keeps what it said last.
      sources.push(() => { try { last = embedded.stats().tasks } catch {} return last })
    } else if (fabric.connected !== undefined) {
      watchConnected(fabric.connected.jobId, init?.address ?? process.env.FABRIC_ADDRESS, init?.connect?.swarmKey)
    }
    return fabric
  }
  Fabric.connect = async (address: string | string[] | undefined = process.env.FABRIC_ADDRESS, init?: ConnectInit) => {
    const connected = await connect.call(Fabric, address, init)
    watchConnected(connected.jobId, address, init?.swarmKey)
    return connected
  }
  const line = statusLine(process.stdout, () => {
    const all = sources.map(s => s()).filter((c): c is TaskCounts => c !== undefined)
    if (all.length === 0) return undefined
    const sum = (k: keyof TaskCounts): number => all.reduce((t, c) => t + (c[k] ?? 0), 0)
    return formatTaskCounts({ running: sum('running'), queued: sum('queued'), waiting: sum('waiting'), finished: sum('finished'), failed: sum('failed'), cancelled: sum('cancelled') })
  })
  return async () => {
    line.stop()
    Fabric.start = start
    Fabric.connect = connect
    await Promise.all(polls.map(async p => { await p.stop() }))
  }
}
