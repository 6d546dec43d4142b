// Canonical-ABI support for the `fabric:core/guest@0.1.0` exports of an AssemblyScript guest.
//
// The build generates a small glue module per guest (guest-sdk/src/build/as-glue.ts) that decodes
// arguments and dispatches by name; everything that does not depend on the user's exports lives
// here: memory handed across the boundary, the layouts of `result<_, task-error>` and `manifest`,
// post-return freeing, and the table of live actors.
//
// Memory ownership (canonical ABI): parameters the host passes (names, CBOR args) are allocated
// through `cabi_realloc` and belong to the guest, which frees them before the export returns.
// Results (CBOR bytes, error strings) are allocated by the guest and freed by the matching
// `cabi_post_*` function once the host has copied them out. All of it is untracked heap memory
// (heap.alloc/free), so the garbage collector never sees it and nothing outlives a call.
import { CborReader, CborWriter } from './cbor'

/** A failure returned to the host as the WIT `task-error` record. */
export class TaskError {
  constructor(public kind: string, public message: string, public retryable: bool = false) {}
}

@external("[export]fabric:core/guest@0.1.0", "[resource-new]actor")
declare function actorResourceNew(rep: u32): u32

// Layouts (canonical ABI, 32-bit): result<list<u8> | own<actor>, task-error> is a u8 discriminant
// and a payload at offset 4 — ok: (ptr, len) or a handle; err: kind (ptr, len) at 4, message
// (ptr, len) at 12, retryable at 20 — 24 bytes in all.
const RESULT_SIZE: i32 = 24

// One return area serves every export: the component model never re-enters an instance, so the
// host has read a call's results (and run its post-return) before the next call can start.
const RET_AREA = memory.data(RESULT_SIZE, 8)

// Blocks the host allocated through cabi_realloc during the current export call. Tracking them,
// instead of freeing the (ptr, len) pairs the export receives, keeps this correct for hosts that
// pass a dummy pointer for empty strings (jco passes 1) and for reallocations while encoding.
const hostBlocks = new Array<usize>()

/** `cabi_realloc`: how the host allocates parameters in guest memory. */
export function cabi_realloc(oldPtr: usize, oldSize: usize, align: usize, newSize: usize): usize {
  // TLSF blocks are 16-byte aligned, more than any fabric type needs.
  if (oldPtr == 0) {
    const ptr = heap.alloc(newSize)
    hostBlocks.push(ptr)
    return ptr
  }
  const ptr = heap.realloc(oldPtr, newSize)
  const i = hostBlocks.indexOf(oldPtr)
  if (i >= 0) hostBlocks[i] = ptr
  else hostBlocks.push(ptr)
  return ptr
}

/**
 * Frees one block the host allocated (an import's returned list or string) once it has been copied
 * out, instead of at the end of the call: a loop that reads many results stays flat.
 */
export function releaseHostBlock(ptr: usize): void {
  const i = hostBlocks.lastIndexOf(ptr)
  if (i < 0) return
  heap.free(ptr)
  const last = hostBlocks.length - 1
  if (i != last) hostBlocks[i] = hostBlocks[last]
  hostBlocks.length = last
}

/**
 * A full collection after a call whose garbage made the memory grow (large arguments, big
 * temporary arrays): the incremental collector alone lets a run of such calls climb to the
 * memory cap, and an allocation that cannot grow the memory traps.
 */
function collectIfGrown(pagesBefore: i32): void {
  if (memory.size() > pagesBefore) __collect()
}

/** Frees what the host allocated for the current call's parameters. */
function freeHostBlocks(): void {
  for (let i = 0, n = hostBlocks.length; i < n; i++) heap.free(unchecked(hostBlocks[i]))
  hostBlocks.length = 0
}

// ---- application errors -------------------------------------------------------------------

let pendingFailure: TaskError | null = null

/**
 * Makes the running task or actor call fail with a `task-error` instead of returning its value
 * (AssemblyScript has no exceptions; `abort` traps and kills the instance). See `fail` in index.ts.
 */
export function setFailure(kind: string, message: string, retryable: bool): void {
  pendingFailure = new TaskError(kind, message, retryable)
}

/** The failure the current call will return, if one was recorded. */
export function currentFailure(): TaskError | null {
  return pendingFailure
}

function takeFailure(): TaskError | null {
  const failure = pendingFailure
  pendingFailure = null
  return failure
}

