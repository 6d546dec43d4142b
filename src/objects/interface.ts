// Contracts of the objects area: the content-addressed store every node keeps.

/** Options of an {@link ObjectStore}. */
export interface ObjectStoreInit {
  /**
   * Bytes the memory tier may hold; beyond it the least recently used unpinned-in-use objects
   * spill to disk.
   * @default 30% of the machine's memory
   */
  memoryCapacityBytes?: number
  /**
   * Folder of the disk tier (one file per object, named by its CID). Created on start if missing;
   * on stop the store removes what it created (the folder, or only its files in a folder that was
   * there before). Give each store its own.
   * @default a fresh folder under the OS temp dir, made on the first spill
   */
  spillDir?: string
}

/** Counters of a store, for status, tests and benchmarks. */
export interface ObjectStoreStats {
  /** Objects held (either tier). */
  objects: number
  /** Bytes in the memory tier. */
  memoryBytes: number
  /** Bytes in the disk tier. */
  diskBytes: number
  /** Objects written to disk since start. */
  spills: number
  /** Objects read back from disk since start. */
  reloads: number
}

/**
 * A node's object store: immutable byte strings named by their CID (CIDv1, raw codec, sha2-256).
 * Objects live while they are pinned (reference counted); an object whose count drops to zero is
 * deleted from both tiers. The memory tier is bounded: least recently used objects spill to disk
 * and are reloaded on demand.
 */
export interface ObjectStore {
  start: () => Promise<void>
  /** Delete every object, the spill folder with them. Idempotent. */
  stop: () => Promise<void>
  /**
   * Store bytes and pin them once; returns their CID. When `cid` is given the bytes are verified
   * against it and refused (InvalidObjectError) if they do not match. `sha256`: the bytes' digest,
   * computed by trusted host code (a worker, for a call's result), used instead of hashing again;
   * never pass one that came from a peer or a guest. Storing bytes already held only adds a pin.
   */
  put: (bytes: Uint8Array, options?: { cid?: string, sha256?: Uint8Array }) => Promise<string>
  /** The bytes of `cid` (reloaded from disk if spilled). Throws ObjectNotFoundError if not held. */
  get: (cid: string) => Promise<Uint8Array>
  has: (cid: string) => boolean
  /** Size in bytes of a held object, or undefined. */
  size: (cid: string) => number | undefined
  /** Add a pin. Throws ObjectNotFoundError if not held. */
  pin: (cid: string) => void
  /** Drop a pin; at zero pins the object is deleted. Returns whether it was deleted. */
  unpin: (cid: string) => boolean
  stats: () => ObjectStoreStats
  /** Every object held, with its size, tier (disk: spilled) and pins (the state API lists them). */
  list: () => Iterable<{ cid: string, size: number, tier: 'memory' | 'disk', pins: number }>
  /**
   * Folder of the disk tier once it exists (a given `spillDir` is made by `start()`, the default
   * temp folder on the first spill); undefined before. For diagnostics and tests.
   */
  readonly spillDir?: string
}
