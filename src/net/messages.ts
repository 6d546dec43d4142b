// Wire messages of the net area: CBOR encoding and the one place where untrusted bytes are
// validated into typed messages. Nothing from the network reaches other code without passing here.
import * as cborg from 'cborg'
import { LIMITS, MAX_GOSSIP_MESSAGE_BYTES, MAX_HEARTBEAT_MS } from './constants.js'
import { MalformedMessageError } from './errors.js'
import { FALLBACK, fastDecode, fastEncode } from '../objects/codec-fast.js'
import type { GossipMessage, LeaveMessage, NodeInfo, PeerState, Resources, ResourcesMessage, StatusReply } from './interface.js'
import type { SerializedError } from '../errors/index.js'
import type { Manifest } from '../component/interface.js'
import { parseManifest } from '../component/manifest.js'

/** A status protocol request. */
export interface StatusRequest { type: 'status' }

/** A status protocol error frame: the request was refused. */
export interface ErrorReply { type: 'error', error: SerializedError }

// Strict decoding: no undefined, NaN, Infinity, indefinite lengths or duplicate keys; tags are refused by cborg.
export const DECODE_OPTIONS: cborg.DecodeOptions = {
  allowUndefined: false,
  allowIndefinite: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  rejectDuplicateMapKeys: true,
  strict: true
}

/** CBOR-encode a wire message. */
export function encode (message: object): Uint8Array {
  return cborg.encode(message)
}

/**
 * A hot frame's CBOR (a task request or result, an actor call or result): written directly where
 * it can be (codec-fast: ASCII strings, numbers, byte strings, plain maps and arrays, keys in
 * insertion order), else by cborg. cborg builds a token per value and sorts every map's keys, about
 * a third of a remote call's allocations on the caller; a frame's meaning never depends on its key
 * order, and every reader decodes either form the same.
 */
export function encodeFrame (message: object): Uint8Array {
  return fastEncode(message) ?? cborg.encode(message)
}

/** Decode CBOR bytes; anything cborg refuses (or a stack overflow on deep nesting) is a MalformedMessageError. */
export function decodeCbor (bytes: Uint8Array): unknown {
  // The usual frame (ASCII keys and strings, numbers, byte strings) is read directly: cborg builds
  // a token per value and each string from an array of its characters, most of what a node
  // allocated per task it served. Whatever the direct reader does not take, cborg reads (or refuses).
  const fast = fastDecode(bytes, true)
  if (fast !== FALLBACK) return fast
  try {
    return cborg.decode(bytes, DECODE_OPTIONS)
  } catch (err) {
    throw new MalformedMessageError(`not valid CBOR: ${(err as Error).message}`, { cause: err })
  }
}

