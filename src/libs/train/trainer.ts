// Data-parallel training on the driver contract (Ray Train's DataParallelTrainer on Ray Core):
// the workers are gang-scheduled in a placement group (one bundle each, all or none), formed into
// a collective group, and each runs its training loop — a generator method that yields a report
// per epoch — on its shard of the datasets. Reports reach the driver as they are yielded (live
// metrics); rank 0's checkpoints are kept as objects (and files). When a worker fails (its actor
// or its node dies), the whole gang is torn down and started again from the last checkpoint, up
// to maxFailures times.
import fs from 'node:fs/promises'
import path from 'node:path'
import { encode } from '../../api/index.js'
import type { ActorHandle, BundleSpec, FabricDriver, ObjectRef, PlacementGroup } from '../../api/interface.js'
import { TrainingFailedError } from './errors.js'
import type { Checkpoint, DataParallelOptions, Report, TrainResult } from './interface.js'

/**
 * After a worker fails, how long the others' loops may take to end once the gang is torn down:
 * what they yielded before (rank 0's checkpoint of the epoch the failed worker also finished) is
 * read and kept in that time.
 */
const DRAIN_MS = 5000

const OPTION_NAMES = ['numWorkers', 'resourcesPerWorker', 'placementStrategy', 'config', 'datasets', 'loop', 'maxFailures', 'storagePath', 'keepCheckpoints', 'onReport', 'placementTimeoutMs', 'name', 'resumeFrom']

/** An actor class of a loaded component, as the trainer needs it. */
interface ActorClass {
  options: (options: Record<string, unknown>) => { create: (...args: unknown[]) => Promise<unknown> }
}

/** A shard of a dataset as a worker gets it. */
interface Shard { blocks: ObjectRef[], rows: number }

/**
 * A data-parallel trainer: `fit()` runs it.
 *
 * @example
 * const trainer = train.dataParallel(fabric, m.Worker, { numWorkers: 2, config: { epochs: 5 }, datasets: { train: ds } })
 * const { metrics, checkpoint } = await trainer.fit()
 */
export class DataParallelTrainer<C = unknown> {
  private readonly opts: Required<Pick<DataParallelOptions<C>, 'numWorkers' | 'placementStrategy' | 'loop' | 'maxFailures' | 'keepCheckpoints' | 'placementTimeoutMs' | 'name'>> & DataParallelOptions<C>
  private running = false
  /** Old checkpoints being let go (files removed): awaited before fit() returns. */
  private readonly forgetting: Array<Promise<void>> = []

