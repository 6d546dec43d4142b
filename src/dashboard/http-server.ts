// The dashboard's HTTP server: the page (index.html, app.js, app.css) and read-only JSON endpoints
// over the node's state and logs APIs. Bounded like the metrics endpoint: GET and HEAD only, no
// request body, capped headers and time; identical list reads within a second share one fan-out.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { isLoopbackHost } from '../metrics/index.js'
import type { DashboardInit, DashboardNode, DashboardServer, ListKind } from './interface.js'
import { readList, readLogs } from './node-reads.js'
import { DashboardQueryError, LISTS, parseListQuery, parseLogQuery, parseNoQuery } from './query.js'
import { StateHistory, TASK_STATES } from './state-history.js'
import type { WebAssets } from './web-assets.js'

/** Loopback unless the operator names another address. */
export const DEFAULT_DASHBOARD_HOST = '127.0.0.1'
/** How long a list read is shared by identical requests (several open pages poll the same lists). */
const SHARE_MS = 1000
const MAX_SHARED = 128
/** Connections open at once at most (others are refused until one closes). */
const MAX_CONNECTIONS = 256

const CONTENT_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8'
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
}

/**
 * Serve the dashboard of `node` on `http://HOST:PORT/`.
 *
 * @example
 * const dashboard = await startDashboardServer(node, await loadWebAssets(), { port: 8265 })
 * console.log(dashboard.url) // http://127.0.0.1:8265/
 * await dashboard.stop()
 *
 * @throws RangeError for a bad port; the listen error (EADDRINUSE, EADDRNOTAVAIL) when it cannot be bound
 */
export async function startDashboardServer (node: DashboardNode, assets: WebAssets, init: DashboardInit): Promise<DashboardServer> {
  const host = init.host ?? DEFAULT_DASHBOARD_HOST
  if (!Number.isInteger(init.port) || init.port < 0 || init.port > 65535) throw new RangeError(`dashboard port must be an integer 0-65535, got ${String(init.port)}`)
  const sampleMs = init.sampleMs ?? 2000
  const historyMs = init.historyMs ?? 30 * 60_000
  if (!Number.isSafeInteger(sampleMs) || sampleMs < 100) throw new RangeError(`dashboard sampleMs must be an integer >= 100, got ${String(sampleMs)}`)
  if (!Number.isSafeInteger(historyMs) || historyMs < sampleMs) throw new RangeError(`dashboard historyMs must be an integer >= sampleMs, got ${String(historyMs)}`)
  const history = new StateHistory(node, sampleMs, Math.ceil(historyMs / sampleMs))
  const shared = new Map<string, { at: number, body: Promise<unknown> }>()
  const loopbackOnly = isLoopbackHost(host)

  /** A list read, shared with identical requests made within SHARE_MS. */
  const list = async (kind: ListKind, params: URLSearchParams): Promise<unknown> => {
    const { filters, limit } = parseListQuery(kind, params)
    const key = `${kind}\0${limit}\0${Object.entries(filters).sort().join('\0')}`
    const now = Date.now()
    const hit = shared.get(key)
    if (hit !== undefined && now - hit.at < SHARE_MS) return await hit.body
    for (const [k, v] of shared) if (now - v.at >= SHARE_MS || shared.size >= MAX_SHARED) shared.delete(k)
    const body = readList(node, kind, filters, limit).then(r => ({ ...r, at: Date.now() }))
    shared.set(key, { at: now, body })
    body.catch(() => shared.delete(key))
    return await body
  }

  const answer = async (path: string, params: URLSearchParams): Promise<unknown> => {
    const kind = path.slice('/api/'.length)
    if (Object.hasOwn(LISTS, kind)) return await list(kind as ListKind, params)
    if (kind === 'logs') {
      const { filter, tail } = parseLogQuery(params)
      return { ...(await readLogs(node, filter, tail)), at: Date.now() }
    }
    parseNoQuery(path, params)
    if (kind === 'history') return { sampleMs, historyMs, states: TASK_STATES, samples: history.all() }
    return { peerId: node.peerId, fabricName: node.fabricName, sampleMs, at: Date.now() }
  }
  const API_PATHS = new Set([...Object.keys(LISTS), 'logs', 'history', 'fabric'].map(k => `/api/${k}`))

  const server = http.createServer({ maxHeaderSize: 8192, requestTimeout: 15_000, headersTimeout: 5_000 }, (req, res) => {
    const reply = (status: number, body: string | Buffer, type: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache', ...SECURITY_HEADERS, ...headers })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    const json = (status: number, value: unknown): void => { reply(status, JSON.stringify(value), 'application/json; charset=utf-8') }
    const text = (status: number, body: string, headers: Record<string, string> = {}): void => { reply(status, body, 'text/plain; charset=utf-8', headers) }
    if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') return text(413, 'no request body accepted\n', { connection: 'close' })
    if (req.headers['transfer-encoding'] !== undefined) return text(413, 'no request body accepted\n', { connection: 'close' })
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'the dashboard is read-only: GET only\n', { allow: 'GET, HEAD' })
    // On loopback, only a loopback name may be asked for: a page elsewhere whose name was
    // re-pointed at 127.0.0.1 (DNS rebinding) does not get the fabric's state.
    if (loopbackOnly && !isLoopbackHost(hostName(req.headers.host))) return text(403, `the dashboard on ${host} answers only requests for a loopback name (Host: ${String(req.headers.host)})\n`)
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://dashboard')
    } catch {
      return text(400, 'bad request URL\n')
    }
    const path = url.pathname
    const asset = path === '/' ? 'index.html' : path.slice(1)
    if ((asset === 'index.html' || asset === 'app.js' || asset === 'app.css')) {
      if (url.search !== '') return text(400, `${path} takes no query\n`)
      return reply(200, assets[asset], CONTENT_TYPES[asset]!)
    }
    if (!API_PATHS.has(path)) return text(404, `not found: ${path} (the page is at /, its data under ${[...API_PATHS].join(', ')})\n`)
    answer(path, url.searchParams).then(body => { json(200, body) }, (err: unknown) => {
      if ((err as Error).name === 'DashboardQueryError') return json(400, { error: (err as DashboardQueryError).message })
      json(502, { error: `${path}: the node could not answer: ${(err as Error).message}` })
    })
  })
  server.keepAliveTimeout = 5_000
  server.maxRequestsPerSocket = 1000
  // A page holds a few keep-alive connections; more than this many at once is not a page.
  server.maxConnections = MAX_CONNECTIONS
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(init.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  history.start()
  const { port } = server.address() as AddressInfo
  const shown = host.includes(':') ? `[${host}]` : host
  let stopping: Promise<void> | undefined
  return {
    url: `http://${shown}:${port}/`,
    stop: async () => {
      stopping ??= new Promise<void>(resolve => {
        history.stop()
        server.close(() => { resolve() })
        server.closeAllConnections()
      })
      await stopping
    }
  }
}

/** The name part of a Host header (`[::1]:80` → `::1`). */
function hostName (header: string | undefined): string {
  if (header === undefined) return ''
  const m = /^\[([^\]]*)\](?::\d+)?$/.exec(header)
  if (m !== null) return m[1]!
  return header.replace(/:\d+$/, '')
}
