// ObjectRef: a name for an object that may not exist yet. Shared by the host and the guest SDK,
// so it depends on nothing but the codec's tag number.

/**
 * A reference to an object in the fabric: a CID string for an object that exists, or a task
 * result id for one that is still being computed. Refs travel inside values (CBOR tag
 * {@link OBJECT_REF_TAG}) so the fabric can find the dependencies of a call.
 *
 * @example
 * const ref = new ObjectRef('bafkrei...')
 * ref.id // 'bafkrei...'
 */
export class ObjectRef<T = unknown> {
  /** Phantom field that carries the value type for the type checker; never set. */
  declare readonly __type?: T
  readonly id: string

  constructor (id: string) {
    if (typeof id !== 'string' || id.length === 0) {
      throw new TypeError('ObjectRef id must be a non-empty string')
    }
    this.id = id
  }

  toString (): string {
    return `ObjectRef(${this.id})`
  }

  toJSON (): { $ref: string } {
    return { $ref: this.id }
  }
}

/** The CBOR tag that marks an object ref inside an encoded value (private-use range). */
export const OBJECT_REF_TAG = 40121

/**
 * The CBOR tag a streaming guest wraps each yielded value in when it hands the value to the host
 * (`objects.put`) as it is yielded: the host adds it to the task's stream at once.
 */
export const STREAM_ITEM_TAG = 40122

/** The 3-byte CBOR head of a {@link STREAM_ITEM_TAG} tag. */
export const STREAM_ITEM_HEAD = Uint8Array.of(0xd9, (STREAM_ITEM_TAG >> 8) & 0xff, STREAM_ITEM_TAG & 0xff)
