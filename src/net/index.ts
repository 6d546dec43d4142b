// Public surface of the net area: the libp2p node per process, its view of the fabric, the status
// protocol client, identity and swarm-key helpers.
import './polyfill.js'

export type * from './interface.js'
export { createNetNode } from './net-node.js'
export type { NetNodeHooks } from './net-node.js'
export { LivenessView } from './fabric-view.js'
export { requestStatus } from './status-protocol.js'
export type { RequestStatusOptions } from './status-protocol.js'
export { createStatusClient } from './status-client.js'
export { loadOrCreateIdentity, IDENTITY_FILE } from './identity.js'
export { readSwarmKey, newSwarmKey } from './swarm-key.js'
export { decodeGossip, decodeStatusReply, decodeStatusRequest, encode, validateNodeInfo } from './messages.js'
export * from './errors.js'
export * from './constants.js'
export { pullObject, serveObjectStream, decodeObjectRequest } from './object-protocol.js'
export type { ObjectSource, PullOptions } from './object-protocol.js'
