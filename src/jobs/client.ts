// The client side of `/fabric/jobs/1` (`fabric submit`, `fabric jobs`): a throwaway libp2p
// client (net's status client) that submits a working directory and reads jobs' status and output.
import fs from 'node:fs'
import type { Stream } from '@libp2p/interface'
import { createStatusClient, type StatusClient } from '../net/status-client.js'
import { frameStream } from '../net/frames.js'
import type { FrameStream } from '../net/frame-reader.js'
import { encode } from '../net/messages.js'
import { PeerUnreachableError } from '../net/errors.js'
import { JOBS_PROTOCOL, MAX_JOBS_DATA_BYTES, MAX_JOBS_REPLY_BYTES, MAX_JOBS_REQUEST_BYTES } from './constants.js'
import { decodeJobsReply } from './protocol.js'
import type { JobInfo, JobsReply, JobsRequest } from './interface.js'
import type { Upload } from './upload.js'

export interface SubmitOptions {
  name?: string
  args?: string[]
  /** Stream the output and resolve when the job ends (else resolve once it starts). @default true */
  wait?: boolean
  /** Bytes sent so far of those the node needs (called as they go). */
  onProgress?: (sent: number, total: number) => void
  /** The job started (its submission id is known). */
  onStarted?: (job: JobInfo) => void
  onOutput?: (fd: 1 | 2, data: Uint8Array) => void
}

export interface JobsClient {
  /** Submit a working directory and driver; resolves the job as it ended (wait) or started. @throws JobRefusedError, PeerUnreachableError */
  submit: (addr: string, upload: Upload, options?: SubmitOptions) => Promise<JobInfo>
  list: (addr: string) => Promise<{ jobs: JobInfo[], truncated: boolean }>
  status: (addr: string, id: string) => Promise<JobInfo>
  /** The job's output so far (and, with `follow`, until it ends); resolves its status then. */
  logs: (addr: string, id: string, options: { follow: boolean, onOutput: (fd: 1 | 2, data: Uint8Array) => void }) => Promise<JobInfo>
  /** Stop the job (SIGTERM, SIGKILL after the node's grace); resolves its final status. */
  stopJob: (addr: string, id: string) => Promise<JobInfo>
  /** Idempotent. */
  close: () => Promise<void>
}

/** A jobs client over a fresh libp2p client (`swarmKey`: a private fabric's key). */
export async function createJobsClient (init: { swarmKey?: Uint8Array, timeoutMs?: number } = {}): Promise<JobsClient> {
  const net = await createStatusClient({ swarmKey: init.swarmKey })
  return new Client(net, init.timeoutMs ?? 30_000)
}

class Client implements JobsClient {
  constructor (private readonly net: StatusClient, private readonly timeoutMs: number) {}

  private async open (addr: string, req: JobsRequest): Promise<{ stream: Stream, lp: FrameStream }> {
    const stream = await this.net.dial(addr, JOBS_PROTOCOL, { signal: AbortSignal.timeout(this.timeoutMs) })
    const lp = frameStream(stream, MAX_JOBS_REPLY_BYTES)
    const bytes = encode(req)
    if (bytes.byteLength > MAX_JOBS_REQUEST_BYTES) {
      stream.abort(new Error('request too large'))
      throw new RangeError(`the request is ${bytes.byteLength} bytes, over the protocol's ${MAX_JOBS_REQUEST_BYTES} (too many files or too long paths: submit a smaller --working-dir)`)
    }
    await lp.write(bytes, { signal: AbortSignal.timeout(this.timeoutMs) })
    return { stream, lp }
  }

  /** The next reply; `wait`: no time limit (output streams send keepalives). */
  private async next (lp: FrameStream, wait = false): Promise<JobsReply> {
    let frame
    try {
      frame = await lp.read(wait ? {} : { signal: AbortSignal.timeout(this.timeoutMs) })
    } catch (err) {
      throw new PeerUnreachableError(`the node's jobs stream ended early: ${(err as Error).message}`, { cause: err })
    }
    return decodeJobsReply(frame.subarray())
  }

