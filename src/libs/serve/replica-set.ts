// A deployment's replicas: actors of its class, requests routed by the power of two choices on
// ongoing requests, refused (503) when every replica holds maxOngoingRequests, gathered into
// batches where the deployment batches, replaced when they die (a request that finds one dead, a
// GET retried once on another; or the health check, which also renews the replicas of a composing
// deployment that were given the dead one's handle), scaled on ongoing requests, and replaced one
// set by another without failing a request.
import type { ActorHandle, FabricDriver, RemoteActorClass } from '../../api/interface.js'
import type { ResolvedOptions } from './deployment.js'
import type { DeploymentStatus } from './interface.js'

/** Every replica holds as many requests as it may: the ingress answers 503 with Retry-After. */
export class ServeOverloadedError extends Error {
  override name = 'ServeOverloadedError'
}

/** A request passed its deployment's requestTimeoutMs: the ingress answers 504. */
export class ServeTimeoutError extends Error {
  override name = 'ServeTimeoutError'
}

/** A generator method's answer: its values as they are yielded (the ingress sends them chunked). */
export class StreamAnswer {
  constructor (readonly items: AsyncIterable<unknown>) {}
}

type Handle = ActorHandle<Record<string, (...args: unknown[]) => unknown>>

interface Replica {
  id: number
  handle: Handle | undefined
  ongoing: number
  /** Requests it answered (or failed). */
  served: number
  state: 'starting' | 'running' | 'stopping'
  /** Its constructor's arguments (a composing deployment's: its children's handles among them). */
  given: unknown[]
  batch: Pending[]
  timer?: ReturnType<typeof setTimeout>
}

interface Pending { request: unknown, resolve: (v: unknown) => void, reject: (e: Error) => void, deadline: number }

/** A deployment's class, options and each replica's constructor arguments. */
export interface ReplicaSpec {
  cls: RemoteActorClass<unknown[], unknown>
  options: ResolvedOptions
  /** The constructor's arguments of replica i (composition gives each replica its own child handle). */
  args: (i: number) => unknown[]
}

/** How often the autoscaler looks at the load. */
const SCALE_TICK_MS = 100

/** How often each replica's liveness is read (from what the driver knows: no call to it). */
export const HEALTH_CHECK_MS = 1000

const isDeath = (err: unknown): boolean => {
  const name = (err as { name?: unknown })?.name
  return name === 'ActorDiedError' || name === 'ActorNotFoundError'
}

export class ReplicaSet {
  private replicas: Replica[] = []
  private nextId = 0
  private target: number
  private readonly counters = { total: 0, failed: 0, rejected: 0 }
  private upSince: number | undefined
  private downSince: number | undefined
  private readonly scaler: ReturnType<typeof setInterval> | undefined
  private readonly checker: ReturnType<typeof setInterval>
  private checking = false
  private stopped = false
  /** Told the handle of each replica that died and was replaced (a composing deployment renews the replicas it gave it to). */
  onReplaced?: (dead: Handle) => void

  constructor (private readonly fabric: FabricDriver, private readonly spec: ReplicaSpec, private readonly onError: (message: string) => void) {
    this.target = spec.options.numReplicas
    if (spec.options.autoscaling !== undefined) {
      this.scaler = setInterval(() => this.scale(), SCALE_TICK_MS)
      this.scaler.unref()
    }
    this.checker = setInterval(() => { void this.checkHealth() }, HEALTH_CHECK_MS)
    this.checker.unref()
  }

  get name (): string { return this.spec.options.name }

  /** Start the replicas; resolves when all run. @throws the first creation error */
  async start (): Promise<void> {
    await Promise.all(Array.from({ length: this.target }, async () => await this.addReplica()))
  }

  /** The running replicas' handles (what a composing deployment's replicas are given). */
  handles (): Handle[] {
    return this.replicas.filter(r => r.state === 'running' && r.handle !== undefined).map(r => r.handle!)
  }

