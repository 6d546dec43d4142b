// Actor handles inside guests: `actorHandle<Counter>(x).incr.remote(5)` calls a method of a live
// actor, on this node or any other of the fabric, and returns a ref to its result at once. The host
// validates the id and routes the call (src/runtime/guest-actor-calls.ts).
import { GuestError } from './guest-error.js'
import { submit } from './host.js'
import type { GuestRemoteArgs, GuestRemoteResult } from './types.js'

/** A `tasks.submit` component of this prefix names the actor whose method to call (wit/fabric.wit). */
const ACTOR_TARGET = 'actor:'

/** Options of one actor method call made from a guest. */
export interface GuestActorCallOptions {
  /** Wall-clock limit of the call, in ms. */
  timeoutMs?: number
}

/** A method of an actor as a guest calls it. */
export interface GuestActorMethod<Args extends unknown[], R> {
  /**
   * Queue a call of this method; returns a ref to its result at once. A generator method gives one
   * ref to the array of all its values (a guest cannot iterate a stream; the driver's call of it
   * streams them).
   */
  remote (...args: GuestRemoteArgs<Args>): GuestRemoteResult<R>
  /** The same method with these options for the calls made through it. */
  options (options: GuestActorCallOptions): GuestActorMethod<Args, R>
}

/** A live actor as a guest sees it: each method of `I` (the actor class's instance type) has `.remote()`. */
export type GuestActorHandle<I> = {
  readonly [K in keyof I as I[K] extends (...args: never[]) => unknown ? K : never]:
  I[K] extends (...args: infer P extends unknown[]) => infer R ? GuestActorMethod<P, R> : never
} & {
  /**
   * The actor's id (its address: the id on its node, `@PeerId` across nodes): pass it, or the
   * handle itself, to tasks and actors that should call this actor.
   */
  readonly actorId: string
}

function method (actorId: string, name: string, options: GuestActorCallOptions): GuestActorMethod<unknown[], unknown> {
  return Object.freeze({
    remote: (...args: unknown[]) => submit(name, args, { ...options, component: ACTOR_TARGET + actorId }) as never,
    options: (more: GuestActorCallOptions) => {
      if (typeof more !== 'object' || more === null || Array.isArray(more)) {
        throw new GuestError('bad-argument', `${name}.options() takes an object of options ({ timeoutMs }), got ${Array.isArray(more) ? 'an array' : String(more)}`)
      }
      return method(actorId, name, { ...options, ...more })
    }
  })
}

/** What names an actor: its id, or a handle (a guest's, a driver's that arrived as an argument, or one that travelled inside a value: all `{ actorId }`). */
export type ActorLike = string | { readonly actorId: string }

/**
 * The handle of a live actor, from what the driver passed (its handle object arrives as
 * `{ actorId }`; `handle.actorId` as a string) or from a handle that travelled inside a value. The
 * actor may live on any node of the fabric: a call to another node's actor is sent there by this
 * task's node, and one caller's calls to one actor arrive in the order made. Type it with the actor
 * class: methods the class does not have are type errors; a method the live actor does not have
 * fails its call with `unknown-method`; a malformed id fails the call with `bad-argument`, and an
 * actor that is gone or unknown fails its ref (ActorDiedError, ActorNotFoundError). A handle is
 * data: inside an argument or result it travels as `{ actorId }`, which `actorHandle` (and the
 * driver's `fabric.actorHandle`) takes back.
 *
 * @example
 * import type { Counter } from './counter.js'
 * // driver: await fabric.get(m.bump.remote(counter, 2))  (the handle itself, or counter.actorId)
 * export const bump = task((counter: ActorLike, by: number) => get(actorHandle<Counter>(counter).incr.remote(by)))
 */
export function actorHandle<I = Record<string, (...args: unknown[]) => unknown>> (actor: ActorLike): GuestActorHandle<I> {
  const actorId = typeof actor === 'object' && actor !== null ? (actor as { actorId?: unknown }).actorId : actor
  if (typeof actorId !== 'string' || actorId.length === 0) {
    throw new GuestError('bad-argument', `actorHandle() takes an actor's id (a non-empty string, the driver's handle.actorId) or a handle ({ actorId }), got ${actorId === '' ? 'an empty id' : typeof actor === 'object' && actor !== null ? 'an object without an actorId string' : typeof actor}`)
  }
  const methods = new Map<string, GuestActorMethod<unknown[], unknown>>()
  // The target is all a handle holds: encoded inside a value, it is the map { actorId }.
  const target = Object.freeze({ actorId })
  return new Proxy(target, {
    get (t, prop) {
      if (prop === 'actorId') return t.actorId
      // Not methods: symbols, and what runtimes probe for (thenables, JSON).
      if (typeof prop !== 'string' || prop === 'then' || prop === 'toJSON') return undefined
      let m = methods.get(prop)
      if (m === undefined) methods.set(prop, m = method(t.actorId, prop, {}))
      return m
    }
  }) as unknown as GuestActorHandle<I>
}