  private async ask (addr: string, req: JobsRequest): Promise<JobsReply> {
    const { stream, lp } = await this.open(addr, req)
    try {
      const reply = await this.next(lp)
      await stream.close().catch(() => {})
      return reply
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  async submit (addr: string, upload: Upload, options: SubmitOptions = {}): Promise<JobInfo> {
    const wait = options.wait ?? true
    const { stream, lp } = await this.open(addr, {
      type: 'submit', entry: upload.entry, driver: upload.driver, args: options.args ?? [], wait,
      files: upload.files.map(({ source: _, ...f }) => f),
      ...(options.name === undefined ? {} : { name: options.name })
    })
    try {
      const need = expect(await this.next(lp), 'need')
      const files = need.files.map(i => upload.files[i]).filter(f => f !== undefined)
      const total = files.reduce((n, f) => n + f.size, 0)
      let sent = 0
      options.onProgress?.(0, total)
      try {
        for (const f of files) {
          for await (const piece of pieces(f.source)) {
            await lp.write(encode({ type: 'data', data: piece }), { signal: AbortSignal.timeout(this.timeoutMs) })
            sent += piece.byteLength
            options.onProgress?.(sent, total)
          }
        }
      } catch (err) {
        // The node may have refused mid-upload: its reason says more than the write's failure.
        let refusal: unknown
        await this.next(lp).catch(e => { refusal = e })
        if (refusal !== undefined && (refusal as Error).name !== 'PeerUnreachableError') throw refusal
        throw new PeerUnreachableError(`the upload failed: ${(err as Error).message}`, { cause: err })
      }
      const started = expect(await this.next(lp), 'started')
      options.onStarted?.(started.job)
      if (!wait) {
        await stream.close().catch(() => {})
        return started.job
      }
      return await this.output(lp, options.onOutput)
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  private async output (lp: FrameStream, onOutput?: (fd: 1 | 2, data: Uint8Array) => void): Promise<JobInfo> {
    for (;;) {
      const r = await this.next(lp, true)
      if (r.type === 'out') {
        if (r.data.byteLength > 0) onOutput?.(r.fd, r.data)
      } else {
        return expect(r, 'end').job
      }
    }
  }

  async list (addr: string): Promise<{ jobs: JobInfo[], truncated: boolean }> {
    const r = expect(await this.ask(addr, { type: 'list' }), 'jobs')
    return { jobs: r.jobs, truncated: r.truncated }
  }

  async status (addr: string, id: string): Promise<JobInfo> {
    return expect(await this.ask(addr, { type: 'status', id }), 'job').job
  }

  async logs (addr: string, id: string, options: { follow: boolean, onOutput: (fd: 1 | 2, data: Uint8Array) => void }): Promise<JobInfo> {
    const { stream, lp } = await this.open(addr, { type: 'logs', id, follow: options.follow })
    try {
      const job = await this.output(lp, options.onOutput)
      await stream.close().catch(() => {})
      return job
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  async stopJob (addr: string, id: string): Promise<JobInfo> {
    return expect(await this.ask(addr, { type: 'stop', id }), 'job').job
  }

  async close (): Promise<void> {
    await this.net.stop()
  }
}

function expect<T extends JobsReply['type']> (reply: JobsReply, type: T): Extract<JobsReply, { type: T }> {
  if (reply.type !== type) throw new PeerUnreachableError(`the node answered ${reply.type} where ${type} was due (a different version of the jobs protocol?)`)
  return reply as Extract<JobsReply, { type: T }>
}

/** A file's bytes in data-frame pieces, read as they go. */
async function * pieces (source: string | Uint8Array): AsyncGenerator<Uint8Array> {
  if (typeof source !== 'string') {
    for (let at = 0; at < source.byteLength; at += MAX_JOBS_DATA_BYTES) yield source.subarray(at, at + MAX_JOBS_DATA_BYTES)
    return
  }
  const fh = await fs.promises.open(source, 'r')
  try {
    for (;;) {
      const buf = new Uint8Array(MAX_JOBS_DATA_BYTES)
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, null)
      if (bytesRead === 0) return
      yield buf.subarray(0, bytesRead)
    }
  } finally {
    await fh.close()
  }
}
