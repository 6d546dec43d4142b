// The serve benchmark's load generator, in a process of its own so it does not share an event
// loop with the servers it measures: `peak <url> <seconds> <connections> [body]` (autocannon, as
// fast as answers come) or `paced <url> <seconds> <rate> [body]` (http-pacer.ts, an even pace).
// Prints one JSON line: { rps, p50, p99, errors, non2xx }.
import autocannon from 'autocannon'
import { paced } from './http-pacer.js'

const [mode, url, seconds, n, body] = process.argv.slice(2) as [string, string, string, string, string | undefined]
if (mode === 'peak') {
  const r = await autocannon({
    url,
    connections: Number(n),
    duration: Number(seconds),
    ...(body !== undefined ? { method: 'POST', body, headers: { 'content-type': 'application/json' } } : {})
  })
  process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx }) + '\n')
} else if (mode === 'paced') {
  const p = await paced(url, Number(n), Number(seconds), body)
  process.stdout.write(JSON.stringify({ rps: p.rps, p50: p.p50, p99: p.p99, errors: p.failed, non2xx: 0 }) + '\n')
} else {
  process.stderr.write(`serve-load-child: mode must be peak or paced, got ${mode}\n`)
  process.exit(2)
}
