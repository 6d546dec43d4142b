// A driver's job: who it is to the fabric. Its `key` is a secret capability: the nodes a job sends
// work to learn it, and a node serves a job's objects and components only to a peer that presents
// it (or to the owner itself); its `id` is the public name derived from it (logs, listings); its
// `namespace` is where its named actors live (a fresh one per job unless the program names one,
// as in Ray).
import { createHash, randomBytes } from 'node:crypto'

export interface Job {
  /** Public: `job-` and 16 hex characters of the key's hash. */
  readonly id: string
  /** Secret: 128 random bits, base64url. Never logged. */
  readonly key: string
  readonly namespace: string
}

/**
 * `namespace` as an option gave it, checked: undefined, or a string of 1-256 characters.
 *
 * @throws TypeError naming `what` and the value
 */
export function checkNamespace (namespace: unknown, what: string): string | undefined {
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 256)) {
    throw new TypeError(`${what}: option namespace must be a string of 1-256 characters (named actors are found within it), got ${JSON.stringify(namespace)}`)
  }
  return namespace
}

/** A fresh job; `namespace` as the program gave it (checked), else the job's own. */
export function newJob (namespace?: unknown, what = 'Fabric.start'): Job {
  const given = checkNamespace(namespace, what)
  const key = randomBytes(16).toString('base64url')
  const id = jobIdOf(key)
  return { id, key, namespace: given ?? `anonymous-${id}` }
}

/** The public id of the job whose key is `key`. */
export function jobIdOf (key: string): string {
  return `job-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`
}
