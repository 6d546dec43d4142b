// `/fabric/actor/1`: an actor on another node, driven over one long-lived stream per handle.
// Length-prefixed CBOR frames:
//
//   client: { type: 'create', component, cls, args, options, nested?, job? }   or { type: 'attach', name, namespace?, job? } or { type: 'attach-id', actor, job? }   (first frame)
//           job: the caller's job key (see runtime/job.ts): objects it passes are pulled, and results kept, for that job
//   server: { type: 'created', actor, cls?, methods?, streaming? }   or { type: 'error', error }   (then the stream ends)
//           streaming: the methods (of `methods`) that are generators
//   client: { type: 'call', id, method, args, timeoutMs?, nested?, retries?, stream?, seq? }   any number; run in the order sent
//           seq: a durable actor's call number from its owner: a call its state already includes is answered from it, not run again
//           nested: refs inside the argument values and what they stand for, as in /fabric/task/1;
//           retries: how often the node may run this call again after a crash (else maxTaskRetries);
//           stream: true to call a generator method (its component's manifest lists it as streaming)
//   server: { type: 'retrying', id }                             the call crashed the actor, which restarted in place; it runs again
//   server: { type: 'item', id, value, nested? }                 a streaming call's values, in order, as the method yields them,
//           at most ACTOR_ITEMS_AHEAD (or ACTOR_ITEM_BYTES_AHEAD) waiting to be written (a slow reader slows the node's sending);
//           each within the reply limit; a retry in place does not send them again
//   server: { type: 'result', id, ok: true, value, nested? }     or { type: 'result', id, ok: false, error }   in any order
//           nested: refs inside the result value, as in /fabric/task/1 results; a streaming call's
//           value is the CBOR count of its values, and its error comes after the values yielded
//   client: { type: 'kill' }                                     the actor dies; pending calls get ActorDiedError results.
//           Honoured from the owner's session, or for a detached actor from a session attached by name
//           in its namespace; from any other session it is refused (an error frame: PermissionDeniedError)
//   server: { type: 'died', error }                              owner only: the actor died on the node by itself (crashed past its
//           restarts, its placement group's bundle released), after the results of the calls made; the client ends the session
//   server: { type: 'restarted', restarts }                      owner only: the node restarted the actor in place (a crash); restarts counts them
//   server: { type: 'snapshot', cid, holders }                   owner only, a durable actor: the snapshot its last call made (its manifest and the
//           nodes holding it), before that call's result; a restart elsewhere resumes from it (create option `restore`)
//
// The session that created an actor owns it: when that stream ends (the caller closed it, died, or
// its connection broke) the node kills the actor, so an actor never outlives its owner unnoticed
// (a detached actor excepted: it outlives its job, until killed by name within its namespace).
// A session attached (by name, or by the actor's id on the node) does not own the actor. Frames are validated and size-limited; a
// bad frame ends the session with an error frame. The owner is told of every restart the node
// makes in place, before the crashed call's result, so it can count them against the actor's one
// restart budget (see RemoteActor). Over 500 lines: the message schema, its validation, the
// serving side and the client's session share the frame types and stay in step.
import './polyfill.js'
import type { Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import type { FrameStream } from './frame-reader.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import { ACTOR_ITEM_BYTES_AHEAD, ACTOR_ITEMS_AHEAD, ACTOR_MAX_CALLS_IN_FLIGHT, ACTOR_MAX_INBOUND_STREAMS, ACTOR_OPEN_TIMEOUT_MS, ACTOR_PROTOCOL, MAX_ACTOR_REPLY_BYTES, MAX_ACTOR_REQUEST_BYTES } from './constants.js'
import { MalformedMessageError, PeerUnreachableError } from './errors.js'
import { FrameWriter, frameStream, readRequest, refuse } from './frames.js'
import { decodeCborMap, encode, encodeFrame, jobField } from './messages.js'
import { deserializeError, PermissionDeniedError, serializeError, type SerializedError } from '../errors/index.js'
import { parseCid } from '../objects/cid.js'
import type { ActorCallResult, ActorHost, ActorOpen, ActorSession, NestedRef } from './interface.js'
import { decodeNested, decodeResultRefs, replyBytes } from './task-protocol.js'

/** Option names a create frame may carry (their values are checked by the node's runtime). */
const ACTOR_OPTION_KEYS = ['cpus', 'gpus', 'memoryMb', 'resources', 'name', 'namespace', 'lifetime', 'maxRestarts', 'maxTaskRetries', 'maxConcurrency', 'timeoutMs', 'durable', 'checkpointEvery', 'snapshotReplicas', 'durableKey', 'restore']

interface CallRequest { type: 'call', id: number, method: string, args: Uint8Array, timeoutMs?: number, nested?: NestedRef[], retries?: number, stream?: true, seq?: number }
interface KillRequest { type: 'kill' }

/** Most retries one call may ask for (the node runs it at most this many times more after crashes). */
const MAX_CALL_RETRIES = 1000

/** A frame from the node after `created`. */
export type ActorReply =
  | { type: 'result', id: number, ok: true, value: Uint8Array, nested?: ActorCallResult['nested'] }
  | { type: 'result', id: number, ok: false, error: Error }
  | { type: 'error', error: Error }
  | { type: 'restarted', restarts: number }
  | { type: 'snapshot', cid: string, holders: string[] }
  | { type: 'retrying', id: number }
  | { type: 'died', error: Error }
  | { type: 'item', id: number, value: Uint8Array, nested?: ActorCallResult['nested'] }

const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

function onlyKeys (o: Record<string, unknown>, keys: string[], shape: string): void {
  if (Object.keys(o).some(k => !keys.includes(k))) throw new MalformedMessageError(`actor frame must be ${shape}`)
}

/** Validate the first frame of a session. */
export function decodeActorOpen (bytes: Uint8Array): ActorOpen {
  const o = decodeCborMap(bytes, 'actor open')
  const job = jobField(o, 'actor open')
  if (o.type === 'attach-id') {
    onlyKeys(o, ['type', 'actor', 'job'], "{ type: 'attach-id', actor, job? }")
    if (!isStr(o.actor, 256)) throw new MalformedMessageError('actor attach-id: actor must be an actor id of 1-256 chars')
    return { type: 'attach-id', actor: o.actor, ...job }
  }
  if (o.type === 'attach') {
    onlyKeys(o, ['type', 'name', 'namespace', 'job'], "{ type: 'attach', name, namespace?, job? }")
    if (!isStr(o.name, 256)) throw new MalformedMessageError('actor attach: name must be a string of 1-256 chars')
    if (o.namespace !== undefined && !isStr(o.namespace, 256)) throw new MalformedMessageError('actor attach: namespace must be a string of 1-256 chars')
    return { type: 'attach', name: o.name, ...(o.namespace === undefined ? {} : { namespace: o.namespace as string }), ...job }
  }
  if (o.type !== 'create') throw new MalformedMessageError("the first actor frame must be { type: 'create', ... }, { type: 'attach', name } or { type: 'attach-id', actor }")
  onlyKeys(o, ['type', 'component', 'cls', 'args', 'options', 'nested', 'job'], "{ type: 'create', component, cls, args, options, nested?, job? }")
  if (!isStr(o.component, 128)) throw new MalformedMessageError('actor create: component must be a CID string')
  parseCid(o.component)
  if (!isStr(o.cls, 256)) throw new MalformedMessageError('actor create: cls must be a string of 1-256 chars')
  if (!(o.args instanceof Uint8Array)) throw new MalformedMessageError('actor create: args must be CBOR bytes')
  const options = o.options ?? {}
  if (typeof options !== 'object' || options === null || Array.isArray(options) || options instanceof Uint8Array) throw new MalformedMessageError('actor create: options must be a map')
  const unknown = Object.keys(options).filter(k => !ACTOR_OPTION_KEYS.includes(k))
  if (unknown.length > 0) throw new MalformedMessageError(`actor create: unknown option ${unknown.join(', ')} (known: ${ACTOR_OPTION_KEYS.join(', ')})`)
  const nested = o.nested === undefined ? undefined : decodeNested(o.nested, 'actor create')
  return { type: 'create', component: o.component, cls: o.cls, args: o.args, options: options as Record<string, unknown>, ...(nested === undefined ? {} : { nested }), ...job }
}

/** Validate a frame after the first. */
export function decodeActorRequest (bytes: Uint8Array): CallRequest | KillRequest {
  const o = decodeCborMap(bytes, 'actor request')
  if (o.type === 'kill') {
    onlyKeys(o, ['type'], "{ type: 'kill' }")
    return { type: 'kill' }
  }
  if (o.type !== 'call') throw new MalformedMessageError("actor request must be { type: 'call', ... } or { type: 'kill' }")
  onlyKeys(o, ['type', 'id', 'method', 'args', 'timeoutMs', 'nested', 'retries', 'stream', 'seq'], "{ type: 'call', id, method, args, timeoutMs?, nested?, retries?, stream?, seq? }")
  if (o.seq !== undefined && !isUint(o.seq)) throw new MalformedMessageError('actor call: seq must be a non-negative integer')
  if (o.stream !== undefined && o.stream !== true) throw new MalformedMessageError('actor call: stream must be true when present')
  if (o.retries !== undefined && (!isUint(o.retries) || o.retries > MAX_CALL_RETRIES)) throw new MalformedMessageError(`actor call: retries must be an integer from 0 to ${MAX_CALL_RETRIES}`)
  if (!isUint(o.id)) throw new MalformedMessageError('actor call: id must be a non-negative integer')
  if (!isStr(o.method, 256)) throw new MalformedMessageError('actor call: method must be a string of 1-256 chars')
  if (!(o.args instanceof Uint8Array)) throw new MalformedMessageError('actor call: args must be CBOR bytes')
  if (o.timeoutMs !== undefined && (!isUint(o.timeoutMs) || o.timeoutMs === 0)) throw new MalformedMessageError('actor call: timeoutMs must be a positive integer')
  const nested = o.nested === undefined ? undefined : decodeNested(o.nested, 'actor call')
  return { type: 'call', id: o.id, method: o.method, args: o.args, ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }), ...(nested === undefined ? {} : { nested }), ...(o.retries === undefined ? {} : { retries: o.retries }), ...(o.stream === true ? { stream: true as const } : {}), ...(o.seq === undefined ? {} : { seq: o.seq }) }
}

