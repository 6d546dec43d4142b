// `/fabric/actor/1` between in-process nodes, with an in-memory actor host: create, calls in
// order, typed failures, attach by name, kill, an owned actor killed when its session ends, the
// owner told of restarts in place (`restarted` frames, validated), and a stock libp2p client
// sending malformed or oversized frames gets an error frame while the node keeps serving. (Real components on real runtimes across processes: test/e2e/remote-actors.)
import assert from 'node:assert/strict'
import path from 'node:path'
import '../../src/net/polyfill.js'
import type { Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import * as cborg from 'cborg'
import { createLibp2p } from 'libp2p'
import { ACTOR_PROTOCOL, MAX_ACTOR_REQUEST_BYTES, createNetNode, encode, type ActorHost, type ActorOpen, type NetNode } from '../../src/net/index.js'
import { decodeActorReply } from '../../src/net/actor-protocol.js'
import { ActorDiedError, TaskError } from '../../src/exec/errors.js'
import { ActorNotFoundError } from '../../src/runtime/errors.js'
import { cidOfBytesSync } from '../../src/objects/cid.js'
import { lengthPrefix, nodeResources, rmDir, tmpDir, waitFor } from './helpers.js'

const CID = cidOfBytesSync(new Uint8Array([1, 2, 3]))
const create = (start: number, options: Record<string, unknown> = {}): ActorOpen => ({ type: 'create', component: CID, cls: 'Counter', args: cborg.encode([start]), options })

/**
 * Counters in memory: `incr(by)` after a delay that shrinks with `by`, so order is visible;
 * `crash()` restarts the counter in place (state back to 0), as a node does after a trap.
 */
class CounterHost implements ActorHost {
  readonly counters = new Map<string, { n: number, alive: boolean, name?: string, chain: Promise<unknown>, restarts: number, listener?: (restarts: number) => void }>()
  private next = 0
  async open (req: ActorOpen): Promise<{ actor: string, owned: boolean }> {
    if (req.type === 'attach') {
      const found = [...this.counters].find(([, c]) => c.alive && c.name === req.name)
      if (found === undefined) throw new ActorNotFoundError(`no live actor is named '${req.name}'`)
      return { actor: found[0], owned: false }
    }
    if (req.type === 'attach-id') {
      if (this.counters.get(req.actor)?.alive !== true) throw new ActorNotFoundError(`no live actor ${req.actor} on this node`)
      return { actor: req.actor, owned: false }
    }
    const [start] = cborg.decode(req.args) as [number]
    if (start < 0) throw new TaskError('start must be >= 0', { kind: 'bad-argument' })
    const id = `a${this.next++}`
    this.counters.set(id, { n: start, alive: true, chain: Promise.resolve(), restarts: 0, ...(typeof req.options.name === 'string' ? { name: req.options.name } : {}) })
    return { actor: id, owned: true }
  }

  lastCall?: { from: string, nested?: unknown[] }
  call (actor: string, method: string, args: Uint8Array, _timeoutMs?: number, call?: { from: string, nested?: unknown[], retries?: number, onRetry?: () => void, onItem?: (item: { value: Uint8Array, nested?: Array<{ id: string, value: Uint8Array }> }) => Promise<void> }): Promise<Uint8Array | { value: Uint8Array, nested?: Array<{ id: string, value: Uint8Array }> }> {
    this.lastCall = call
    if (method === 'count' || method === 'countFail') {
      // A generator: 1..n, each handed on before the next; countFail then fails.
      const onItem = call?.onItem
      if (onItem === undefined) return Promise.reject(new TaskError(`${method} must be called as a stream`, { kind: 'bad-argument' }))
      const [n] = cborg.decode(args) as [number]
      return (async () => {
        for (let i = 1; i <= n; i++) await onItem({ value: cborg.encode(i), ...(i === 1 ? { nested: [{ id: 'node-i', value: cborg.encode('in') }] } : {}) })
        if (method === 'countFail') throw new TaskError('failed after the values', { kind: 'application' })
        return cborg.encode(n)
      })()
    }
    if (method === 'refs') return Promise.resolve({ value: cborg.encode('with refs'), nested: [{ id: 'node-1', value: cborg.encode(7) }] })
    if (method === 'retried') {
      // Crashed once, restarted in place, ran again: the caller hears of it before the result.
      call?.onRetry?.()
      return Promise.resolve(cborg.encode(`ran again, ${String((call as { retries?: number } | undefined)?.retries)} retries allowed`))
    }
    const c = this.counters.get(actor)!
    const [by] = cborg.decode(args) as [number]
    // Calls run one after another, in the order queued (as the runtime does).
    const run = c.chain.then(async () => {
      if (!c.alive) throw new ActorDiedError('killed')
      if (method === 'crash') {
        c.n = 0
        c.listener?.(++c.restarts)
        throw new TaskError('crashed', { kind: 'trap' })
      }
      if (method !== 'incr') throw new TaskError(`no method ${method}`, { kind: 'unknown-method' })
      await new Promise(resolve => setTimeout(resolve, Math.max(0, 20 - by)))
      c.n += by
      return cborg.encode(c.n)
    })
    c.chain = run.catch(() => {})
    return run
  }

  kill (actor: string): void {
    const c = this.counters.get(actor)
    if (c !== undefined) c.alive = false
  }

  watchRestarts (actor: string, listener: (restarts: number) => void): () => void {
    const c = this.counters.get(actor)!
    c.listener = listener
    return () => { delete c.listener }
  }
}

describe('net/actor-protocol', function () {
  this.timeout(60_000)
  let dir: string
  let host: CounterHost
  let worker: NetNode
  let caller: NetNode
  let client: Libp2p

  before(async () => {
    dir = tmpDir()
    host = new CounterHost()
    worker = await createNetNode({ dataDir: path.join(dir, 'w'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(1), actors: host })
    caller = await createNetNode({ dataDir: path.join(dir, 'c'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(0) })
    client = await createLibp2p({ addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [tls(), noise()], streamMuxers: [yamux()] })
  })

  after(async () => {
    await client?.stop()
    await caller?.stop({ leave: false })
    await worker?.stop({ leave: false })
    rmDir(dir)
  })

  it('creates an actor and runs its calls in the order they were made, whatever their durations', async () => {
    const s = await caller.openActor(worker.multiaddrs()[0]!, create(100))
    assert.equal(s.peer, worker.peerId)
    const outs = await Promise.all([1, 19, 2, 18, 3].map(async by => cborg.decode(await s.call('incr', cborg.encode([by])))))
    assert.deepEqual(outs, [101, 120, 122, 140, 143])
    await s.close()
    assert.equal(await s.ended, undefined)
  })

  it("brings a call's and a constructor's failure back typed; the session goes on after a failed call", async () => {
    await assert.rejects(caller.openActor(worker.multiaddrs()[0]!, create(-1)), (err: Error & { kind?: string }) => err.name === 'TaskError' && err.kind === 'bad-argument')
    const s = await caller.openActor(worker.multiaddrs()[0]!, create(0))
    await assert.rejects(s.call('nope', cborg.encode([1])), (err: Error & { kind?: string }) => err.kind === 'unknown-method')
    assert.equal(cborg.decode(await s.call('incr', cborg.encode([5]))), 5)
    await s.close()
  })

  it('a call carries the refs inside its arguments; a result carries the refs inside it', async () => {
    const s = await caller.openActor(worker.multiaddrs()[0]!, create(0))
    try {
      const out = await s.invoke('refs', cborg.encode([]), { nested: [{ id: 'd-1', value: cborg.encode('inner') }, { id: 'd-2', cid: CID, size: 3, holders: [caller.peerId] }] })
      assert.deepEqual(host.lastCall?.from, caller.peerId)
      assert.deepEqual(host.lastCall?.nested, [{ id: 'd-1', value: cborg.encode('inner') }, { id: 'd-2', cid: CID, size: 3, holders: [caller.peerId] }])
      assert.equal(cborg.decode(out.value), 'with refs')
      assert.deepEqual(out.nested, [{ id: 'node-1', value: cborg.encode(7) }])
      assert.equal(cborg.decode(await s.call('incr', cborg.encode([4]))), 4)
      let retried = 0
      const again = await s.invoke('retried', cborg.encode([]), { retries: 3, onRetry: () => { retried++ } })
      assert.equal(cborg.decode(again.value), 'ran again, 3 retries allowed')
      assert.equal(retried, 1)
    } finally {
      await s.close()
    }
  })

  it('attaches to a named actor; kill makes pending calls fail with ActorDiedError', async () => {
    const owner = await caller.openActor(worker.multiaddrs()[0]!, create(0, { name: 'shared' }))
    const other = await caller.openActor(worker.multiaddrs()[0]!, { type: 'attach', name: 'shared' })
    assert.equal(other.actor, owner.actor)
    assert.equal(cborg.decode(await owner.call('incr', cborg.encode([2]))), 2)
    assert.equal(cborg.decode(await other.call('incr', cborg.encode([3]))), 5)
    await assert.rejects(caller.openActor(worker.multiaddrs()[0]!, { type: 'attach', name: 'nobody' }), (err: Error) => err.name === 'ActorNotFoundError')
    const pending = other.call('incr', cborg.encode([1]))
    await owner.kill()
    await assert.rejects(pending, (err: Error) => err.name === 'ActorDiedError')
    await other.close()
  })

  it('an owned actor dies with its session (its caller went away); an attached session does not kill it', async () => {
    const owner = await caller.openActor(worker.multiaddrs()[0]!, create(0, { name: 'owned' }))
    const viewer = await caller.openActor(worker.multiaddrs()[0]!, { type: 'attach', name: 'owned' })
    await viewer.close()
    assert.equal(host.counters.get(owner.actor)!.alive, true)
    await owner.close()
    await waitFor(() => !host.counters.get(owner.actor)!.alive, 'the owned actor to be killed')
  })

  it('a call on a broken session fails with PeerUnreachableError', async () => {
    const s = await caller.openActor(worker.multiaddrs()[0]!, create(0))
    const pending = s.call('incr', cborg.encode([0]))
    pending.catch(() => {}) // asserted below
    const conn = (caller as unknown as { libp2p: Libp2p }).libp2p.getConnections().find(c => c.remotePeer.toString() === worker.peerId)!
    await conn.close({ signal: AbortSignal.timeout(1000) }).catch(() => conn.abort(new Error('test')))
    await assert.rejects(pending, (err: Error) => err.name === 'PeerUnreachableError')
    assert.equal((await s.ended)?.name, 'PeerUnreachableError')
    await waitFor(() => !host.counters.get(s.actor)!.alive, 'the actor of the broken session to be killed')
  })

  it("tells the owner of each restart in place, before the crashed call's result; not an attached session", async () => {
    const owner = await caller.openActor(worker.multiaddrs()[0]!, create(5, { name: 'phoenix' }))
    const viewer = await caller.openActor(worker.multiaddrs()[0]!, { type: 'attach', name: 'phoenix' })
    const heard: number[] = []
    owner.onRestarted(n => heard.push(n))
    await assert.rejects(owner.call('crash', cborg.encode([0])), (err: Error & { kind?: string }) => {
      assert.equal(owner.restarts, 1, 'the restart was reported before the result')
      return err.kind === 'trap'
    })
    await assert.rejects(viewer.call('crash', cborg.encode([0])), (err: Error & { kind?: string }) => err.kind === 'trap')
    assert.equal(cborg.decode(await owner.call('incr', cborg.encode([1]))), 1)
    assert.deepEqual(heard, [1, 2])
    assert.equal(owner.restarts, 2)
    assert.equal(viewer.restarts, 0, 'an attached session does not own the actor: no restart frames')
    await viewer.close()
    await owner.close()
  })

  it('streams a generator call\'s values in order before its result, its error after them; plain calls around it are answered', async () => {
    const s = await caller.openActor(worker.multiaddrs()[0]!, create(0))
    try {
      const items: unknown[] = []
      const before = s.call('incr', cborg.encode([1]))
      const streamed = s.invoke('count', cborg.encode([3]), { onItem: item => { items.push(cborg.decode(item.value)); if (item.nested !== undefined) items.push(item.nested.length) } })
      const after = s.call('incr', cborg.encode([2]))
      assert.equal(cborg.decode((await streamed).value), 3)
      assert.deepEqual(items, [1, 1, 2, 3], 'the values (the first with its ref) came before the result')
      assert.deepEqual([cborg.decode(await before), cborg.decode(await after)], [1, 3])
      // More values than the node queues ahead of the writes (ACTOR_ITEMS_AHEAD): all, in order.
      const many: unknown[] = []
      assert.equal(cborg.decode((await s.invoke('count', cborg.encode([100]), { onItem: item => { many.push(cborg.decode(item.value)) } })).value), 100)
      assert.deepEqual(many, Array.from({ length: 100 }, (_, i) => i + 1))
      const got: unknown[] = []
      await assert.rejects(s.invoke('countFail', cborg.encode([2]), { onItem: item => { got.push(cborg.decode(item.value)) } }), /failed after the values/)
      assert.deepEqual(got, [1, 2])
      assert.equal(cborg.decode(await s.call('incr', cborg.encode([0]))), 3, 'the session goes on')
    } finally {
      await s.close()
    }
  })

  it('a node sending a value for a call that does not stream, or a created frame naming streaming methods it lacks, is refused (MalformedMessageError)', async () => {
    const fake = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [tls(), noise()], streamMuxers: [yamux()] })
    try {
      let created: Record<string, unknown> = { type: 'created', actor: 'a0' }
      await fake.handle(ACTOR_PROTOCOL, async (stream) => {
        const lp = lpStream(stream)
        await lp.read()
        await lp.write(encode(created))
        const call = cborg.decode((await lp.read()).subarray()) as { id: number }
        await lp.write(encode({ type: 'item', id: call.id, value: cborg.encode(1) }))
      })
      const s = await caller.openActor(fake.getMultiaddrs()[0]!.toString(), create(0))
      await assert.rejects(s.call('incr', cborg.encode([1])), (e: Error) => e.name === 'MalformedMessageError' && /not a pending streaming call/.test(e.message))
      assert.equal((await s.ended)?.name, 'MalformedMessageError')
      created = { type: 'created', actor: 'a0', methods: ['incr'], streaming: ['count'] }
      await assert.rejects(caller.openActor(fake.getMultiaddrs()[0]!.toString(), create(0)), (e: Error) => e.name === 'MalformedMessageError' && /streaming must be a list of names among methods/.test(e.message))
      created = { type: 'created', actor: 'a0', methods: ['incr', 'count'], streaming: ['count'] }
      const ok = await caller.openActor(fake.getMultiaddrs()[0]!.toString(), { type: 'attach', name: 'x' })
      assert.deepEqual([ok.methods, ok.streaming], [['incr', 'count'], ['count']])
      ok.close().catch(() => {})
    } finally {
      await fake.stop()
    }
  })

  it("validates the node's frames after created: restarted { restarts } above the last count, results, errors", () => {
    assert.deepEqual(decodeActorReply(encode({ type: 'restarted', restarts: 1 })), { type: 'restarted', restarts: 1 })
    assert.deepEqual(decodeActorReply(encode({ type: 'restarted', restarts: 3 }), 2), { type: 'restarted', restarts: 3 })
    const value = cborg.encode(7)
    assert.deepEqual(decodeActorReply(encode({ type: 'result', id: 4, ok: true, value })), { type: 'result', id: 4, ok: true, value })
    const failed = decodeActorReply(encode({ type: 'result', id: 4, ok: false, error: { name: 'TaskError', message: 'no', retryable: false } }))
    assert.ok(failed.type === 'result' && !failed.ok && failed.error.name === 'TaskError')
    const refused = decodeActorReply(encode({ type: 'error', error: { name: 'ActorNotFoundError', message: 'none', retryable: false } }))
    assert.ok(refused.type === 'error' && refused.error.name === 'ActorNotFoundError')
    const bad = (o: Record<string, unknown>, last = 0): void => assert.throws(() => decodeActorReply(encode(o), last), { name: 'MalformedMessageError' }, JSON.stringify(o))
    assert.deepEqual(decodeActorReply(encode({ type: 'result', id: 5, ok: true, value, nested: [{ id: 'n', cid: CID, size: 3 }] })), { type: 'result', id: 5, ok: true, value, nested: [{ id: 'n', cid: CID, size: 3 }] })
    bad({ type: 'result', id: 5, ok: true, value, nested: [{ id: 'n', cid: CID }] })
    bad({ type: 'result', id: 5, ok: true, value, nested: 'all' })
    assert.deepEqual(decodeActorReply(encode({ type: 'retrying', id: 5 })), { type: 'retrying', id: 5 })
    bad({ type: 'retrying' })
    bad({ type: 'retrying', id: 5, extra: 1 })
    bad({ type: 'restarted' })
    bad({ type: 'restarted', restarts: 0 })
    bad({ type: 'restarted', restarts: -1 })
    bad({ type: 'restarted', restarts: 1.5 })
    bad({ type: 'restarted', restarts: '2' })
    bad({ type: 'restarted', restarts: 2 ** 60 })
    bad({ type: 'restarted', restarts: 2, actor: 'a0' })
    bad({ type: 'restarted', restarts: 2 }, 2)
    bad({ type: 'restarted', restarts: 1 }, 2)
    bad({ type: 'result', id: -1, ok: true, value })
    assert.deepEqual(decodeActorReply(encode({ type: 'item', id: 3, value })), { type: 'item', id: 3, value })
    assert.deepEqual(decodeActorReply(encode({ type: 'item', id: 3, value, nested: [{ id: 'n', value }] })), { type: 'item', id: 3, value, nested: [{ id: 'n', value }] })
    bad({ type: 'item', id: 3 })
    bad({ type: 'item', id: -1, value })
    bad({ type: 'item', id: 3, value: 'seven' })
    bad({ type: 'item', id: 3, value, ok: true })
    bad({ type: 'item', id: 3, value, nested: [{ id: 'n' }] })
    bad({ type: 'created', actor: 'a0' })
    assert.throws(() => decodeActorReply(new Uint8Array([0xff, 0x01])), { name: 'MalformedMessageError' })
  })

  it('a node sending a malformed restarted frame ends the session with MalformedMessageError', async () => {
    const fake = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [tls(), noise()], streamMuxers: [yamux()] })
    try {
      await fake.handle(ACTOR_PROTOCOL, async (stream) => {
        const lp = lpStream(stream)
        await lp.read()
        await lp.write(encode({ type: 'created', actor: 'a0' }))
        await lp.read() // the call
        await lp.write(encode({ type: 'restarted', restarts: 1 }))
        await lp.write(encode({ type: 'restarted', restarts: 1 })) // not above the last count
      })
      const s = await caller.openActor(fake.getMultiaddrs()[0]!.toString(), create(0))
      await assert.rejects(s.call('incr', cborg.encode([1])), { name: 'MalformedMessageError' })
      assert.equal((await s.ended)?.name, 'MalformedMessageError')
      assert.equal(s.restarts, 1)
    } finally {
      await fake.stop()
    }
  })

  it('a stock client sending malformed or oversized frames gets an error frame; the node keeps serving', async () => {
    const addr = multiaddr(worker.multiaddrs()[0]!)
    const send = async (frames: Uint8Array[], raw?: Uint8Array): Promise<string> => {
      const stream = await client.dialProtocol(addr, ACTOR_PROTOCOL)
      const lp = lpStream(stream, { maxDataLength: 1024 * 1024 })
      for (const f of frames) await lp.write(f)
      if (raw !== undefined) stream.send(raw)
      try {
        for (;;) {
          const reply = cborg.decode((await lp.read({ signal: AbortSignal.timeout(5000) })).subarray()) as { type: string, error?: { name: string } }
          if (reply.type === 'created' || reply.type === 'result') continue
          return reply.type === 'error' ? `error:${reply.error!.name}` : reply.type
        }
      } catch (err) {
        return `ended:${(err as Error).name}`
      } finally {
        stream.abort(new Error('done'))
      }
    }
    assert.equal(await send([new Uint8Array([0xff, 0x01])]), 'error:MalformedMessageError')
    assert.equal(await send([encode({ type: 'call', id: 0, method: 'incr', args: cborg.encode([1]) })]), 'error:MalformedMessageError')
    assert.equal(await send([encode({ type: 'create', component: 'not-a-cid', cls: 'Counter', args: cborg.encode([0]), options: {} })]), 'error:InvalidCidError')
    assert.equal(await send([encode({ type: 'create', component: CID, cls: 'Counter', args: cborg.encode([0]), options: { evil: 1 } })]), 'error:MalformedMessageError')
    assert.equal(await send([encode(create(0)), encode({ type: 'call', id: -1, method: 'incr', args: cborg.encode([1]) })]), 'error:MalformedMessageError')
    assert.equal(await send([encode(create(0)), encode({ type: 'call', id: 1, method: 'incr', args: 'x' })]), 'error:MalformedMessageError')
    assert.equal(await send([encode(create(0)), encode({ type: 'call', id: 1, method: 'incr', args: cborg.encode([1]), nested: 'x' })]), 'error:MalformedMessageError')
    assert.equal(await send([encode(create(0)), encode({ type: 'call', id: 1, method: 'incr', args: cborg.encode([1]), nested: [{ id: 'd-1', cid: 'junk', size: 1, holders: ['p'] }] })]), 'error:InvalidCidError')
    assert.equal(await send([encode({ ...create(0), nested: [{ id: 'd-1' }] })]), 'error:MalformedMessageError')
    assert.equal(await send([encode(create(0)), encode({ type: 'call', id: 1, method: 'incr', args: cborg.encode([1]), retries: -1 })]), 'error:MalformedMessageError')
    assert.equal(await send([encode(create(0)), encode({ type: 'call', id: 1, method: 'incr', args: cborg.encode([1]), retries: 1e9 })]), 'error:MalformedMessageError')
    assert.equal(await send([encode(create(0)), encode({ type: 'call', id: 1, method: 'count', args: cborg.encode([1]), stream: false })]), 'error:MalformedMessageError')
    assert.equal(await send([encode(create(0)), encode({ type: 'call', id: 1, method: 'count', args: cborg.encode([1]), stream: 1 })]), 'error:MalformedMessageError')
    // Oversized: a whole frame, and its length prefix alone (as the session's first frame and
    // after a create), each refused with an error frame, never by leaving the client to time out.
    assert.equal(await send([encode(create(0)), new Uint8Array(MAX_ACTOR_REQUEST_BYTES + 1)]), 'error:MalformedMessageError')
    assert.equal(await send([], lengthPrefix(MAX_ACTOR_REQUEST_BYTES + 1)), 'error:MalformedMessageError')
    assert.equal(await send([encode(create(0))], lengthPrefix(MAX_ACTOR_REQUEST_BYTES + 1)), 'error:MalformedMessageError')
    const s = await caller.openActor(worker.multiaddrs()[0]!, create(40))
    assert.equal(cborg.decode(await s.call('incr', cborg.encode([2]))), 42)
    await s.close()
  })
})
