// `wasm-fabric/serve`: actor classes of loaded components behind HTTP, as Ray Serve is on Ray Core.
// Built on the public driver contract only (FabricDriver): replicas are actors, requests are
// their method calls, and the ingress runs in the driver's process.
import type { FabricDriver } from '../../api/interface.js'
import { Application, Deployment, deployment } from './deployment.js'
import { Ingress } from './ingress.js'
import type { RunOptions, ServeStatus } from './interface.js'
import { ReplicaSet } from './replica-set.js'
import { ServeMetrics } from './metrics.js'

export { Application, Deployment, deployment } from './deployment.js'
export { ServeOverloadedError, ServeTimeoutError } from './replica-set.js'
export type { AutoscalingConfig, DeploymentOptions, DeploymentStatus, RunOptions, ServeRequest, ServeResponse, ServeStatus } from './interface.js'

/** A running application. */
export interface ServeHandle {
  /** Where it listens, with the route prefix. */
  readonly url: string
  /** Each deployment's replicas, target and request counts. */
  status: () => ServeStatus
  /** Stop listening and kill every replica. */
  shutdown: () => Promise<void>
}

interface Running {
  fabric: FabricDriver
  /** `host:port` it listens on (the `app` label of its metrics). */
  key: string
  ingress: Ingress
  /** The ingress deployment's set, then the ones it composes (depth first). */
  sets: Map<string, ReplicaSet>
  root: ReplicaSet
  url: string
}

/** Applications by `host:port`: a second `run` there updates the first (a rolling update). */
const running = new Map<string, Running>()

/** Each fabric's serve metrics: one registry for its applications, on the driver's metrics endpoint while any runs. */
const fabricMetrics = new WeakMap<FabricDriver, { metrics: ServeMetrics, apps: Set<Running>, remove: () => void }>()

function metricsOf (fabric: FabricDriver): { metrics: ServeMetrics, apps: Set<Running>, remove: () => void } {
  let m = fabricMetrics.get(fabric)
  if (m === undefined) {
    const apps = new Set<Running>()
    const metrics = new ServeMetrics(() => [...apps].map(r => ({ app: r.key, status: statusOf(r) })))
    m = { metrics, apps, remove: fabric.addMetrics(async () => await metrics.text()) }
    fabricMetrics.set(fabric, m)
  }
  return m
}

/**
 * Start `app` on `fabric` behind an HTTP ingress. Run again with the same host and port to
 * replace its replicas with a new version, without failing requests.
 *
 * @example
 * const m = await fabric.load<Module>('build/echo.wasm')
 * const handle = await serve.run(fabric, serve.deployment(m.Echo, { numReplicas: 2 }).bind(), { port: 8000 })
 * console.log(await (await fetch(handle.url + '/hi')).json())
 * await handle.shutdown()
 */
export async function run (fabric: FabricDriver, app: Application, options: RunOptions = {}): Promise<ServeHandle> {
  if (!(app instanceof Application)) throw new TypeError('serve.run: the application must be a deployment bound with .bind(...)')
  const port = options.port ?? 8000
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) throw new TypeError(`serve.run: port must be 0-65535, got ${String(port)}`)
  const host = options.host ?? '127.0.0.1'
  const key = `${host}:${port}`
  const onError = (message: string): void => { process.emitWarning(message) }
  const existing = port === 0 ? undefined : running.get(key)
  if (existing !== undefined) {
    if (existing.fabric !== fabric) throw new Error(`serve.run: ${key} serves an application of another fabric: shut it down first`)
    await update(existing, app, onError)
    return handleOf(existing, key)
  }
  const sets = new Map<string, ReplicaSet>()
  let root: ReplicaSet
  try {
    root = await startTree(fabric, app, sets, onError)
  } catch (err) {
    await Promise.all([...sets.values()].map(async s => await s.stop()))
    throw err
  }
  const r: Running = { fabric, key, ingress: undefined as never, sets, root, url: '' }
  const shared = metricsOf(fabric)
  r.ingress = new Ingress(() => async (request, idempotent) => await r.root.handle(request, idempotent), options.routePrefix ?? '/', () => statusOf(r), shared.metrics.forApp(() => r.key), () => r.root.name)
  try {
    r.url = await r.ingress.listen(port, host)
  } catch (err) {
    await Promise.all([...sets.values()].map(async s => await s.stop()))
    if (shared.apps.size === 0) dropMetrics(fabric)
    throw new Error(`serve.run: cannot listen on ${key}: ${(err as Error).message}`, { cause: err })
  }
  r.key = `${host}:${new URL(r.url).port}`
  running.set(r.key, r)
  shared.apps.add(r)
  return handleOf(r, r.key)
}