  constructor (private readonly fabric: FabricDriver, private readonly worker: ActorClass, options: DataParallelOptions<C>) {
    const what = 'train.dataParallel'
    if (typeof worker?.options !== 'function') throw new TypeError(`${what}: the worker must be an actor class of a loaded component (m.Worker), whose loop method yields reports`)
    if (typeof options !== 'object' || options === null) throw new TypeError(`${what}: options must be an object like { numWorkers: 2 }`)
    const unknown = Object.keys(options).filter(k => !OPTION_NAMES.includes(k))
    if (unknown.length > 0) throw new TypeError(`${what}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${OPTION_NAMES.join(', ')})`)
    const int = (k: string, v: unknown, min: number): number => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new TypeError(`${what}: ${k} must be an integer >= ${min}, got ${String(v)}`)
      return v
    }
    this.opts = {
      ...options,
      numWorkers: int('numWorkers', options.numWorkers, 1),
      placementStrategy: options.placementStrategy ?? 'PACK',
      loop: options.loop ?? 'train',
      maxFailures: int('maxFailures', options.maxFailures ?? 0, 0),
      keepCheckpoints: int('keepCheckpoints', options.keepCheckpoints ?? 2, 1),
      placementTimeoutMs: int('placementTimeoutMs', options.placementTimeoutMs ?? 60_000, 1),
      name: options.name ?? 'train'
    }
    if (options.onReport !== undefined && typeof options.onReport !== 'function') throw new TypeError(`${what}: onReport must be a function`)
    for (const [name, ds] of Object.entries(options.datasets ?? {})) {
      if (typeof (ds as { shards?: unknown })?.shards !== 'function') throw new TypeError(`${what}: datasets.${name} must be a Dataset of wasm-fabric/data`)
    }
  }

  /**
   * Run the training: resolves with rank 0's last metrics and checkpoint once every worker's loop
   * has returned.
   *
   * @throws TrainingFailedError when a worker failed more than maxFailures times (its cause the last failure)
   */
  async fit (): Promise<TrainResult> {
    if (this.running) throw new TypeError('fit(): this trainer is already running')
    this.running = true
    const started = performance.now()
    const history: Report[] = []
    const failures: string[] = []
    const checkpoints: Checkpoint[] = this.opts.resumeFrom === undefined ? [] : [this.opts.resumeFrom]
    let lastMetrics: Record<string, unknown> = {}
    try {
      // Shards are cut once: a restarted gang reads the same blocks.
      const shards = await this.shard()
      for (let attempt = 0; ; attempt++) {
        try {
          const restore = checkpoints.at(-1)
          await this.attempt(attempt, shards, restore, report => {
            history.push(report)
            if (report.rank === 0) lastMetrics = report.metrics
            if (report.checkpoint !== undefined) {
              checkpoints.push(report.checkpoint)
              for (const old of checkpoints.splice(0, Math.max(0, checkpoints.length - this.opts.keepCheckpoints))) this.forgetting.push(this.forget(old))
            }
            this.opts.onReport?.(report)
          })
          const checkpoint = checkpoints.at(-1)
          return { metrics: lastMetrics, ...(checkpoint === undefined ? {} : { checkpoint }), history, attempts: attempt + 1, failures, seconds: (performance.now() - started) / 1000 }
        } catch (err) {
          failures.push((err as Error).message)
          if (attempt >= this.opts.maxFailures) {
            throw new TrainingFailedError(`training '${this.opts.name}' failed ${attempt + 1} time${attempt === 0 ? '' : 's'} (maxFailures ${this.opts.maxFailures}): ${(err as Error).message}`, { cause: err })
          }
        }
      }
    } finally {
      await Promise.all(this.forgetting.splice(0))
      this.running = false
    }
  }

  /** Each dataset cut into one shard per worker, and the rows every worker reads of it. */
  private async shard (): Promise<{ byWorker: Array<Record<string, Shard>>, rowsPerWorker: Record<string, number> }> {
    const byWorker: Array<Record<string, Shard>> = Array.from({ length: this.opts.numWorkers }, () => ({}))
    const rowsPerWorker: Record<string, number> = {}
    for (const [name, ds] of Object.entries(this.opts.datasets ?? {})) {
      const shards = await ds.shards(this.opts.numWorkers)
      shards.forEach((s, i) => { byWorker[i]![name] = { blocks: s.blocks as ObjectRef[], rows: s.rows } })
      rowsPerWorker[name] = Math.min(...shards.map(s => s.rows))
    }
    return { byWorker, rowsPerWorker }
  }

  /** One attempt: place the gang, form its group, run every worker's loop to its end (or the first failure). */
  private async attempt (attempt: number, shards: { byWorker: Array<Record<string, Shard>>, rowsPerWorker: Record<string, number> }, restore: Checkpoint | undefined, onReport: (r: Report) => void): Promise<void> {
    const n = this.opts.numWorkers
    const bundle: BundleSpec = this.opts.resourcesPerWorker ?? { cpus: 1 }
    const pg: PlacementGroup = this.fabric.placementGroup({ bundles: Array.from({ length: n }, () => bundle), strategy: this.opts.placementStrategy, name: `${this.opts.name}-${attempt}` })
    const workers: Array<ActorHandle<Record<string, unknown>>> = []
    let group: { destroy: () => Promise<void> } | undefined
    let torn: Promise<void> | undefined
    const tearDown = async (): Promise<void> => {
      torn ??= (async () => {
        await group?.destroy().catch(() => {})
        await Promise.all(workers.map(async w => { await this.fabric.kill(w).catch(() => {}) }))
        await this.fabric.removePlacementGroup(pg).catch(() => {})
      })()
      await torn
    }
    try {
      await pg.ready({ timeoutMs: this.opts.placementTimeoutMs })
      const actorOptions = { ...resourcesOf(bundle), placementGroup: { group: pg, bundleIndex: 0 } }
      for (let rank = 0; rank < n; rank++) {
        workers.push(await this.worker.options({ ...actorOptions, placementGroup: { group: pg, bundleIndex: rank } }).create() as ActorHandle<Record<string, unknown>>)
      }
      const groupName = `${this.opts.name}-${attempt}`
      group = await this.fabric.collectiveGroup(workers, { name: groupName })
      const checkpoint = restore === undefined ? undefined : await this.fabric.get(restore.ref)
      const loops = workers.map((w, rank) => {
        const method = (w as Record<string, unknown>)[this.opts.loop] as { remote?: (...args: unknown[]) => unknown } | undefined
        if (typeof method?.remote !== 'function') throw new TypeError(`the worker class has no method '${this.opts.loop}' (the training loop: a generator method yielding reports)`)
        const context = {
          rank, size: n, group: groupName, config: this.opts.config, shards: shards.byWorker[rank], rowsPerWorker: shards.rowsPerWorker, attempt,
          ...(checkpoint === undefined ? {} : { checkpoint })
        }
        return this.follow(method.remote(context) as AsyncIterable<ObjectRef>, rank, nodeOf(w.actorId, this.fabric), attempt, onReport)
      })
      // The first failure ends the attempt: the others are torn down with it. What they reported
      // before it is still read (their streams end once their actors are gone): rank 0's
      // checkpoint of the last epoch the failed worker finished too is where the next attempt starts.
      let failure: { cause: unknown } | undefined
      await new Promise<void>((resolve) => {
        let left = loops.length
        for (const l of loops) l.then(() => { if (--left === 0) resolve() }, (cause: unknown) => { failure ??= { cause }; resolve() })
      })
      if (failure !== undefined) {
        await tearDown()
        let timer: NodeJS.Timeout | undefined
        await Promise.race([Promise.allSettled(loops), new Promise(resolve => { timer = setTimeout(resolve, DRAIN_MS) })])
        clearTimeout(timer)
        throw failure.cause
      }
    } finally {
      await tearDown()
    }
  }

  /** Read one worker's reports as it yields them. */
  private async follow (stream: AsyncIterable<ObjectRef>, rank: number, node: string, attempt: number, onReport: (r: Report) => void): Promise<void> {
    if (typeof (stream as { [Symbol.asyncIterator]?: unknown })?.[Symbol.asyncIterator] !== 'function') {
      throw new TypeError(`the training loop '${this.opts.loop}' must be a generator method (function *${this.opts.loop}(ctx) { ... yield { metrics } })`)
    }
    let index = 0
    for await (const ref of stream) {
      const value = await this.fabric.get(ref) as { metrics?: unknown, checkpoint?: unknown } | null
      index++
      const metrics = typeof value?.metrics === 'object' && value.metrics !== null ? value.metrics as Record<string, unknown> : {}
      let checkpoint: Checkpoint | undefined
      if (rank === 0 && value?.checkpoint !== undefined) {
        checkpoint = { ref: this.fabric.put(value.checkpoint), index }
        if (this.opts.storagePath !== undefined) checkpoint.path = await this.write(value.checkpoint, attempt, index)
      }
      onReport({ rank, node, index, metrics, attempt, ...(checkpoint === undefined ? {} : { checkpoint }) })
    }
  }

  /** A checkpoint's file under storagePath: `<name>/checkpoint-<attempt>-<index>.cbor`. */
  private async write (value: unknown, attempt: number, index: number): Promise<string> {
    const dir = path.join(this.opts.storagePath!, this.opts.name)
    await fs.mkdir(dir, { recursive: true })
    const file = path.join(dir, `checkpoint-${attempt}-${String(index).padStart(4, '0')}.cbor`)
    await fs.writeFile(`${file}.tmp`, encode(value))
    await fs.rename(`${file}.tmp`, file)
    return file
  }

  private async forget (c: Checkpoint): Promise<void> {
    this.fabric.free(c.ref)
    if (c.path !== undefined) await fs.rm(c.path, { force: true })
  }
}

/** The node of an actor: `<id>@<node>` across nodes; an embedded fabric's one node. */
function nodeOf (actorId: string, fabric: FabricDriver): string {
  const at = actorId.lastIndexOf('@')
  return at >= 0 ? actorId.slice(at + 1) : fabric.nodes()[0]?.id ?? ''
}

/** The task-option form of a bundle (cpus, gpus, memoryMb, resources). */
function resourcesOf (b: BundleSpec): Record<string, unknown> {
  return {
    cpus: b.cpus ?? 0,
    ...(b.gpus === undefined ? {} : { gpus: b.gpus }),
    ...(b.memoryMb === undefined ? {} : { memoryMb: b.memoryMb }),
    ...(b.resources === undefined ? {} : { resources: b.resources })
  }
}

/**
 * A data-parallel trainer of `worker` (an actor class whose `loop` method is a generator of
 * reports; see docs/train.md).
 */
export function dataParallel<C> (fabric: FabricDriver, worker: unknown, options: DataParallelOptions<C>): DataParallelTrainer<C> {
  return new DataParallelTrainer(fabric, worker as ActorClass, options)
}
