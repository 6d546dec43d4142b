// The driver-facing types: how a component's tasks and actors look to the program that calls them.
// `fabric build` emits a `.d.ts` whose `Module` type is `GuestModule<typeof TheGuest>`.
import type { Task, actor } from '../../guest-sdk/src/types.js'
import type { ObjectRef } from '../objects/object-ref.js'

export type { ObjectRef }

/** Resources and policy of one call (Ray's options, camelCase). */
export interface TaskOptions {
  /** CPU slots the task holds while it runs. @default 1 */
  cpus?: number
  /** GPUs the task needs. @default 0 */
  gpus?: number
  /** Memory the task reserves, in MiB. @default 0 */
  memoryMb?: number
  /** Custom resources, e.g. `{ ssd: 1 }`. */
  resources?: Record<string, number>
  /** Retries after a worker or node failure. @default 3 */
  maxRetries?: number
  /** Also retry application errors (all, or those whose name is listed). @default false */
  retryExceptions?: boolean | string[]
  /** Wall-clock limit of one attempt, in ms. */
  timeoutMs?: number
  /** Placement strategy. @default 'default' */
  scheduling?: 'default' | 'spread' | { nodeAffinity: string, soft?: boolean }
}

/** Options of an actor: resources, identity and restart policy. */
export interface ActorOptions extends Omit<TaskOptions, 'maxRetries' | 'retryExceptions'> {
  /** A name to find the actor by with `fabric.getActor(name)`. */
  name?: string
  /** Restarts after the actor's worker or node dies. @default 0 */
  maxRestarts?: number
  /** Retries of a method call interrupted by a restart. @default 0 */
  maxTaskRetries?: number
  /** Calls that may run at once (async actors). @default 1 */
  maxConcurrency?: number
}

/** An argument: the value itself or a ref to it (resolved before the call runs). */
export type RemoteArgs<A extends unknown[]> = { [I in keyof A]: A[I] | ObjectRef<A[I]> }

/** What `.remote()` returns: a ref to the result, or for generators an async stream of refs. */
export type RemoteResult<R> = R extends Generator<infer Y, unknown, unknown> ? AsyncIterable<ObjectRef<Y>> : ObjectRef<Awaited<R>>

/** A task as the driver sees it. */
export interface RemoteFunction<A extends unknown[], R> {
  /** Submit a call; returns at once. */
  remote: (...args: RemoteArgs<A>) => RemoteResult<R>
  /** The same task with other options. */
  options: (options: TaskOptions) => RemoteFunction<A, R>
}

type MethodsOf<I> = { [K in keyof I as I[K] extends (...args: never[]) => unknown ? K : never]: I[K] }

/** A live actor: each method has `.remote()`. */
export type ActorHandle<I> = {
  readonly [K in keyof MethodsOf<I>]: MethodsOf<I>[K] extends (...args: infer P) => infer R ? { remote: (...args: RemoteArgs<P>) => RemoteResult<R> } : never
} & { readonly actorId: string }

/** An actor class as the driver sees it. */
export interface RemoteActorClass<A extends unknown[], I> {
  /** Create an instance somewhere in the fabric. */
  create: (...args: RemoteArgs<A>) => Promise<ActorHandle<I>>
  /** The same class with other options. */
  options: (options: ActorOptions) => RemoteActorClass<A, I>
}

/** The driver's view of a guest module: its tasks and actor classes, other exports dropped. */
export type GuestModule<M> = {
  [K in keyof M as M[K] extends Task<never, unknown> ? K : M[K] extends abstract new (...args: never[]) => actor ? K : never]:
  M[K] extends Task<infer A, infer R> ? RemoteFunction<A, R>
    : M[K] extends abstract new (...args: infer A) => infer I ? RemoteActorClass<A, I> : never
}