/** A fabric's serve metrics off its endpoint (its last application is gone). */
function dropMetrics (fabric: FabricDriver): void {
  fabricMetrics.get(fabric)?.remove()
  fabricMetrics.delete(fabric)
}

function statusOf (r: Running): ServeStatus {
  return { url: r.url, deployments: [...r.sets.values()].map(s => s.status()) }
}

function handleOf (r: Running, key: string): ServeHandle {
  return {
    url: r.url,
    status: () => statusOf(r),
    shutdown: async () => {
      if (running.get(key) !== r) return
      running.delete(key)
      const shared = fabricMetrics.get(r.fabric)
      shared?.apps.delete(r)
      if (shared?.apps.size === 0) dropMetrics(r.fabric)
      else await shared?.metrics.forget(r.key)
      await r.ingress.close()
      await Promise.all([...r.sets.values()].map(async s => await s.stop()))
    }
  }
}

/** Start an application's deployments, children first; returns its own set. */
async function startTree (fabric: FabricDriver, app: Application, sets: Map<string, ReplicaSet>, onError: (m: string) => void): Promise<ReplicaSet> {
  const children: Array<ReplicaSet | undefined> = []
  for (const a of app.args) children.push(a instanceof Application ? await startTree(fabric, a, sets, onError) : undefined)
  const name = uniqueName(app.deployment, sets)
  const set = new ReplicaSet(fabric, {
    cls: app.deployment.cls,
    options: { ...app.deployment.options, name },
    // Replica i of a composing deployment gets replica i (mod n) of each child: its handle.
    args: (i) => app.args.map((a, k) => {
      const child = children[k]
      if (child === undefined) return a
      const hs = child.handles()
      if (hs.length === 0) throw new Error(`serve: deployment ${child.name} has no running replica to give ${name}`)
      return hs[i % hs.length]
    })
  }, onError)
  // A child's dead replica, once replaced: this deployment's replicas given its handle are renewed.
  for (const child of children) if (child !== undefined) child.onReplaced = dead => set.renew(dead)
  sets.set(name, set)
  await set.start()
  return set
}

function uniqueName (d: Deployment, sets: Map<string, ReplicaSet>): string {
  let name = d.options.name
  for (let i = 1; sets.has(name); i++) name = `${d.options.name}_${i}`
  return name
}

/** A rolling update: each deployment of the same name gets the new version's replicas; the old drain. */
async function update (r: Running, app: Application, onError: (m: string) => void): Promise<void> {
  const fresh = new Map<string, ReplicaSet>()
  // The new tree is started beside the old one, then swapped in: requests keep flowing meanwhile.
  // A new version that does not start leaves the old one serving.
  let root: ReplicaSet
  try {
    root = await startTree(r.fabric, app, fresh, onError)
  } catch (err) {
    await Promise.all([...fresh.values()].map(async s => await s.stop()))
    throw err
  }
  const old = r.sets
  r.sets = fresh
  r.root = root
  await Promise.all([...old.values()].map(async s => await s.drainAndStop()))
}

export const serve = { deployment, run }
