// The node side of `/fabric/jobs/1` (`fabric join --accept-jobs`): takes a submission's files,
// runs its bundled driver as a child process with the working directory as its cwd and
// FABRIC_ADDRESS set to this node (so `Fabric.connect()` joins the fabric, as `ray.init()` in a Ray
// job), keeps its output and status under the data dir, and answers list/status/logs/stop.
// A driver is native code with the node's privileges: submissions are refused unless `accept`.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { logger } from '@libp2p/logger'
import type { Logger, Stream } from '@libp2p/interface'
import { frameStream, readRequest, refuse } from '../net/frames.js'
import type { FrameStream } from '../net/frame-reader.js'
import { encode } from '../net/messages.js'
import { cidOfBytes } from '../objects/cid.js'
import { DEFAULT_JOB_LIMITS, JOBS_IDLE_TIMEOUT_MS, JOBS_PROTOCOL, MAX_JOBS_REPLY_BYTES, MAX_JOBS_REQUEST_BYTES, MAX_LISTED_JOBS, OUTPUT_CHUNK_BYTES } from './constants.js'
import { JobNotFoundError, JobRefusedError } from './errors.js'
import { decodeDataFrame, decodeJobsRequest } from './protocol.js'
import { JobStore, isFinished, newSubmissionId } from './store.js'
import type { JobInfo, JobService, JobServiceInit, JobsReply, JobsRequest } from './interface.js'

/** Output subscribers and the exit waiters of a running job. */
interface Running {
  proc?: ChildProcess
  stopping: boolean
  readonly outputs: Set<(fd: 1 | 2, data: Uint8Array) => void>
  readonly ended: Promise<JobInfo>
  end: (job: JobInfo) => void
}

/** How often a quiet output stream gets an empty frame, so no side's inactivity timeout cuts it. */
const KEEPALIVE_MS = 30_000

/** Bytes a slow reader may fall behind beyond the kept output (which a `logs` request queues at once) before its stream is cut (the job runs on). */
const PENDING_OUTPUT_SLACK_BYTES = 16 * 1024 * 1024

const MiB = 1024 * 1024

/**
 * The jobs service of a node: hand it to createNode's `services`, then `bind()` the node's address.
 *
 * @example
 * const jobs = createJobService({ dataDir, accept: true })
 * await jobs.start()
 * const node = await createNode({ dataDir, services: [jobs] })
 * jobs.bind(node.multiaddrs()[0]!)
 */
export function createJobService (init: JobServiceInit): JobService {
  return new NodeJobService(init)
}

class NodeJobService implements JobService {
  readonly protocol = JOBS_PROTOCOL
  readonly maxInboundStreams = 64
  private readonly log: Logger = logger('fabric:jobs')
  private readonly store: JobStore
  private readonly running = new Map<string, Running>()
  private readonly limits: typeof DEFAULT_JOB_LIMITS
  private address: string | undefined
  private stopping: Promise<void> | undefined

  constructor (private readonly init: JobServiceInit) {
    this.limits = {
      maxUploadBytes: init.maxUploadBytes ?? DEFAULT_JOB_LIMITS.maxUploadBytes,
      maxFiles: init.maxFiles ?? DEFAULT_JOB_LIMITS.maxFiles,
      maxRunning: init.maxRunning ?? DEFAULT_JOB_LIMITS.maxRunning,
      maxFinished: init.maxFinished ?? DEFAULT_JOB_LIMITS.maxFinished,
      maxOutputBytes: init.maxOutputBytes ?? DEFAULT_JOB_LIMITS.maxOutputBytes,
      stopGraceMs: init.stopGraceMs ?? DEFAULT_JOB_LIMITS.stopGraceMs
    }
    this.store = new JobStore(init.dataDir, this.limits)
  }

  bind (address: string): void {
    this.address = address
  }

