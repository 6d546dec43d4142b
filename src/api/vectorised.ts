// The `map`, `filter` and `flatMap` of a driver's RemoteFunction, shaped once for both faces: each
// submits the reserved call `fabric:<mode>:<task>` through the face's own submit path.
import { ObjectRef } from '../objects/object-ref.js'
import { vectorisedName, vectorisedRefusal, VECTORISED_MODES, type VectorisedMode } from '../runtime/vectorised-call.js'
import type { RemoteFunction, TaskOptions, VectorisedFunction } from './interface.js'

/** What a face says about one task of a loaded component, to give it vectorised calls. */
export interface VectorisedTask {
  /** The task's name in the manifest. */
  task: string
  streaming: boolean
  /** The component's SDK (the manifest's `sdk`): only some run vectorised calls. */
  sdk: string
  /** The component's CID, for error messages. */
  cid: string
  /**
   * The face's submit of a non-streaming call `name` with `options` (checked now: bad options
   * throw here, as `.options()` of a task does), as a function of the call's arguments.
   */
  submitter: (name: string, options: TaskOptions) => (...args: unknown[]) => ObjectRef
}

type Untyped = VectorisedFunction<unknown, unknown[], unknown>

/** The three vectorised calls of a task, with the options of the RemoteFunction they hang on. */
export function vectorisedCalls (t: VectorisedTask, options: TaskOptions): Pick<RemoteFunction<unknown[], unknown>, 'map' | 'filter' | 'flatMap'> {
  const calls: Record<string, Untyped> = {}
  for (const mode of VECTORISED_MODES) calls[mode] = vectorised(t, mode, options)
  return calls as unknown as Pick<RemoteFunction<unknown[], unknown>, 'map' | 'filter' | 'flatMap'>
}

function vectorised (t: VectorisedTask, mode: VectorisedMode, options: TaskOptions): Untyped {
  const what = `${t.task}.${mode}`
  const refusal = vectorisedRefusal(mode, { name: t.task, streaming: t.streaming }, t.sdk, t.cid)
  if (refusal !== undefined) {
    const refuse = (): never => { throw new TypeError(`${what}: ${refusal}`) }
    return Object.freeze({ remote: refuse, options: refuse })
  }
  const submit = t.submitter(vectorisedName(mode, t.task), options)
  return Object.freeze({
    remote: (items: unknown, ...rest: unknown[]) => {
      if (!Array.isArray(items) && !(items instanceof ObjectRef)) {
        throw new TypeError(`${what}.remote: the first argument must be the array of items (or an ObjectRef of one), got ${items === null ? 'null' : typeof items}; the task's other arguments follow it`)
      }
      return submit(items, ...rest)
    },
    options: (more: TaskOptions) => vectorised(t, mode, { ...options, ...more })
  }) as Untyped
}
