// A durable actor's state as the worker sees it: the linear memories and mutable globals of its
// instance (the core modules export every mutable global; see component/expose-globals.ts).
//
// A snapshot is taken after a call: each memory is split into pages of SNAPSHOT_PAGE_BYTES, each
// compared with the copy kept from the last snapshot, and only the pages that differ are hashed
// and sent (a 1 MiB state that changes 4 KiB costs one or two pages). A restore writes a full
// image into a fresh instance on which the actor's constructor already ran with the same
// arguments: a guest is deterministic, so the fresh instance's host-side handle table (the
// actor's resource handle) matches the image's memory, which then replaces everything else.
import { createHash } from 'node:crypto'

/** Bytes per snapshot page: a QuickJS call that changes 4 KiB of its state dirties ~14 such pages (its stack, allocator, GC), 11 of 16 KiB. */
export const SNAPSHOT_PAGE_BYTES = 4 * 1024

/** Bytes compared at once before the pages in them are: a memory's sizes are multiples of 64 KiB. */
const COMPARE_BLOCK_BYTES = 64 * 1024

/** A delta as the worker sends it: per memory, the changed pages' indexes, bytes and digests, each in one buffer. */
export interface PackedDelta {
  memories: Array<{ size: number, indexes: Uint32Array, pages: Uint8Array, digests: Uint8Array }>
  globals: unknown[]
}

/** The buffers of a packed delta (moved to the main thread, not copied). */
export function deltaBuffers (d: PackedDelta): ArrayBuffer[] {
  return d.memories.flatMap(m => [m.indexes.buffer as ArrayBuffer, m.pages.buffer as ArrayBuffer, m.digests.buffer as ArrayBuffer])
}

/** A packed delta as its pages (views of its buffers). */
export function unpackDelta (d: PackedDelta): SnapshotDelta {
  return {
    memories: d.memories.map(m => ({
      size: m.size,
      changed: Array.from(m.indexes, (index, j) => ({
        index,
        bytes: m.pages.subarray(j * SNAPSHOT_PAGE_BYTES, (j + 1) * SNAPSHOT_PAGE_BYTES),
        digest: m.digests.subarray(j * 32, (j + 1) * 32)
      }))
    })),
    globals: d.globals
  }
}

/** A page that changed: its index in its memory, bytes, SHA-256. */
export interface ChangedPage {
  index: number
  bytes: Uint8Array
  digest: Uint8Array
}

/** What changed in an instance since its last snapshot. */
export interface SnapshotDelta {
  /** Per memory: its size in bytes now, and the pages that changed. */
  memories: Array<{ size: number, changed: ChangedPage[] }>
  /** Every mutable global's value, in the instance's order (i32/f32/f64 numbers, i64 as bigint, references as null). */
  globals: unknown[]
}

/** A whole state to restore: per memory, its size and every page (a zero page may be left out). */
export interface SnapshotImage {
  memories: Array<{ size: number, pages: Array<{ index: number, bytes: Uint8Array }> }>
  globals: unknown[]
}

/** Thrown when an image does not fit the instance it is restored into. */
export class SnapshotMismatchError extends Error {
  override name = 'SnapshotMismatchError'
}

/** The last snapshot's copy of an instance's memories, to find what changed. */
export class SnapshotTracker {
  private readonly shadows: Buffer[] = []

  constructor (private readonly memories: WebAssembly.Memory[], private readonly globals: WebAssembly.Global[]) {}