/**
 * Validate a frame the node sent after `created`. `restarts`: the count last reported on this
 * session (a report must be higher).
 */
export function decodeActorReply (bytes: Uint8Array, restarts = 0): ActorReply {
  const o = decodeCborMap(bytes, 'actor reply')
  if (o.type === 'error') return { type: 'error', error: deserialized(o.error) }
  if (o.type === 'restarted') {
    onlyKeys(o, ['type', 'restarts'], "{ type: 'restarted', restarts }")
    if (!isUint(o.restarts) || o.restarts <= restarts) throw new MalformedMessageError(`actor restarted: restarts must be an integer above ${restarts} (the count reported before)`)
    return { type: 'restarted', restarts: o.restarts }
  }
  if (o.type === 'snapshot') {
    onlyKeys(o, ['type', 'cid', 'holders'], "{ type: 'snapshot', cid, holders }")
    if (!isStr(o.cid, 128) || !Array.isArray(o.holders) || o.holders.length > 64 || !o.holders.every(h => isStr(h, 256))) throw new MalformedMessageError('actor snapshot must be { type: \'snapshot\', cid, holders } (up to 64 node ids)')
    parseCid(o.cid)
    return { type: 'snapshot', cid: o.cid, holders: o.holders as string[] }
  }
  if (o.type === 'died') {
    onlyKeys(o, ['type', 'error'], "{ type: 'died', error }")
    return { type: 'died', error: deserialized(o.error) }
  }
  if (o.type === 'retrying') {
    onlyKeys(o, ['type', 'id'], "{ type: 'retrying', id }")
    if (!isUint(o.id)) throw new MalformedMessageError('actor retrying: id must be a non-negative integer')
    return { type: 'retrying', id: o.id }
  }
  if (o.type === 'item') {
    onlyKeys(o, ['type', 'id', 'value', 'nested'], "{ type: 'item', id, value, nested? }")
    if (!isUint(o.id)) throw new MalformedMessageError('actor item: id must be a non-negative integer')
    if (!(o.value instanceof Uint8Array)) throw new MalformedMessageError('actor item: value must be CBOR bytes')
    return { type: 'item', id: o.id, value: o.value, ...(o.nested === undefined ? {} : { nested: decodeResultRefs(o.nested, 'actor item') }) }
  }
  if (o.type !== 'result' || !isUint(o.id)) throw new MalformedMessageError(`unexpected actor reply type ${String(o.type)}`)
  if (o.ok === true && o.value instanceof Uint8Array) return { type: 'result', id: o.id, ok: true, value: o.value, ...(o.nested === undefined ? {} : { nested: decodeResultRefs(o.nested, 'actor reply') }) }
  return { type: 'result', id: o.id, ok: false, error: deserialized(o.error) }
}

