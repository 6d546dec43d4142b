// RemoteActor against nodes held in memory (no libp2p): one restart budget across the restarts a
// node makes in place (its `restarted` reports) and the re-creations on other nodes after a node
// died (a new node gets only what is left); and names across the view: refused when a node has a
// live actor of the name, and of two creators racing on two nodes exactly one keeps it (the other's
// actor is killed), both when they see each other and when only the later one sees the earlier.
import assert from 'node:assert/strict'
import { ActorDiedError } from '../../src/exec/errors.js'
import { FabricError } from '../../src/errors/index.js'
import type { ActorOpen, ActorSession, NetNode, PeerEntry } from '../../src/net/index.js'
import { PeerUnreachableError } from '../../src/net/errors.js'
import { ActorNotFoundError } from '../../src/runtime/errors.js'
import { RemoteActor, type RemoteActorInit } from '../../src/runtime/remote-actor.js'
import type { RemoteRunner } from '../../src/runtime/remote-runner.js'
import { resources } from '../../src/scheduler/resources.js'
import { waitFor } from '../helpers/wait-for.js'

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** An owned session with a node in memory: calls answer their method's name; the test breaks it or reports restarts. */
class FakeSession implements ActorSession {
  restarts = 0
  readonly ended: Promise<Error | undefined>
  private endResolve!: (e: Error | undefined) => void
  private readonly listeners: Array<(n: number) => void> = []
  over = false
  constructor (readonly peer: string, readonly actor: string, private readonly onEnd: () => void) {
    this.ended = new Promise(resolve => { this.endResolve = resolve })
  }

  async call (method: string): Promise<Uint8Array> {
    if (this.over) throw new PeerUnreachableError(`the session with ${this.peer} is closed`)
    return new TextEncoder().encode(method)
  }

  /** Calls made with `hang`: they wait until the session breaks; `retries` as sent. */
  readonly hanging: Array<{ retries?: number, onRetry?: () => void, reject: (e: Error) => void }> = []

  /** A `stream` call yields 1..yields (as text), then hangs like `hang` when `hangAfterItems`. */
  yields = 3
  hangAfterItems = false

  async invoke (method: string, _args?: Uint8Array, options: { retries?: number, onRetry?: () => void, onItem?: (item: { value: Uint8Array }) => void } = {}): Promise<{ value: Uint8Array }> {
    if (method === 'stream' && options.onItem !== undefined && !this.over) {
      for (let i = 1; i <= this.yields; i++) options.onItem({ value: new TextEncoder().encode(String(i)) })
      if (this.hangAfterItems) return await new Promise((_resolve, reject) => { this.hanging.push({ ...options, reject }) })
      return { value: new TextEncoder().encode(String(this.yields)) }
    }
    if (method === 'hang' && !this.over) {
      return await new Promise((_resolve, reject) => { this.hanging.push({ ...options, reject }) })
    }
    return { value: await this.call(method) }
  }

  async kill (): Promise<void> { this.end(undefined) }
  async close (): Promise<void> { this.end(undefined) }
  onRestarted (listener: (n: number) => void): void { this.listeners.push(listener) }
  onSnapshot (): void {}
  restarted (): void {
    this.restarts++
    for (const l of this.listeners) l(this.restarts)
  }

  /** The node died. */
  break (): void {
    const err = new PeerUnreachableError(`the actor session with ${this.peer} broke`)
    for (const h of this.hanging.splice(0)) h.reject(err)
    this.end(err)
  }

  private end (err: Error | undefined): void {
    if (this.over) return
    this.over = true
    this.onEnd()
    this.endResolve(err)
  }
}

/** Nodes in memory: each keeps its live actors' names (unique per node, as LocalNode does). */
class FakeFabric {
  readonly names = new Map<string, Map<string, string>>()
  readonly creates: Array<{ peer: string, options: Record<string, unknown> }> = []
  readonly sessions: FakeSession[] = []
  /** How long a create takes on each node before the name is taken (pulling the component), and after (the constructor), in ms. */
  createDelay = new Map<string, { before: number, after: number }>()
  private next = 0

  constructor (readonly peers: string[]) {
    for (const p of peers) this.names.set(p, new Map())
  }

