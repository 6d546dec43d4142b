// `fabric serve run <app> [--port] [--host] [--route-prefix] [--address] [--metrics-port]`: start a serve
// application and keep it up until SIGINT/SIGTERM. The app module's default export is an
// application (`serve.deployment(m.Cls).bind(...)`) or a function of the fabric returning one
// (it loads its components there). `fabric serve status [--url]`: what a running application's
// ingress says of its deployments (its `/-/status`, answered to this machine only).
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Command } from 'commander'
import type { FabricDriver } from '../api/interface.js'
import type { ServeStatus } from '../libs/serve/index.js'
import { registerTypeScript } from './run.js'

export function registerServe (program: Command): void {
  const cmd = program.command('serve').description('run serve applications (actor classes behind HTTP) and see their state')
  cmd
    .command('run')
    .description('start the application an app module exports (default: an application, or a function of the fabric returning one) and serve it until interrupted')
    .argument('<app>', 'the app module (.ts, .mts, .js, .mjs)')
    .option('--port <port>', 'port to listen on (0: any free one)', '8000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--route-prefix <path>', 'requests under this path reach the application', '/')
    .option('--address <multiaddr>', 'a node of a running fabric to connect to (FABRIC_ADDRESS); else an embedded fabric')
    .option('--metrics-port <port>', "serve Prometheus metrics on http://127.0.0.1:PORT/metrics: serve's, after the embedded node's own (0: a free port; printed as `metrics URL`)")
    .option('--metrics-host <host>', 'where the metrics endpoint listens (beyond loopback only when named)')
    .action(async (app: string, opts: { port: string, host: string, routePrefix: string, address?: string, metricsPort?: string, metricsHost?: string }) => {
      const file = path.resolve(app)
      if (!fs.existsSync(file)) program.error(`fabric serve run: no such app module: ${app}`)
      const port = Number(opts.port)
      if (!Number.isSafeInteger(port) || port < 0 || port > 65535) program.error(`fabric serve run: --port must be 0-65535, got ${opts.port}`)
      const metricsPort = opts.metricsPort === undefined ? undefined : Number(opts.metricsPort)
      if (metricsPort !== undefined && (!Number.isSafeInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)) program.error(`fabric serve run: --metrics-port must be 0-65535, got ${opts.metricsPort}`)
      if (opts.metricsHost !== undefined && metricsPort === undefined) program.error('fabric serve run: --metrics-host needs --metrics-port')
      if (opts.address !== undefined) process.env.FABRIC_ADDRESS = opts.address
      if (/\.[mc]?tsx?$/.test(file) && !import.meta.url.endsWith('.ts')) await registerTypeScript(program, app)
      const { Fabric } = await import('../api/index.js')
      const { serve, Application } = await import('../libs/serve/index.js')
      let fabric: Awaited<ReturnType<typeof Fabric.start>>
      try {
        fabric = await Fabric.start({ ...(metricsPort === undefined ? {} : { metricsPort }), ...(opts.metricsHost === undefined ? {} : { metricsHost: opts.metricsHost }) })
      } catch (err) {
        program.error(`fabric serve run: ${(err as Error).message}`)
      }
      let handle: Awaited<ReturnType<typeof serve.run>> | undefined
      const stop = async (code: number): Promise<never> => {
        await handle?.shutdown().catch(() => {})
        await fabric.stop().catch(() => {})
        process.exit(code)
      }
      try {
        const mod = await import(pathToFileURL(file).href) as { default?: unknown }
        let made = mod.default
        if (typeof made === 'function') made = await (made as (f: FabricDriver) => unknown)(fabric)
        if (!(made instanceof Application)) throw new Error(`${app} must export default an application (serve.deployment(m.Cls).bind(...)) or a function of the fabric returning one; it exported ${made === undefined ? 'no default' : typeof made}`)
        handle = await serve.run(fabric, made, { port, host: opts.host, routePrefix: opts.routePrefix })
      } catch (err) {
        process.stderr.write(`fabric serve run: ${(err as Error).message}\n`)
        await stop(1)
      }
      if (fabric.metricsUrl !== undefined) process.stdout.write(`metrics URL ${fabric.metricsUrl}\n`)
      process.stdout.write(`serving ${handle!.url}\n`)
      process.once('SIGINT', () => { void stop(0) })
      process.once('SIGTERM', () => { void stop(0) })
    })
  cmd
    .command('status')
    .description("a running application's deployments: replicas, ongoing requests, counts (from its ingress, on this machine)")
    .option('--url <url>', 'the application\'s ingress', 'http://127.0.0.1:8000')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { url: string, json?: boolean }) => {
      let status: ServeStatus
      try {
        const base = new URL(opts.url)
        const res = await fetch(new URL('/-/status', base.origin))
        if (!res.ok) throw new Error(`${res.status}: ${await res.text()}`)
        status = await res.json() as ServeStatus
      } catch (err) {
        program.error(`fabric serve status: no serve application answered at ${opts.url} (${(err as Error).message}); start one with \`fabric serve run app.ts\``)
      }
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(status, null, 2) + '\n')
        return
      }
      process.stdout.write(`${status.url}\n`)
      const rows = status.deployments.map(d => [
        d.name,
        `${d.replicas.filter(r => r.state === 'running').length}/${d.target}`,
        String(d.replicas.reduce((n, r) => n + r.ongoing, 0)),
        String(d.queued),
        String(d.requests.total),
        String(d.requests.failed),
        String(d.requests.rejected)
      ])
      const head = ['DEPLOYMENT', 'REPLICAS', 'ONGOING', 'QUEUED', 'REQUESTS', 'FAILED', 'REJECTED']
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
      for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n')
    })
}