/** Serve one inbound actor session until it ends. */
export async function serveActorStream (stream: Stream, from: PeerId, host: ActorHost, log: Logger): Promise<void> {
  const lp = frameStream(stream, MAX_ACTOR_REQUEST_BYTES)
  const first = await readRequest(stream, lp, ACTOR_OPEN_TIMEOUT_MS, log)
  if (first === undefined) return
  let actor: string
  let owned: boolean
  let mayKill: boolean
  let detached: boolean
  let about: { cls?: string, methods?: string[], streaming?: string[] }
  let job: string | undefined
  try {
    const open = decodeActorOpen(first.subarray())
    job = open.job
    const opened = await host.open(open, from.toString())
    ;({ actor, owned } = opened)
    mayKill = opened.mayKill ?? owned
    detached = opened.detached === true
    about = {
      ...(opened.cls === undefined ? {} : { cls: opened.cls }),
      ...(opened.methods === undefined ? {} : { methods: opened.methods }),
      ...(opened.streaming === undefined || opened.streaming.length === 0 ? {} : { streaming: opened.streaming })
    }
  } catch (err) {
    await refuse(stream, lp, err, log)
    return
  }
  // Replies go out in order, those of one turn of the event loop together.
  const writer = new FrameWriter(stream, err => { log('actor session write failed - %e', err) })
  const send = (frame: Record<string, unknown>): void => { writer.write(encodeFrame(frame)) }
  send({ type: 'created', actor, ...about })
  const pending = new Set<Promise<void>>()
  let killed = false
  let unwatch: (() => void) | undefined
  try {
    // The owner hears of each restart in place; queued before the crashed call's result.
    if (owned && host.watchRestarts !== undefined) unwatch = host.watchRestarts(actor, restarts => { if (!killed) send({ type: 'restarted', restarts }) })
    // A durable actor's owner hears where each snapshot is, before the result of the call it follows.
    if (owned) host.watchSnapshots?.(actor, ref => { if (!killed) send({ type: 'snapshot', cid: ref.cid, holders: ref.holders }) })
    // The owner hears of the actor's death on the node, after the results of its calls (it then ends the session).
    const unwatchDeath = owned
      ? host.watchDeath?.(actor, cause => {
        if (!killed) void Promise.all(pending).then(() => { send({ type: 'died', error: serializeError(cause) }) })
      })
      : undefined
    const stopWatching = unwatch
    unwatch = () => { stopWatching?.(); unwatchDeath?.() }
    for (let frame = await readRequest(stream, lp, undefined, log); frame !== undefined; frame = await readRequest(stream, lp, undefined, log)) {
      let req: CallRequest | KillRequest
      try {
        req = decodeActorRequest(frame.subarray())
        if (req.type === 'call' && pending.size >= ACTOR_MAX_CALLS_IN_FLIGHT) throw new MalformedMessageError(`more than ${ACTOR_MAX_CALLS_IN_FLIGHT} calls in flight on one actor session`)
        if (req.type === 'call' && killed) throw new MalformedMessageError('a call after kill')
      } catch (err) {
        await writer.flushed()
        await refuse(stream, lp, err, log)
        return
      }
      if (req.type === 'kill') {
        if (!mayKill) {
          // Not this session's to kill: the calls it made are answered, then it ends with the refusal.
          await Promise.all(pending)
          await writer.flushed()
          await refuse(stream, lp, new PermissionDeniedError(`actor ${actor} was not created by this job: only its owner may kill it (a detached actor: a handle found by name in its namespace)`), log)
          return
        }
        killed = true
        host.kill(actor)
        continue
      }
      const { id, method } = req
      // A generator's values go out as they come, before its result; past a few not yet written
      // the next is taken only once they are, so a slow caller holds the values back on the node.
      let ahead = 0
      let aheadBytes = 0
      const onItem = req.stream !== true
        ? undefined
        : async (item: ActorCallResult): Promise<void> => {
          const size = replyBytes(item.value, item.nested)
          if (size > MAX_ACTOR_REPLY_BYTES - 1024) throw new MalformedMessageError(`a value ${method} yielded is ${size} bytes, over the ${MAX_ACTOR_REPLY_BYTES}-byte reply limit`)
          send({ type: 'item', id, value: item.value, ...(item.nested === undefined || item.nested.length === 0 ? {} : { nested: item.nested }) })
          if (++ahead >= ACTOR_ITEMS_AHEAD || (aheadBytes += size) >= ACTOR_ITEM_BYTES_AHEAD) {
            await writer.flushed()
            ahead = 0
            aheadBytes = 0
          }
        }
      let result: Promise<Uint8Array | ActorCallResult>
      try {
        result = host.call(actor, method, req.args, req.timeoutMs, {
          from: from.toString(),
          ...(job === undefined ? {} : { job }),
          ...(req.nested === undefined ? {} : { nested: req.nested }),
          ...(req.retries === undefined ? {} : { retries: req.retries }),
          ...(req.seq === undefined ? {} : { seq: req.seq }),
          // Told before the call runs again after a crash (and so before its result).
          onRetry: () => { send({ type: 'retrying', id }) },
          ...(onItem === undefined ? {} : { onItem })
        })
      } catch (err) {
        result = Promise.reject(err)
      }
      const done: Promise<void> = result.then(
        out => {
          const { value, nested } = out instanceof Uint8Array ? { value: out, nested: undefined } : out
          const size = replyBytes(value, nested)
          send(size > MAX_ACTOR_REPLY_BYTES - 1024
            ? { type: 'result', id, ok: false, error: serializeError(new MalformedMessageError(`the result of ${method} is ${size} bytes, over the ${MAX_ACTOR_REPLY_BYTES}-byte reply limit`)) }
            : { type: 'result', id, ok: true, value, ...(nested === undefined || nested.length === 0 ? {} : { nested }) })
        },
        err => { send({ type: 'result', id, ok: false, error: serializeError(err) }) }
      ).finally(() => pending.delete(done))
      pending.add(done)
    }
    // The caller closed its side: answer what is still running, then end.
    await Promise.all(pending)
    await writer.flushed()
    await stream.close().catch(() => { stream.abort(new Error('closing')) })
  } finally {
    // However the session ended, an owned actor goes with it (a detached one outlives its job).
    unwatch?.()
    if (owned && !killed && !detached) host.kill(actor)
  }
}

