// `/fabric/placement/1`: reserve placement-group bundles on a node, two-phase, over one long-lived
// stream per owner and node (a session). Length-prefixed CBOR frames:
//
//   client: { type: 'prepare', id, group, bundles: [{ index, cpus, gpus, memoryMb, resources }], commit?, job? }
//           set the bundles aside (all or none); `commit: true` makes them usable at once (a
//           group placed whole on this node needs one round trip)
//   client: { type: 'commit', id, group }     make the prepared bundles of the group usable
//   client: { type: 'release', id, group }    give back every bundle of the group held here
//   server: { type: 'result', id, ok: true } | { type: 'result', id, ok: false, error }
//
// The bundles a session reserved belong to its peer and job: only tasks and actors that peer sends
// for that job may use them. When the session ends, however it ends (the owner stopped, died, or
// lost its connection), the node releases the groups reserved on it; the owner treats the end the
// same way (those bundles are lost, placed again). Prepared bundles not committed within the
// node's lease are released by the node as well.
import './polyfill.js'
import type { Logger, Stream } from '@libp2p/interface'
import { frameStream } from './frames.js'
import { MalformedMessageError, PeerUnreachableError } from './errors.js'
import { decodeCborMap, encode, jobField } from './messages.js'
import { deserializeError, serializeError, type SerializedError } from '../errors/index.js'
import { resources, type Resources } from '../scheduler/resources.js'
import { GROUP_ID_RE } from '../scheduler/placement.js'
import type { NetNode, ProtocolService } from './interface.js'

export const PLACEMENT_PROTOCOL = '/fabric/placement/1'

/** Largest frame either way. */
export const MAX_PLACEMENT_FRAME_BYTES = 256 * 1024

/** Most bundles one prepare may name. */
export const MAX_BUNDLES_PER_REQUEST = 1024

/** Most custom resource kinds one bundle may name. */
const MAX_BUNDLE_KINDS = 64

/** Requests one session may have unanswered; more are refused. */
const MAX_PENDING_PER_SESSION = 256

/** Who a session's bundles belong to: its peer, its job, and the session itself (released when it ends). */
export interface BundleSessionOwner {
  peer: string
  job?: string
  session: number
}

/** One bundle as it travels. */
export interface WireBundle {
  index: number
  resources: Resources
}

/** What a node does with the requests (the runtime's bundle table). Each throws the refusal it answers with. */
export interface BundleHost {
  prepare: (group: string, bundles: WireBundle[], owner: BundleSessionOwner, commit: boolean) => void
  commit: (group: string, owner: BundleSessionOwner) => void
  release: (group: string, owner: BundleSessionOwner) => void
  /** The session ended: release the groups it reserved. */
  ended: (owner: BundleSessionOwner) => void
}

export type PlacementRequest =
  | { type: 'prepare', id: number, group: string, bundles: WireBundle[], commit: boolean, job?: string }
  | { type: 'commit' | 'release', id: number, group: string }

const isUint = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max
const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e12

