// Where a node keeps its jobs: `<dataDir>/jobs/<id>/` with `status.json`, `output.log` (rotated
// to `output.log.1` at half the output cap) and `files/` (the working directory, the job's cwd);
// uploaded components in `<dataDir>/jobs/components/<cid>`, hard-linked into the jobs that use
// them, so a component is sent once and dropped when no remembered job has it.
import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { checkJobInfo } from './protocol.js'
import type { JobInfo } from './interface.js'

const FINISHED = new Set(['succeeded', 'failed', 'stopped'])

/** Whether a job has ended. */
export function isFinished (job: JobInfo): boolean {
  return FINISHED.has(job.state)
}

/** A fresh submission id, as Ray's `raysubmit_...`: `job-submit-` and 16 hex digits. */
export function newSubmissionId (): string {
  return `job-submit-${randomBytes(8).toString('hex')}`
}

export class JobStore {
  readonly root: string
  readonly components: string
  private readonly jobs = new Map<string, JobInfo>()
  /** Open output logs of running jobs: fd and bytes in the current part. */
  private readonly logs = new Map<string, { fd: number, bytes: number }>()

  constructor (dataDir: string, private readonly limits: { maxFinished: number, maxOutputBytes: number }) {
    this.root = path.join(dataDir, 'jobs')
    this.components = path.join(this.root, 'components')
  }

  /** Read the jobs earlier runs left; those that were still pending or running are marked failed (the node stopped under them). */
  load (): void {
    fs.mkdirSync(this.components, { recursive: true })
    for (const name of fs.readdirSync(this.root)) {
      if (!name.startsWith('job-submit-')) continue
      let job: JobInfo
      try {
        job = checkJobInfo(JSON.parse(fs.readFileSync(path.join(this.root, name, 'status.json'), 'utf8')))
      } catch {
        // A job dir without a readable status (the node died while creating it): drop it.
        fs.rmSync(path.join(this.root, name), { recursive: true, force: true })
        continue
      }
      if (!isFinished(job)) {
        job = { ...job, state: 'failed', endedAt: Date.now(), message: 'the node stopped while the job ran' }
        this.writeStatus(job)
      }
      this.jobs.set(job.id, job)
    }
    this.prune()
  }

  dir (id: string): string { return path.join(this.root, id) }
  filesDir (id: string): string { return path.join(this.root, id, 'files') }
  logPath (id: string): string { return path.join(this.root, id, 'output.log') }

  get (id: string): JobInfo | undefined { return this.jobs.get(id) }

  /** Every job, newest first. */
  list (): JobInfo[] {
    return [...this.jobs.values()].sort((a, b) => b.submittedAt - a.submittedAt)
  }

  running (): number {
    let n = 0
    for (const j of this.jobs.values()) if (!isFinished(j)) n++
    return n
  }

  /** Record a new job (its directory made) and keep its status on disk from now on. */
  create (job: JobInfo): void {
    fs.mkdirSync(this.filesDir(job.id), { recursive: true })
    this.jobs.set(job.id, job)
    this.writeStatus(job)
  }

  /** Change a job's status (written through to status.json). */
  update (id: string, change: Partial<JobInfo>): JobInfo {
    const job = { ...this.jobs.get(id)!, ...change }
    this.jobs.set(id, job)
    this.writeStatus(job)
    if (isFinished(job)) {
      this.closeLog(id)
      this.prune()
    }
    return job
  }

  /** Forget a job that never started (its upload failed). */
  discard (id: string): void {
    this.closeLog(id)
    this.jobs.delete(id)
    this.removeDir(id)
  }

  /** Append output; the log rotates at half the cap, so at most the cap is kept. Synchronous, so a reader that reads the file and then subscribes misses nothing. */
  appendOutput (id: string, data: Uint8Array): void {
    let log = this.logs.get(id)
    const half = Math.max(1, Math.floor(this.limits.maxOutputBytes / 2))
    if (log !== undefined && log.bytes + data.byteLength > half) {
      fs.closeSync(log.fd)
      fs.renameSync(this.logPath(id), this.logPath(id) + '.1')
      log = undefined
      this.logs.delete(id)
    }
    if (log === undefined) {
      const file = this.logPath(id)
      log = { fd: fs.openSync(file, 'a'), bytes: fs.existsSync(file) ? fs.statSync(file).size : 0 }
      this.logs.set(id, log)
    }
    // One chunk larger than half the cap keeps only its end.
    const kept = data.byteLength > half ? data.subarray(data.byteLength - half) : data
    fs.writeSync(log.fd, kept)
    log.bytes += kept.byteLength
  }

  /** The output kept so far (the rotated part, then the current one). */
  readOutput (id: string): Buffer {
    const parts = [this.logPath(id) + '.1', this.logPath(id)].filter(f => fs.existsSync(f)).map(f => fs.readFileSync(f))
    return Buffer.concat(parts)
  }

  /** Put a received component into the shared store (named by its CID) and link it at `dest`. */
  linkComponent (cid: string, dest: string): void {
    const stored = path.join(this.components, cid)
    fs.mkdirSync(path.dirname(dest), { recursive: true })
    try {
      fs.linkSync(stored, dest)
    } catch {
      fs.copyFileSync(stored, dest)
    }
  }

  /** Whether the store has component `cid` (of `size` bytes, when given: a copy changed in place is not taken). */
  hasComponent (cid: string, size?: number): boolean {
    try {
      const stat = fs.statSync(path.join(this.components, cid))
      return size === undefined || stat.size === size
    } catch {
      return false
    }
  }

  stop (): void {
    for (const id of [...this.logs.keys()]) this.closeLog(id)
  }

  private closeLog (id: string): void {
    const log = this.logs.get(id)
    if (log === undefined) return
    this.logs.delete(id)
    fs.closeSync(log.fd)
  }

  private writeStatus (job: JobInfo): void {
    const file = path.join(this.dir(job.id), 'status.json')
    fs.writeFileSync(file + '.tmp', JSON.stringify(job, null, 2))
    fs.renameSync(file + '.tmp', file)
  }

  /** Forget the oldest finished jobs beyond the limit, then components no remembered job links to. */
  private prune (): void {
    const finished = this.list().filter(isFinished)
    for (const job of finished.slice(this.limits.maxFinished)) {
      this.jobs.delete(job.id)
      this.removeDir(job.id)
    }
    let names: string[] = []
    try { names = fs.readdirSync(this.components) } catch { return }
    for (const name of names) {
      const file = path.join(this.components, name)
      try {
        // Linked nowhere else (a copy fallback is not counted: the copy lives on with its job).
        if (fs.statSync(file).nlink <= 1) fs.rmSync(file, { force: true })
      } catch { /* gone already */ }
    }
  }

  private removeDir (id: string): void {
    fs.rmSync(this.dir(id), { recursive: true, force: true })
  }
}
