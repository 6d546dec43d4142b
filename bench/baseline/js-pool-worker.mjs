// Baseline worker: the same message pattern as the fabric's pool (CBOR bytes in, CBOR bytes out),
// running plain JavaScript functions instead of a component.
import { parentPort } from 'node:worker_threads'
import { encode, decode } from 'cborg'

// A per-worker stateful object: the "actor" baseline runs it in one dedicated worker.
const sink = { n: 0 }

const fns = {
  noop: () => 0,
  'Sink.noop': () => 0,
  'Sink.add': (x) => { sink.n += x; return sink.n },
  echo: (x) => x,
  add: (a, b) => a + b,
  sumSquares: (n) => { let s = 0; for (let i = 0; i < n; i++) s += i * i; return s }
}

parentPort.on('message', ({ id, name, args }) => {
  try {
    const value = encode(fns[name](...decode(args)))
    parentPort.postMessage({ type: 'done', id, value })
  } catch (err) {
    parentPort.postMessage({ type: 'failed', id, error: String(err) })
  }
})
parentPort.postMessage({ type: 'ready' })