  /**
   * Answer a request on a replica: the method's result value. An idempotent request whose
   * replica died is tried once more on another.
   * @throws ServeOverloadedError, ServeTimeoutError, or the guest's error
   */
  async handle (request: unknown, idempotent: boolean): Promise<unknown> {
    this.counters.total++
    const deadline = Date.now() + this.spec.options.requestTimeoutMs
    try {
      return await this.attempt(request, deadline, idempotent ? 1 : 0)
    } catch (err) {
      if (err instanceof ServeOverloadedError) this.counters.rejected++
      else this.counters.failed++
      throw err
    }
  }

  /** No new requests; resolves once the requests in flight are answered (or requestTimeoutMs passed) and the replicas are gone. */
  async drainAndStop (): Promise<void> {
    if (this.scaler !== undefined) clearInterval(this.scaler)
    clearInterval(this.checker)
    for (const r of this.replicas.slice()) this.retire(r)
    const until = Date.now() + this.spec.options.requestTimeoutMs
    while (this.replicas.length > 0 && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 20))
    await this.stop()
  }

  status (): DeploymentStatus {
    return {
      name: this.name,
      replicas: this.replicas.map(r => ({ actorId: r.handle?.actorId ?? '', ongoing: r.ongoing, served: r.served, state: r.state })),
      target: this.target,
      queued: this.replicas.reduce((n, r) => n + r.batch.length, 0),
      requests: { ...this.counters }
    }
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.scaler !== undefined) clearInterval(this.scaler)
    clearInterval(this.checker)
    const all = this.replicas.splice(0)
    for (const r of all) {
      if (r.timer !== undefined) clearTimeout(r.timer)
      for (const p of r.batch.splice(0)) p.reject(new Error(`serve: deployment ${this.name} is shutting down`))
    }
    await Promise.all(all.map(async r => { if (r.handle !== undefined) await this.fabric.kill(r.handle).catch(() => {}) }))
  }

  // ---- routing ---------------------------------------------------------------------------------

  private async attempt (request: unknown, deadline: number, retriesLeft: number): Promise<unknown> {
    const r = this.pick()
    if (r === undefined) {
      const running = this.replicas.filter(x => x.state === 'running').length
      throw new ServeOverloadedError(`deployment ${this.name}: all ${running} replica(s) hold ${this.spec.options.maxOngoingRequests} requests (maxOngoingRequests); try again shortly`)
    }
    try {
      return this.spec.options.maxBatchSize > 1 ? await this.enqueue(r, request, deadline) : await this.callOne(r, request, deadline)
    } catch (err) {
      if (isDeath(err)) {
        this.replace(r)
        if (retriesLeft > 0 && Date.now() < deadline) return await this.attempt(request, deadline, retriesLeft - 1)
      }
      if ((err as { name?: unknown })?.name === 'GetTimeoutError') throw new ServeTimeoutError(`deployment ${this.name}: no answer within ${this.spec.options.requestTimeoutMs} ms (requestTimeoutMs)`)
      throw err
    }
  }

  /** The power of two choices: of two running replicas with room, the one with fewer ongoing requests. */
  private pick (): Replica | undefined {
    const max = this.spec.options.maxOngoingRequests
    const open = this.replicas.filter(r => r.state === 'running' && r.ongoing < max)
    if (open.length <= 1) return open[0]
    const a = Math.floor(Math.random() * open.length)
    let b = Math.floor(Math.random() * (open.length - 1))
    if (b >= a) b++
    return open[a]!.ongoing <= open[b]!.ongoing ? open[a] : open[b]
  }

  private async callOne (r: Replica, request: unknown, deadline: number): Promise<unknown> {
    r.ongoing++
    let streaming = false
    try {
      const out = (r.handle![this.spec.options.method] as { remote: (...a: unknown[]) => unknown }).remote(request)
      if (typeof (out as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === 'function') {
        // A generator method: the replica stays busy with it until its last value is read.
        streaming = true
        return new StreamAnswer(this.streamItems(r, out as AsyncIterable<never>))
      }
      return await this.fabric.get(out as never, { timeoutMs: Math.max(1, deadline - Date.now()) })
    } finally {
      if (!streaming) this.answered(r)
    }
  }

  /**
   * A stream's values, each within requestTimeoutMs of the one before. A stream left early (the
   * client went away) still runs to its end on the replica (an actor's method is not stopped
   * midway): its values are let go unread, and the replica counts as busy until the last one.
   */
  private async * streamItems (r: Replica, refs: AsyncIterable<never>): AsyncGenerator<unknown> {
    const it = refs[Symbol.asyncIterator]()
    let ended = false
    try {
      while (true) {
        const next = await it.next()
        if (next.done === true) { ended = true; return }
        yield await this.fabric.get(next.value, { timeoutMs: this.spec.options.requestTimeoutMs })
      }
    } finally {
      if (ended) {
        this.answered(r)
      } else {
        void (async () => {
          try { while ((await it.next()).done !== true); } catch {} finally { this.answered(r) }
        })()
      }
    }
  }

  private answered (r: Replica): void {
    r.ongoing--
    r.served++
    this.drained(r)
  }

  /** Into the replica's next batch: sent when it has maxBatchSize requests or batchWaitTimeoutMs passed. */
  private async enqueue (r: Replica, request: unknown, deadline: number): Promise<unknown> {
    r.ongoing++
    try {
      return await new Promise((resolve, reject) => {
        r.batch.push({ request, resolve, reject, deadline })
        if (r.batch.length >= this.spec.options.maxBatchSize) this.flush(r)
        else r.timer ??= setTimeout(() => this.flush(r), this.spec.options.batchWaitTimeoutMs)
      })
    } finally {
      this.answered(r)
    }
  }

  private flush (r: Replica): void {
    if (r.timer !== undefined) clearTimeout(r.timer)
    r.timer = undefined
    const batch = r.batch.splice(0, this.spec.options.maxBatchSize)
    if (r.batch.length > 0) r.timer = setTimeout(() => this.flush(r), this.spec.options.batchWaitTimeoutMs)
    if (batch.length === 0) return
    const { name, method } = { name: this.name, method: this.spec.options.method }
    let ref: never
    try {
      ref = (r.handle![method] as { remote: (...a: unknown[]) => never }).remote(batch.map(p => p.request))
    } catch (err) {
      for (const p of batch) p.reject(err as Error)
      return
    }
    const timeoutMs = Math.max(1, Math.max(...batch.map(p => p.deadline)) - Date.now())
    this.fabric.get(ref, { timeoutMs }).then((results: unknown) => {
      if (!Array.isArray(results) || results.length !== batch.length) {
        const got = Array.isArray(results) ? `${results.length} answers` : typeof results
        for (const p of batch) p.reject(new Error(`${name}.${method} was given a batch of ${batch.length} requests and returned ${got}: a batched method (maxBatchSize > 1) returns an array of one answer per request, in order`))
        return
      }
      batch.forEach((p, i) => p.resolve(results[i]))
    }, (err: Error) => { for (const p of batch) p.reject(err) })
  }

  // ---- replicas --------------------------------------------------------------------------------

  private async addReplica (): Promise<Replica> {
    const r: Replica = { id: this.nextId++, handle: undefined, ongoing: 0, served: 0, state: 'starting', given: [], batch: [] }
    this.replicas.push(r)
    const { cls, options, args } = this.spec
    try {
      // Spread over the nodes, so one node's loss takes as few replicas as it can.
      const resources = options.resources
      const withOptions = cls.options({ scheduling: 'spread', ...(Object.keys(resources).length > 0 ? { resources: resources as never } : {}) })
      r.given = args(r.id)
      r.handle = await withOptions.create(...r.given) as Handle
      if (this.stopped || (r.state as string) === 'stopping') {
        await this.fabric.kill(r.handle).catch(() => {})
        this.replicas = this.replicas.filter(x => x !== r)
      } else {
        r.state = 'running'
      }
      return r
    } catch (err) {
      this.replicas = this.replicas.filter(x => x !== r)
      throw err
    }
  }

  /** A dead replica out, a new one in (once per replica); a composing deployment renews the replicas it gave it to. */
  private replace (r: Replica): void {
    if (r.state === 'stopping' || this.stopped) return
    r.state = 'stopping'
    this.replicas = this.replicas.filter(x => x !== r)
    for (const p of r.batch.splice(0)) p.reject(Object.assign(new Error(`deployment ${this.name}: its replica died`), { name: 'ActorDiedError' }))
    if (r.handle !== undefined) this.fabric.kill(r.handle).catch(() => {})
    this.addReplica().then(() => {
      if (r.handle !== undefined) this.onReplaced?.(r.handle)
    }, (err: Error) => this.onError(`serve: deployment ${this.name} could not replace a dead replica: ${err.message}`))
  }

  /**
   * The health check: running replicas whose actor is no longer alive are replaced. A request
   * finds a dead replica too, but a composed deployment's replicas get no requests from here
   * (only from inside their parents' guests), so without this a dead one stayed dead.
   */
  private async checkHealth (): Promise<void> {
    if (this.checking || this.stopped) return
    this.checking = true
    try {
      for (const r of this.replicas.slice()) {
        if (r.state !== 'running' || r.handle === undefined) continue
        const alive = await this.fabric.isActorAlive(r.handle).catch(() => true)
        if (!alive) this.replace(r)
      }
    } finally {
      this.checking = false
    }
  }

  /**
   * A child deployment replaced replica `dead`: each running replica given its handle gets a
   * successor (given a live one), and is retired once the successor runs and its requests are done.
   */
  renew (dead: Handle): void {
    for (const r of this.replicas.slice()) {
      if (r.state !== 'running' || !r.given.includes(dead)) continue
      this.addReplica().then(() => this.retire(r), (err: Error) => this.onError(`serve: deployment ${this.name} could not renew a replica whose child died: ${err.message}`))
    }
  }

  /** No new requests for `r`; killed once its last ongoing request is answered. */
  private retire (r: Replica): void {
    if (r.state === 'stopping') return
    r.state = 'stopping'
    this.drained(r)
  }

  private drained (r: Replica): void {
    if (r.state !== 'stopping' || r.ongoing > 0 || !this.replicas.includes(r)) return
    this.replicas = this.replicas.filter(x => x !== r)
    if (r.handle !== undefined) this.fabric.kill(r.handle).catch(() => {})
  }

  /** The autoscaler: replicas for the ongoing requests at targetOngoingRequests each, after the delays. */
  private scale (): void {
    const a = this.spec.options.autoscaling
    if (a === undefined || this.stopped) return
    const live = this.replicas.filter(r => r.state !== 'stopping')
    const load = live.reduce((n, r) => n + r.ongoing, 0)
    const wanted = Math.min(a.maxReplicas, Math.max(a.minReplicas, Math.ceil(load / a.targetOngoingRequests)))
    const now = Date.now()
    if (wanted > live.length) {
      this.downSince = undefined
      this.upSince ??= now
      if (now - this.upSince >= a.upscaleDelayMs) {
        this.upSince = undefined
        this.target = wanted
        for (let i = live.length; i < wanted; i++) this.addReplica().catch((err: Error) => this.onError(`serve: deployment ${this.name} could not add a replica: ${err.message}`))
      }
    } else if (wanted < live.length) {
      this.upSince = undefined
      this.downSince ??= now
      if (now - this.downSince >= a.downscaleDelayMs) {
        this.downSince = undefined
        this.target = wanted
        const idlest = live.filter(r => r.state === 'running').sort((x, y) => x.ongoing - y.ongoing)
        for (const r of idlest.slice(0, live.length - wanted)) this.retire(r)
      }
    } else {
      this.upSince = undefined
      this.downSince = undefined
    }
  }
}
