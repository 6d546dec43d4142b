// A deployment: an actor class of a loaded component behind HTTP, with its options checked once
// (every mistake named here, not at the first request). `.bind(...args)` makes an application:
// the deployment with its constructor's arguments, which may be other applications (composition:
// their replicas' handles reach this one's constructor).
import type { RemoteActorClass } from '../../api/interface.js'
import type { AutoscalingConfig, DeploymentOptions } from './interface.js'

/** A deployment's options with every default filled in. */
export interface ResolvedOptions {
  name: string
  /** Fixed replicas, or the autoscaler's bounds and aim. */
  autoscaling: Required<AutoscalingConfig> | undefined
  numReplicas: number
  maxOngoingRequests: number
  maxBatchSize: number
  batchWaitTimeoutMs: number
  requestTimeoutMs: number
  method: string
  resources: Record<string, number>
}

/** An application: a deployment and its constructor's arguments. */
export class Application {
  /** @internal made by Deployment.bind */
  constructor (readonly deployment: Deployment, readonly args: readonly unknown[]) {}
}

/** An actor class with serving options. */
export class Deployment {
  /** @internal made by deployment() */
  constructor (readonly cls: RemoteActorClass<unknown[], unknown>, readonly options: ResolvedOptions) {}

  /** The application: this deployment with its constructor's arguments (other applications become their replicas' handles). */
  bind (...args: unknown[]): Application {
    return new Application(this, args)
  }

  /** The same deployment with some options changed. */
  withOptions (options: DeploymentOptions): Deployment {
    const base = unresolve(this.options)
    if (options.numReplicas !== undefined) delete base.autoscaling
    if (options.autoscaling !== undefined) delete base.numReplicas
    return new Deployment(this.cls, resolveOptions({ ...base, ...options }))
  }
}

/**
 * A deployment of `cls` (an actor class of a loaded component, `m.Cls`), whose `call(request)`
 * (or the method `options.method` names) answers HTTP requests.
 *
 * @example
 * const app = serve.deployment(m.Echo, { numReplicas: 2 }).bind()
 * const handle = await serve.run(fabric, app, { port: 8000 })
 */
export function deployment (cls: RemoteActorClass<never[], unknown>, options: DeploymentOptions = {}): Deployment {
  if (typeof (cls as { create?: unknown })?.create !== 'function') throw new TypeError('serve.deployment: the first argument must be an actor class of a loaded component (m.Cls)')
  return new Deployment(cls as unknown as RemoteActorClass<unknown[], unknown>, resolveOptions(options))
}

function positiveInt (v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new TypeError(`serve.deployment: ${what} must be a positive integer, got ${JSON.stringify(v)}`)
  return v as number
}

function nonNegative (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`serve.deployment: ${what} must be a non-negative number of ms, got ${JSON.stringify(v)}`)
  return v
}

export function resolveOptions (o: DeploymentOptions): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError('serve.deployment: options must be an object')
  const known = new Set(['name', 'numReplicas', 'autoscaling', 'maxOngoingRequests', 'maxBatchSize', 'batchWaitTimeoutMs', 'requestTimeoutMs', 'method', 'resources'])
  for (const k of Object.keys(o)) if (!known.has(k)) throw new TypeError(`serve.deployment: unknown option '${k}' (known: ${[...known].join(', ')})`)
  if (o.numReplicas !== undefined && o.autoscaling !== undefined) throw new TypeError('serve.deployment: give numReplicas or autoscaling, not both')
  const name = o.name ?? 'Deployment'
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new TypeError(`serve.deployment: name must be 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}`)
  let autoscaling: Required<AutoscalingConfig> | undefined
  if (o.autoscaling !== undefined) {
    const a = o.autoscaling
    const minReplicas = positiveInt(a.minReplicas ?? 1, 'autoscaling.minReplicas')
    const maxReplicas = positiveInt(a.maxReplicas ?? minReplicas, 'autoscaling.maxReplicas')
    if (maxReplicas < minReplicas) throw new TypeError(`serve.deployment: autoscaling.maxReplicas (${maxReplicas}) is below minReplicas (${minReplicas})`)
    const targetOngoingRequests = a.targetOngoingRequests ?? 2
    if (typeof targetOngoingRequests !== 'number' || !(targetOngoingRequests > 0)) throw new TypeError(`serve.deployment: autoscaling.targetOngoingRequests must be a positive number, got ${JSON.stringify(targetOngoingRequests)}`)
    autoscaling = {
      minReplicas,
      maxReplicas,
      targetOngoingRequests,
      upscaleDelayMs: nonNegative(a.upscaleDelayMs ?? 1000, 'autoscaling.upscaleDelayMs'),
      downscaleDelayMs: nonNegative(a.downscaleDelayMs ?? 5000, 'autoscaling.downscaleDelayMs')
    }
  }
  const method = o.method ?? 'call'
  if (typeof method !== 'string' || method === '') throw new TypeError(`serve.deployment: method must name a method of the class, got ${JSON.stringify(method)}`)
  const resources: Record<string, number> = {}
  for (const [k, v] of Object.entries(o.resources ?? {})) {
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`serve.deployment: resources.${k} must be a non-negative number, got ${JSON.stringify(v)}`)
    resources[k] = v
  }
  const maxBatchSize = positiveInt(o.maxBatchSize ?? 1, 'maxBatchSize')
  // A replica must be able to hold a whole batch, and the next one filling while it runs.
  const maxOngoingRequests = positiveInt(o.maxOngoingRequests ?? Math.max(5, 2 * maxBatchSize), 'maxOngoingRequests')
  if (maxOngoingRequests < maxBatchSize) throw new TypeError(`serve.deployment: maxOngoingRequests (${maxOngoingRequests}) is below maxBatchSize (${maxBatchSize}): a replica could never fill a batch`)
  const requestTimeoutMs = o.requestTimeoutMs ?? 30_000
  if (typeof requestTimeoutMs !== 'number' || !(requestTimeoutMs > 0)) throw new TypeError(`serve.deployment: requestTimeoutMs must be a positive number, got ${JSON.stringify(requestTimeoutMs)}`)
  return {
    name,
    autoscaling,
    numReplicas: autoscaling?.minReplicas ?? positiveInt(o.numReplicas ?? 1, 'numReplicas'),
    maxOngoingRequests,
    maxBatchSize,
    batchWaitTimeoutMs: nonNegative(o.batchWaitTimeoutMs ?? 10, 'batchWaitTimeoutMs'),
    requestTimeoutMs,
    method,
    resources
  }
}

function unresolve (r: ResolvedOptions): DeploymentOptions {
  return {
    name: r.name,
    ...(r.autoscaling !== undefined ? { autoscaling: r.autoscaling } : { numReplicas: r.numReplicas }),
    maxOngoingRequests: r.maxOngoingRequests,
    maxBatchSize: r.maxBatchSize,
    batchWaitTimeoutMs: r.batchWaitTimeoutMs,
    requestTimeoutMs: r.requestTimeoutMs,
    method: r.method,
    resources: r.resources
  }
}