  entry (peer: string): PeerEntry {
    const t = resources({ cpus: 1 })
    return { info: { peer, seq: 1, ts: 0, addrs: [], resources: { total: t, available: t }, queue: 0, labels: {}, store: { memoryBytes: 0, diskBytes: 0 } }, state: 'alive', lastHeardAt: 0 }
  }

  net (): NetNode {
    return {
      view: { peers: () => this.peers.map(p => this.entry(p)), get: (p: string) => this.entry(p), on: () => {}, off: () => {} },
      openActor: async (peer: string, open: ActorOpen) => await this.open(peer, open)
    } as unknown as NetNode
  }

  /** Places on `order` (or every node) in turn, skipping failed nodes. */
  runner (order?: string[]): RemoteRunner {
    return {
      rank: (_what: string, _d: unknown, _s: unknown, exclude: ReadonlySet<string>) => (order ?? this.peers).filter(p => !exclude.has(p)).map(p => this.entry(p)),
      actorPlaced: () => {}
    } as unknown as RemoteRunner
  }

  private async open (peer: string, open: ActorOpen): Promise<ActorSession> {
    await sleep(1)
    const names = this.names.get(peer)!
    if (open.type === 'attach') {
      const id = names.get(open.name)
      if (id === undefined) throw new ActorNotFoundError(`no live actor is named '${open.name}'`)
      return new FakeSession(peer, id, () => {})
    }
    if (open.type === 'attach-id') {
      if (!this.sessions.some(s => s.peer === peer && s.actor === open.actor && !s.over)) throw new ActorNotFoundError(`no live actor ${open.actor} on this node`)
      return new FakeSession(peer, open.actor, () => {})
    }
    await sleep(this.createDelay.get(peer)?.before ?? 0)
    const name = open.options.name as string | undefined
    if (name !== undefined && names.has(name)) {
      throw Object.assign(new FabricError(`an actor named '${name}' already exists: names are unique while the actor lives`), { name: 'TypeError' })
    }
    const id = `a${this.next++}`
    if (name !== undefined) names.set(name, id)
    this.creates.push({ peer, options: open.options })
    await sleep(this.createDelay.get(peer)?.after ?? 0)
    const s = new FakeSession(peer, id, () => { if (name !== undefined && names.get(name) === id) names.delete(name) })
    this.sessions.push(s)
    return s
  }
}

const init = (more: Partial<RemoteActorInit> = {}): RemoteActorInit => ({
  component: 'bafy', cls: 'Counter', args: new Uint8Array([0x80]), demand: resources({}), maxRestarts: 0, maxTaskRetries: 0, nodeOptions: {}, ...more
})

