// Worker-thread entry of the AssemblyScript compiler (see compileInWorker in build-as.ts).
import { parentPort } from 'node:worker_threads'
import { compile, type CompileRequest } from './as-compile.js'

parentPort!.on('message', (request: CompileRequest) => {
  compile(request).then(
    (reply) => parentPort!.postMessage(reply, reply.ok ? [reply.binary.buffer as ArrayBuffer] : []),
    (err: unknown) => parentPort!.postMessage({ id: request.id, ok: false, internal: `the AssemblyScript compiler failed: ${(err as Error).stack ?? String(err)}` })
  )
})
