// `/fabric/task/1`: run tasks of components on the node that accepts the stream. A caller keeps
// one long-lived stream (a session) per node and sends any number of requests on it; results come
// back tagged with their request's id, in the order they finish. Length-prefixed CBOR frames:
//
//   client: { type: 'run', id, component, name, args, timeoutMs?, options?, refs?, job? }
//           job: the caller's job key (runtime/job.ts): the node pulls the task's objects and its
//           component presenting it, and keeps the results for that job
//           component: a CID; args: CBOR bytes; options: { cpus, gpus, memoryMb, resources,
//           maxRetries, retryExceptions, memo }; refs: [{ index, cid, size, holders }], arguments the
//           node pulls by CID from the nodes holding them (args[index] is null)
//           spilled?: times nodes already sent it back (a node spills back only below MAX_SPILLBACKS)
//   server: { type: 'spillback', id, to?, reason }                     not taken: place it again (on `to`, a
//           node with room as this node last heard); nothing runs here
//   server: { type: 'result', id, ok: true, value }                    value: CBOR bytes (small results)
//       or: { type: 'result', id, ok: true, object: { cid, size } }    a large result, kept by the node
//           (either may carry copies: [cid], object arguments the node pulled and keeps too; a value
//           may carry nested: [{ id, value } | { id, cid, size }], the refs inside it, by the node's ids)
//       or: { type: 'result', id, ok: false, error: { name, message, retryable, kind? } }
//
//   server: { type: 'item', id, value | object }                       each item of a generator, before its result
//   client: { type: 'cancel', id }                                     stop that task (its result: TaskCancelledError; no reply if it is done)
//   client: { type: 'describe', id, component, job? }                  the component's manifest
//   server: { type: 'result', id, ok: true, value }                    value: CBOR { sdk, tasks, actors }
//   client: { type: 'release', cids, counts? }                         drop objects this client owns there
//   server: { type: 'released', count }
//
// The server fetches a component it lacks from the requesting peer over /fabric/object/1 (so
// components travel as objects) and runs the task on its own runtime. A request that is too large
// or invalid gets an error result and the stream ends. When the stream breaks (the caller died or
// its connection went) the tasks it sent are cancelled: work never outlives its caller unnoticed.
// Over 500 lines: the message schema above, its validation, the serving side and the client side
// (sessions, release) share the frame and message types and stay in step; each part is short.
import './polyfill.js'
import type { Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { MAX_NESTED_REFS, MAX_SPILLBACK_REASON_CHARS, MAX_SPILLBACKS, MAX_TASK_REPLY_BYTES, MAX_TASK_REQUEST_BYTES, TASK_MAX_INBOUND_STREAMS, TASK_MAX_IN_FLIGHT_PER_STREAM, TASK_OPEN_TIMEOUT_MS, TASK_PROTOCOL } from './constants.js'
import { MalformedMessageError, PeerUnreachableError, SpilledBackError } from './errors.js'
import { FrameWriter, frameStream } from './frames.js'
import { decodeCborMap, encode, encodeFrame, jobField } from './messages.js'
import { Cancel, abortSignalOf, deserializeError, serializeError, type Abortable, type SerializedError } from '../errors/index.js'
import { parseCid } from '../objects/cid.js'
import type { NestedRef, NetNodeInit, RefArg, RemoteTask, ResultRef, Spillback, TaskOutcome } from './interface.js'

/** A task to run, as it travels (see {@link RemoteTask}). */
export type RemoteTaskRequest = RemoteTask

/** What runs tasks on a node: given by the runtime to the net node. */
export type TaskExecutor = NonNullable<NetNodeInit['tasks']>

/** Option names a run request may carry (their values are checked by the node's runtime). */
const TASK_OPTION_KEYS = ['cpus', 'gpus', 'memoryMb', 'resources', 'maxRetries', 'retryExceptions', 'memo']
const TASK_OPTION_KEY_SET: ReadonlySet<string> = new Set(TASK_OPTION_KEYS)
/** The keys a run request may have. */
const RUN_KEYS: ReadonlySet<string> = new Set(['type', 'id', 'component', 'name', 'args', 'timeoutMs', 'options', 'refs', 'nested', 'spilled', 'job'])

/** Whether every own key of `o` is one of `keys` (without an array of its keys). */
function onlyKeys (o: object, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (!keys.has(k)) return false
  return true
}

const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

/**
 * A release request: drop objects the client owns on the node. The node counts each time it kept
 * a CID for the client (each result or copy it reported); `counts[i]` of those are dropped for
 * `cids[i]` (1 without counts), so a release sent while another task was making the same bytes
 * drops only the keeps the client knew of.
 */
export interface ReleaseRequest { type: 'release', cids: string[], counts?: number[] }

/** A describe request: the manifest of a component (its tasks and actor classes), answered as a result. */
export interface DescribeRequest { type: 'describe', id: string, component: string, job?: string }

/** A cancel request: stop the task sent on this stream with this id (its result says it was cancelled). */
export interface CancelRequest { type: 'cancel', id: string }

/** Most CIDs one release request may name. */
export const MAX_RELEASE_CIDS = 4096

/** Validate a run or release request. */
export function decodeTaskRequest (bytes: Uint8Array): RemoteTaskRequest | ReleaseRequest | DescribeRequest | CancelRequest {
  const o = decodeCborMap(bytes, 'task request')
  if (o.type === 'cancel') {
    if (Object.keys(o).some(k => !['type', 'id'].includes(k)) || !isStr(o.id, 128)) throw new MalformedMessageError("cancel request must be { type: 'cancel', id }")
    return { type: 'cancel', id: o.id }
  }
  const job = jobField(o, 'task request')
  if (o.type === 'describe') {
    if (Object.keys(o).some(k => !['type', 'id', 'component', 'job'].includes(k)) || !isStr(o.id, 128) || !isStr(o.component, 128)) {
      throw new MalformedMessageError("describe request must be { type: 'describe', id, component, job? }")
    }
    parseCid(o.component)
    return { type: 'describe', id: o.id, component: o.component, ...job }
  }
  if (o.type === 'release') {
    if (Object.keys(o).some(k => !['type', 'cids', 'counts'].includes(k)) || !Array.isArray(o.cids) || o.cids.length > MAX_RELEASE_CIDS || !o.cids.every(c => isStr(c, 128))) {
      throw new MalformedMessageError(`release request must be { type: 'release', cids, counts? } with at most ${MAX_RELEASE_CIDS} CIDs`)
    }
    if (o.counts !== undefined && (!Array.isArray(o.counts) || o.counts.length !== o.cids.length || !o.counts.every(n => isUint(n) && n >= 1))) {
      throw new MalformedMessageError('release request: counts must be one positive integer per CID')
    }
    for (const c of o.cids as string[]) parseCid(c)
    return { type: 'release', cids: o.cids as string[], ...(o.counts === undefined ? {} : { counts: o.counts as number[] }) }
  }
  if (o.type !== 'run' || !onlyKeys(o, RUN_KEYS)) {
    throw new MalformedMessageError("task request must be { type: 'run', id, component, name, args, timeoutMs?, options?, refs?, nested?, spilled?, job? }, { type: 'describe', id, component, job? }, { type: 'cancel', id } or { type: 'release', cids }")
  }
  if (!isStr(o.id, 128)) throw new MalformedMessageError('task request: id must be a string of 1-128 chars')
  if (!isStr(o.component, 128)) throw new MalformedMessageError('task request: component must be a CID string')
  parseCid(o.component)
  if (!isStr(o.name, 256)) throw new MalformedMessageError('task request: name must be a string of 1-256 chars')
  if (!(o.args instanceof Uint8Array)) throw new MalformedMessageError('task request: args must be CBOR bytes')
  if (o.spilled !== undefined && (!isUint(o.spilled) || o.spilled > MAX_SPILLBACKS)) throw new MalformedMessageError(`task request: spilled must be an integer from 0 to ${MAX_SPILLBACKS}`)
  if (o.timeoutMs !== undefined && (typeof o.timeoutMs !== 'number' || !Number.isSafeInteger(o.timeoutMs) || o.timeoutMs <= 0)) throw new MalformedMessageError('task request: timeoutMs must be a positive integer')
  const options = o.options
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null || Array.isArray(options) || options instanceof Uint8Array) throw new MalformedMessageError('task request: options must be a map')
    const unknown = onlyKeys(options, TASK_OPTION_KEY_SET) ? [] : Object.keys(options).filter(k => !TASK_OPTION_KEYS.includes(k))
    if (unknown.length > 0) throw new MalformedMessageError(`task request: unknown option ${unknown.join(', ')} (known: ${TASK_OPTION_KEYS.join(', ')})`)
  }
  const refs = o.refs === undefined ? undefined : decodeRefArgs(o.refs)
  const nested = o.nested === undefined ? undefined : decodeNested(o.nested)
  // Field by field: a node decodes one per task it serves.
  const req: RemoteTaskRequest = { type: 'run', id: o.id, component: o.component, name: o.name, args: o.args }
  if (o.timeoutMs !== undefined) req.timeoutMs = o.timeoutMs
  if (options !== undefined) req.options = options as Record<string, unknown>
  if (refs !== undefined) req.refs = refs
  if (nested !== undefined) req.nested = nested
  if (o.spilled !== undefined) req.spilled = o.spilled
  if (job.job !== undefined) req.job = job.job
  return req
}