describe('runtime/remote-actor', function () {
  this.timeout(20_000)

  it("restarts in place and on other nodes spend one maxRestarts: a new node gets what is left; restartCount is the total", async () => {
    const f = new FakeFabric(['A', 'B', 'C'])
    const actor = await RemoteActor.create(f.net(), f.runner(), init({ maxRestarts: 3, maxTaskRetries: 1, nodeOptions: { maxRestarts: 3 } }))
    assert.deepEqual(f.creates.map(c => [c.peer, c.options.maxRestarts]), [['A', 3]])
    f.sessions[0]!.restarted()
    f.sessions[0]!.restarted()
    assert.equal(actor.restartCount, 2)
    f.sessions[0]!.break()
    await waitFor(() => f.creates.length === 2 || actor.isDead, 'the restart after A was lost')
    // The node loss is the third restart: the new node may restart it in place no more.
    assert.deepEqual(f.creates.map(c => [c.peer, c.options.maxRestarts]), [['A', 3], ['B', 0]])
    assert.equal(actor.restartCount, 3)
    assert.equal(actor.peer, 'B')
    assert.equal(new TextDecoder().decode(await actor.call('ping', new Uint8Array())), 'ping')
    f.sessions[1]!.break()
    await assert.rejects(actor.call('ping', new Uint8Array()), (err: Error) => err instanceof ActorDiedError && /no restarts left \(3 of maxRestarts 3 used\)/.test(err.message))
    assert.equal(f.creates.length, 2)
  })

  it('a node lost before is a candidate again once the actor lives elsewhere (chaos: actor-never-returns)', async () => {
    // Two nodes: A is lost (the actor moves to B), A comes back, B is lost: A must take it again.
    const f = new FakeFabric(['A', 'B'])
    const actor = await RemoteActor.create(f.net(), f.runner(), init({ maxRestarts: 5 }))
    f.sessions[0]!.break()
    await waitFor(() => actor.peer === 'B' || actor.isDead, 'the actor on B')
    assert.equal(actor.peer, 'B')
    f.sessions[1]!.break()
    await waitFor(() => actor.peer === 'A' || actor.isDead, 'the actor back on A (or dead)')
    assert.equal(actor.peer, 'A', 'before the fix: no candidate left, the actor died with 3 restarts left')
    assert.equal(new TextDecoder().decode(await actor.call('ping', new Uint8Array())), 'ping')
    assert.equal(actor.restartCount, 2)
  })

  it('a restart that finds no node reachable for a moment tries again, without spending more restarts (chaos: actor-restart-gives-up)', async () => {
    const f = new FakeFabric(['A', 'B'])
    const net = f.net()
    const actor = await RemoteActor.create(net, f.runner(), init({ maxRestarts: 2 }))
    // B is unreachable for ~600 ms (hung past the ping timeout): the restart must wait for it or A.
    let down = true
    const open = net.openActor.bind(net)
    ;(net as { openActor: NetNode['openActor'] }).openActor = async (peer, o, opts) => {
      if (down) throw new PeerUnreachableError(`cannot open /fabric/actor/1 to ${peer}: timed out`)
      return await open(peer, o, opts)
    }
    f.sessions[0]!.break()
    await sleep(20)
    const call = actor.call('ping', new Uint8Array()) // made while the actor restarts: it waits
    await sleep(600)
    assert.equal(actor.isDead, false, 'before the fix: the actor died at the first failed try')
    down = false
    assert.equal(new TextDecoder().decode(await call), 'ping', 'the call waited for the restart')
    assert.equal(actor.restartCount, 1, 'the tries were one restart')
  })

  it('one maxTaskRetries per call: retries in place spend it, a resend after a lost node gets what is left', async () => {
    const f = new FakeFabric(['A', 'B', 'C'])
    const actor = await RemoteActor.create(f.net(), f.runner(), init({ maxRestarts: 3, maxTaskRetries: 2 }))
    const call = actor.call('hang', new Uint8Array())
    await sleep(5)
    assert.equal(f.sessions[0]!.hanging[0]!.retries, 2)
    // The node ran it again once after a crash (and restarted the actor in place).
    f.sessions[0]!.hanging[0]!.onRetry!()
    f.sessions[0]!.restarted()
    f.sessions[0]!.break()
    await waitFor(() => f.sessions[1]?.hanging[0] !== undefined, 'the call sent again on B')
    // Sent again on B: 2 runs so far, so B may not run it again.
    assert.equal(f.sessions[1]!.hanging[0]!.retries, 0)
    f.sessions[1]!.break()
    await assert.rejects(call, (err: Error) => err instanceof ActorDiedError && /maxTaskRetries 2/.test(err.message))
  })

  it('a streaming call sent again after a lost node gives only the values not given yet (the new instance yields from the start)', async () => {
    const f = new FakeFabric(['A', 'B'])
    const actor = await RemoteActor.create(f.net(), f.runner(), init({ maxRestarts: 1, maxTaskRetries: 1 }))
    f.sessions[0]!.yields = 2
    f.sessions[0]!.hangAfterItems = true
    const got: string[] = []
    const call = actor.invoke('stream', new Uint8Array(), { onItem: item => { got.push(`${item.peer}:${new TextDecoder().decode(item.value)}`) } })
    assert.deepEqual(got, ['A:1', 'A:2'])
    f.sessions[0]!.break()
    // Sent again on B, whose fresh instance yields 1, 2, 3: only 3 is new to the caller.
    assert.equal(new TextDecoder().decode((await call).value), '3')
    assert.deepEqual(got, ['A:1', 'A:2', 'B:3'])
  })

  it('a node that reports restarts leaves less for the next: one in place, one elsewhere, then none', async () => {
    const f = new FakeFabric(['A', 'B', 'C'])
    const actor = await RemoteActor.create(f.net(), f.runner(), init({ maxRestarts: 2 }))
    f.sessions[0]!.restarted()
    f.sessions[0]!.break()
    await waitFor(() => f.creates.length === 2 || actor.isDead, 'the restart after A was lost')
    assert.deepEqual(f.creates.map(c => [c.peer, c.options.maxRestarts]), [['A', 2], ['B', 0]])
    assert.equal(actor.restartCount, 2)
    f.sessions[1]!.break()
    await sleep(20)
    assert.equal(f.creates.length, 2, 'no third instance')
    assert.equal(actor.restartCount, 2)
  })

  it('a name held on any node in view is refused with the embedded TypeError, before and on the node', async () => {
    const f = new FakeFabric(['A', 'B', 'C'])
    const first = await RemoteActor.create(f.net(), f.runner(['C']), init({ name: 'solo', nodeOptions: { name: 'solo' } }))
    await assert.rejects(RemoteActor.create(f.net(), f.runner(['A']), init({ name: 'solo', nodeOptions: { name: 'solo' } })), (err: Error) => {
      return err instanceof TypeError && /an actor named 'solo' already exists: names are unique while the actor lives .*node C/.test(err.message)
    })
    assert.equal(f.creates.length, 1, 'refused before any node was asked to create it')
    await first.kill()
    const again = await RemoteActor.create(f.net(), f.runner(['A']), init({ name: 'solo', nodeOptions: { name: 'solo' } }))
    assert.equal(again.peer, 'A')
    await again.kill()
  })

  const races = [
    ['each sees the other', { A: { before: 0, after: 20 }, B: { before: 0, after: 20 } }, 'A'],
    ['each sees the other, the first to look sorts last', { A: { before: 0, after: 40 }, B: { before: 0, after: 0 } }, 'A'],
    ['only the later sees the earlier, which sorts first', { A: { before: 0, after: 0 }, B: { before: 60, after: 0 } }, 'A'],
    // A fixed order alone would keep both here: B looked before A existed, A must yield to it.
    ['only the later sees the earlier, which sorts last', { A: { before: 60, after: 0 }, B: { before: 0, after: 0 } }, 'B']
  ] as const
  for (const [label, delays, keeper] of races) {
    it(`two creators racing for one name on two nodes (${label}): exactly one keeps it, the other's actor is killed`, async () => {
      const f = new FakeFabric(['A', 'B', 'C'])
      f.createDelay.set('A', delays.A)
      f.createDelay.set('B', delays.B)
      const settled = await Promise.allSettled([
        RemoteActor.create(f.net(), f.runner(['A']), init({ name: 'race', nodeOptions: { name: 'race' } })),
        RemoteActor.create(f.net(), f.runner(['B']), init({ name: 'race', nodeOptions: { name: 'race' } }))
      ])
      const kept = settled.filter((s): s is PromiseFulfilledResult<RemoteActor> => s.status === 'fulfilled').map(s => s.value)
      const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map(s => s.reason as Error)
      assert.equal(f.creates.length, 2, 'both got past the first look')
      assert.equal(kept.length, 1, refused.map(e => e.message).join('; '))
      assert.ok(refused[0] instanceof TypeError && /already exists/.test(refused[0].message))
      const holders = [...f.names].filter(([, n]) => n.has('race')).map(([p]) => p)
      assert.equal(kept[0]!.peer, keeper)
      assert.deepEqual(holders, [keeper], 'the yielding actor was killed; the name lives on one node')
      await kept[0]!.kill()
    })
  }

  it("a node's own duplicate-name refusal reaches the caller as the TypeError", async () => {
    const f = new FakeFabric(['A'])
    f.names.get('A')!.set('taken', 'a99')
    // A view without A (the look misses it) but placed on A: the node's own check refuses.
    const net = f.net()
    ;(net as unknown as { view: { peers: () => PeerEntry[] } }).view.peers = () => []
    await assert.rejects(RemoteActor.create(net, f.runner(['A']), init({ name: 'taken', nodeOptions: { name: 'taken' } })), (err: Error) => err instanceof TypeError && /'taken' already exists.*node A/.test(err.message))
  })
})