  async start (): Promise<void> {
    this.store.load()
  }

  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      // A shorter grace than `fabric jobs stop`'s: the node's own stop is bounded too.
      await Promise.all([...this.running.keys()].map(async id => await this.stopJob(id, 'the node stopped', Math.min(this.limits.stopGraceMs, 2000))))
      this.store.stop()
    })()
    await this.stopping
  }

  async serve (stream: Stream, from: string): Promise<void> {
    const lp = frameStream(stream, MAX_JOBS_REQUEST_BYTES)
    const frame = await readRequest(stream, lp, JOBS_IDLE_TIMEOUT_MS, this.log)
    if (frame === undefined) return
    let req: JobsRequest
    try {
      req = decodeJobsRequest(frame.subarray())
      if (req.type === 'submit') {
        await this.submit(stream, lp, req, from)
        return
      }
      if (req.type === 'list') {
        await this.reply(stream, lp, listReply(this.store.list()), true)
        return
      }
      const job = this.store.get(req.id)
      if (job === undefined) throw new JobNotFoundError(`no job ${req.id} on this node (\`fabric jobs list\` shows the jobs it remembers; the oldest finished ones are forgotten after ${this.limits.maxFinished})`)
      if (req.type === 'status') {
        await this.reply(stream, lp, { type: 'job', job }, true)
      } else if (req.type === 'stop') {
        await this.reply(stream, lp, { type: 'job', job: await this.stopJob(req.id, 'stopped by `fabric jobs stop`') }, true)
      } else {
        await this.follow(stream, lp, req.id, req.follow)
      }
    } catch (err) {
      await refuse(stream, lp, err, this.log)
    }
  }

  // ---- submit ------------------------------------------------------------------------------

  private async submit (stream: Stream, lp: FrameStream, req: Extract<JobsRequest, { type: 'submit' }>, from: string): Promise<void> {
    if (this.init.accept !== true) throw new JobRefusedError('this node does not accept jobs: start it with `fabric join --accept-jobs` (a job\'s driver runs with the node\'s privileges, unsandboxed)')
    if (this.address === undefined || this.stopping !== undefined) throw new JobRefusedError('this node is not ready for jobs (starting or stopping): try again')
    if (this.running.size >= this.limits.maxRunning) throw new JobRefusedError(`this node runs ${this.running.size} jobs already, its most (fabric join --max-jobs): wait for one to end or stop one (fabric jobs stop ID)`)
    const bytes = req.files.reduce((n, f) => n + f.size, 0)
    if (req.files.length > this.limits.maxFiles) throw new JobRefusedError(`the working directory has ${req.files.length} files; this node takes at most ${this.limits.maxFiles} (submit a smaller --working-dir)`)
    if (bytes > this.limits.maxUploadBytes) {
      throw new JobRefusedError(`the working directory is ${mib(bytes)} MiB in ${req.files.length} files; this node takes at most ${mib(this.limits.maxUploadBytes)} MiB (fabric join --max-upload-mb; or submit a smaller --working-dir)`)
    }
    const id = newSubmissionId()
    const job: JobInfo = {
      id, state: 'pending', driver: req.driver, args: req.args, submitter: from, submittedAt: Date.now(),
      files: req.files.length, bytes, sentBytes: 0, ...(req.name === undefined ? {} : { name: req.name })
    }
    this.store.create(job)
    const run = this.track(id)
    try {
      const filesDir = this.store.filesDir(id)
      // Components this node has already are linked now, before a prune could drop them.
      const need: number[] = []
      req.files.forEach((f, i) => {
        if (f.cid !== undefined && this.store.hasComponent(f.cid, f.size)) this.store.linkComponent(f.cid, path.join(filesDir, f.path))
        else need.push(i)
      })
      await this.reply(stream, lp, { type: 'need', files: need }, false)
      let sent = 0
      for (const i of need) sent += await this.receive(lp, req.files[i]!, filesDir)
      // Not a component: its links share the stored, read-only copy's mode.
      for (const f of req.files) if (f.executable === true && f.cid === undefined) fs.chmodSync(path.join(filesDir, f.path), 0o755)
      this.store.update(id, { sentBytes: sent })
    } catch (err) {
      this.running.delete(id)
      this.store.discard(id)
      throw err
    }
    // Subscribe before the process starts, so a waiting client sees all of its output.
    const sender = req.wait ? new FrameSender(stream, lp, this.log, this.limits.maxOutputBytes + PENDING_OUTPUT_SLACK_BYTES) : undefined
    const forward = (fd: 1 | 2, data: Uint8Array): void => { sender?.send({ type: 'out', fd, data }) }
    if (sender !== undefined) run.outputs.add(forward)
    const started = this.spawn(id, req.entry, run)
    if (sender === undefined) {
      await this.reply(stream, lp, { type: 'started', job: started }, true)
      return
    }
    sender.send({ type: 'started', job: started })
    await sender.until(run.ended)
    run.outputs.delete(forward)
  }

  /** Read one needed file's bytes (data frames, in order) into the working directory; returns the bytes. */
  private async receive (lp: FrameStream, file: { path: string, size: number, cid?: string }, filesDir: string): Promise<number> {
    const dest = path.join(filesDir, file.path)
    fs.mkdirSync(path.dirname(dest), { recursive: true })
    const parts: Uint8Array[] = []
    let got = 0
    const fd = file.cid === undefined ? fs.openSync(dest, 'w') : undefined
    try {
      while (got < file.size) {
        let frame
        try {
          frame = await lp.read({ signal: AbortSignal.timeout(JOBS_IDLE_TIMEOUT_MS) })
        } catch (err) {
          throw new JobRefusedError(`the upload stopped at ${got} of ${file.size} bytes of ${file.path}: ${(err as Error).message}`)
        }
        const data = decodeDataFrame(frame.subarray())
        if (got + data.byteLength > file.size) throw new JobRefusedError(`more bytes came for ${file.path} than its declared ${file.size}`)
        got += data.byteLength
        if (fd !== undefined) fs.writeSync(fd, data)
        else parts.push(data)
      }
    } finally {
      if (fd !== undefined) fs.closeSync(fd)
    }
    if (file.cid !== undefined) {
      const bytes = Buffer.concat(parts)
      const cid = await cidOfBytes(bytes)
      if (cid !== file.cid) throw new JobRefusedError(`${file.path} does not match its CID ${file.cid} (its bytes hash to ${cid})`)
      const stored = path.join(this.store.components, cid)
      if (!fs.existsSync(stored)) {
        // Read-only, as are its links: a job that writes to its copy fails instead of changing other jobs'.
        fs.writeFileSync(stored + '.tmp', bytes, { mode: 0o444 })
        fs.renameSync(stored + '.tmp', stored)
      }
      this.store.linkComponent(cid, dest)
    }
    return got
  }

  private track (id: string): Running {
    let end!: (job: JobInfo) => void
    const ended = new Promise<JobInfo>(resolve => { end = resolve })
    const run: Running = { stopping: false, outputs: new Set(), ended, end }
    this.running.set(id, run)
    return run
  }

  /** Start the job's driver; resolves its status once started. */
  private spawn (id: string, entry: string, run: Running): JobInfo {
    const filesDir = this.store.filesDir(id)
    const job = this.store.get(id)!
    // `import 'wasm-fabric'` in the bundle finds this node's own copy of the package.
    const modules = path.join(filesDir, 'node_modules')
    fs.mkdirSync(modules, { recursive: true })
    fs.symlinkSync(packageRoot(), path.join(modules, 'wasm-fabric'), 'dir')
    const env: NodeJS.ProcessEnv = { ...process.env, FABRIC_ADDRESS: this.address, FABRIC_SUBMISSION_ID: id }
    if (this.init.swarmKeyFile !== undefined) env.FABRIC_SWARM_KEY_FILE = path.resolve(this.init.swarmKeyFile)
    else delete env.FABRIC_SWARM_KEY_FILE
    if (this.init.fabricName !== undefined) env.FABRIC_NAME = this.init.fabricName
    else delete env.FABRIC_NAME
    const finish = (change: Partial<JobInfo>): void => {
      if (!this.running.has(id)) return
      this.running.delete(id)
      const state = run.stopping ? 'stopped' : change.exitCode === 0 ? 'succeeded' : 'failed'
      const done = this.store.update(id, { state, endedAt: Date.now(), ...change })
      this.log('job %s %s', id, state)
      run.end(done)
    }
    let proc: ChildProcess
    try {
      // Its own process group: Ctrl-C at the node's terminal does not reach it, and a stop reaches its children.
      proc = spawn(process.execPath, [...(this.init.permissions === true ? permissionArgs(filesDir) : []), '--import', ORPHAN_GUARD, ...sourceArgs(), path.join(filesDir, entry), ...job.args], { cwd: filesDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    } catch (err) {
      finish({ message: `the driver could not start: ${(err as Error).message}` })
      return this.store.get(id)!
    }
    run.proc = proc
    const out = (fd: 1 | 2) => (data: Buffer): void => {
      // A leftover's last words after the job ended are not kept (its log is closed).
      if (!this.running.has(id)) return
      this.store.appendOutput(id, data)
      for (const f of run.outputs) f(fd, data)
    }
    proc.stdout!.on('data', out(1))
    proc.stderr!.on('data', out(2))
    proc.once('error', err => { finish({ message: `the driver could not start: ${err.message}` }) })
    // The job ends when its driver exits: what it left running in its process group goes too, and
    // the output still in the pipes is read for a moment more (a leftover holding them open is not waited for).
    proc.once('exit', (code, signal) => {
      try { process.kill(-proc.pid!, 'SIGKILL') } catch { /* the group is gone */ }
      const ended = (): void => { clearTimeout(late); report(code, signal) }
      const late = setTimeout(ended, 1000)
      proc.once('close', ended)
    })
    const report = (code: number | null, signal: NodeJS.Signals | null): void => {
      finish({
        ...(code === null ? {} : { exitCode: code }),
        ...(signal === null ? {} : { signal }),
        ...(code === 0 && !run.stopping ? {} : { message: run.stopping ? this.stopReason.get(id) ?? 'stopped' : code !== null ? `the driver exited with code ${code}` : `the driver was killed by ${String(signal)}` })
      })
      this.stopReason.delete(id)
    }
    return this.store.update(id, { state: 'running', startedAt: Date.now() })
  }

  private readonly stopReason = new Map<string, string>()

  /** SIGTERM the job's process group, SIGKILL after the grace; resolves its final status. */
  private async stopJob (id: string, reason: string, graceMs = this.limits.stopGraceMs): Promise<JobInfo> {
    const run = this.running.get(id)
    if (run === undefined) return this.store.get(id)!
    const proc = run.proc
    if (proc === undefined || proc.pid === undefined) {
      // Still uploading: it ends as stopped when its upload does (or now, if it never will).
      return this.store.get(id)!
    }
    run.stopping = true
    this.stopReason.set(id, reason)
    const kill = (sig: NodeJS.Signals): void => {
      try { process.kill(-proc.pid!, sig) } catch { try { proc.kill(sig) } catch { /* gone */ } }
    }
    kill('SIGTERM')
    const force = setTimeout(() => { kill('SIGKILL') }, graceMs)
    try {
      return await run.ended
    } finally {
      clearTimeout(force)
    }
  }

  // ---- logs --------------------------------------------------------------------------------

  private async follow (stream: Stream, lp: FrameStream, id: string, follow: boolean): Promise<void> {
    const sender = new FrameSender(stream, lp, this.log, this.limits.maxOutputBytes + PENDING_OUTPUT_SLACK_BYTES)
    // Read and subscribe in one turn: output is appended synchronously, so nothing falls between.
    const kept = this.store.readOutput(id)
    const run = follow ? this.running.get(id) : undefined
    const forward = (fd: 1 | 2, data: Uint8Array): void => { sender.send({ type: 'out', fd, data }) }
    run?.outputs.add(forward)
    for (let at = 0; at < kept.byteLength; at += OUTPUT_CHUNK_BYTES) sender.send({ type: 'out', fd: 1, data: kept.subarray(at, at + OUTPUT_CHUNK_BYTES) })
    if (run !== undefined) {
      await sender.until(run.ended)
      run.outputs.delete(forward)
    } else {
      sender.send({ type: 'end', job: this.store.get(id)! })
      await sender.close()
    }
  }

  /** Send one reply; `last`: then close the stream. */
  private async reply (stream: Stream, lp: FrameStream, reply: JobsReply, last: boolean): Promise<void> {
    await lp.write(encode(reply), { signal: AbortSignal.timeout(10_000) })
    if (last) await stream.close().catch(() => { stream.abort(new Error('closing')) })
  }
}

/**
 * Frames for a client that reads output as it comes: writes queued in order, a keepalive while
 * quiet, cut off when the client falls too far behind or goes.
 */
class FrameSender {
  private chain: Promise<void> = Promise.resolve()
  private pending = 0
  private dead = false
  private readonly gone: Promise<void>
  private readonly keepalive: NodeJS.Timeout
  private last = Date.now()

  constructor (private readonly stream: Stream, private readonly lp: FrameStream, private readonly log: Logger, private readonly maxPending: number) {
    this.gone = new Promise(resolve => { stream.addEventListener('close', () => { this.dead = true; resolve() }, { once: true }) })
    this.keepalive = setInterval(() => {
      if (Date.now() - this.last >= KEEPALIVE_MS) this.send({ type: 'out', fd: 1, data: new Uint8Array(0) })
    }, KEEPALIVE_MS / 2)
  }

  send (reply: JobsReply): void {
    if (this.dead) return
    const bytes = encode(reply)
    this.pending += bytes.byteLength
    this.last = Date.now()
    if (this.pending > this.maxPending) {
      this.dead = true
      this.stream.abort(new Error(`the client fell over ${this.maxPending} bytes behind the job's output`))
      return
    }
    this.chain = this.chain.then(async () => {
      if (this.dead) return
      await this.lp.write(bytes)
      this.pending -= bytes.byteLength
    }).catch(err => {
      this.dead = true
      this.log('output stream ended - %e', err)
    })
  }

  /** Forward until the job ends (then its `end` frame) or the client goes. */
  async until (ended: Promise<JobInfo>): Promise<void> {
    const job = await Promise.race([ended, this.gone.then(() => undefined)])
    if (job !== undefined) this.send({ type: 'end', job })
    await this.close()
  }

  async close (): Promise<void> {
    clearInterval(this.keepalive)
    // A client that stopped reading (but keeps its stream open) does not hold the service.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.chain, new Promise<void>(resolve => { timer = setTimeout(() => { this.dead = true; this.stream.abort(new Error('the client stopped reading')); resolve() }, 30_000) })])
    clearTimeout(timer)
    if (!this.dead) await this.stream.close().catch(() => { this.stream.abort(new Error('closing')) })
    this.dead = true
  }
}

/** The newest jobs that fit one reply frame (args may be long), and whether more are remembered. */
export function listReply (jobs: JobInfo[]): Extract<JobsReply, { type: 'jobs' }> {
  let reply: Extract<JobsReply, { type: 'jobs' }> = { type: 'jobs', jobs: jobs.slice(0, MAX_LISTED_JOBS), truncated: jobs.length > MAX_LISTED_JOBS }
  while (encode(reply).byteLength > MAX_JOBS_REPLY_BYTES - 1024 && reply.jobs.length > 0) {
    reply = { type: 'jobs', jobs: reply.jobs.slice(0, Math.floor(reply.jobs.length / 2)), truncated: true }
  }
  return reply
}

function mib (bytes: number): string {
  return (bytes / MiB).toFixed(1)
}

let root: string | undefined

/** This package's root (where its package.json is): the copy the node runs, for jobs to import. */
export function packageRoot (): string {
  if (root !== undefined) return root
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = path.join(dir, 'package.json')
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'wasm-fabric') return (root = dir)
    const up = path.dirname(dir)
    if (up === dir) throw new Error('the wasm-fabric package root was not found above ' + fileURLToPath(import.meta.url))
    dir = up
  }
}

