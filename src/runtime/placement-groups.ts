// A driver's placement groups (Ray's gang reservations): each group's bundles are placed by its
// strategy on the nodes in view and reserved there two-phase — prepared on every node it needs,
// then committed — so a group is placed whole or not at all: when a node refuses, the bundles
// prepared elsewhere are released and the group tries again after a random pause. Two groups that
// want the same resources never hold part each and wait for the rest: the one that lost its race
// has nothing held while it waits. A group whose node dies (or whose session with it ends: the node
// releases what was reserved on it) places the lost bundles again; the work in them waits for that
// (see `locate`). A removed group's nodes end the work in it.
import type { Abortable } from '../errors/index.js'
import { randomBytes } from 'node:crypto'
import { InfeasibleTaskError } from '../scheduler/errors.js'
import { fits, resources, type Resources } from '../scheduler/resources.js'
import { groupDemand, planBundles, type PlacementStrategy } from '../scheduler/placement.js'
import type { NodeEntry } from '../scheduler/interface.js'
import { FabricStoppedError, PlacementGroupRemovedError } from './errors.js'
import type { BundleLocator } from './interface.js'
import type { BundleRequest } from './bundles.js'

/** How a driver reaches the nodes that hold bundles (embedded: its one node; connected: /fabric/placement/1). */
export interface BundleTransport {
  /** The nodes bundles may go on, with their free resources (gossiped, or known exactly). */
  nodes: () => readonly NodeEntry[]
  /** Whether `peer` is still in view (a dead node's bundles are placed again). */
  alive: (peer: string) => boolean
  /** Reserve bundles on `peer` (all or none); `commit`: usable at once. Throws the node's refusal. */
  prepare: (peer: string, group: string, bundles: BundleRequest[], commit: boolean) => Promise<void>
  commit: (peer: string, group: string) => Promise<void>
  /** Best effort: a node that is gone has released them already. */
  release: (peer: string, group: string) => Promise<void>
}

/** A group's state, as Ray names them (lower case). */
export type GroupState = 'pending' | 'created' | 'rescheduling' | 'removed'

/** One group as its driver keeps it. */
export class GroupRecord {
  state: GroupState = 'pending'
  /** Why it is not placed yet (pending, rescheduling). */
  reason?: string
  /** The node of each placed bundle. */
  readonly nodes = new Map<number, string>()
  /** Settled once all bundles are placed (again after a loss: a new one). */
  private ready = deferred()
  private failure?: Error
  /** Bumps wake the placing loop. */
  wake: () => void = () => {}
  /** Turns taken by work placed in any bundle (bundle index -1). */
  turn = 0
  warned = false

  constructor (readonly id: string, readonly bundles: readonly Resources[], readonly strategy: PlacementStrategy, readonly name?: string) {}

  /** Resolves once placed (now, when it is); rejects when removed or never placeable. */
  async whenReady (signal?: Abortable): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (this.state === 'created') return
    if (signal === undefined) return await this.ready.promise
    signal.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
      this.ready.promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
    })
  }

  get removed (): boolean {
    return this.state === 'removed'
  }

  placed (): void {
    this.state = 'created'
    this.reason = undefined
    this.ready.resolve()
  }

  lost (): void {
    if (this.state !== 'created') return
    this.state = 'rescheduling'
    this.ready = deferred()
  }

  fail (err: Error): void {
    this.failure ??= err
    this.ready.reject(this.failure)
  }
}

function deferred (): { promise: Promise<void>, resolve: () => void, reject: (e: Error) => void } {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  promise.catch(() => {})
  return { promise, resolve, reject }
}

/** Pauses between tries of a group that could not be placed: random, growing to this. */
const MAX_RETRY_PAUSE_MS = 500

/** A driver's placement groups over one transport. */
export class PlacementGroups {
  private readonly groups = new Map<string, GroupRecord>()
  /** Per node, its heartbeat `seq` when it last refused a prepare: planned as full until it gossips again. */
  private readonly refused = new Map<string, number>()
  private stopped = false

  /**
   * @param transport reaches the nodes
   * @param closedWorld no node can join (an embedded fabric): a group no node could ever hold fails at once instead of waiting
   */
  constructor (private readonly transport: BundleTransport, private readonly closedWorld: boolean) {}

  /** Create a group and start placing it. */
  create (bundles: readonly Resources[], strategy: PlacementStrategy, name?: string): GroupRecord {
    if (this.stopped) throw new FabricStoppedError()
    const g = new GroupRecord(`pg${randomBytes(12).toString('hex')}`, bundles.map(b => resources(b)), strategy, name)
    this.groups.set(g.id, g)
    void this.place(g)
    return g
  }

