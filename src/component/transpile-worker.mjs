// The worker thread that runs jco-transpile, so transpiling a component (a second or more of
// synchronous work for a QuickJS component) never stalls the event loop of the node that loads it
// (its heartbeats, streams and calls go on). Plain JavaScript: on Node 20 a worker entry cannot be
// TypeScript. Messages: { id, bytes, options } in; { id, files } or { id, error } out.
import { parentPort } from 'node:worker_threads'
import { transpileBytes } from '@bytecodealliance/jco-transpile'

parentPort.on('message', async ({ id, bytes, options }) => {
  try {
    const result = await transpileBytes(bytes, options)
    const files = {}
    for (const [name, data] of Object.entries(result.files)) files[name] = data
    parentPort.postMessage({ id, files })
  } catch (err) {
    parentPort.postMessage({ id, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err) } })
  }
})