/** Validate the `nested` list of a request (`what` names it in errors: "task request"). */
export function decodeNested (v: unknown, what = 'task request'): NestedRef[] {
  if (!Array.isArray(v) || v.length > MAX_NESTED_REFS) throw new MalformedMessageError(`${what}: nested must be a list of at most ${MAX_NESTED_REFS}`)
  return v.map((r, i) => {
    const o = r as Record<string, unknown>
    const shape = `${what}: nested[${i}] must be { id, value } or { id, cid, size, holders } with 1-${MAX_HOLDERS} holders`
    if (typeof r !== 'object' || r === null || Array.isArray(r) || r instanceof Uint8Array || !isStr(o.id, 128)) throw new MalformedMessageError(shape)
    if (o.value instanceof Uint8Array && Object.keys(o).every(k => ['id', 'value'].includes(k))) return { id: o.id, value: o.value }
    if (!Object.keys(o).every(k => ['id', 'cid', 'size', 'holders'].includes(k)) || !isStr(o.cid, 128) || !isUint(o.size) || !Array.isArray(o.holders) || o.holders.length === 0 || o.holders.length > MAX_HOLDERS || !o.holders.every(h => isStr(h, 128))) {
      throw new MalformedMessageError(shape)
    }
    parseCid(o.cid)
    return { id: o.id, cid: o.cid, size: o.size, holders: o.holders as string[] }
  })
}