// ---- errors the glue reports --------------------------------------------------------------

/** The argument array's head was wrong: not an array, or the wrong number of elements. */
export function badArity(what: string, expected: i32, got: i32, args: CborReader): TaskError {
  if (got < 0) return new TaskError('bad-argument', what + ': arguments must be a CBOR array: ' + args.error!)
  return new TaskError('bad-argument', what + ': expected ' + expected.toString() + ' argument' +
    (expected == 1 ? '' : 's') + ', got ' + got.toString())
}

/** Argument `index` (0-based) failed to decode as its parameter's type. */
export function badArgument(what: string, index: i32, param: string, args: CborReader): TaskError {
  return new TaskError('bad-argument', what + ': argument ' + (index + 1).toString() + ' (' + param + '): ' + args.error!)
}

/** Bytes after the argument array. */
export function trailingBytes(what: string): TaskError {
  return new TaskError('bad-argument', what + ': unexpected bytes after the argument array')
}

export function unknownTask(name: string): TaskError {
  return new TaskError('unknown-task', 'this component has no task named "' + name + '"')
}

export function unknownActor(className: string): TaskError {
  return new TaskError('unknown-actor', 'this component has no actor class named "' + className + '"')
}

export function unknownMethod(className: string, method: string): TaskError {
  return new TaskError('unknown-method', 'actor class ' + className + ' has no method named "' + method + '"')
}

// ---- results ------------------------------------------------------------------------------

/** Copies a string into a fresh heap block as UTF-8 and stores (ptr, len) at `at`. */
function storeUtf8(s: string, at: usize): void {
  const len = <usize>String.UTF8.byteLength(s)
  const ptr = heap.alloc(len)
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, ptr)
  store<u32>(at, <u32>ptr)
  store<u32>(at, <u32>len, 4)
}

function errorResult(err: TaskError): usize {
  store<u8>(RET_AREA, 1)
  storeUtf8(err.kind, RET_AREA + 4)
  storeUtf8(err.message, RET_AREA + 12)
  store<u8>(RET_AREA, err.retryable ? 1 : 0, 20)
  return RET_AREA
}

function bytesResult(err: TaskError | null, out: CborWriter): usize {
  const failure = takeFailure()
  if (failure != null) err = failure
  if (err != null) {
    out.discard()
    return errorResult(err)
  }
  store<u8>(RET_AREA, 0)
  store<u32>(RET_AREA, <u32>out.length, 8)
  store<u32>(RET_AREA, <u32>out.finish(), 4)
  return RET_AREA
}

/** Post-return of `call` and `invoke`: frees the CBOR result or the error strings. */
export function postBytesResult(ret: usize): void {
  if (load<u8>(ret) == 0) {
    heap.free(<usize>load<u32>(ret, 4))
  } else {
    postErrorResult(ret)
  }
}

/** Post-return of `create`: an ok handle owns no memory; an error owns its two strings. */
export function postErrorResult(ret: usize): void {
  if (load<u8>(ret) == 0) return
  heap.free(<usize>load<u32>(ret, 4))
  heap.free(<usize>load<u32>(ret, 12))
}

// ---- tasks --------------------------------------------------------------------------------

/** Runs task `name`: decodes `args`, calls the user function, writes the CBOR result to `out`. */
export type TaskDispatcher = (name: string, args: CborReader, out: CborWriter) => TaskError | null

export function call(namePtr: usize, nameLen: usize, argsPtr: usize, argsLen: usize, dispatch: TaskDispatcher): usize {
  const pages = memory.size()
  const name = String.UTF8.decodeUnsafe(namePtr, nameLen)
  const out = new CborWriter()
  const err = dispatch(name, new CborReader(argsPtr, argsLen), out)
  freeHostBlocks()
  collectIfGrown(pages)
  return bytesResult(err, out)
}

// ---- actors -------------------------------------------------------------------------------

/** Filled in by an ActorFactory: which exported class (its index) and the new instance. */
export class NewActor {
  classId: i32 = -1
  instance: Object | null = null
}

export type ActorFactory = (className: string, args: CborReader, made: NewActor) => TaskError | null
export type ActorDispatcher = (classId: i32, instance: Object, method: string, args: CborReader, out: CborWriter) => TaskError | null

