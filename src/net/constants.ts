// Protocol constants of the fabric's network layer, documented in one place (see docs/protocols.md).

/** The request/response protocol that answers a node's own info and its view of the fabric. */
export const STATUS_PROTOCOL = '/fabric/status/1'

/** Largest gossip message accepted (CBOR bytes); larger ones are refused and counted. */
export const MAX_GOSSIP_MESSAGE_BYTES = 64 * 1024

/** Largest `/fabric/status/1` request frame; a request is tiny, so anything bigger is an attack or a bug. */
export const MAX_STATUS_REQUEST_BYTES = 4 * 1024

/** Largest `/fabric/status/1` reply frame (a view of ~4,000 peers at ~1 KiB each). */
export const MAX_STATUS_REPLY_BYTES = 4 * 1024 * 1024

/** How long a status stream may sit idle (no request) before the node closes it. */
export const STATUS_IDLE_TIMEOUT_MS = 30_000

/** Concurrent inbound status streams per connection. */
export const STATUS_MAX_INBOUND_STREAMS = 8

/** Limits on the fields of a resources message, so one peer cannot make others hold much memory. */
export const LIMITS = Object.freeze({
  peerIdChars: 128,
  addrs: 32,
  addrChars: 256,
  labels: 64,
  labelKeyChars: 64,
  labelValueChars: 256,
  customResources: 64,
  resourceNameChars: 64,
  gpuModelChars: 128,
  fabricNameChars: 64
})

/** The gossip topic of a fabric's resources and membership. */
export function resourcesTopic (fabricName: string): string {
  return `fabric/${fabricName}/resources`
}

/** Fabric names: short and topic-safe. */
export const FABRIC_NAME_RE = /^[A-Za-z0-9._-]{1,64}$/