/** Most object arguments one task may have, and holders named per argument. */
const MAX_REF_ARGS = 256
const MAX_HOLDERS = 16

function decodeRefArgs (v: unknown): RefArg[] {
  if (!Array.isArray(v) || v.length > MAX_REF_ARGS) throw new MalformedMessageError(`task request: refs must be a list of at most ${MAX_REF_ARGS}`)
  return v.map((r, i) => {
    const ok = typeof r === 'object' && r !== null && !Array.isArray(r) && !(r instanceof Uint8Array) &&
      Object.keys(r).every(k => ['index', 'cid', 'size', 'holders'].includes(k))
    const o = r as Record<string, unknown>
    if (!ok || !isUint(o.index) || !isStr(o.cid, 128) || !isUint(o.size) || !Array.isArray(o.holders) || o.holders.length === 0 || o.holders.length > MAX_HOLDERS || !o.holders.every(h => isStr(h, 128))) {
      throw new MalformedMessageError(`task request: refs[${i}] must be { index, cid, size, holders } with 1-${MAX_HOLDERS} holder PeerIds`)
    }
    parseCid(o.cid)
    return { index: o.index, cid: o.cid, size: o.size, holders: o.holders as string[] }
  })
}

/**
 * Serve one inbound task stream: a session of requests. Each `run` is accepted at once and run
 * concurrently with the others; results go back as they finish, each tagged with its id. The
 * session ends when the caller closes its side (after the pending results are sent), or on a bad
 * frame (an error result without an id, then the stream is reset).
 */