/** Validate a request frame. */
export function decodePlacementRequest (bytes: Uint8Array): PlacementRequest {
  const o = decodeCborMap(bytes, 'placement request')
  if (!isUint(o.id, 2 ** 32) || typeof o.group !== 'string' || !GROUP_ID_RE.test(o.group)) {
    throw new MalformedMessageError("placement request must have an integer id and a group id ('pg' and 24 hex digits)")
  }
  if (o.type === 'commit' || o.type === 'release') {
    if (Object.keys(o).some(k => !['type', 'id', 'group'].includes(k))) throw new MalformedMessageError(`placement ${o.type} must be { type, id, group }`)
    return { type: o.type, id: o.id, group: o.group }
  }
  if (o.type !== 'prepare' || Object.keys(o).some(k => !['type', 'id', 'group', 'bundles', 'commit', 'job'].includes(k))) {
    throw new MalformedMessageError("placement request must be { type: 'prepare', id, group, bundles, commit?, job? }, { type: 'commit', id, group } or { type: 'release', id, group }")
  }
  if (o.commit !== undefined && typeof o.commit !== 'boolean') throw new MalformedMessageError('placement prepare: commit must be a boolean')
  if (!Array.isArray(o.bundles) || o.bundles.length === 0 || o.bundles.length > MAX_BUNDLES_PER_REQUEST) {
    throw new MalformedMessageError(`placement prepare: bundles must be a list of 1-${MAX_BUNDLES_PER_REQUEST}`)
  }
  const seen = new Set<number>()
  const bundles = o.bundles.map((b: unknown, i: number): WireBundle => {
    const r = b as Record<string, unknown>
    const shape = `placement prepare: bundles[${i}] must be { index, cpus, gpus, memoryMb, resources } with amounts >= 0`
    if (typeof b !== 'object' || b === null || Array.isArray(b) || b instanceof Uint8Array || Object.keys(r).some(k => !['index', 'cpus', 'gpus', 'memoryMb', 'resources'].includes(k))) throw new MalformedMessageError(shape)
    if (!isUint(r.index, 999_999) || seen.has(r.index) || !isAmount(r.cpus) || !isAmount(r.gpus) || !isAmount(r.memoryMb)) throw new MalformedMessageError(shape)
    seen.add(r.index)
    const custom = r.resources ?? {}
    if (typeof custom !== 'object' || custom === null || Array.isArray(custom) || custom instanceof Uint8Array) throw new MalformedMessageError(shape)
    const entries = Object.entries(custom)
    if (entries.length > MAX_BUNDLE_KINDS || !entries.every(([k, v]) => k.length > 0 && k.length <= 64 && isAmount(v))) throw new MalformedMessageError(`${shape}; at most ${MAX_BUNDLE_KINDS} named resources`)
    return { index: r.index, resources: resources({ cpus: r.cpus, gpus: r.gpus, memoryMb: r.memoryMb, custom: Object.fromEntries(entries) as Record<string, number> }) }
  })
  return { type: 'prepare', id: o.id, group: o.group, bundles, commit: o.commit === true, ...jobField(o, 'placement prepare') }
}

let sessions = 0

/** The `/fabric/placement/1` service of a node whose bundles `host` keeps. */
export function placementService (host: BundleHost): ProtocolService {
  return {
    protocol: PLACEMENT_PROTOCOL,
    maxInboundStreams: 64,
    serve: async (stream, from, log) => { await serveSession(stream, from, host, log) }
  }
}

async function serveSession (stream: Stream, from: string, host: BundleHost, log: Logger): Promise<void> {
  const lp = frameStream(stream, MAX_PLACEMENT_FRAME_BYTES)
  const session = ++sessions
  let job: string | undefined
  try {
    for (;;) {
      let req: PlacementRequest
      try {
        req = decodePlacementRequest((await lp.read()).subarray())
      } catch (err) {
        if (stream.status !== 'open' || (err as Error).name === 'UnexpectedEOFError') return
        log('refusing a placement stream - %e', err)
        await lp.write(encode({ type: 'result', id: -1, ok: false, error: serializeError(err) }), { signal: AbortSignal.timeout(1000) }).catch(() => {})
        stream.abort(err as Error)
        return
      }
      // One job per session: its first prepare names it.
      if (req.type === 'prepare') job ??= req.job
      const owner: BundleSessionOwner = { peer: from, session, ...(job === undefined ? {} : { job }) }
      let reply: Record<string, unknown>
      try {
        if (req.type === 'prepare') {
          if (req.job !== job) throw new MalformedMessageError('a placement session serves one job: open another session for another')
          host.prepare(req.group, req.bundles, owner, req.commit)
        } else if (req.type === 'commit') {
          host.commit(req.group, owner)
        } else {
          host.release(req.group, owner)
        }
        reply = { type: 'result', id: req.id, ok: true }
      } catch (err) {
        reply = { type: 'result', id: req.id, ok: false, error: serializeError(err) }
      }
      await lp.write(encode(reply))
    }
  } finally {
    host.ended({ peer: from, session, ...(job === undefined ? {} : { job }) })
    if (stream.status === 'open') await stream.close().catch(() => { stream.abort(new Error('closing')) })
  }
}

/** One session with one node: requests answered in order. */
class PlacementSession {
  private readonly pending = new Map<number, { resolve: () => void, reject: (e: Error) => void }>()
  private nextId = 0
  private failure?: Error
  private writes: Promise<void> = Promise.resolve()
  readonly ended: Promise<void>
  private endResolve!: () => void

  constructor (readonly peer: string, private readonly stream: Stream, private readonly lp: ReturnType<typeof frameStream>) {
    this.ended = new Promise(resolve => { this.endResolve = resolve })
    void this.readLoop()
  }

  get alive (): boolean {
    return this.failure === undefined
  }

