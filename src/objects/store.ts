// A node's content-addressed object store: a bounded memory tier that spills least recently used
// objects to one file per CID, with pin counts deciding when an object is gone.
// Over 500 lines: one class; its two tiers share the pin counts and the LRU order that decides what
// spills, so a split would pass that state back and forth on every put, get and unpin.
import os from 'node:os'
import path from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { InvalidCidError, SHA2_256, cidOfDigest, parseCid } from './cid.js'
import { InvalidObjectError, ObjectNotFoundError, ObjectStoreError, ObjectStoreStoppedError } from './errors.js'
import type { ObjectStore, ObjectStoreInit, ObjectStoreStats } from './interface.js'

/** Share of the machine's memory the memory tier may hold by default (DESIGN.md §5). */
const DEFAULT_MEMORY_FRACTION = 0.3
/**
 * Bytes hashed between two yields to the event loop. Hashing runs on the main thread because
 * WebCrypto's async digest copies its input (a second 1 GiB for a 1 GiB object); 16 MiB is ~10 ms of
 * sha256, short enough not to stall timers and network I/O.
 */
const HASH_CHUNK_BYTES = 16 * 1024 * 1024
/** Bytes per read or write call on a spill file: large enough to amortise the thread-pool hop. */
const IO_CHUNK_BYTES = 16 * 1024 * 1024
/**
 * A put whose view covers less than this share of its ArrayBuffer is copied: keeping the view would
 * keep the whole buffer alive while the accounting counts only the view.
 */
const MIN_VIEW_SHARE = 0.5

/**
 * Folders made by stores not yet stopped. A process that exits without stopping its store would
 * otherwise leave spill files (possibly gigabytes) in the temp dir; one 'exit' hook for all stores
 * removes them (a hook per store would trip the max-listeners warning).
 */
const liveDirs = new Set<string>()
let exitHookInstalled = false

function removeOnExit (dir: string): void {
  liveDirs.add(dir)
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const d of liveDirs) {
      try {
        rmSync(d, { recursive: true, force: true })
      } catch {
        // Exiting anyway: nothing better to do with the error.
      }
    }
  })
}

interface ResolvedInit {
  memoryCapacityBytes: number
  spillDir?: string
}

// The one place options get their defaults and are checked.
function resolveInit (init: ObjectStoreInit): ResolvedInit {
  const memoryCapacityBytes = init.memoryCapacityBytes ?? Math.floor(os.totalmem() * DEFAULT_MEMORY_FRACTION)
  if (typeof memoryCapacityBytes !== 'number' || !Number.isFinite(memoryCapacityBytes) || memoryCapacityBytes < 0) {
    throw new RangeError(`memoryCapacityBytes must be a finite number >= 0, got ${String(init.memoryCapacityBytes)}`)
  }
  if (init.spillDir !== undefined && (typeof init.spillDir !== 'string' || init.spillDir.length === 0)) {
    throw new TypeError('spillDir must be a non-empty path')
  }
  return {
    memoryCapacityBytes: Math.floor(memoryCapacityBytes),
    spillDir: init.spillDir === undefined ? undefined : path.resolve(init.spillDir)
  }
}

interface Entry {
  readonly cid: string
  readonly size: number
  pins: number
  /** Which tier counts the object. Exactly one does, so memoryBytes + diskBytes is the total. */
  tier: 'memory' | 'disk'
  /**
   * The bytes while in the memory tier (kept during a spill write: they are still in memory, and a
   * get meanwhile needs no disk read); for an oversized object, only until its file is written.
   */
  bytes: Uint8Array | undefined
  /** A spill write is in flight; such an object counts in `leavingBytes`. */
  spilling: boolean
  /** The reload in flight, shared by every get of this object that arrives meanwhile. */
  loading: Promise<Uint8Array> | undefined
  /** Gets in progress. While > 0 the object is not chosen for spilling. */
  readers: number
  /** Set on deletion, so async work that lands later leaves the accounting alone. */
  deleted: boolean
}

/** sha2-256 of `bytes` in one pass without copying them, yielding to the event loop between chunks. */
async function sha256 (bytes: Uint8Array): Promise<Uint8Array> {
  const hash = createHash('sha256')
  if (bytes.byteLength <= HASH_CHUNK_BYTES) return hash.update(bytes).digest()
  for (let off = 0; off < bytes.byteLength; off += HASH_CHUNK_BYTES) {
    if (off > 0) await yieldToLoop()
    hash.update(bytes.subarray(off, off + HASH_CHUNK_BYTES))
  }
  return hash.digest()
}