export async function serveTaskStream (stream: Stream, from: PeerId, executor: TaskExecutor, log: Logger): Promise<void> {
  const lp = frameStream(stream, MAX_TASK_REQUEST_BYTES)
  const caller = from.toString()
  // Replies go out in the order they are ready, those of one turn of the event loop together.
  const writer = new FrameWriter(stream, err => { log('task session write failed - %e', err) })
  const send = (frame: Record<string, unknown>): void => { writer.write(encodeFrame(frame)) }
  const pending = new Set<Promise<void>>()
  /** Cancellers of the tasks running on this stream, by id. */
  const running = new Map<string, Cancel>()
  for (let first = true; ; first = false) {
    let req: RemoteTaskRequest | ReleaseRequest | DescribeRequest | CancelRequest
    try {
      // The first request must come soon; later ones whenever the caller has work.
      req = decodeTaskRequest((await lp.read(first ? { signal: AbortSignal.timeout(30_000) } : {})).subarray())
      if (req.type === 'run' && pending.size >= TASK_MAX_IN_FLIGHT_PER_STREAM) throw new MalformedMessageError(`more than ${TASK_MAX_IN_FLIGHT_PER_STREAM} tasks in flight on one task stream`)
    } catch (err) {
      if (!first && (err as Error).name === 'UnexpectedEOFError' && stream.status === 'open') {
        // The caller closed its side: answer what is still running, then end.
        await Promise.all(pending)
        await writer.flushed()
        await stream.close().catch(() => { stream.abort(new Error('closing')) })
        return
      }
      if (stream.status !== 'open') {
        // Reset, or the connection went: nobody to answer, and nobody to want the work.
        for (const c of running.values()) c.abort()
        return
      }
      log('refusing a task stream - %e', err)
      const error = (err as Error).name === 'TimeoutError' ? new MalformedMessageError('no task request in 30 s') : err
      await writer.flushed()
      await lp.write(encode({ type: 'result', id: '', ok: false, error: serializeError(error) }), { signal: AbortSignal.timeout(1000) }).catch(() => {})
      stream.abort(err as Error)
      return
    }
    if (req.type === 'release') {
      send({ type: 'released', count: executor.release(req.cids, caller, req.counts) })
      continue
    }
    if (req.type === 'cancel') {
      running.get(req.id)?.abort()
      continue
    }
    let done: Promise<void>
    if (req.type === 'describe') {
      const { id, component } = req
      done = executor.describe(component, caller, req.job).then(
        manifest => { send({ type: 'result', id, ok: true, value: encode(manifest) }) },
        err => { send({ type: 'result', id, ok: false, error: serializeError(err) }) }
      )
    } else {
      // A full node (or one that cannot run it) sends the task back, naming a node with room.
      const spill = (req.spilled ?? 0) < MAX_SPILLBACKS ? admit(executor, req, caller, log) : undefined
      if (spill !== undefined) {
        send({ type: 'spillback', id: req.id, reason: spill.reason.slice(0, MAX_SPILLBACK_REASON_CHARS), ...(spill.to === undefined ? {} : { to: spill.to }) })
        continue
      }
      const id = req.id
      const cancel = new Cancel()
      running.set(id, cancel)
      // A generator's items go out as they come, before its result.
      done = runOne(executor, req, caller, item => { send({ type: 'item', id, ...item }) }, cancel).then(send).finally(() => running.delete(id))
    }
    const settled: Promise<void> = done.finally(() => pending.delete(settled))
    pending.add(settled)
  }
}

/** The executor's admission decision; a faulty one takes the task (a spillback is an optimisation). */
function admit (executor: TaskExecutor, req: RemoteTaskRequest, caller: string, log: Logger): Spillback | undefined {
  try {
    return executor.admit?.(req, caller)
  } catch (err) {
    log.error('task admission failed, taking the task - %e', err)
    return undefined
  }
}

/** Run one request and make its result frame. */
async function runOne (executor: TaskExecutor, req: RemoteTaskRequest, caller: string, onItem: (item: TaskOutcome) => void, signal: Abortable): Promise<Record<string, unknown>> {
  try {
    const outcome = await executor.run(req, caller, onItem, signal)
    const copies = outcome.copies === undefined || outcome.copies.length === 0 ? {} : { copies: outcome.copies }
    if ('object' in outcome) return { type: 'result', id: req.id, ok: true, object: outcome.object, ...copies }
    const value = outcome.value
    const nested = outcome.nested === undefined || outcome.nested.length === 0 ? {} : { nested: outcome.nested }
    const size = replyBytes(value, outcome.nested)
    return size > MAX_TASK_REPLY_BYTES - 1024
      ? { type: 'result', id: req.id, ok: false, error: serializeError(new MalformedMessageError(`the result of ${req.name} is ${size} bytes (with the values of the refs inside it), over the ${MAX_TASK_REPLY_BYTES}-byte reply limit`)) }
      : { type: 'result', id: req.id, ok: true, value, ...copies, ...nested }
  } catch (err) {
    return { type: 'result', id: req.id, ok: false, error: serializeError(err) }
  }
}

