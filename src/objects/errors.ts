// Errors of the objects area. They cross the network (a peer asks for an object, a receiver refuses
// bytes), so the facts a reader needs (the CIDs, the file) are in the message, not only in fields.
import { FabricError, registerError } from '../errors/index.js'

interface Init { retryable?: boolean, cause?: unknown }

/**
 * Thrown when a store does not hold an object: it was never stored on this node, or all its pins
 * were released and it was deleted. Not retryable here; the object's owner may rebuild it from its
 * lineage or fetch it from another node.
 */
export class ObjectNotFoundError extends FabricError {
  override name = 'ObjectNotFoundError'
  /** The CID asked for, when known (not carried by the wire form; the message names it too). */
  cid?: string

  constructor (message = 'object not found in this store (it may have been released)', init: Init & { cid?: string } = {}) {
    super(message, { retryable: false, ...init })
    this.cid = init.cid
  }

  /** The error for `cid`, with the message every caller should see. */
  static of (cid: string): ObjectNotFoundError {
    return new ObjectNotFoundError(
      `object ${cid} is not held by this store: it was never stored here, or all its pins were released and it was deleted`,
      { cid }
    )
  }
}

/**
 * Thrown when bytes do not match the CID they were offered under, so they were refused. Retryable
 * by default: the usual cause is damage in transit, and fetching the bytes again (from the same or
 * another copy) may succeed.
 */
export class InvalidObjectError extends FabricError {
  override name = 'InvalidObjectError'
  /** The CID the bytes were offered under. */
  expected?: string
  /** The CID of the bytes actually received. */
  actual?: string

  constructor (message = 'bytes do not match their CID: refused', init: Init & { expected?: string, actual?: string } = {}) {
    super(message, { retryable: true, ...init })
    this.expected = init.expected
    this.actual = init.actual
  }

  /** The error for bytes offered as `expected` whose CID is `actual`. */
  static mismatch (expected: string, actual: string): InvalidObjectError {
    return new InvalidObjectError(
      `refused: bytes offered as ${expected} are ${actual} (their sha2-256 does not match the CID)`,
      { expected, actual }
    )
  }
}

/**
 * Thrown when the store's disk tier fails: a spill file cannot be written or read, is damaged, or the
 * spill folder cannot be created. The message names the path and the cause; `retryable` is true
 * when the failure may be transient (the object was kept), false when the object was lost.
 */
export class ObjectStoreError extends FabricError {
  override name = 'ObjectStoreError'
  /** The file or folder involved, when known. */
  path?: string

  constructor (message = 'the object store\'s disk tier failed', init: Init & { path?: string } = {}) {
    super(message, { retryable: false, ...init })
    this.path = init.path
  }
}

/** Thrown by every call on an object store after `stop()`. Create a new store to go on. */
export class ObjectStoreStoppedError extends FabricError {
  override name = 'ObjectStoreStoppedError'
  constructor (message = 'the object store has stopped: its objects were deleted; create a new store', init: Init = {}) {
    super(message, { retryable: false, ...init })
  }
}

/**
 * Thrown when an object's every copy is gone (its holders died or dropped it) and it cannot be
 * rebuilt: it has no lineage (it was put, not computed), or re-running the task that made it
 * failed. The message names the CID, the holders tried and why lineage could not help. On a node,
 * an argument it could not pull from any holder (`retryable`: its owner may rebuild it).
 */
export class ObjectLostError extends FabricError {
  override name = 'ObjectLostError'
  /** The lost object's CID (the message names it too). */
  cid?: string

  constructor (message = 'every copy of the object is gone', init: Init & { cid?: string } = {}) {
    super(message, { retryable: true, ...init })
    this.cid = init.cid
  }
}

for (const cls of [ObjectNotFoundError, InvalidObjectError, ObjectStoreError, ObjectStoreStoppedError, ObjectLostError]) {
  registerError(new cls().name, cls)
}
