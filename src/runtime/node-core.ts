// What the parts of a node share: its resources and policy, worker pool, object store and ref
// table, task queue, actor table, components, counters, and the parts themselves (objects, tasks,
// actors, guest services), which LocalNode wires together.
import type { Cancel } from '../errors/index.js'
import os from 'node:os'
import { randomUUID } from 'node:crypto'
import { loadComponent, type CompiledComponent } from '../component/index.js'
import type { ExecPool } from '../exec/index.js'
import type { ObjectStore } from '../objects/index.js'
import { adjust, resources, type Resources } from '../scheduler/resources.js'
import { isGroupKey } from '../scheduler/placement.js'
import { TaskQueue } from '../scheduler/task-queue.js'
import { createLocalPolicy, type LocalPolicy } from '../scheduler/index.js'
import { gpuInventory, prepareNativeEnvironment } from '../gpu/index.js'
import { FabricStoppedError } from './errors.js'
import type { RefTable } from './ref-table.js'
import type { MemoRemote, NestedOffload, NodeInit, TaskObserver } from './interface.js'
import type { MemoIndex } from './memo.js'
import type { Durables } from './durable.js'
import type { SnapshotKeeper } from './snapshot-keeper.js'
import type { ActorRecord, TaskRecord } from './node-records.js'
import type { ObjectOwner } from './object-owner.js'
import type { TaskRunner } from './task-runner.js'
import type { ActorTable } from './actor-table.js'
import type { GuestServices } from './guest-services.js'
import type { Bundles } from './bundles.js'
import type { Collectives } from './collectives.js'
import { ObjectGrants } from './object-grants.js'
import { TaskHistory } from './task-history.js'

/** A component the node has loaded, and its builds with other memory caps. */
interface LoadedComponent {
  source: string | Uint8Array
  compiled: CompiledComponent
  byCap: Map<number, Promise<CompiledComponent>>
}

export class NodeCore {
  readonly fabricId = randomUUID().slice(0, 8)
  readonly workers: number
  readonly total: Resources
  /** Free now: taken by tasks and actors as they start, given back as they end (or block). */
  readonly available: Resources
  readonly policy: LocalPolicy
  readonly labels: Readonly<Record<string, string>>
  readonly cacheDir?: string
  readonly log: NodeInit['log']
  readonly running = new Map<string, TaskRecord>()
  readonly queue = new TaskQueue<TaskRecord>()
  readonly actors = new Map<string, ActorRecord>()
  readonly names = new Map<string, string>()
  readonly components = new Map<string, LoadedComponent>()
  /** `cancelled` counts tasks also counted in `failed` (their error is TaskCancelledError). */
  readonly counts = { waiting: 0, ahead: 0, finished: 0, failed: 0, cancelled: 0 }
  /** Told of every task and actor call that ends (metrics: the latency histogram); set only when someone listens. */
  taskObserver?: TaskObserver
  state: 'new' | 'running' | 'stopped' = 'new'
  /** A schedule pass is running (a task it starts may finish at once and ask for another). */
  scheduling = false
  /** Where guests' nested tasks go when this node is half busy (a node in a fabric), and those running there. */
  offload?: NestedOffload
  readonly offloaded = new Map<string, Cancel>()
  offloadedCount = 0
  /** The last finished tasks, for the state API (see task-history.ts). */
  readonly history: TaskHistory
  /** Which jobs may pull which of this node's objects and components (see object-grants.ts). */
  readonly grants = new ObjectGrants(cid => this.store?.has(cid) === true || this.components.has(cid))
  // Set by LocalNode once, before anything runs.
  pool!: ExecPool
  store!: ObjectStore
  refs!: RefTable
  objects!: ObjectOwner
  tasks!: TaskRunner
  actorTable!: ActorTable
  guests!: GuestServices
  bundles!: Bundles
  collectives!: Collectives
  memo!: MemoIndex
  durables!: Durables
  keeper!: SnapshotKeeper
  /** Finds memoised results other nodes hold (set by a node that has joined a fabric). */
  memoRemote?: MemoRemote

  constructor (init: NodeInit) {
    this.workers = Math.max(1, Math.floor(init.workers ?? os.availableParallelism()))
    const r = init.resources ?? {}
    // OpenBLAS reads its settings once, when the first worker loads the GPU bridge's addon.
    prepareNativeEnvironment(r.cpus ?? this.workers)
    this.total = resources({
      cpus: r.cpus ?? this.workers,
      gpus: r.gpus ?? gpuInventory().devices,
      memoryMb: r.memoryMb ?? Math.floor(os.totalmem() / 2 ** 20),
      custom: r.custom ?? {}
    })
    this.available = resources(this.total)
    this.policy = init.localPolicy ?? createLocalPolicy()
    this.labels = Object.freeze({ ...init.labels })
    this.cacheDir = init.cacheDir
    this.log = init.log
    this.history = new TaskHistory(init.taskHistory ?? 10_000)
  }

  /**
   * Take `r` from the free resources (work starts, or a blocked guest resumes). A bundle's names
   * the node no longer offers (its group was released while the work ran) are not taken.
   */
  take (r: Resources): void {
    this.shift(r, -1)
  }

  /** Give `r` back to the free resources (work ends, or a guest blocks); as {@link take}, released bundles' names are skipped. */
  giveBack (r: Resources): void {
    this.shift(r, 1)
  }

  private shift (r: Resources, sign: 1 | -1): void {
    let stale = false
    for (const k of Object.keys(r.custom)) if (this.total.custom[k] === undefined && isGroupKey(k)) stale = true
    if (!stale) {
      adjust(this.available, r, sign)
      return
    }
    const custom = Object.fromEntries(Object.entries(r.custom).filter(([k]) => !(this.total.custom[k] === undefined && isGroupKey(k))))
    adjust(this.available, { ...r, custom }, sign)
  }

  assertRunning (): void {
    if (this.state !== 'running') throw new FabricStoppedError(this.state === 'new' ? 'the fabric is not started' : undefined)
  }

  /** The component compiled with another memory cap (tasks asking for more memory). */
  async withMemoryLimit (c: CompiledComponent, mb: number): Promise<CompiledComponent> {
    if (mb === c.maxMemoryPages / 16) return c
    const known = this.components.get(c.cid)
    if (known === undefined) return c
    let p = known.byCap.get(mb)
    if (p === undefined) {
      p = loadComponent(known.source, { cacheDir: this.cacheDir, memoryLimitMb: mb })
      known.byCap.set(mb, p)
    }
    return await p
  }
}
