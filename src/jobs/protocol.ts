// `/fabric/jobs/1`: submitting a driver to a node and asking about its jobs. One request per
// stream, length-prefixed CBOR frames (see docs/protocols.md):
//
//   submit: client { type: 'submit', name?, entry, driver, args, files: [{ path, size, cid?, executable? }], wait }
//           node   { type: 'need', files: [i...] }          the files it lacks (components it has are not sent)
//           client { type: 'data', data } ...               the needed files' bytes, in order, in pieces
//           node   { type: 'started', job }                 then, when `wait`: { type: 'out', fd, data } ... { type: 'end', job }
//   list:   client { type: 'list' }                         node { type: 'jobs', jobs, truncated }
//   status: client { type: 'status', id }                   node { type: 'job', job }
//   logs:   client { type: 'logs', id, follow }             node { type: 'out', fd, data } ... { type: 'end', job }
//   stop:   client { type: 'stop', id }                     node { type: 'job', job } once it has ended
//   any:    node   { type: 'error', error }                 refused (JobRefusedError, JobNotFoundError, ...)
//
// Every frame is validated here and nowhere else; sizes are bounded by constants.ts.
import { decodeCborMap } from '../net/messages.js'
import { MalformedMessageError, RemoteError } from '../net/errors.js'
import { deserializeError } from '../errors/index.js'
import './errors.js'
import { MAX_JOB_ARG_CHARS, MAX_JOB_ARGS, MAX_JOB_FILES, MAX_JOB_NAME_CHARS, MAX_JOB_PATH_CHARS, MAX_JOBS_DATA_BYTES, MAX_LISTED_JOBS } from './constants.js'
import { JOB_STATES, type JobFile, type JobInfo, type JobsReply, type JobsRequest, type JobState } from './interface.js'

const JOB_ID_RE = /^job-submit-[0-9a-f]{16}$/
const CID_RE = /^b[a-z2-7]{58}$/

function fail (what: string): never {
  throw new MalformedMessageError(`jobs protocol: ${what}`)
}

function only (o: Record<string, unknown>, keys: string[], what: string): void {
  const extra = Object.keys(o).filter(k => !keys.includes(k))
  if (extra.length > 0) fail(`${what} has unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`)
}

function str (v: unknown, what: string, max: number, min = 1): string {
  if (typeof v !== 'string' || v.length < min || v.length > max) fail(`${what} must be a string of ${min}-${max} characters`)
  return v
}

function int (v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) fail(`${what} must be an integer from 0 to ${max}`)
  return v
}

/** A submission id, checked (it names a directory on the node). */
export function checkJobId (v: unknown): string {
  if (typeof v !== 'string' || !JOB_ID_RE.test(v)) fail(`a job id looks like job-submit- and 16 hex digits, got ${JSON.stringify(v)?.slice(0, 80)}`)
  return v
}

/**
 * A working-directory path, checked: relative, POSIX separators, no empty, `.` or `..` segments,
 * no NUL or backslash, no `node_modules` or `.git` segment. It is joined to a directory on the node.
 */
export function checkJobPath (v: unknown, what = 'a file path'): string {
  const p = str(v, what, MAX_JOB_PATH_CHARS)
  if (p.startsWith('/') || p.includes('\\') || p.includes('\0')) fail(`${what} must be relative, with / between segments, got ${JSON.stringify(p.slice(0, 80))}`)
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') fail(`${what} must not have empty, . or .. segments, got ${JSON.stringify(p.slice(0, 80))}`)
    if (seg === 'node_modules' || seg === '.git') fail(`${what} must not be in node_modules or .git, got ${JSON.stringify(p.slice(0, 80))}`)
  }
  return p
}

function jobFile (v: unknown, i: number): JobFile {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(`files[${i}] must be a map`)
  const o = v as Record<string, unknown>
  only(o, ['path', 'size', 'cid', 'executable'], `files[${i}]`)
  const f: JobFile = { path: checkJobPath(o.path, `files[${i}].path`), size: int(o.size, `files[${i}].size`) }
  if (o.cid !== undefined) {
    if (typeof o.cid !== 'string' || !CID_RE.test(o.cid)) fail(`files[${i}].cid must be a CIDv1 (base32)`)
    f.cid = o.cid
  }
  if (o.executable !== undefined) {
    if (o.executable !== true) fail(`files[${i}].executable must be true when present`)
    f.executable = true
  }
  return f
}

/** Validate the first frame of a stream. */
export function decodeJobsRequest (bytes: Uint8Array): JobsRequest {
  const o = decodeCborMap(bytes, 'jobs request')
  switch (o.type) {
    case 'submit': {
      only(o, ['type', 'name', 'entry', 'driver', 'args', 'files', 'wait'], 'submit')
      if (!Array.isArray(o.files) || o.files.length > MAX_JOB_FILES) fail(`submit.files must be a list of at most ${MAX_JOB_FILES}`)
      const files = o.files.map(jobFile)
      const paths = new Set<string>()
      for (const f of files) {
        if (paths.has(f.path)) fail(`submit.files has ${f.path} twice`)
        paths.add(f.path)
      }
      // A file may not also be a directory of another (`a` and `a/b`).
      for (const f of files) {
        const segs = f.path.split('/')
        for (let i = 1; i < segs.length; i++) {
          if (paths.has(segs.slice(0, i).join('/'))) fail(`submit.files has ${segs.slice(0, i).join('/')} both as a file and as a directory`)
        }
      }
      const entry = checkJobPath(o.entry, 'submit.entry')
      if (!paths.has(entry)) fail('submit.entry must be one of the files')
      if (!Array.isArray(o.args) || o.args.length > MAX_JOB_ARGS) fail(`submit.args must be a list of at most ${MAX_JOB_ARGS}`)
      const args = o.args.map((a, i) => str(a, `submit.args[${i}]`, MAX_JOB_ARG_CHARS, 0))
      if (typeof o.wait !== 'boolean') fail('submit.wait must be a boolean')
      return {
        type: 'submit',
        ...(o.name === undefined ? {} : { name: str(o.name, 'submit.name', MAX_JOB_NAME_CHARS) }),
        entry,
        driver: str(o.driver, 'submit.driver', MAX_JOB_PATH_CHARS),
        args,
        files,
        wait: o.wait
      }
    }
    case 'list':
      only(o, ['type'], 'list')
      return { type: 'list' }
    case 'status':
    case 'stop':
      only(o, ['type', 'id'], o.type)
      return { type: o.type, id: checkJobId(o.id) }
    case 'logs':
      only(o, ['type', 'id', 'follow'], 'logs')
      if (typeof o.follow !== 'boolean') fail('logs.follow must be a boolean')
      return { type: 'logs', id: checkJobId(o.id), follow: o.follow }
    default:
      return fail(`request type must be submit, list, status, logs or stop, got ${JSON.stringify(o.type)?.slice(0, 40)}`)
  }
}