type Target = PeerId | Multiaddr

/** The caller's side of an actor session (see {@link ActorSession}). */
class ClientSession implements ActorSession {
  readonly ended: Promise<Error | undefined>
  private restartsReported = 0
  private readonly restartListeners: Array<(restarts: number) => void> = []
  private readonly snapshotListeners: Array<(ref: { cid: string, holders: string[] }) => void> = []
  private readonly calls = new Map<number, { resolve: (v: ActorCallResult) => void, reject: (e: Error) => void, onRetry?: () => void, onItem?: (item: ActorCallResult) => void }>()
  private readonly slotWaiters: Array<() => void> = []
  private nextId = 0
  private writes: Promise<void> = Promise.resolve()
  /** Calls waiting in `writes` for a slot (later calls queue behind them). */
  private held = 0
  private readonly writer: FrameWriter
  private closing = false
  private endedWith?: Error | null
  private endResolve!: (e: Error | undefined) => void

  readonly cls?: string
  readonly methods?: string[]
  readonly streaming?: string[]

  constructor (readonly actor: string, readonly peer: string, private readonly stream: Stream, private readonly lp: FrameStream, about: { cls?: string, methods?: string[], streaming?: string[] } = {}) {
    if (about.cls !== undefined) this.cls = about.cls
    if (about.methods !== undefined) this.methods = about.methods
    if (about.streaming !== undefined) this.streaming = about.streaming
    this.ended = new Promise(resolve => { this.endResolve = resolve })
    this.writer = new FrameWriter(stream, err => { this.end(broke(this.peer, err)) })
    void this.readLoop()
  }