/**
 * Node's permission model for a job: it reads any file (its modules live anywhere) but writes only
 * its working directory and the temp dir (where a driver keeps its identity), and starts no child
 * process, native addon or worker thread. From the sources (a checkout), tsx needs threads and
 * child processes, so only the writes are narrowed there.
 */
function permissionArgs (filesDir: string): string[] {
  const flag = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission'
  // A flag per directory (Node 20.20 and later no longer take a comma-separated list).
  const writes = [filesDir, os.tmpdir()].map(d => `--allow-fs-write=${d}`)
  return [
    flag, '--disable-warning=ExperimentalWarning', '--allow-fs-read=*', ...writes,
    // tsx runs its loader on a thread and esbuild as a child process.
    ...(import.meta.url.endsWith('.ts') ? ['--allow-worker', '--allow-child-process'] : [])
  ]
}

/** Preloaded into every job: it ends the job's process group when this node dies without stopping it. */
const ORPHAN_GUARD = new URL('./orphan-guard.mjs', import.meta.url).href

/** Node flags for a job when this node runs from the TypeScript sources (a checkout): tsx, and the package's source condition. */
function sourceArgs (): string[] {
  if (!import.meta.url.endsWith('.ts')) return []
  return ['--import', import.meta.resolve('tsx'), '--conditions=wasm-fabric-source']
}