/** Options of {@link TaskSessions.run}. */
export interface RunRemoteTaskOptions {
  signal?: Abortable
  /** Items of a generator task, in order, as they arrive (before the result). */
  onItem?: (item: TaskOutcome) => void
}

type Target = PeerId | Multiaddr

/** A result frame as a task outcome, or the task's error. */
function outcomeOf (o: Record<string, unknown>): TaskOutcome {
  let copies: { copies?: string[] } = {}
  if (o.copies !== undefined) {
    if (!Array.isArray(o.copies) || o.copies.length > MAX_REF_ARGS || !o.copies.every(c => isStr(c, 128))) throw new MalformedMessageError('task reply: copies must be a list of CIDs')
    copies = { copies: o.copies as string[] }
  }
  if (o.ok === true && o.value instanceof Uint8Array) return { value: o.value, ...copies, ...(o.nested === undefined ? {} : { nested: decodeResultRefs(o.nested) }) }
  if (o.ok === true && typeof o.object === 'object' && o.object !== null) {
    const obj = o.object as Record<string, unknown>
    if (!isStr(obj.cid, 128) || !isUint(obj.size)) throw new MalformedMessageError('task reply: object must be { cid, size }')
    parseCid(obj.cid)
    return { object: { cid: obj.cid, size: obj.size }, ...copies }
  }
  throw replyError(o)
}

/** About how many bytes a reply carrying `value` and the values of `nested` takes. */
export function replyBytes (value: Uint8Array, nested: ResultRef[] = []): number {
  return value.byteLength + nested.reduce((n, r) => n + ('value' in r ? r.value.byteLength : 0) + 256, 0)
}

/** Validate the `nested` list of a result (`what` names it in errors: "task reply"). */
export function decodeResultRefs (v: unknown, what = 'task reply'): ResultRef[] {
  if (!Array.isArray(v) || v.length > MAX_NESTED_REFS) throw new MalformedMessageError(`${what}: nested must be a list of at most ${MAX_NESTED_REFS}`)
  return v.map((r, i) => {
    const o = r as Record<string, unknown>
    const shape = `${what}: nested[${i}] must be { id, value }, { id, cid, size } or { id, error: { name, message } }`
    if (typeof r !== 'object' || r === null || Array.isArray(r) || r instanceof Uint8Array || !isStr(o.id, 128)) throw new MalformedMessageError(shape)
    if (o.value instanceof Uint8Array && Object.keys(o).every(k => ['id', 'value'].includes(k))) return { id: o.id, value: o.value }
    if (o.error !== undefined && Object.keys(o).every(k => ['id', 'error'].includes(k))) {
      const e = o.error as Record<string, unknown>
      if (typeof e !== 'object' || e === null || !isStr(e.name, 256) || typeof e.message !== 'string') throw new MalformedMessageError(shape)
      return { id: o.id, error: e as unknown as SerializedError }
    }
    if (!Object.keys(o).every(k => ['id', 'cid', 'size'].includes(k)) || !isStr(o.cid, 128) || !isUint(o.size)) throw new MalformedMessageError(shape)
    parseCid(o.cid)
    return { id: o.id, cid: o.cid, size: o.size }
  })
}

/** The error a failed result (or a refusal) carries. */
function replyError (o: Record<string, unknown>): Error {
  const e = o.error as SerializedError | undefined
  if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof e.message !== 'string') return new MalformedMessageError('task reply without a value or an error')
  return deserializeError(e)
}

/** A request of a session waiting for its result. */
interface PendingCall {
  resolve: (o: TaskOutcome) => void
  reject: (e: Error) => void
  onItem: ((item: TaskOutcome) => void) | undefined
  signal: Abortable | undefined
  /** Its listener on `signal` while it waits. */
  onAbort: (() => void) | undefined
}

/** Why an aborted call failed: the signal's reason, or an AbortError. */
function abortReason (signal: Abortable): Error {
  return (signal.reason ?? new DOMException('aborted', 'AbortError')) as Error
}

/** One long-lived task stream to one node: requests in order, results by id. */
class TaskSession {
  readonly ended: Promise<void>
  private readonly pending = new Map<string, PendingCall>()
  private readonly writer: FrameWriter
  private nextId = 0
  private failure?: Error
  private endResolve!: () => void

