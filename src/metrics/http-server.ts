// The /metrics endpoint: a bounded HTTP server. Only `GET /metrics` (and HEAD) is answered; any
// other path is 404, any other method 405, a request with a body 413; headers and idle time are capped.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { MetricsInit, MetricsServer, MetricsText } from './interface.js'

/** Loopback unless the operator names another address. */
export const DEFAULT_METRICS_HOST = '127.0.0.1'

/** Whether `host` is a loopback address (or `localhost`). */
export function isLoopbackHost (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * Serve `registry` (a prom-client Registry, or anything with its `metrics()` and `contentType`) on
 * `GET http://HOST:PORT/metrics` in Prometheus text format.
 *
 * @example
 * const server = await startMetricsServer(registry, { port: 9464 })
 * console.log(server.url) // http://127.0.0.1:9464/metrics
 * await server.stop()
 *
 * @throws the listen error (EADDRINUSE, EADDRNOTAVAIL) when the port cannot be bound
 */
export async function startMetricsServer (registry: MetricsText, init: MetricsInit): Promise<MetricsServer> {
  const host = init.host ?? DEFAULT_METRICS_HOST
  if (!Number.isInteger(init.port) || init.port < 0 || init.port > 65535) throw new RangeError(`metrics port must be an integer 0-65535, got ${String(init.port)}`)
  const server = http.createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    const reply = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    // No request body is read: one announced or chunked is refused and the connection closed.
    if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') return reply(413, 'no request body accepted\n', { connection: 'close' })
    if (req.headers['transfer-encoding'] !== undefined) return reply(413, 'no request body accepted\n', { connection: 'close' })
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics') return reply(404, 'not found: only /metrics is served here\n')
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'only GET /metrics\n', { allow: 'GET, HEAD' })
    registry.metrics().then(text => { reply(200, text, { 'content-type': registry.contentType }) }, (err: unknown) => {
      reply(500, `metrics failed: ${(err as Error).message}\n`)
    })
  })
  server.keepAliveTimeout = 5_000
  server.maxRequestsPerSocket = 100
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(init.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const shown = host.includes(':') ? `[${host}]` : host
  let stopping: Promise<void> | undefined
  return {
    url: `http://${shown}:${port}/metrics`,
    stop: async () => {
      stopping ??= new Promise<void>(resolve => {
        server.close(() => { resolve() })
        server.closeAllConnections()
      })
      await stopping
    }
  }
}