  get (id: string): GroupRecord | undefined {
    return this.groups.get(id)
  }

  all (): GroupRecord[] {
    return [...this.groups.values()]
  }

  /** Remove a group: its bundles are released on their nodes, which end the work in them. */
  async remove (g: GroupRecord): Promise<void> {
    if (g.state === 'removed') return
    g.state = 'removed'
    g.fail(new PlacementGroupRemovedError(`placement group ${g.name ?? g.id} was removed`))
    g.wake()
    this.groups.delete(g.id)
    const peers = new Set(g.nodes.values())
    g.nodes.clear()
    await Promise.all([...peers].map(async p => { await this.transport.release(p, g.id).catch(() => {}) }))
  }

  /** A node died or ended its session: the bundles on it are lost, and placed again. */
  nodeLost (peer: string): void {
    for (const g of this.groups.values()) {
      let lost = false
      for (const [i, p] of [...g.nodes]) {
        if (p !== peer) continue
        g.nodes.delete(i)
        lost = true
      }
      if (!lost) continue
      // The node may only have ended the session: what is left of the group there goes too.
      void this.transport.release(peer, g.id).catch(() => {})
      const wasPlaced = g.state === 'created'
      g.lost()
      if (wasPlaced) void this.place(g)
    }
  }

  /** Nodes' resources changed (a heartbeat, a node joined): waiting groups try again now. */
  wakeAll (): void {
    for (const g of this.groups.values()) if (g.state === 'pending' || g.state === 'rescheduling') g.wake()
  }

  /** Stop: groups not placed fail with FabricStoppedError (the nodes release the rest as the sessions end). */
  stop (): void {
    this.stopped = true
    for (const g of this.groups.values()) {
      g.fail(new FabricStoppedError())
      g.wake()
    }
    this.groups.clear()
  }

  /** Where work of `demand` placed in bundle `index` of `g` (-1: any bundle) goes. */
  locator (g: GroupRecord, index: number, demand: Resources): BundleLocator {
    const what = `${index < 0 ? 'a bundle' : `bundle ${index}`} of placement group ${g.name ?? g.id}`
    return {
      what,
      locate: async (exclude, signal) => {
        this.checkFit(g, index, demand, what)
        for (;;) {
          await g.whenReady(signal)
          // A node the work failed on is taken for lost: the bundle is placed again, elsewhere or there.
          const bad = [...new Set(g.nodes.values())].filter(p => exclude.has(p) || !this.transport.alive(p))
          if (bad.length > 0) {
            for (const p of bad) this.nodeLost(p)
            continue
          }
          const i = index >= 0 ? index : this.anyBundle(g, demand)
          const peer = g.nodes.get(i)
          if (peer === undefined) continue
          return { peer, demand: groupDemand(g.id, index, demand) }
        }
      }
    }
  }

  /**
   * Check that work may be placed in bundle `index` of `g` (-1: any).
   *
   * @throws TypeError for an index out of range; PlacementGroupRemovedError for a removed group
   */
  checkIndex (g: GroupRecord, index: number, what: string): void {
    if (!Number.isInteger(index) || index < -1 || index >= g.bundles.length) {
      throw new TypeError(`${what}: bundleIndex must be -1 (any bundle) or 0-${g.bundles.length - 1} for placement group ${g.name ?? g.id} of ${g.bundles.length} bundles, got ${String(index)}`)
    }
    if (g.removed) throw new PlacementGroupRemovedError(`${what} cannot be placed in placement group ${g.name ?? g.id}: it was removed`)
  }

  /**
   * Check that work of `demand` fits bundle `index` of `g` (or some bundle, for -1).
   *
   * @throws InfeasibleTaskError when no bundle can hold it
   */
  checkFit (g: GroupRecord, index: number, demand: Resources, what: string): void {
    const able = index >= 0 ? fits(demand, g.bundles[index]!) : g.bundles.some(b => fits(demand, b))
    if (!able) throw new InfeasibleTaskError(`${what} asks for more than ${index >= 0 ? `bundle ${index}` : 'any bundle'} of placement group ${g.name ?? g.id} holds (${describe(demand)} in ${index >= 0 ? describe(g.bundles[index]!) : g.bundles.map(describe).join(' / ')})`)
  }

  /** The bundle work placed in any bundle goes to: those that could hold it take turns. */
  private anyBundle (g: GroupRecord, demand: Resources): number {
    const able = g.bundles.map((b, i) => i).filter(i => fits(demand, g.bundles[i]!))
    return able[g.turn++ % able.length]!
  }

