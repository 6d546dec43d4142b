// The objects area's public surface: the node's object store, the value codec, object refs and CIDs.
export { createObjectStore } from './store.js'
export { ObjectNotFoundError, InvalidObjectError, ObjectStoreError, ObjectStoreStoppedError, ObjectLostError } from './errors.js'
export type { ObjectStore, ObjectStoreInit, ObjectStoreStats } from './interface.js'
export { encode, decode, findRefs, mapRefs, mayHoldRefs, CodecError } from './codec.js'
export { ObjectRef, OBJECT_REF_TAG } from './object-ref.js'
export { cidOfBytes, cidOfBytesSync, cidOfDigest, verifyCid, parseCid, InvalidCidError, RAW_CODEC, SHA2_256 } from './cid.js'