  constructor (private readonly target: Target, private readonly stream: Stream, private readonly lp: ReturnType<typeof frameStream>) {
    this.ended = new Promise(resolve => { this.endResolve = resolve })
    this.writer = new FrameWriter(stream, err => { this.fail(this.broke(err)) })
    void this.readLoop()
  }

  get alive (): boolean {
    return this.failure === undefined
  }

  run (req: RemoteTaskRequest | DescribeRequest, signal?: Abortable, onItem?: (item: TaskOutcome) => void): Promise<TaskOutcome> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    // Aborted already: never sent.
    if (signal?.aborted === true) return Promise.reject(abortReason(signal))
    // Ids on the wire are this session's own: a task resubmitted to the same node never collides.
    const id = String(this.nextId++)
    let call!: PendingCall
    // No async frame, no await per task: the call settles from the read loop (or the abort below).
    const result = new Promise<TaskOutcome>((resolve, reject) => { call = { resolve, reject, onItem, signal, onAbort: undefined } })
    this.pending.set(id, call)
    this.writer.write(encodeFrame({ ...req, id }))
    if (signal !== undefined) {
      // An aborted wait stops waiting and asks the node to cancel the task (its result is dropped).
      call.onAbort = () => {
        if (this.pending.get(id) !== call) return
        this.pending.delete(id)
        if (req.type === 'run' && this.failure === undefined) this.writer.write(encode({ type: 'cancel', id }))
        call.reject(abortReason(signal))
      }
      signal.addEventListener('abort', call.onAbort, { once: true })
    }
    return result
  }

  /** Take call `id` out of the pending ones (its abort listener off): undefined when none waits. */
  private take (id: string): PendingCall | undefined {
    const call = this.pending.get(id)
    if (call === undefined) return undefined
    this.pending.delete(id)
    if (call.onAbort !== undefined) call.signal!.removeEventListener('abort', call.onAbort)
    return call
  }

  close (): void {
    this.fail(new PeerUnreachableError(`the task session with ${this.target.toString()} was closed`))
    this.stream.abort(new Error('closing'))
  }

  private async readLoop (): Promise<void> {
    try {
      for (;;) {
        const o = decodeCborMap((await this.lp.read()).subarray(), 'task reply')
        // Nodes before issue 18 acknowledged each request with { type: 'accepted', id }: nothing to do.
        if (o.type === 'accepted') continue
        if (o.type === 'spillback' && typeof o.id === 'string') {
          if ((o.to !== undefined && !isStr(o.to, 128)) || !isStr(o.reason, 1024)) throw new MalformedMessageError('task reply: spillback must be { type, id, reason, to? }')
          const call = this.take(o.id)
          if (call === undefined) continue
          call.reject(new SpilledBackError(`${this.target.toString()} sent the task back: ${o.reason}`, o.to === undefined ? {} : { to: o.to }))
          continue
        }
        if (o.type === 'item' && typeof o.id === 'string') {
          const call = this.pending.get(o.id)
          if (call === undefined) continue // its caller stopped waiting (items may still be on the way)
          if (call.onItem === undefined) throw new MalformedMessageError(`a stream item for request ${o.id}, which does not stream`)
          call.onItem(outcomeOf({ ...o, ok: true }))
          continue
        }
        if (o.type !== 'result' || typeof o.id !== 'string') throw new MalformedMessageError(`unexpected task reply type ${String(o.type)}`)
        if (o.id === '') {
          // The node refused the session (a bad frame): it carries the reason.
          throw replyError(o)
        }
        const call = this.take(o.id)
        if (call === undefined) continue // its caller stopped waiting
        try {
          call.resolve(outcomeOf(o))
        } catch (err) {
          call.reject(err as Error)
        }
      }
    } catch (err) {
      const known = err instanceof Error && ['MalformedMessageError', 'InvalidCidError'].includes(err.name)
      this.fail(known ? err : this.broke(err))
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  // Transport failures (the node died, the stream was reset; libp2p may reject with a bare Event)
  // become PeerUnreachableError: the caller may run the task elsewhere.
  private broke (err: unknown): PeerUnreachableError {
    return new PeerUnreachableError(`the task stream to ${this.target.toString()} broke: ${err instanceof Error ? err.message : String((err as { type?: unknown })?.type ?? err)}`, { cause: err })
  }

  private fail (err: Error): void {
    if (this.failure !== undefined) return
    this.failure = err
    for (const id of [...this.pending.keys()]) this.take(id)!.reject(err)
    this.endResolve()
  }
}


/**
 * The task streams of a caller: one session per node, opened on first use and again after it
 * ends. Many tasks share a stream (no stream setup per task).
 */
export class TaskSessions {
  private readonly sessions = new Map<string, Promise<TaskSession>>()
  /** The sessions open now, by target: a task goes straight to its node's (no promise awaited per task). */
  private readonly live = new Map<string, TaskSession>()

  constructor (private readonly libp2p: Libp2p) {}

  /**
   * Run a task on the node at `target` and return its outcome.
   *
   * @throws PeerUnreachableError (retryable) when the node cannot be reached or the stream breaks
   * @throws the task's own error (deserialized: TaskError with `kind`, GuestTrapError, ...) when it fails there
   */
  async run (target: Target, req: RemoteTaskRequest, options: RunRemoteTaskOptions = {}): Promise<TaskOutcome> {
    const open = this.live.get(target.toString())
    const session = open?.alive === true ? open : await this.session(target, options.signal)
    return await session.run(req, options.signal, options.onItem)
  }

  /** The manifest of component `cid` (the node pulls the component from this caller when it lacks it). */
  async describe (target: Target, cid: string, options: RunRemoteTaskOptions & { job?: string } = {}): Promise<TaskOutcome> {
    const session = await this.session(target, options.signal)
    return await session.run({ type: 'describe', id: '0', component: cid, ...(options.job === undefined ? {} : { job: options.job }) }, options.signal)
  }

  private async session (target: Target, signal?: Abortable): Promise<TaskSession> {
    const key = target.toString()
    const existing = this.sessions.get(key)
    if (existing !== undefined) {
      const s = await existing.catch(() => undefined)
      if (s?.alive === true) return s
      if (this.sessions.get(key) === existing) this.sessions.delete(key)
    }
    let opening = this.sessions.get(key)
    if (opening === undefined) {
      opening = this.open(target, signal)
      this.sessions.set(key, opening)
      opening.then(s => {
        this.live.set(key, s)
        void s.ended.then(() => {
          if (this.sessions.get(key) === opening) this.sessions.delete(key)
          if (this.live.get(key) === s) this.live.delete(key)
        })
      }, () => { if (this.sessions.get(key) === opening) this.sessions.delete(key) })
    }
    return await opening
  }

  private async open (target: Target, signal?: Abortable): Promise<TaskSession> {
    let stream: Stream
    try {
      stream = await this.libp2p.dialProtocol(target, TASK_PROTOCOL, { signal: abortSignalOf(signal, TASK_OPEN_TIMEOUT_MS), maxOutboundStreams: TASK_MAX_INBOUND_STREAMS })
    } catch (err) {
      throw new PeerUnreachableError(`cannot open ${TASK_PROTOCOL} to ${target.toString()}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    return new TaskSession(target, stream, frameStream(stream, MAX_TASK_REPLY_BYTES))
  }

  /** End every session (pending tasks fail with PeerUnreachableError). */
  close (): void {
    for (const p of this.sessions.values()) void p.then(s => s.close(), () => {})
    this.sessions.clear()
    this.live.clear()
  }
}

/**
 * Ask the node at `target` to drop objects this node owns there. Resolves to how many it dropped.
 *
 * @throws PeerUnreachableError when the node cannot be reached
 */
export async function releaseRemoteObjects (libp2p: Libp2p, target: PeerId | Multiaddr, cids: string[], options: RunRemoteTaskOptions & { counts?: number[] } = {}): Promise<number> {
  const signal = abortSignalOf(options.signal, 5000)
  let stream: Stream
  try {
    stream = await libp2p.dialProtocol(target, TASK_PROTOCOL, { signal, maxOutboundStreams: TASK_MAX_INBOUND_STREAMS })
  } catch (err) {
    throw new PeerUnreachableError(`cannot open ${TASK_PROTOCOL} to ${target.toString()}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  try {
    const lp = frameStream(stream, MAX_TASK_REPLY_BYTES)
    await lp.write(encode(options.counts === undefined ? { type: 'release', cids } : { type: 'release', cids, counts: options.counts }), { signal })
    const o = decodeCborMap((await lp.read({ signal })).subarray(), 'release reply')
    await stream.close().catch(() => {})
    if (o.type !== 'released' || !isUint(o.count)) throw new MalformedMessageError('release reply must be { type: \'released\', count }')
    return o.count
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