function sameDigest (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0
}

function errnoCode (err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

function reasonOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Thrown inside a reload when the file is not the object: the object is dropped. */
class DamagedFile extends Error {}

async function writeAll (fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let off = 0
  while (off < bytes.byteLength) {
    const len = Math.min(IO_CHUNK_BYTES, bytes.byteLength - off)
    const { bytesWritten } = await fh.write(bytes, off, len, off)
    off += bytesWritten
  }
}

/** Fill `buf[from, to)` from the file; a file that ends early is damaged. */
async function readRange (fh: FileHandle, buf: Uint8Array, from: number, to: number): Promise<void> {
  let off = from
  while (off < to) {
    const { bytesRead } = await fh.read(buf, off, to - off, off)
    if (bytesRead === 0) throw new DamagedFile(`it ends after ${off} bytes`)
    off += bytesRead
  }
}

class TieredObjectStore implements ObjectStore {
  private readonly capacity: number
  private readonly requestedDir?: string
  private dir?: string
  /** Topmost folder this store created (and so removes on stop); undefined if it was there already. */
  private createdDir?: string
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new'
  private starting?: Promise<void>
  private making?: Promise<string>
  private stopping?: Promise<void>

  private readonly objects = new Map<string, Entry>()
  /** Memory-tier objects that may spill, oldest use first (a Map keeps insertion order: O(1) LRU). */
  private readonly lru = new Map<string, Entry>()
  /**
   * Per CID, the tail of its file operations. Writes, reads and unlinks of one file run in order, so
   * an unlink after a reload cannot remove a file written by a later spill of the same CID.
   */
  private readonly fileOps = new Map<string, Promise<void>>()
  /** Spill files present, for a store that must remove only its own files from a given folder. */
  private readonly files = new Set<string>()

  private memoryBytes = 0
  private diskBytes = 0
  /** Memory-tier bytes whose spill is in flight: already on their way out when making room. */
  private leavingBytes = 0
  private spills = 0
  private reloads = 0

  constructor (init: ResolvedInit) {
    this.capacity = init.memoryCapacityBytes
    this.requestedDir = init.spillDir
  }

  get spillDir (): string | undefined {
    return this.dir
  }

  async start (): Promise<void> {
    if (this.state === 'stopped') throw new ObjectStoreStoppedError()
    this.starting ??= this.begin()
    await this.starting
  }

  // A given folder is made now, so a bad path fails start(); the default temp folder waits for the
  // first spill, so a store that never spills leaves nothing on disk.
  private async begin (): Promise<void> {
    this.state = 'starting'
    try {
      if (this.requestedDir !== undefined) await this.ensureDir()
    } catch (err) {
      if (this.state === 'starting') {
        this.starting = undefined
        this.state = 'new'
      }
      throw err
    }
    if (this.state === 'starting') {
      this.state = 'running'
    } else {
      // stop() ran while the folder was being made.
      await this.removeSpillFiles()
      throw new ObjectStoreStoppedError()
    }
  }

  /** The spill folder, made on first need (one attempt at a time; a failed one may be retried). */
  private async ensureDir (): Promise<string> {
    if (this.dir !== undefined) return this.dir
    this.making ??= this.makeDir().finally(() => { this.making = undefined })
    return await this.making
  }

  private async makeDir (): Promise<string> {
    const target = this.requestedDir ?? path.join(os.tmpdir(), 'fabric-spill-')
    try {
      if (this.requestedDir === undefined) {
        this.createdDir = await mkdtemp(target)
        this.dir = this.createdDir
      } else {
        // mkdir returns the first folder it had to create: that one, and only that one, is ours.
        this.createdDir = await mkdir(target, { recursive: true })
        this.dir = target
      }
    } catch (err) {
      throw new ObjectStoreError(`cannot create the spill folder ${target}: ${reasonOf(err)}`, { path: target, cause: err })
    }
    if (this.createdDir !== undefined) removeOnExit(this.createdDir)
    return this.dir
  }

  async stop (): Promise<void> {
    this.stopping ??= this.shutdown()
    await this.stopping
  }

  private async shutdown (): Promise<void> {
    const wasStarting = this.starting
    this.state = 'stopped'
    // Let file operations in flight land (an op may queue another, e.g. a reload's unlink).
    while (this.fileOps.size > 0) await Promise.all(this.fileOps.values())
    for (const entry of this.objects.values()) {
      entry.deleted = true
      entry.bytes = undefined
    }
    this.objects.clear()
    this.lru.clear()
    this.memoryBytes = 0
    this.diskBytes = 0
    this.leavingBytes = 0
    // A start in flight removes its own folder when it sees it was stopped.
    if (wasStarting !== undefined) await wasStarting.catch(() => {})
    await this.removeSpillFiles()
  }

  private async removeSpillFiles (): Promise<void> {
    if (this.createdDir !== undefined) {
      await rm(this.createdDir, { recursive: true, force: true })
      liveDirs.delete(this.createdDir)
    } else if (this.dir !== undefined) {
      const dir = this.dir
      await Promise.all([...this.files].map(async f => await unlink(path.join(dir, f)).catch(() => {})))
    }
    this.files.clear()
  }

  private assertRunning (): void {
    if (this.state === 'running') return
    if (this.state === 'stopped') throw new ObjectStoreStoppedError()
    throw new ObjectStoreError('the object store is not started: call and await start() first')
  }

  async put (bytes: Uint8Array, options: { cid?: string, sha256?: Uint8Array } = {}): Promise<string> {
    this.assertRunning()
    if (!(bytes instanceof Uint8Array)) throw new TypeError('put takes a Uint8Array')
    if (bytes.byteLength < bytes.buffer.byteLength * MIN_VIEW_SHARE) bytes = bytes.slice()
    let cid: string
    if (options.sha256 !== undefined && options.cid === undefined) {
      // Computed by trusted host code from these very bytes (a worker, for a call's result).
      if (options.sha256.byteLength !== 32) throw new TypeError(`put: a sha256 digest has 32 bytes, not ${options.sha256.byteLength}`)
      cid = cidOfDigest(options.sha256)
    } else if (options.cid !== undefined) {
      const expected = parseCid(options.cid)
      if (expected.multihash.code !== SHA2_256) {
        throw new InvalidCidError(`cannot verify CID ${options.cid}: the fabric supports sha2-256 only`)
      }
      // Verified even when the CID is already held: a caller offering wrong bytes must hear so.
      const digest = await sha256(bytes)
      if (!sameDigest(digest, expected.multihash.digest)) throw InvalidObjectError.mismatch(options.cid, cidOfDigest(digest))
      cid = options.cid
    } else {
      cid = cidOfDigest(await sha256(bytes))
    }
    this.assertRunning()

    const held = this.objects.get(cid)
    if (held !== undefined) {
      held.pins++
      this.touch(held)
      return cid
    }
    const entry: Entry = {
      cid, size: bytes.byteLength, pins: 1, tier: 'memory', bytes, spilling: false, loading: undefined, readers: 0, deleted: false
    }
    this.objects.set(cid, entry)
    this.memoryBytes += entry.size
    let writes: Array<Promise<void>>
    if (entry.size > this.capacity) {
      // It can never fit: straight to disk. It counts in memory until written, because it is.
      writes = [this.spill(entry)]
    } else {
      this.lru.set(cid, entry)
      writes = this.makeRoom()
    }
    // Waiting for the writes is the backpressure that keeps a burst of puts from outrunning the disk.
    const failed = (await Promise.allSettled(writes)).find(r => r.status === 'rejected')
    if (failed !== undefined) {
      // The objects that failed to spill stay in memory; this put gives its pin back, so a caller that
      // sees the error holds nothing (another put of the same bytes keeps its own pin).
      if (!entry.deleted && this.state === 'running') this.unpin(cid)
      throw failed.reason
    }
    return cid
  }

  async get (cid: string): Promise<Uint8Array> {
    this.assertRunning()
    const entry = this.objects.get(cid)
    if (entry === undefined) throw ObjectNotFoundError.of(cid)
    if (entry.bytes !== undefined) {
      this.touch(entry)
      return entry.bytes
    }
    entry.readers++
    try {
      entry.loading ??= this.reload(entry)
      return await entry.loading
    } finally {
      entry.readers--
    }
  }

  has (cid: string): boolean {
    this.assertRunning()
    return this.objects.has(cid)
  }

  size (cid: string): number | undefined {
    this.assertRunning()
    return this.objects.get(cid)?.size
  }

  pin (cid: string): void {
    this.assertRunning()
    const entry = this.objects.get(cid)
    if (entry === undefined) throw ObjectNotFoundError.of(cid)
    entry.pins++
  }

  unpin (cid: string): boolean {
    // Releasing is always safe: after stop every object is gone already, and cleanup paths (a ref
    // dropped late, a finaliser) must not throw for it.
    if (this.state === 'stopped') return false
    this.assertRunning()
    const entry = this.objects.get(cid)
    if (entry === undefined) return false
    entry.pins--
    if (entry.pins > 0) return false
    this.delete(entry)
    return true
  }

  * list (): Iterable<{ cid: string, size: number, tier: 'memory' | 'disk', pins: number }> {
    for (const e of this.objects.values()) yield { cid: e.cid, size: e.size, tier: e.tier, pins: e.pins }
  }

  stats (): ObjectStoreStats {
    return {
      objects: this.objects.size,
      memoryBytes: this.memoryBytes,
      diskBytes: this.diskBytes,
      spills: this.spills,
      reloads: this.reloads
    }
  }

  private touch (entry: Entry): void {
    if (this.lru.delete(entry.cid)) this.lru.set(entry.cid, entry)
  }

  private delete (entry: Entry): void {
    entry.deleted = true
    this.objects.delete(entry.cid)
    if (entry.tier === 'memory') {
      this.memoryBytes -= entry.size
      this.lru.delete(entry.cid)
      if (entry.spilling) {
        this.leavingBytes -= entry.size
        entry.spilling = false
        this.removeFile(entry.cid) // queued after the write, so it removes what the write leaves
      }
    } else {
      this.diskBytes -= entry.size
      this.removeFile(entry.cid)
    }
    entry.bytes = undefined
  }

  /** Start spilling least recently used objects until the memory tier fits; the writes started. */
  private makeRoom (): Array<Promise<void>> {
    const writes: Array<Promise<void>> = []
    for (const entry of this.lru.values()) {
      if (this.memoryBytes - this.leavingBytes <= this.capacity) break
      if (entry.readers > 0) continue
      writes.push(this.spill(entry))
    }
    return writes
  }

  private async spill (entry: Entry): Promise<void> {
    const bytes = entry.bytes
    if (bytes === undefined) throw new Error(`internal: spill of ${entry.cid} without its bytes`)
    entry.spilling = true
    this.lru.delete(entry.cid)
    this.leavingBytes += entry.size
    try {
      await this.onFile(entry.cid, async () => await this.writeFile(entry.cid, bytes))
    } catch (err) {
      if (!entry.deleted && entry.spilling) {
        entry.spilling = false
        this.leavingBytes -= entry.size
        this.lru.set(entry.cid, entry)
      }
      throw err
    }
    if (entry.deleted || !entry.spilling) return
    entry.spilling = false
    this.leavingBytes -= entry.size
    entry.bytes = undefined
    entry.tier = 'disk'
    this.memoryBytes -= entry.size
    this.diskBytes += entry.size
    this.spills++
  }

  private async reload (entry: Entry): Promise<Uint8Array> {
    try {
      const bytes = await this.onFile(entry.cid, async () => await this.readFile(entry))
      if (this.state === 'stopped') throw new ObjectStoreStoppedError()
      // Deleted while being read: the gets waiting asked while it existed, so they get the bytes.
      if (entry.deleted) return bytes
      this.reloads++
      // An object larger than the whole tier is served from disk each time and stays there.
      if (entry.size > this.capacity) return bytes
      entry.tier = 'memory'
      entry.bytes = bytes
      this.diskBytes -= entry.size
      this.memoryBytes += entry.size
      this.lru.set(entry.cid, entry)
      // One tier per object: the file goes, and a later spill writes it again.
      this.removeFile(entry.cid)
      // Failed spills leave their objects in memory; the bytes read are good, so the get succeeds.
      await Promise.allSettled(this.makeRoom())
      return bytes
    } finally {
      entry.loading = undefined
    }
  }

  /** Run `op` after every earlier file operation on `cid`. */
  private async onFile<T> (cid: string, op: () => Promise<T>): Promise<T> {
    const previous = this.fileOps.get(cid) ?? Promise.resolve()
    const run = previous.then(op)
    const tail = run.then(() => {}, () => {})
    this.fileOps.set(cid, tail)
    void tail.then(() => {
      if (this.fileOps.get(cid) === tail) this.fileOps.delete(cid)
    })
    return await run
  }

  private filePath (cid: string): string {
    if (this.dir === undefined) throw new Error('internal: no spill folder')
    return path.join(this.dir, cid)
  }

  // Written to a temp name and renamed, so a file named by a CID is always complete. No fsync: the
  // folder lives only as long as this process's store, so a crash loses it anyway.
  private async writeFile (cid: string, bytes: Uint8Array): Promise<void> {
    const file = path.join(await this.ensureDir(), cid)
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    try {
      const fh = await open(tmp, 'wx')
      try {
        await writeAll(fh, bytes)
      } finally {
        await fh.close()
      }
      await rename(tmp, file)
      this.files.add(cid)
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw new ObjectStoreError(
        `cannot spill object ${cid} to ${file}: ${reasonOf(err)}; it stays in memory`,
        { path: file, cause: err, retryable: true }
      )
    }
  }

  /** The object's bytes from its file, verified against its CID while they are read. */
  private async readFile (entry: Entry): Promise<Uint8Array> {
    const file = this.filePath(entry.cid)
    try {
      const fh = await open(file, 'r')
      try {
        const { size } = await fh.stat()
        if (size !== entry.size) throw new DamagedFile(`it holds ${size} bytes, the object has ${entry.size}`)
        // allocUnsafeSlow: no zero fill (every byte is read over) and no pooling (the object owns it).
        const buf = Buffer.allocUnsafeSlow(size)
        const hash = createHash('sha256')
        // Read the next chunk on the thread pool while this one is hashed on the main thread.
        let pending = readRange(fh, buf, 0, Math.min(IO_CHUNK_BYTES, size))
        for (let off = 0; off < size; off += IO_CHUNK_BYTES) {
          await pending
          const end = Math.min(off + IO_CHUNK_BYTES, size)
          if (end < size) pending = readRange(fh, buf, end, Math.min(end + IO_CHUNK_BYTES, size))
          hash.update(buf.subarray(off, end))
        }
        const expected = parseCid(entry.cid).multihash.digest
        const actual = hash.digest()
        if (!sameDigest(actual, expected)) throw new DamagedFile(`its bytes are ${cidOfDigest(actual)}`)
        return new Uint8Array(buf.buffer, buf.byteOffset, size)
      } finally {
        await fh.close()
      }
    } catch (err) {
      if (err instanceof DamagedFile || errnoCode(err) === 'ENOENT') {
        // The object is lost: keeping an entry whose every get fails would only hide that.
        if (!entry.deleted) this.delete(entry)
        const why = err instanceof DamagedFile ? `the file is damaged (${err.message})` : 'the file is missing'
        throw new ObjectStoreError(
          `cannot reload object ${entry.cid} from ${file}: ${why}; the object was dropped`,
          { path: file, cause: err, retryable: false }
        )
      }
      throw new ObjectStoreError(
        `cannot reload object ${entry.cid} from ${file}: ${reasonOf(err)}`,
        { path: file, cause: err, retryable: true }
      )
    }
  }

  private removeFile (cid: string): void {
    void this.onFile(cid, async () => {
      await unlink(this.filePath(cid)).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw err
      })
      this.files.delete(cid)
    }).catch(() => {})
  }
}

