// Typed failures of the network layer. Each has a stable `name` so it survives network and process
// boundaries (see src/errors); match on `name`, not `instanceof`.
import { FabricError, registerError } from '../errors/index.js'

type Init = { retryable?: boolean, cause?: unknown }

/** Thrown when the node's identity key file exists but cannot be read or parsed; it is never silently replaced. */
export class IdentityKeyError extends FabricError {
  override name = 'IdentityKeyError'
  constructor (message = 'the identity key file is unreadable', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

/** Thrown when a swarm key (the `--secret` file of a private fabric) is missing or not in the swarm-key format. */
export class SwarmKeyError extends FabricError {
  override name = 'SwarmKeyError'
  constructor (message = 'the swarm key is invalid', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

/** Thrown when bytes from the network fail validation (not CBOR, wrong shape, too large). */
export class MalformedMessageError extends FabricError {
  override name = 'MalformedMessageError'
  constructor (message = 'malformed message', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

/** Thrown when a peer cannot be reached or the connection fails its handshake (wrong secret, wrong encrypter). */
export class PeerUnreachableError extends FabricError {
  override name = 'PeerUnreachableError'
  constructor (message = 'the peer could not be reached', init: Init = {}) { super(message, { retryable: true, ...init }) }
}

/** Thrown when a remote node answered a request with an error frame. */
export class RemoteError extends FabricError {
  override name = 'RemoteError'
  constructor (message = 'the remote node refused the request', init: Init = {}) { super(message, { retryable: false, ...init }) }
}
/**
 * A node sent a run request back instead of taking it (full, or unable to run it while another node
 * can): the caller places the task again, on `to` when given. Not a failure of the task.
 */
export class SpilledBackError extends FabricError {
  override name = 'SpilledBackError'
  /** The node the refusing node suggests, if it knows one with room. */
  readonly to: string | undefined
  constructor (message = 'the node spilled the task back', init: Init & { to?: string } = {}) {
    super(message, { retryable: true, ...init })
    this.to = init.to
  }
}

/** Thrown for invalid options given to the network layer (a bad multiaddr, a bad fabric name). */
export class NetConfigError extends FabricError {
  override name = 'NetConfigError'
  constructor (message = 'invalid network configuration', init: Init = {}) { super(message, { retryable: false, ...init }) }
}

registerError('IdentityKeyError', IdentityKeyError)
registerError('SwarmKeyError', SwarmKeyError)
registerError('MalformedMessageError', MalformedMessageError)
registerError('PeerUnreachableError', PeerUnreachableError)
registerError('RemoteError', RemoteError)
registerError('NetConfigError', NetConfigError)
registerError('SpilledBackError', SpilledBackError)
