// An open-loop HTTP load at a constant rate: requests leave on a schedule (spread evenly over each
// millisecond tick), whether or not earlier ones were answered, so latency is measured as a client
// at that rate would see it. autocannon's rate limits (overallRate, connectionRate) release each
// second's quota at once, in bursts that measure the burst, not the rate.
import http from 'node:http'

export interface PacedResult { sent: number, ok: number, failed: number, p50: number, p99: number, rps: number }

/** `rate` requests/s to `url` for `seconds` (GET, or POST of a JSON `body`), at most `maxOutstanding` unanswered. */
export async function paced (url: string, rate: number, seconds: number, body?: string, maxOutstanding = 512): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxOutstanding })
  const target = new URL(url)
  const latencies: number[] = []
  let failed = 0
  let outstanding = 0
  let sent = 0
  const started = performance.now()
  const total = Math.round(rate * seconds)
  const one = (): void => {
    const t = performance.now()
    outstanding++
    sent++
    const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname + target.search, method: body === undefined ? 'GET' : 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => {
        outstanding--
        if (res.statusCode === 200) latencies.push(performance.now() - t)
        else failed++
      })
    })
    req.on('error', () => { outstanding--; failed++ })
    req.end(body)
  }
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor((performance.now() - started) / 1000 * rate))
      while (sent < due) {
        if (outstanding >= maxOutstanding) { failed++; sent++; continue }
        one()
      }
      if (sent >= total) { clearInterval(tick); resolve() }
    }, 1)
  })
  while (outstanding > 0) await new Promise(resolve => setTimeout(resolve, 5))
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const q = (p: number): number => latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!
  return { sent, ok: latencies.length, failed, p50: q(0.5), p99: q(0.99), rps: latencies.length / elapsed }
}
