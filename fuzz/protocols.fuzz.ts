// Fuzzes the request and reply validators of the fabric's stream protocols: decodeObjectRequest
// (object-protocol.ts), decodeTaskRequest, decodeNested and decodeResultRefs (task-protocol.ts),
// decodeActorOpen, decodeActorRequest and decodeActorReply (actor-protocol.ts), decodeStateRequest
// and decodeStateReply (state-protocol.ts; a reply may also be a RemoteError). The first input
// byte picks the function. Checks: each returns or throws MalformedMessageError (or InvalidCidError
// for a bad CID); what it returns holds only CBOR data; a validated request survives encode and
// validation again unchanged; errors rebuilt from a reply have the wire shape (string name and
// message, a boolean retryable, causes of that shape).
import { decodeCbor, encode } from '../src/net/messages.js'
import { decodeObjectRequest } from '../src/net/object-protocol.js'
import { decodeNested, decodeResultRefs, decodeTaskRequest } from '../src/net/task-protocol.js'
import { decodeActorOpen, decodeActorReply, decodeActorRequest } from '../src/net/actor-protocol.js'
import { decodeStateReply, decodeStateRequest } from '../src/net/state-protocol.js'
import { check, errorShape, foreignValue, must, pick, same, typed } from './support/contract.js'

const PROTOCOL_ERRORS = ['MalformedMessageError', 'InvalidCidError'] as const

/** Each entry: a name, the function of bytes under test, and whether its output is a request that must roundtrip. */
const FUNCTIONS: Array<[string, (bytes: Uint8Array) => unknown, boolean]> = [
  ['decodeObjectRequest', decodeObjectRequest, true],
  ['decodeTaskRequest', decodeTaskRequest, true],
  ['decodeNested', (b) => decodeNested(decodeCbor(b)), true],
  ['decodeResultRefs', (b) => decodeResultRefs(decodeCbor(b)), true],
  ['decodeActorOpen', decodeActorOpen, true],
  ['decodeActorRequest', decodeActorRequest, true],
  ['decodeActorReply', (b) => decodeActorReply(b.subarray(1), b[0] ?? 0), false],
  ['decodeStateRequest', decodeStateRequest, true],
  ['decodeStateReply', decodeStateReply, true]
]

/** A state reply's `{ type: 'error' }` is the node's refusal, rebuilt as a RemoteError. */
const REPLY_ERRORS = [...PROTOCOL_ERRORS, 'RemoteError'] as const

export function fuzz (data: Uint8Array): void {
  const { choice, rest } = pick(data, FUNCTIONS.length)
  const [name, fn, roundtrips] = FUNCTIONS[choice]!
  const allowed = name === 'decodeStateReply' ? REPLY_ERRORS : PROTOCOL_ERRORS
  const out = typed(name, allowed, () => fn(rest))
  if (!out.ok) return
  const foreign = foreignValue(out.value)
  check(foreign === undefined, `${name} accepted a value CBOR data cannot hold: ${foreign}`)
  if (name === 'decodeActorReply') {
    const reply = out.value as { type: string, error?: unknown }
    if (reply.error !== undefined) errorShape(reply.error, `${name}(x).error`)
    return
  }
  if (name === 'decodeResultRefs') {
    for (const r of out.value as Array<{ error?: unknown }>) {
      if (r.error !== undefined) check(typeof r.error === 'object' && r.error !== null, 'decodeResultRefs accepted an error that is not a map')
    }
  }
  if (!roundtrips) return
  const bytes = must(`encode(${name}(x))`, () => encode(out.value as object))
  const again = typed(`${name}(encode(${name}(x)))`, allowed, () => fn(bytes))
  check(again.ok, `${name} refused its own output: ${again.ok ? '' : again.error.message}`)
  same(again.value, out.value, `${name}(encode(${name}(x))) != ${name}(x)`)
}