  async call (method: string, args: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    return (await this.invoke(method, args, timeoutMs === undefined ? {} : { timeoutMs })).value
  }

  async invoke (method: string, args: Uint8Array, options: { timeoutMs?: number, nested?: NestedRef[], retries?: number, onRetry?: () => void, onItem?: (item: ActorCallResult) => void, seq?: number } = {}): Promise<ActorCallResult> {
    if (this.endedWith !== undefined) throw this.endedWith ?? new PeerUnreachableError(`the actor session with ${this.peer} is closed`)
    const { timeoutMs, nested, retries, onRetry, onItem, seq } = options
    const id = this.nextId++
    const result = new Promise<ActorCallResult>((resolve, reject) => { this.calls.set(id, { resolve, reject, ...(onRetry === undefined ? {} : { onRetry }), ...(onItem === undefined ? {} : { onItem }) }) })
    const frame = encodeFrame({ type: 'call', id, method, args, ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(nested === undefined || nested.length === 0 ? {} : { nested }), ...(retries === undefined ? {} : { retries }), ...(onItem === undefined ? {} : { stream: true }), ...(seq === undefined ? {} : { seq }) })
    if (this.held === 0 && this.calls.size <= ACTOR_MAX_CALLS_IN_FLIGHT) {
      this.writer.write(frame)
    } else {
      // In order: a call waits for a slot behind the calls made before it.
      this.held++
      this.writes = this.writes.then(async () => {
        try {
          while (this.calls.size > ACTOR_MAX_CALLS_IN_FLIGHT && this.endedWith === undefined) await new Promise<void>(resolve => this.slotWaiters.push(resolve))
        } finally {
          this.held--
        }
        if (this.endedWith === undefined) this.writer.write(frame)
      }).catch(err => { this.end(broke(this.peer, err)) })
    }
    return await result
  }