/**
 * Create a node's object store: immutable byte strings named by their CID, pinned while referenced,
 * held in a bounded memory tier that spills least recently used objects to disk. Call `start()`
 * before use and `stop()` when done (it deletes every object and the spill files).
 *
 * The store keeps the caller's buffer rather than copying it, so a put costs one sha256 pass: once
 * put, the bytes are immutable and the caller must not change them. The bytes `get` returns are
 * shared the same way and must not be changed either. A put with `{ cid }` is verified first.
 *
 * The memory tier may exceed its capacity for as long as spill writes are in flight; a put waits
 * for the spills it starts. An object larger than the whole tier goes straight to disk and is
 * read from there on every get. Give each store its own `spillDir`: files are named by CID only.
 *
 * After `stop()`, `stats()` still answers and `unpin()` returns false (the object is gone anyway);
 * every other call throws ObjectStoreStoppedError.
 *
 * @example
 * const store = createObjectStore({ memoryCapacityBytes: 256 * 1024 * 1024 })
 * await store.start()
 * const cid = await store.put(new TextEncoder().encode('hello'))
 * await store.get(cid) // the same bytes
 * store.unpin(cid) // true: no pins left, the object is deleted
 * await store.stop()
 */
export function createObjectStore (init: ObjectStoreInit = {}): ObjectStore {
  return new TieredObjectStore(resolveInit(init))
}