/** Decode a frame that must be a CBOR map (object and task protocol frames); `what` names it in errors. */
export function decodeCborMap (bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown
  try {
    v = decodeCbor(bytes)
  } catch (err) {
    throw new MalformedMessageError(`${what}: ${(err as Error).message}`, { cause: err })
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw new MalformedMessageError(`${what} must be a CBOR map`)
  return v as Record<string, unknown>
}

// ---- field checks -------------------------------------------------------------------------------

function fail (path: string, what: string): never {
  throw new MalformedMessageError(`${path}: ${what}`)
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

function record (v: unknown, path: string): Record<string, unknown> {
  if (!isRecord(v)) fail(path, 'expected a map')
  return v
}

function str (v: unknown, path: string, max: number, min = 0): string {
  if (typeof v !== 'string') fail(path, 'expected a string')
  if (v.length > max || v.length < min) fail(path, `length must be ${min}..${max}`)
  return v
}

function num (v: unknown, path: string, opts: { integer?: boolean, max?: number } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(path, 'expected a non-negative finite number')
  if (opts.integer === true && !Number.isSafeInteger(v)) fail(path, 'expected a safe integer')
  if (opts.max !== undefined && v > opts.max) fail(path, `at most ${opts.max} (no machine has more)`)
  return v
}

function onlyKeys (o: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(path, `unexpected field '${k}'`)
}

function resourcesBag (v: unknown, path: string): Resources {
  const o = record(v, path)
  onlyKeys(o, ['cpus', 'gpus', 'memoryMb', 'custom'], path)
  const custom = record(o.custom ?? {}, `${path}.custom`)
  const keys = Object.keys(custom)
  if (keys.length > LIMITS.customResources) fail(`${path}.custom`, `at most ${LIMITS.customResources} entries`)
  const out: Record<string, number> = {}
  for (const k of keys) {
    str(k, `${path}.custom key`, LIMITS.resourceNameChars, 1)
    out[k] = num(custom[k], `${path}.custom.${k}`)
  }
  return {
    cpus: num(o.cpus, `${path}.cpus`, { max: LIMITS.cpus }),
    gpus: num(o.gpus, `${path}.gpus`, { max: LIMITS.gpus }),
    memoryMb: num(o.memoryMb, `${path}.memoryMb`, { max: LIMITS.memoryMb }),
    custom: out
  }
}

function labels (v: unknown, path: string): Record<string, string> {
  const o = record(v, path)
  const keys = Object.keys(o)
  if (keys.length > LIMITS.labels) fail(path, `at most ${LIMITS.labels} labels`)
  const out: Record<string, string> = {}
  for (const k of keys) {
    str(k, `${path} key`, LIMITS.labelKeyChars, 1)
    out[k] = str(o[k], `${path}.${k}`, LIMITS.labelValueChars)
  }
  return out
}

const NODE_INFO_KEYS = ['peer', 'seq', 'ts', 'addrs', 'resources', 'queue', 'labels', 'gpuModel', 'store', 'work', 'heartbeatMs'] as const

/** Validate a node's info (the body of a resources message, or an entry of a status reply). */
export function validateNodeInfo (v: unknown, path = 'info'): NodeInfo {
  const o = record(v, path)
  onlyKeys(o, [...NODE_INFO_KEYS, 'type'], path)
  const addrsIn = o.addrs
  if (!Array.isArray(addrsIn)) fail(`${path}.addrs`, 'expected an array')
  if (addrsIn.length > LIMITS.addrs) fail(`${path}.addrs`, `at most ${LIMITS.addrs} addresses`)
  const res = record(o.resources, `${path}.resources`)
  onlyKeys(res, ['total', 'available'], `${path}.resources`)
  const store = record(o.store, `${path}.store`)
  onlyKeys(store, ['memoryBytes', 'diskBytes'], `${path}.store`)
  const info: NodeInfo = {
    peer: str(o.peer, `${path}.peer`, LIMITS.peerIdChars, 1),
    seq: num(o.seq, `${path}.seq`, { integer: true }),
    ts: num(o.ts, `${path}.ts`, { integer: true }),
    addrs: addrsIn.map((a, i) => str(a, `${path}.addrs[${i}]`, LIMITS.addrChars, 1)),
    resources: {
      total: resourcesBag(res.total, `${path}.resources.total`),
      available: resourcesBag(res.available, `${path}.resources.available`)
    },
    queue: num(o.queue, `${path}.queue`, { integer: true }),
    labels: labels(o.labels, `${path}.labels`),
    store: {
      memoryBytes: num(store.memoryBytes, `${path}.store.memoryBytes`, { integer: true }),
      diskBytes: num(store.diskBytes, `${path}.store.diskBytes`, { integer: true })
    }
  }
  const { total, available } = info.resources
  for (const k of ['cpus', 'gpus', 'memoryMb'] as const) {
    if (available[k] > total[k] * (1 + 1e-9) + 1e-9) fail(`${path}.resources.available.${k}`, `${available[k]} is more than the total ${total[k]}`)
  }
  if (o.heartbeatMs !== undefined) {
    info.heartbeatMs = num(o.heartbeatMs, `${path}.heartbeatMs`, { integer: true })
    // Bounded: a peer claiming hours between heartbeats would stay in every view long after it died.
    if (info.heartbeatMs < 1 || info.heartbeatMs > MAX_HEARTBEAT_MS) fail(`${path}.heartbeatMs`, `expected 1 to ${MAX_HEARTBEAT_MS} ms`)
  }
  if (o.gpuModel !== undefined) info.gpuModel = str(o.gpuModel, `${path}.gpuModel`, LIMITS.gpuModelChars)
  if (o.work !== undefined) {
    const w = record(o.work, `${path}.work`)
    onlyKeys(w, ['running', 'actors', 'objects'], `${path}.work`)
    info.work = {
      running: num(w.running, `${path}.work.running`, { integer: true }),
      actors: num(w.actors, `${path}.work.actors`, { integer: true }),
      objects: num(w.objects, `${path}.work.objects`, { integer: true })
    }
  }
  return info
}

/**
 * Decode and validate a gossip message. Throws MalformedMessageError for oversized bytes, bad CBOR
 * or a wrong shape.
 */
export function decodeGossip (bytes: Uint8Array): GossipMessage {
  if (bytes.byteLength > MAX_GOSSIP_MESSAGE_BYTES) {
    throw new MalformedMessageError(`message of ${bytes.byteLength} bytes exceeds the ${MAX_GOSSIP_MESSAGE_BYTES}-byte limit`, { cause: 'oversized' })
  }
  const o = record(decodeCbor(bytes), 'message')
  if (o.type === 'resources') {
    const msg: ResourcesMessage = { type: 'resources', ...validateNodeInfo(o, 'message') }
    return msg
  }
  if (o.type === 'leave') {
    onlyKeys(o, ['type', 'peer', 'seq'], 'message')
    const msg: LeaveMessage = { type: 'leave', peer: str(o.peer, 'message.peer', LIMITS.peerIdChars, 1) }
    if (o.seq !== undefined) msg.seq = num(o.seq, 'message.seq', { integer: true })
    return msg
  }
  return fail('message.type', `unknown message type ${JSON.stringify(typeof o.type === 'string' ? o.type.slice(0, 32) : typeof o.type)}`)
}

/** Whether a MalformedMessageError was raised for size (so the boundary can count it apart). */
export function isOversized (err: unknown): boolean {
  return err instanceof MalformedMessageError && err.cause === 'oversized'
}

/** Validate a `/fabric/status/1` request frame. */
export function decodeStatusRequest (bytes: Uint8Array): StatusRequest {
  const o = record(decodeCbor(bytes), 'request')
  onlyKeys(o, ['type'], 'request')
  if (o.type !== 'status') fail('request.type', "expected 'status'")
  return { type: 'status' }
}

/** Validate a `/fabric/status/1` reply frame (the client side of the boundary). */
export function decodeStatusReply (bytes: Uint8Array): StatusReply | ErrorReply {
  const o = record(decodeCbor(bytes), 'reply')
  if (o.type === 'error') {
    const e = record(o.error, 'reply.error')
    return {
      type: 'error',
      error: {
        name: str(e.name, 'reply.error.name', 128),
        message: str(e.message, 'reply.error.message', 4096),
        retryable: e.retryable === true
      }
    }
  }
  if (o.type !== 'status') fail('reply.type', "expected 'status' or 'error'")
  onlyKeys(o, ['type', 'fabric', 'self', 'peers'], 'reply')
  if (!Array.isArray(o.peers)) fail('reply.peers', 'expected an array')
  return {
    type: 'status',
    fabric: str(o.fabric, 'reply.fabric', LIMITS.fabricNameChars, 1),
    self: validateNodeInfo(o.self, 'reply.self'),
    peers: o.peers.map((p, i) => {
      const e = record(p, `reply.peers[${i}]`)
      onlyKeys(e, ['info', 'state', 'lastHeardMsAgo'], `reply.peers[${i}]`)
      if (e.state !== 'alive' && e.state !== 'suspected') fail(`reply.peers[${i}].state`, "expected 'alive' or 'suspected'")
      return {
        info: validateNodeInfo(e.info, `reply.peers[${i}].info`),
        state: e.state as PeerState,
        lastHeardMsAgo: num(e.lastHeardMsAgo, `reply.peers[${i}].lastHeardMsAgo`)
      }
    })
  }
}

/**
 * Validate a component manifest from a peer (a describe reply), with the check guests' manifests
 * get (component/manifest.ts): a peer that sends no actor `streaming` lists none.
 */
export function validateManifest (v: unknown): Manifest {
  return parseManifest(v, fail)
}

/** The optional `job` field of a request (a job key, see runtime/job.ts): `{ job }`, `{}` when absent. */
export function jobField (o: Record<string, unknown>, what: string): { job?: string } {
  if (o.job === undefined) return {}
  if (typeof o.job !== 'string' || o.job.length === 0 || o.job.length > 64) throw new MalformedMessageError(`${what}: job must be a job key of 1-64 chars`)
  return { job: o.job }
}
