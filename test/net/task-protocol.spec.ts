// `/fabric/task/1` between in-process nodes: results and typed failures come back, the executor
// learns who asked, and a stock libp2p client sending malformed or oversized frames gets an error
// result while the node keeps serving. (Real components on real runtimes: test/e2e/remote-tasks.)
import assert from 'node:assert/strict'
import { Cancel } from '../../src/errors/index.js'
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
import { MAX_SPILLBACKS, MAX_TASK_REQUEST_BYTES, TASK_PROTOCOL, createNetNode, encode, type NetNode, type RemoteTask, type TaskOutcome } from '../../src/net/index.js'
import { TaskError } from '../../src/exec/errors.js'
import { cidOfBytesSync } from '../../src/objects/cid.js'
import { lengthPrefix, nodeResources, rmDir, tmpDir } from './helpers.js'

const CID = cidOfBytesSync(new Uint8Array([1, 2, 3]))
const task = (name: string, args: unknown[]): RemoteTask => ({ type: 'run', id: `t-${name}`, component: CID, name, args: cborg.encode(args) })

describe('net/task-protocol', function () {
  this.timeout(60_000)
  let dir: string
  let worker: NetNode
  let caller: NetNode
  let client: Libp2p
  const seen: string[] = []
  const kept = new Map<string, string>()
  const value = (o: TaskOutcome): Uint8Array => { if (!('value' in o)) assert.fail('expected a value'); return o.value }

  before(async () => {
    dir = tmpDir()
    worker = await createNetNode({
      dataDir: path.join(dir, 'w'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      resources: () => nodeResources(1),
      tasks: {
        run: async (req, from, onItem) => {
          seen.push(from)
          const args = cborg.decode(req.args) as number[]
          if (req.name === 'add') return { value: cborg.encode(args[0]! + args[1]!) }
          if (req.name === 'spill') return { value: cborg.encode(`ran after ${req.spilled ?? 0} spillbacks`) }
          if (req.name === 'slow') { await new Promise(resolve => setTimeout(resolve, 50)); return { value: cborg.encode('done') } }
          if (req.name === 'big') { kept.set(CID, from); return { object: { cid: CID, size: 3 } } }
          if (req.name === 'count') {
            for (let i = 0; i < args[0]!; i++) { await new Promise(resolve => setTimeout(resolve, 5)); onItem({ value: cborg.encode(i) }) }
            return { value: cborg.encode(args[0]) }
          }
          throw new TaskError(`no task ${req.name}`, { kind: 'unknown-task' })
        },
        admit: (req) => {
          if (req.name === 'spill') return { to: '12D3KooWSpillTarget', reason: 'queue of 9 on 1 CPU' }
          if (req.name === 'admitThrows') throw new Error('admission bug')
          return undefined
        },
        release: (cids, from) => cids.filter(c => kept.get(c) === from && kept.delete(c)).length,
        describe: async (component) => {
          if (component !== CID) throw new TaskError(`no component ${component}`, { kind: 'not-found' })
          return { sdk: 'test', tasks: [{ name: 'add', streaming: false }, { name: 'count', streaming: true }], actors: [] }
        }
      }
    })
    caller = await createNetNode({ dataDir: path.join(dir, 'c'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => nodeResources(0) })
    client = await createLibp2p({ addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [tls(), noise()], streamMuxers: [yamux()] })
  })

  after(async () => {
    await client?.stop()
    await caller?.stop({ leave: false })
    await worker?.stop({ leave: false })
    rmDir(dir)
  })

  it('runs a task and returns its result; the executor knows the caller', async () => {
    const out = await caller.runTask(worker.multiaddrs()[0]!, task('add', [2, 3]))
    assert.equal(cborg.decode(value(out)), 5)
    assert.equal(seen.at(-1), caller.peerId)
  })

  it('brings the task\'s own failure back typed, with its kind', async () => {
    await assert.rejects(caller.runTask(worker.multiaddrs()[0]!, task('nope', [])), (err: Error & { kind?: string }) => err.name === 'TaskError' && err.kind === 'unknown-task')
  })

  it('runs 200 tasks at once on one node, all on one long-lived stream', async () => {
    const outs = await Promise.all(Array.from({ length: 200 }, async () => await caller.runTask(worker.multiaddrs()[0]!, task('slow', []))))
    assert.ok(outs.every(o => cborg.decode(value(o)) === 'done'))
  })

  it('a large result comes back as a CID; only its owner can release it', async () => {
    assert.deepEqual(await caller.runTask(worker.multiaddrs()[0]!, task('big', [])), { object: { cid: CID, size: 3 } })
    assert.equal(await worker.releaseObjects(caller.multiaddrs()[0]!, [CID]).catch(e => (e as Error).name), 'PeerUnreachableError')
    assert.equal(await caller.releaseObjects(worker.multiaddrs()[0]!, [CID]), 1)
    assert.equal(await caller.releaseObjects(worker.multiaddrs()[0]!, [CID]), 0)
  })

  it('streams a generator\'s items before its result; describes a component', async () => {
    const items: unknown[] = []
    const out = await caller.runTask(worker.multiaddrs()[0]!, task('count', [5]), { onItem: (item) => { items.push(cborg.decode(value(item))) } })
    assert.deepEqual(items, [0, 1, 2, 3, 4])
    assert.equal(cborg.decode(value(out)), 5)
    const manifest = await caller.describeComponent(worker.multiaddrs()[0]!, CID)
    assert.deepEqual(manifest.tasks.map(t => t.name), ['add', 'count'])
    await assert.rejects(caller.describeComponent(worker.multiaddrs()[0]!, cidOfBytesSync(new Uint8Array([9]))), (err: Error & { kind?: string }) => err.kind === 'not-found')
  })

  it('a streaming task its caller stopped waiting for: the items still on the way are dropped, the session goes on', async () => {
    const stop = new Cancel()
    let items = 0
    // This executor does not stop on cancel: 20 items come over ~100 ms for a request nobody waits for.
    const counting = caller.runTask(worker.multiaddrs()[0]!, task('count', [20]), { signal: stop, onItem: () => { if (++items === 1) stop.abort(new Error('enough')) } })
    const other = caller.runTask(worker.multiaddrs()[0]!, task('slow', []))
    await assert.rejects(counting, /enough/)
    assert.equal(cborg.decode(value(await other)), 'done')
    await new Promise(resolve => setTimeout(resolve, 150))
    assert.equal(cborg.decode(value(await caller.runTask(worker.multiaddrs()[0]!, task('add', [1, 2])))), 3)
    assert.equal(items, 1)
  })

  it('spillback: a full node sends the task back naming a node with room; at the limit it takes it', async () => {
    await assert.rejects(caller.runTask(worker.multiaddrs()[0]!, task('spill', [])),
      (err: Error & { to?: string }) => err.name === 'SpilledBackError' && err.to === '12D3KooWSpillTarget' && /queue of 9 on 1 CPU/.test(err.message))
    const taken = await caller.runTask(worker.multiaddrs()[0]!, { ...task('spill', []), spilled: MAX_SPILLBACKS })
    assert.equal(cborg.decode(value(taken)), `ran after ${MAX_SPILLBACKS} spillbacks`)
    // A faulty admission takes the task; the session goes on.
    await assert.rejects(caller.runTask(worker.multiaddrs()[0]!, task('admitThrows', [])), (err: Error & { kind?: string }) => err.kind === 'unknown-task')
    assert.equal(cborg.decode(value(await caller.runTask(worker.multiaddrs()[0]!, task('add', [1, 1])))), 2)
  })

  it('a node without an executor does not speak the protocol: PeerUnreachableError', async () => {
    await assert.rejects(worker.runTask(caller.multiaddrs()[0]!, task('add', [1, 1])), (err: Error) => err.name === 'PeerUnreachableError')
  })

  it('a stock client sending malformed or oversized frames gets an error result; the node keeps serving', async () => {
    const addr = multiaddr(worker.multiaddrs()[0]!)
    const send = async (bytes: Uint8Array, raw = false): Promise<string> => {
      const stream = await client.dialProtocol(addr, TASK_PROTOCOL)
      const lp = lpStream(stream, { maxDataLength: 1024 * 1024 })
      if (raw) stream.send(bytes)
      else await lp.write(bytes)
      try {
        const reply = cborg.decode((await lp.read({ signal: AbortSignal.timeout(5000) })).subarray()) as { type: string, ok?: boolean, error?: { name: string } }
        return reply.type === 'result' && reply.ok === false ? `error:${reply.error!.name}` : reply.type
      } catch (err) {
        return `ended:${(err as Error).name}`
      } finally {
        stream.abort(new Error('done'))
      }
    }
    assert.equal(await send(new Uint8Array([0xff, 0x01])), 'error:MalformedMessageError')
    assert.equal(await send(encode({ type: 'run', id: 'x', component: CID, name: 'add' })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ type: 'run', id: 'x', component: 'not-a-cid', name: 'add', args: new Uint8Array() })), 'error:InvalidCidError')
    assert.equal(await send(encode({ type: 'run', id: 'x', component: CID, name: 'add', args: new Uint8Array(), extra: true })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ type: 'run', id: 'x', component: CID, name: 'add', args: new Uint8Array(), timeoutMs: -1 })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ type: 'run', id: 'x', component: CID, name: 'add', args: new Uint8Array(), refs: [{ index: 0, cid: CID, size: 1, holders: [] }] })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ type: 'run', id: 'x', component: CID, name: 'add', args: new Uint8Array(), refs: [{ index: 0, cid: 'junk', size: 1, holders: ['p'] }] })), 'error:InvalidCidError')
    assert.equal(await send(encode({ type: 'run', id: 'x', component: CID, name: 'add', args: new Uint8Array(), nested: [{ id: 'd-1' }] })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ type: 'run', id: 'x', component: CID, name: 'add', args: new Uint8Array(), nested: [{ id: 'd-1', value: new Uint8Array([1]), cid: CID }] })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ ...task('add', [1]), spilled: MAX_SPILLBACKS + 1 })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ ...task('add', [1]), spilled: 'lots' })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ type: 'release', cids: ['junk'] })), 'error:InvalidCidError')
    assert.equal(await send(encode({ type: 'release', cids: 'all' })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ type: 'release', cids: [CID], counts: [1, 2] })), 'error:MalformedMessageError')
    assert.equal(await send(encode({ type: 'release', cids: [CID], counts: [0] })), 'error:MalformedMessageError')
    // A session: a good request is answered, then a bad frame ends it with an id-less error result.
    {
      const stream = await client.dialProtocol(addr, TASK_PROTOCOL)
      const lp = lpStream(stream, { maxDataLength: 1024 * 1024 })
      await lp.write(encode(task('add', [1, 2])))
      const first = cborg.decode((await lp.read({ signal: AbortSignal.timeout(5000) })).subarray()) as { type: string, id: string, ok?: boolean }
      await lp.write(new Uint8Array([0xff]))
      const replies: string[] = [`${first.type}:${first.id}:${first.ok === false ? 'failed' : 'ok'}`]
      try {
        for (;;) {
          const r = cborg.decode((await lp.read({ signal: AbortSignal.timeout(5000) })).subarray()) as { type: string, id: string, ok?: boolean, error?: { name: string } }
          replies.push(`${r.type}:${r.id}:${r.ok === false ? r.error!.name : 'ok'}`)
        }
      } catch {}
      stream.abort(new Error('done'))
      assert.deepEqual(replies, ['result:t-add:ok', 'result::MalformedMessageError'])
    }
    // Oversized: refused from the length prefix alone (no byte of the body sent), and a whole
    // oversized frame too, each with an error result, never by leaving the client to time out.
    assert.equal(await send(lengthPrefix(MAX_TASK_REQUEST_BYTES + 1), true), 'error:InvalidDataLengthError')
    assert.equal(await send(new Uint8Array(MAX_TASK_REQUEST_BYTES + 1)), 'error:InvalidDataLengthError')
    assert.equal(cborg.decode(value(await caller.runTask(worker.multiaddrs()[0]!, task('add', [40, 2])))), 42)
  })
})