/** Validate an upload frame `{ type: 'data', data }` (a piece of the needed files). */
export function decodeDataFrame (bytes: Uint8Array): Uint8Array {
  const o = decodeCborMap(bytes, 'jobs data')
  only(o, ['type', 'data'], 'data')
  if (o.type !== 'data' || !(o.data instanceof Uint8Array) || o.data.byteLength === 0 || o.data.byteLength > MAX_JOBS_DATA_BYTES) {
    fail(`expected { type: 'data', data } with 1-${MAX_JOBS_DATA_BYTES} bytes`)
  }
  return o.data
}

/** Validate a job's description (from the wire, or a status.json on disk). */
export function checkJobInfo (v: unknown): JobInfo {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail('job must be a map')
  const o = v as Record<string, unknown>
  only(o, ['id', 'name', 'state', 'driver', 'args', 'submitter', 'submittedAt', 'startedAt', 'endedAt', 'exitCode', 'signal', 'message', 'files', 'bytes', 'sentBytes'], 'job')
  if (!JOB_STATES.includes(o.state as JobState)) fail(`job.state must be one of ${JOB_STATES.join(', ')}`)
  if (!Array.isArray(o.args) || o.args.length > MAX_JOB_ARGS) fail('job.args must be a list')
  const job: JobInfo = {
    id: checkJobId(o.id),
    state: o.state as JobState,
    driver: str(o.driver, 'job.driver', MAX_JOB_PATH_CHARS),
    args: o.args.map((a, i) => str(a, `job.args[${i}]`, MAX_JOB_ARG_CHARS, 0)),
    submitter: str(o.submitter, 'job.submitter', 128),
    submittedAt: int(o.submittedAt, 'job.submittedAt'),
    files: int(o.files, 'job.files'),
    bytes: int(o.bytes, 'job.bytes'),
    sentBytes: int(o.sentBytes, 'job.sentBytes')
  }
  if (o.name !== undefined) job.name = str(o.name, 'job.name', MAX_JOB_NAME_CHARS)
  if (o.startedAt !== undefined) job.startedAt = int(o.startedAt, 'job.startedAt')
  if (o.endedAt !== undefined) job.endedAt = int(o.endedAt, 'job.endedAt')
  if (o.exitCode !== undefined) job.exitCode = int(o.exitCode, 'job.exitCode', 255)
  if (o.signal !== undefined) job.signal = str(o.signal, 'job.signal', 16)
  if (o.message !== undefined) job.message = str(o.message, 'job.message', 4096, 0)
  return job
}

/**
 * Validate a reply frame; an error frame is rebuilt as the node's error (JobRefusedError,
 * JobNotFoundError, MalformedMessageError, ...), or a RemoteError when its name is unknown here.
 */
export function decodeJobsReply (bytes: Uint8Array): JobsReply {
  const o = decodeCborMap(bytes, 'jobs reply')
  switch (o.type) {
    case 'error': {
      const err = deserializeError(o.error as never)
      if (err.name === 'Error') throw new RemoteError(`the node refused: ${err.message}`)
      throw err
    }
    case 'need':
      only(o, ['type', 'files'], 'need')
      if (!Array.isArray(o.files) || o.files.length > MAX_JOB_FILES) fail('need.files must be a list of file indexes')
      return { type: 'need', files: o.files.map((i, k) => int(i, `need.files[${k}]`, MAX_JOB_FILES)) }
    case 'out':
      only(o, ['type', 'fd', 'data'], 'out')
      if ((o.fd !== 1 && o.fd !== 2) || !(o.data instanceof Uint8Array) || o.data.byteLength > MAX_JOBS_DATA_BYTES) fail(`out must be { fd: 1 | 2, data } with at most ${MAX_JOBS_DATA_BYTES} bytes`)
      return { type: 'out', fd: o.fd, data: o.data }
    case 'started':
    case 'end':
    case 'job':
      only(o, ['type', 'job'], o.type)
      return { type: o.type, job: checkJobInfo(o.job) }
    case 'jobs':
      only(o, ['type', 'jobs', 'truncated'], 'jobs')
      if (!Array.isArray(o.jobs) || o.jobs.length > MAX_LISTED_JOBS || typeof o.truncated !== 'boolean') fail(`jobs must be { jobs: [...] (at most ${MAX_LISTED_JOBS}), truncated }`)
      return { type: 'jobs', jobs: o.jobs.map(checkJobInfo), truncated: o.truncated }
    default:
      return fail(`reply type ${JSON.stringify(o.type)?.slice(0, 40)} is not one of need, started, out, end, job, jobs, error`)
  }
}
