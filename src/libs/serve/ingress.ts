// The HTTP ingress (node:http): a request under the route prefix becomes a ServeRequest for the
// application's ingress deployment; its answer becomes the response. Bodies are read up to a
// limit; every failure is a status with a JSON `{ error }` saying what was wrong.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServeRequest, ServeResponse, ServeStatus } from './interface.js'
import { ServeOverloadedError, ServeTimeoutError, StreamAnswer } from './replica-set.js'
import type { IngressMetrics } from './metrics.js'

/** Request bodies over this are refused with 413. */
export const MAX_BODY_BYTES = 16 * 2 ** 20

/** What answers a request: the ingress deployment. */
export type Answer = (request: ServeRequest, idempotent: boolean) => Promise<unknown>

export class Ingress {
  private readonly server: http.Server
  private readonly prefix: string

  constructor (private readonly answer: () => Answer, routePrefix: string, private readonly status: () => ServeStatus, private readonly metrics: IngressMetrics, private readonly deployment: () => string) {
    if (typeof routePrefix !== 'string' || !routePrefix.startsWith('/')) throw new TypeError(`serve.run: routePrefix must start with '/', got ${JSON.stringify(routePrefix)}`)
    this.prefix = routePrefix.length > 1 ? routePrefix.replace(/\/+$/, '') : ''
    this.server = http.createServer((req, res) => { void this.serve(req, res) })
    this.server.keepAliveTimeout = 5000
  }

  /** Listen; resolves with the URL (`http://host:port` plus the prefix). */
  async listen (port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => { this.server.off('error', reject); resolve() })
    })
    const a = this.server.address() as AddressInfo
    const h = a.family === 'IPv6' ? `[${a.address}]` : a.address
    return `http://${h}:${a.port}${this.prefix}`
  }

  async close (): Promise<void> {
    await new Promise<void>(resolve => this.server.close(() => resolve()))
    this.server.closeAllConnections()
  }

  private async serve (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://ingress')
      const p = url.pathname
      // Reserved, whatever the prefix: `/-/healthz` for load balancers, `/-/metrics` for
      // Prometheus; `/-/status` (replicas' actor ids, counts) for `fabric serve status`, from this
      // machine only.
      if (p === '/-/healthz') { send(res, 200, { ok: true }); return }
      if (p === '/-/metrics') {
        const text = await this.metrics.text()
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
        res.end(text)
        return
      }
      if (p === '/-/status') {
        if (isLoopback(req.socket.remoteAddress)) send(res, 200, this.status())
        else send(res, 403, { error: '/-/status answers clients on this machine only' })
        return
      }
      const started = performance.now()
      const deployment = this.deployment()
      res.once('finish', () => this.metrics.observe(deployment, res.statusCode, (performance.now() - started) / 1000))
      if (this.prefix !== '' && p !== this.prefix && !p.startsWith(this.prefix + '/')) {
        send(res, 404, { error: `no application at ${p} (this one is under ${this.prefix})` })
        return
      }
      const body = await readBody(req)
      if (body === undefined) {
        send(res, 413, { error: `the request body is over ${MAX_BODY_BYTES} bytes` })
        return
      }
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
      let parsed: unknown
      try {
        parsed = parseBody(body, headers['content-type'] ?? '')
      } catch (err) {
        send(res, 400, { error: `the body is not valid JSON: ${(err as Error).message}` })
        return
      }
      const request: ServeRequest = {
        method: req.method ?? 'GET',
        path: p.slice(this.prefix.length) || '/',
        query: Object.fromEntries(url.searchParams),
        headers,
        body: parsed
      }
      const value = await this.answer()(request, request.method === 'GET' || request.method === 'HEAD')
      if (value instanceof StreamAnswer) await stream(res, value)
      else respond(res, value)
    } catch (err) {
      const e = err as Error
      if (e instanceof ServeOverloadedError) send(res, 503, { error: e.message }, { 'retry-after': '1' })
      else if (e instanceof ServeTimeoutError) send(res, 504, { error: e.message })
      else send(res, 500, { error: guestMessage(e) })
    }
  }
}

function isLoopback (address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'))
}

/** The body, or undefined when it passes MAX_BODY_BYTES. */
async function readBody (req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length
    if (n > MAX_BODY_BYTES) { req.resume(); return undefined }
    chunks.push(c)
  }
  return Buffer.concat(chunks)
}

function parseBody (body: Buffer, type: string): unknown {
  if (body.length === 0) return null
  const t = type.split(';')[0]!.trim().toLowerCase()
  if (t === 'application/json' || t.endsWith('+json')) return JSON.parse(body.toString('utf8'))
  if (t.startsWith('text/')) return body.toString('utf8')
  return new Uint8Array(body.buffer, body.byteOffset, body.length)
}

/** Whether a value is a ServeResponse: a status code and nothing but status, headers and body. */
function isResponse (v: unknown): v is ServeResponse {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false
  const o = v as Record<string, unknown>
  return Number.isInteger(o.status) && (o.status as number) >= 100 && (o.status as number) <= 599 &&
    Object.keys(o).every(k => k === 'status' || k === 'headers' || k === 'body')
}

/**
 * A generator's values, chunked as they come: bytes as they are, strings as UTF-8, anything else
 * as a JSON line (the content type follows the first value). An error after the first value ends
 * the response early (the status is sent already); a client that goes away stops the generator.
 */
async function stream (res: http.ServerResponse, answer: StreamAnswer): Promise<void> {
  const items = answer.items[Symbol.asyncIterator]()
  let gone = false
  res.on('close', () => { if (!res.writableFinished) { gone = true; void items.return?.() } })
  try {
    for (let first = true; ; first = false) {
      const next = await items.next()
      if (next.done === true || gone) break
      const v = next.value
      if (first) {
        const type = v instanceof Uint8Array ? 'application/octet-stream' : typeof v === 'string' ? 'text/plain; charset=utf-8' : 'application/x-ndjson'
        res.writeHead(200, { 'content-type': type, 'transfer-encoding': 'chunked' })
      }
      const chunk = v instanceof Uint8Array ? v : typeof v === 'string' ? v : JSON.stringify(v) + '\n'
      if (!res.write(chunk)) await new Promise(resolve => { res.once('drain', resolve); res.once('close', resolve) })
    }
    if (!res.headersSent) res.writeHead(200, { 'content-length': 0 })
    res.end()
  } catch (err) {
    if (!res.headersSent) throw err
    res.destroy(err as Error)
  }
}

function respond (res: http.ServerResponse, value: unknown): void {
  if (isResponse(value)) {
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(value.headers ?? {})) if (typeof v === 'string') headers[k.toLowerCase()] = v
    sendBody(res, value.status, value.body, headers)
    return
  }
  sendBody(res, 200, value, {})
}

function sendBody (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (body instanceof Uint8Array) {
    res.writeHead(status, { 'content-type': 'application/octet-stream', ...headers, 'content-length': body.byteLength })
    res.end(body)
  } else if (typeof body === 'string') {
    const b = Buffer.from(body, 'utf8')
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers, 'content-length': b.length })
    res.end(b)
  } else if (body === undefined) {
    res.writeHead(status, { ...headers, 'content-length': 0 })
    res.end()
  } else {
    send(res, status, body, headers)
  }
}

function send (res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) { res.destroy(); return }
  const b = Buffer.from(JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v) ?? 'null', 'utf8')
  res.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': b.length })
  res.end(b)
}

/** A guest's own message where the error carries one (TaskError: the message the guest threw). */
function guestMessage (e: Error): string {
  return typeof e?.message === 'string' ? e.message : String(e)
}