  /** The pages that changed since the last call (all pages the first time), and the globals. */
  delta (): PackedDelta {
    // Globals first: one that cannot be kept fails the snapshot before any page is taken as sent.
    const globals = this.globals.map(globalValue)
    const memories = this.memories.map((m, i) => {
      const now = Buffer.from(m.buffer)
      const first = this.shadows[i] === undefined
      let shadow = this.shadows[i]
      if (shadow === undefined || shadow.length < now.length) {
        // A memory grew: its new pages are compared with zeros (what a restore starts from).
        const grown = Buffer.alloc(now.length)
        shadow?.copy(grown)
        shadow = this.shadows[i] = grown
      }
      // Blocks of 16 pages first: most of a memory is unchanged, and one compare covers a block.
      const offsets: number[] = []
      for (let block = 0; block < now.length; block += COMPARE_BLOCK_BYTES) {
        const blockEnd = Math.min(now.length, block + COMPARE_BLOCK_BYTES)
        // The first snapshot sends every page: the image it starts must be whole.
        if (!first && now.compare(shadow, block, blockEnd, block, blockEnd) === 0) continue
        for (let off = block; off < blockEnd; off += SNAPSHOT_PAGE_BYTES) {
          const end = Math.min(blockEnd, off + SNAPSHOT_PAGE_BYTES)
          if (!first && now.compare(shadow, off, end, off, end) === 0) continue
          now.copy(shadow, off, off, end)
          offsets.push(off)
        }
      }
      // The changed pages and their digests copied into one buffer each: the memory changes on,
      // and two buffers move to the main thread without a copy (see PackedDelta).
      const pages = new Uint8Array(offsets.length * SNAPSHOT_PAGE_BYTES)
      const digests = new Uint8Array(offsets.length * 32)
      const indexes = new Uint32Array(offsets.length)
      offsets.forEach((off, j) => {
        const bytes = pages.subarray(j * SNAPSHOT_PAGE_BYTES, (j + 1) * SNAPSHOT_PAGE_BYTES)
        bytes.set(shadow.subarray(off, off + SNAPSHOT_PAGE_BYTES))
        digests.set(createHash('sha256').update(bytes).digest(), j * 32)
        indexes[j] = off / SNAPSHOT_PAGE_BYTES
      })
      return { size: now.length, indexes, pages, digests }
    })
    return { memories, globals }
  }

  /**
   * Write `image` into the instance (growing its memories to the image's sizes), and take it as
   * the last snapshot.
   * @throws SnapshotMismatchError when the image has other memories or globals than the instance
   */
  restore (image: SnapshotImage): void {
    if (image.memories.length !== this.memories.length || image.globals.length !== this.globals.length) {
      throw new SnapshotMismatchError(`the snapshot has ${image.memories.length} memories and ${image.globals.length} globals, the instance ${this.memories.length} and ${this.globals.length}: it was taken of another component`)
    }
    for (const [i, m] of this.memories.entries()) {
      const want = image.memories[i]!.size
      const have = m.buffer.byteLength
      if (want < have) throw new SnapshotMismatchError(`memory ${i} of the snapshot has ${want} bytes, less than a fresh instance's ${have}: it was taken of another component`)
      if (want > have) m.grow((want - have) / 65536)
      const now = Buffer.from(m.buffer)
      now.fill(0)
      for (const p of image.memories[i]!.pages) now.set(p.bytes, p.index * SNAPSHOT_PAGE_BYTES)
      this.shadows[i] = Buffer.from(now) // a copy
    }
    // An i64 global's value may come back from CBOR as a number: the fresh instance's says which.
    for (const [i, g] of this.globals.entries()) {
      const v = image.globals[i]
      g.value = typeof g.value === 'bigint' && typeof v === 'number' ? BigInt(v) : v
    }
  }
}

/**
 * What changed in a durable actor's instance since its last snapshot (sent with the call's answer).
 * @throws Error (SnapshotError) when the state cannot be kept: the actor was not created durable,
 *   or holds tensors (they live on the host, outside its memory), or a global holds a reference
 */
export function snapshotOf (tracker: SnapshotTracker | undefined, heldTensors: number): PackedDelta {
  if (tracker === undefined) throw Object.assign(new Error('a snapshot was asked of an actor not created durable'), { name: 'SnapshotError' })
  if (heldTensors > 0) {
    throw Object.assign(new Error(`a durable actor may not hold tensors between calls: it holds ${heldTensors}, which live on the host, outside the memory its snapshot keeps (drop them before the method returns, e.g. with nn.tidy, or leave durable out)`), { name: 'SnapshotError' })
  }
  try {
    return tracker.delta()
  } catch (err) {
    throw Object.assign(new Error(`the actor's state cannot be snapshotted: ${(err as Error).message}`), { name: 'SnapshotError' })
  }
}

/** A global's value as a snapshot keeps it: a number, a bigint (i64) or null (a null reference). */
function globalValue (g: WebAssembly.Global, i: number): unknown {
  const v: unknown = g.value
  if (typeof v === 'number' || typeof v === 'bigint' || v === null) return v
  throw new SnapshotMismatchError(`mutable global ${i} of the instance holds a reference (${typeof v}), which a snapshot cannot keep`)
}