  /** Place the group's unplaced bundles, trying again until they are all placed (or it is removed). */
  private async place (g: GroupRecord): Promise<void> {
    for (let attempt = 0; g.state === 'pending' || g.state === 'rescheduling'; attempt++) {
      if (this.stopped) return
      const todo = g.bundles.map((b, i) => i).filter(i => !g.nodes.has(i))
      if (todo.length === 0) {
        g.placed()
        return
      }
      const plan = planBundles(this.planView(), g.bundles, g.strategy, todo, g.nodes)
      if (!plan.ok) {
        g.reason = plan.reason
        if (plan.never && this.closedWorld) {
          g.fail(new InfeasibleTaskError(`placement group ${g.name ?? g.id} can never be placed: ${plan.reason}`))
          this.groups.delete(g.id)
          g.state = 'removed'
          return
        }
        if (plan.never && !g.warned) {
          g.warned = true
          process.emitWarning(`placement group ${g.name ?? g.id} cannot be placed on the nodes in view (${plan.reason}); it waits for nodes that can hold it`, 'PlacementGroupWarning')
        }
        await this.pause(g, attempt)
        continue
      }
      const byPeer = new Map<string, number[]>()
      for (const [i, peer] of plan.nodes) byPeer.set(peer, [...(byPeer.get(peer) ?? []), i])
      const requests = (idx: number[]): BundleRequest[] => idx.map(i => ({ index: i, resources: g.bundles[i]! }))
      const single = byPeer.size === 1
      const results = await Promise.allSettled([...byPeer].map(async ([peer, idx]) => { await this.transport.prepare(peer, g.id, requests(idx), single) }))
      const prepared = [...byPeer.keys()].filter((p, k) => results[k]!.status === 'fulfilled')
      const refusals = results.flatMap(r => r.status === 'rejected' ? [r.reason as Error] : [])
      if (g.removed || this.stopped) {
        await Promise.all(prepared.map(async p => { await this.transport.release(p, g.id).catch(() => {}) }))
        return
      }
      if (refusals.length > 0) {
        // All or none: what was prepared goes back before anyone waits.
        await Promise.all(prepared.map(async p => { await this.transport.release(p, g.id).catch(() => {}) }))
        for (const [k, p] of [...byPeer.keys()].entries()) {
          if (results[k]!.status === 'rejected') this.refused.set(p, this.transport.nodes().find(n => n.info.peer === p)?.info.seq ?? -1)
        }
        g.reason = refusals.map(e => e.message).join('; ')
        await this.pause(g, attempt)
        continue
      }
      if (!single) {
        const commits = await Promise.allSettled([...byPeer.keys()].map(async p => { await this.transport.commit(p, g.id) }))
        const failed = [...byPeer.keys()].filter((p, k) => commits[k]!.status === 'rejected')
        for (const [i, peer] of plan.nodes) if (!failed.includes(peer)) g.nodes.set(i, peer)
        // A node that failed its commit (it died, or its lease ran out) is lost: those bundles go again.
        for (const p of failed) void this.transport.release(p, g.id).catch(() => {})
        if (g.removed) {
          await Promise.all([...byPeer.keys()].map(async p => { await this.transport.release(p, g.id).catch(() => {}) }))
          return
        }
        continue
      }
      for (const [i, peer] of plan.nodes) g.nodes.set(i, peer)
      attempt = -1
    }
  }

  /** The nodes as planning sees them: one that refused a prepare counts as full until it gossips again. */
  private planView (): NodeEntry[] {
    return this.transport.nodes().map(n => {
      const seq = this.refused.get(n.info.peer)
      if (seq === undefined) return n
      if (seq !== n.info.seq) {
        this.refused.delete(n.info.peer)
        return n
      }
      return { ...n, info: { ...n.info, resources: { total: n.info.resources.total, available: resources() } } }
    })
  }

  /** Wait a random, growing pause, or until woken (resources changed). */
  private async pause (g: GroupRecord, attempt: number): Promise<void> {
    const ms = Math.random() * Math.min(MAX_RETRY_PAUSE_MS, 5 * 2 ** Math.min(attempt, 10))
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, ms)
      function done (): void {
        clearTimeout(timer)
        resolve()
      }
      g.wake = done
    })
    g.wake = () => {}
  }
}

function describe (r: Resources): string {
  const parts: string[] = []
  if (r.cpus > 0) parts.push(`cpus: ${r.cpus}`)
  if (r.gpus > 0) parts.push(`gpus: ${r.gpus}`)
  if (r.memoryMb > 0) parts.push(`memoryMb: ${r.memoryMb}`)
  for (const [k, v] of Object.entries(r.custom)) if (v > 0) parts.push(`${k}: ${v}`)
  return `{ ${parts.join(', ') || 'nothing'} }`
}
