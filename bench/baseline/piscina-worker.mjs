// Piscina baseline worker: the same functions and the same CBOR work as js-pool-worker.mjs, behind
// piscina's task queue. Module state is per worker, so a one-thread Piscina is the "actor" baseline.
import { encode, decode } from 'cborg'

const sink = { n: 0 }

const fns = {
  noop: () => 0,
  'Sink.noop': () => 0,
  'Sink.add': (x) => { sink.n += x; return sink.n },
  echo: (x) => x
}

export default function ({ name, args }) {
  return encode(fns[name](...decode(args)))
}