  get restarts (): number {
    return this.restartsReported
  }

  onRestarted (listener: (restarts: number) => void): void {
    this.restartListeners.push(listener)
  }

  onSnapshot (listener: (ref: { cid: string, holders: string[] }) => void): void {
    this.snapshotListeners.push(listener)
  }

  async kill (): Promise<void> {
    if (this.endedWith !== undefined || this.closing) return
    this.writes = this.writes.then(() => { this.writer.write(encode({ type: 'kill' })) }).catch(() => {})
    await this.close()
    // The node refuses a kill this session may not make (it was not the owner's).
    const refused = await this.ended
    if (refused?.name === 'PermissionDeniedError') throw refused
  }

  async close (): Promise<void> {
    if (this.endedWith !== undefined || this.closing) return
    this.closing = true
    await this.writes
    await this.writer.flushed()
    // Half-close: the node answers what is pending, then ends the stream (and kills an owned actor).
    await this.stream.close().catch(() => {})
    const timer = setTimeout(() => { this.stream.abort(new Error('actor session close timed out')) }, 10_000)
    await this.ended
    clearTimeout(timer)
  }

  private async readLoop (): Promise<void> {
    try {
      for (;;) {
        const frame = await this.lp.read()
        const o = decodeActorReply(frame.subarray(), this.restartsReported)
        if (o.type === 'error') throw o.error
        if (o.type === 'died') {
          // The actor died on its node: the session is over (the owner may restart it elsewhere).
          this.end(o.error)
          this.stream.abort(o.error)
          return
        }
        if (o.type === 'restarted') {
          this.restartsReported = o.restarts
          for (const l of this.restartListeners) l(o.restarts)
          continue
        }
        if (o.type === 'snapshot') {
          for (const l of this.snapshotListeners) l({ cid: o.cid, holders: o.holders })
          continue
        }
        if (o.type === 'item') {
          const call = this.calls.get(o.id)
          if (call?.onItem === undefined) throw new MalformedMessageError(`actor item for call ${o.id}, which is not a pending streaming call`)
          call.onItem({ value: o.value, ...(o.nested === undefined ? {} : { nested: o.nested }) })
          continue
        }
        if (o.type === 'retrying') {
          const call = this.calls.get(o.id)
          if (call === undefined) throw new MalformedMessageError(`actor retrying for call ${o.id}, which is not pending`)
          call.onRetry?.()
          continue
        }
        const call = this.calls.get(o.id)
        if (call === undefined) throw new MalformedMessageError(`actor reply for call ${o.id}, which is not pending`)
        this.calls.delete(o.id)
        this.slotWaiters.shift()?.()
        if (o.ok) call.resolve({ value: o.value, ...(o.nested === undefined ? {} : { nested: o.nested }) })
        else call.reject(o.error)
      }
    } catch (err) {
      const name = (err as Error)?.name
      if (name === 'UnexpectedEOFError' && this.closing && this.calls.size === 0) {
        this.end(undefined)
      } else {
        this.end(err instanceof Error && name !== 'UnexpectedEOFError' && !isTransport(err) ? err : broke(this.peer, err))
        this.stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    }
  }

  private end (err: Error | undefined): void {
    if (this.endedWith !== undefined) return
    this.endedWith = err ?? null
    const cause = err ?? new PeerUnreachableError(`the actor session with ${this.peer} ended before the call was answered`)
    for (const c of this.calls.values()) c.reject(cause)
    this.calls.clear()
    for (const w of this.slotWaiters.splice(0)) w()
    this.endResolve(err)
  }
}

/** Errors that mean the connection or stream went, not that the node refused something. */
function isTransport (err: Error): boolean {
  return !['MalformedMessageError', 'RemoteError'].includes(err.name) && (err as { retryable?: unknown }).retryable === undefined
}

function broke (peer: string, err: unknown): PeerUnreachableError {
  return new PeerUnreachableError(`the actor session with ${peer} broke: ${err instanceof Error ? err.message : String((err as { type?: unknown })?.type ?? err)}`, { cause: err })
}

function deserialized (e: unknown): Error {
  const s = e as SerializedError | undefined
  if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || typeof s.message !== 'string') return new MalformedMessageError('actor reply without a value or an error')
  return deserializeError(s)
}

