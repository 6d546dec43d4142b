// What a guest worker thread is given of the node's environment.
/** The variables a guest worker's own code reads: the GPU bridge's settings (and OpenBLAS's, for its report). */
const WORKER_ENV = /^(FABRIC_GPU_[A-Z_]+|OPENBLAS_[A-Z_]+)$/

/**
 * The environment of a guest worker: only {@link WORKER_ENV}. A worker thread's `process.env` is
 * its own copy; the node's secrets (cloud keys, tokens) are not handed to code that runs next to
 * guests. (Native code reads the process's environment directly, so OpenBLAS still sees its
 * settings; /proc/self/environ stays readable to code with file access, see docs/security.md.)
 */
export function guestWorkerEnv (env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && WORKER_ENV.test(k)) out[k] = v
  return out
}