// Live actors, by rep - 1. The table roots the instances for the garbage collector until the
// host drops the resource (dtor); freed slots are reused so the table stays as big as the peak.
const actorInstances = new Array<Object | null>()
const actorClasses = new Array<i32>()
const freeSlots = new Array<i32>()

export function createActor(classPtr: usize, classLen: usize, argsPtr: usize, argsLen: usize, factory: ActorFactory): usize {
  const className = String.UTF8.decodeUnsafe(classPtr, classLen)
  const made = new NewActor()
  let err = factory(className, new CborReader(argsPtr, argsLen), made)
  freeHostBlocks()
  const failure = takeFailure()
  if (failure != null) err = failure
  if (err != null) return errorResult(err)
  let slot: i32
  if (freeSlots.length > 0) {
    slot = freeSlots.pop()
    actorInstances[slot] = made.instance
    actorClasses[slot] = made.classId
  } else {
    slot = actorInstances.length
    actorInstances.push(made.instance)
    actorClasses.push(made.classId)
  }
  store<u8>(RET_AREA, 0)
  store<u32>(RET_AREA, actorResourceNew(<u32>slot + 1), 4)
  return RET_AREA
}

export function invokeActor(rep: u32, methodPtr: usize, methodLen: usize, argsPtr: usize, argsLen: usize, dispatch: ActorDispatcher): usize {
  const pages = memory.size()
  const method = String.UTF8.decodeUnsafe(methodPtr, methodLen)
  const out = new CborWriter()
  const slot = <i32>rep - 1
  // The host only passes reps this guest handed out and has not destroyed; a bad one would be a
  // host bug, reported rather than trapped on.
  let err: TaskError | null
  if (slot < 0 || slot >= actorInstances.length || actorInstances[slot] == null) {
    err = new TaskError('unknown-actor', 'no live actor with rep ' + rep.toString())
  } else {
    err = dispatch(actorClasses[slot], actorInstances[slot]!, method, new CborReader(argsPtr, argsLen), out)
  }
  freeHostBlocks()
  collectIfGrown(pages)
  return bytesResult(err, out)
}

/** `[dtor]actor`: the host dropped the last handle; release the instance to the collector. */
export function dropActor(rep: u32): void {
  const slot = <i32>rep - 1
  if (slot < 0 || slot >= actorInstances.length || actorInstances[slot] == null) return
  actorInstances[slot] = null
  freeSlots.push(slot)
}

// ---- describe -----------------------------------------------------------------------------

// The manifest never changes, so it is laid out once in memory that is never freed, and
// `describe` needs no post-return. Layout: sdk (ptr, len), tasks (ptr, len), actors (ptr, len);
// task-info is name (ptr, len) + streaming + memo (12 bytes); actor-class is name + methods + streaming
// (24 bytes). AssemblyScript has no generators: every task's streaming is false, every class's
// streaming list empty.
const MANIFEST = memory.data(24, 8)
let manifestReady = false

export function describe(sdk: string, tasks: Array<string>, actors: Array<string>, methods: Array<Array<string>>): usize {
  if (manifestReady) return MANIFEST
  storeUtf8(sdk, MANIFEST)
  const taskList = heap.alloc(<usize>tasks.length * 12)
  for (let i = 0; i < tasks.length; i++) {
    const at = taskList + <usize>i * 12
    storeUtf8(tasks[i], at)
    store<u8>(at, 0, 8) // streaming: AssemblyScript tasks are never generators
    store<u8>(at, 0, 9) // memo: not declared (drivers may still ask for it per call)
  }
  store<u32>(MANIFEST, <u32>taskList, 8)
  store<u32>(MANIFEST, <u32>tasks.length, 12)
  const actorList = heap.alloc(<usize>actors.length * 24)
  for (let i = 0; i < actors.length; i++) {
    const at = actorList + <usize>i * 24
    storeUtf8(actors[i], at)
    const names = methods[i]
    const nameList = heap.alloc(<usize>names.length * 8)
    for (let j = 0; j < names.length; j++) storeUtf8(names[j], nameList + <usize>j * 8)
    store<u32>(at, <u32>nameList, 8)
    store<u32>(at, <u32>names.length, 12)
    store<u32>(at, <u32>nameList, 16) // streaming: an empty list
    store<u32>(at, 0, 20)
  }
  store<u32>(MANIFEST, <u32>actorList, 16)
  store<u32>(MANIFEST, <u32>actors.length, 20)
  manifestReady = true
  return MANIFEST
}