  async request (req: Record<string, unknown>): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (this.pending.size >= MAX_PENDING_PER_SESSION) throw new PeerUnreachableError(`more than ${MAX_PENDING_PER_SESSION} placement requests wait on node ${this.peer}`)
    const id = this.nextId++
    const done = new Promise<void>((resolve, reject) => { this.pending.set(id, { resolve, reject }) })
    this.writes = this.writes.then(async () => {
      if (this.failure === undefined) await this.lp.write(encode({ ...req, id }))
    }).catch(err => { this.fail(broke(this.peer, err)) })
    await done
  }

  close (): void {
    this.fail(new PeerUnreachableError(`the placement session with ${this.peer} was closed`))
    this.stream.abort(new Error('closing'))
  }

  private async readLoop (): Promise<void> {
    try {
      for (;;) {
        const o = decodeCborMap((await this.lp.read()).subarray(), 'placement reply')
        if (o.type !== 'result' || typeof o.id !== 'number') throw new MalformedMessageError('placement reply must be { type: \'result\', id, ok, error? }')
        if (o.id === -1) throw deserializeError(o.error as SerializedError)
        const call = this.pending.get(o.id)
        if (call === undefined) continue
        this.pending.delete(o.id)
        if (o.ok === true) call.resolve()
        else call.reject(typeof o.error === 'object' && o.error !== null ? deserializeError(o.error as SerializedError) : new MalformedMessageError('placement reply without ok or an error'))
      }
    } catch (err) {
      this.fail(err instanceof Error && err.name === 'MalformedMessageError' ? err : broke(this.peer, err))
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private fail (err: Error): void {
    if (this.failure !== undefined) return
    this.failure = err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    this.endResolve()
  }
}

function broke (peer: string, err: unknown): PeerUnreachableError {
  return new PeerUnreachableError(`the placement session with ${peer} broke: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}

/**
 * An owner's placement sessions, one per node, opened on first use. When one ends, `onLost` is
 * told: the node has released the bundles reserved on it.
 */
export class PlacementSessions {
  private readonly sessions = new Map<string, Promise<PlacementSession>>()
  private closed = false

  constructor (private readonly net: Pick<NetNode, 'dialProtocol'>, private readonly job: string | undefined, private readonly onLost: (peer: string) => void) {}

  /**
   * Reserve bundles of `group` on `peer` (all or none); with `commit`, usable at once.
   *
   * @throws the node's refusal (InfeasibleTaskError: not enough free), PeerUnreachableError
   */
  async prepare (peer: string, group: string, bundles: WireBundle[], commit: boolean): Promise<void> {
    const wire = bundles.map(b => ({ index: b.index, cpus: b.resources.cpus, gpus: b.resources.gpus, memoryMb: b.resources.memoryMb, resources: b.resources.custom }))
    await (await this.session(peer)).request({ type: 'prepare', group, bundles: wire, commit, ...(this.job === undefined ? {} : { job: this.job }) })
  }

  async commit (peer: string, group: string): Promise<void> {
    await (await this.session(peer)).request({ type: 'commit', group })
  }

  /** Give back the group's bundles on `peer` (best effort: a session that is gone released them already). */
  async release (peer: string, group: string): Promise<void> {
    const s = await this.sessions.get(peer)?.catch(() => undefined)
    if (s?.alive !== true) return
    await s.request({ type: 'release', group }).catch(() => {})
  }

  /** End every session (the nodes release what was reserved on them). */
  close (): void {
    this.closed = true
    for (const p of this.sessions.values()) void p.then(s => { s.close() }, () => {})
    this.sessions.clear()
  }

  private async session (peer: string): Promise<PlacementSession> {
    if (this.closed) throw new PeerUnreachableError('the placement sessions were closed')
    const existing = this.sessions.get(peer)
    if (existing !== undefined) {
      const s = await existing.catch(() => undefined)
      if (s?.alive === true) return s
      if (this.sessions.get(peer) === existing) this.sessions.delete(peer)
    }
    let opening = this.sessions.get(peer)
    if (opening === undefined) {
      opening = (async () => {
        const stream = await this.net.dialProtocol(peer, PLACEMENT_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
        return new PlacementSession(peer, stream, frameStream(stream, MAX_PLACEMENT_FRAME_BYTES))
      })()
      this.sessions.set(peer, opening)
      const mine = opening
      opening.then(s => {
        void s.ended.then(() => {
          if (this.sessions.get(peer) === mine) this.sessions.delete(peer)
          if (!this.closed) this.onLost(peer)
        })
      }, () => { if (this.sessions.get(peer) === mine) this.sessions.delete(peer) })
    }
    return await opening
  }
}