/**
 * Open an actor session on `target`: send the create (or attach) frame and wait for `created`.
 *
 * @throws PeerUnreachableError when the node cannot be reached or the stream breaks
 * @throws the node's refusal (InfeasibleTaskError, ActorNotFoundError, the constructor's error, ...)
 */
export async function openActorSession (libp2p: Libp2p, target: Target, open: ActorOpen, options: { signal?: AbortSignal } = {}): Promise<ActorSession> {
  const signal = options.signal ?? AbortSignal.timeout(ACTOR_OPEN_TIMEOUT_MS)
  let stream: Stream
  try {
    stream = await libp2p.dialProtocol(target, ACTOR_PROTOCOL, { signal, maxOutboundStreams: ACTOR_MAX_INBOUND_STREAMS })
  } catch (err) {
    throw new PeerUnreachableError(`cannot open ${ACTOR_PROTOCOL} to ${target.toString()}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  const lp = frameStream(stream, MAX_ACTOR_REPLY_BYTES)
  try {
    let frame
    try {
      await lp.write(encode(open), { signal })
      // Creating runs the constructor (and may first pull and compile the component): no deadline here beyond the caller's.
      frame = await lp.read(options.signal === undefined ? {} : { signal: options.signal })
    } catch (err) {
      throw (err as Error)?.name === 'AbortError' ? err : broke(target.toString(), err)
    }
    const o = decodeCborMap(frame.subarray(), 'actor reply')
    if (o.type === 'error') throw deserialized(o.error)
    if (o.type !== 'created' || !isStr(o.actor, 256)) throw new MalformedMessageError("the first actor reply must be { type: 'created', actor, cls?, methods?, streaming? } or an error")
    const about: { cls?: string, methods?: string[], streaming?: string[] } = {}
    if (o.cls !== undefined) {
      if (!isStr(o.cls, 256)) throw new MalformedMessageError('actor created: cls must be a string')
      about.cls = o.cls
    }
    if (o.methods !== undefined) {
      if (!Array.isArray(o.methods) || o.methods.length > 4096 || !o.methods.every(m => isStr(m, 256))) throw new MalformedMessageError('actor created: methods must be a list of names')
      about.methods = o.methods as string[]
    }
    if (o.streaming !== undefined) {
      if (!Array.isArray(o.streaming) || !o.streaming.every(m => typeof m === 'string' && about.methods?.includes(m) === true)) throw new MalformedMessageError('actor created: streaming must be a list of names among methods')
      about.streaming = o.streaming as string[]
    }
    const peer = 'getComponents' in target ? (target.getComponents().find(c => c.name === 'p2p')?.value ?? target.toString()) : target.toString()
    return new ClientSession(o.actor, peer, stream, lp, about)
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
