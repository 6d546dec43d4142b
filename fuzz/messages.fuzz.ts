// Fuzzes the net area's one place for untrusted bytes (src/net/messages.ts): decodeCbor,
// decodeCborMap, decodeGossip (what gossip.ts's topic validator runs), decodeStatusRequest and
// decodeStatusReply (status-protocol.ts), validateNodeInfo and validateManifest. The first input
// byte picks the function. Checks: each returns or throws MalformedMessageError; what it returns
// holds only CBOR data (no symbols); and a validated message survives encode and validation again
// unchanged (validation is a fixed point, so a node forwards what it accepted).
import { decodeCbor, decodeCborMap, decodeGossip, decodeStatusReply, decodeStatusRequest, encode, validateManifest, validateNodeInfo } from '../src/net/messages.js'
import { check, foreignValue, must, pick, same, typed } from './support/contract.js'

const NET_ERRORS = ['MalformedMessageError'] as const

/** Each entry: a name, and the function of bytes under test. */
const FUNCTIONS: Array<[string, (bytes: Uint8Array) => unknown]> = [
  ['decodeCbor', decodeCbor],
  ['decodeCborMap', (b) => decodeCborMap(b, 'frame')],
  ['decodeGossip', decodeGossip],
  ['decodeStatusRequest', decodeStatusRequest],
  ['decodeStatusReply', decodeStatusReply],
  ['validateNodeInfo', (b) => validateNodeInfo(decodeCbor(b))],
  ['validateManifest', (b) => validateManifest(decodeCbor(b))]
]

export function fuzz (data: Uint8Array): void {
  const { choice, rest } = pick(data, FUNCTIONS.length)
  const [name, fn] = FUNCTIONS[choice]!
  const out = typed(name, NET_ERRORS, () => fn(rest))
  if (!out.ok) return
  const foreign = foreignValue(out.value)
  check(foreign === undefined, `${name} accepted a value CBOR data cannot hold: ${foreign}`)
  if (name === 'decodeCbor' || name === 'decodeCborMap') return
  // What was accepted encodes, and validates again to the same message.
  const bytes = must(`encode(${name}(x))`, () => encode(out.value as object))
  const again = typed(`${name}(encode(${name}(x)))`, NET_ERRORS, () => fn(bytes))
  check(again.ok, `${name} refused its own output: ${again.ok ? '' : again.error.message}`)
  same(again.value, out.value, `${name}(encode(${name}(x))) != ${name}(x)`)
}
