import assert from 'node:assert/strict'
import * as cborg from 'cborg'
import { MAX_GOSSIP_MESSAGE_BYTES, decodeGossip, decodeStatusReply, decodeStatusRequest, encode } from '../../src/net/index.js'
import type { ResourcesMessage } from '../../src/net/index.js'
import { nodeResources } from './helpers.js'
import { encodeFrame } from '../../src/net/messages.js'

const good: ResourcesMessage = {
  type: 'resources',
  peer: '12D3KooWExample',
  seq: 1,
  ts: 1700000000000,
  addrs: ['/ip4/127.0.0.1/tcp/1'],
  ...nodeResources(4, { labels: { zone: 'a' }, gpuModel: 'H100' })
}

function mutate (fn: (m: Record<string, any>) => void): Uint8Array {
  const m = structuredClone(good) as Record<string, any>
  fn(m)
  return cborg.encode(m)
}

function refused (bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => decodeGossip(bytes), (err: Error) => err.name === 'MalformedMessageError' && pattern.test(err.message))
}

describe('net/messages', () => {
  it('round-trips a resources and a leave message', () => {
    assert.deepEqual(decodeGossip(encode(good)), good)
    assert.deepEqual(decodeGossip(encode({ type: 'leave', peer: 'P', seq: 3 })), { type: 'leave', peer: 'P', seq: 3 })
    assert.deepEqual(decodeGossip(encode({ type: 'leave', peer: 'P' })), { type: 'leave', peer: 'P' })
  })

  it('refuses garbage bytes', () => {
    refused(new Uint8Array([0xff, 0x00, 0x13]), /not valid CBOR/)
    refused(new Uint8Array(0), /not valid CBOR/)
    refused(new TextEncoder().encode('{"type":"resources"}'), /./)
    // Valid CBOR followed by trailing bytes.
    refused(new Uint8Array([...encode({ type: 'leave', peer: 'P' }), 0x01]), /not valid CBOR/)
  })

  it('refuses oversized messages before decoding them', () => {
    const big = mutate(m => { m.labels = { pad: 'x'.repeat(200) }; m.addrs = Array.from({ length: 400 }, () => 'y'.repeat(200)) })
    assert.ok(big.byteLength > MAX_GOSSIP_MESSAGE_BYTES)
    refused(big, /exceeds the 65536-byte limit/)
    refused(new Uint8Array(MAX_GOSSIP_MESSAGE_BYTES + 1), /exceeds/)
  })

  it('refuses wrong types and shapes, naming the field', () => {
    refused(encode([1, 2, 3]), /message: expected a map/)
    refused(cborg.encode('resources'), /expected a map/)
    refused(encode({ type: 'nope', peer: 'P' }), /unknown message type "nope"/)
    refused(encode({ type: 1 }), /unknown message type "number"/)
    refused(mutate(m => { m.seq = '1' }), /message\.seq: expected a non-negative finite number/)
    refused(mutate(m => { m.seq = -1 }), /message\.seq/)
    refused(mutate(m => { m.seq = 1.5 }), /message\.seq: expected a safe integer/)
    refused(mutate(m => { m.peer = 42 }), /message\.peer: expected a string/)
    refused(mutate(m => { m.peer = '' }), /message\.peer: length/)
    refused(mutate(m => { m.addrs = 'a' }), /message\.addrs: expected an array/)
    refused(mutate(m => { m.addrs = [1] }), /message\.addrs\[0\]/)
    refused(mutate(m => { m.resources.total.cpus = -2 }), /message\.resources\.total\.cpus/)
    refused(mutate(m => { m.resources.available = null }), /message\.resources\.available: expected a map/)
    refused(mutate(m => { m.resources.total.custom = { ssd: 'many' } }), /custom\.ssd/)
    refused(mutate(m => { m.labels = { zone: 7 } }), /message\.labels\.zone: expected a string/)
    refused(mutate(m => { m.labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }), /at most 64 labels/)
    refused(mutate(m => { m.store = { memoryBytes: 1 } }), /message\.store\.diskBytes/)
    refused(mutate(m => { m.gpuModel = 3 }), /gpuModel/)
    refused(mutate(m => { m.extra = true }), /unexpected field 'extra'/)
    refused(mutate(m => { delete m.queue }), /message\.queue/)
    refused(encode({ type: 'leave' }), /message\.peer/)
    // The announced heartbeat interval is bounded: a peer claiming hours would outlive its death in every view.
    assert.equal(decodeGossip(mutate(m => { m.heartbeatMs = 2000 })).type === 'resources' && (decodeGossip(mutate(m => { m.heartbeatMs = 2000 })) as ResourcesMessage).heartbeatMs, 2000)
    refused(mutate(m => { m.heartbeatMs = 0 }), /message\.heartbeatMs: expected 1 to 60000 ms/)
    refused(mutate(m => { m.heartbeatMs = 3_600_000 }), /message\.heartbeatMs: expected 1 to 60000 ms/)
    refused(mutate(m => { m.heartbeatMs = 1.5 }), /message\.heartbeatMs: expected a safe integer/)
  })

  it('refuses implausible capacity: more than any machine has, or more free than in all', () => {
    // Issue 13: a peer advertising a huge CPU count won every placement.
    refused(mutate(m => { m.resources.total.cpus = 1e9; m.resources.available.cpus = 1e9 }), /message\.resources\.total\.cpus: at most 4096/)
    refused(mutate(m => { m.resources.total.gpus = 10_000 }), /total\.gpus: at most 256/)
    refused(mutate(m => { m.resources.total.memoryMb = 2 ** 40 }), /total\.memoryMb: at most/)
    refused(mutate(m => { m.resources.available.cpus = m.resources.total.cpus + 1 }), /available\.cpus: .* is more than the total/)
    // Rounding in fractional CPUs is not a lie.
    const ok = mutate(m => { m.resources.total.cpus = 0.3; m.resources.available.cpus = 0.1 + 0.2 })
    assert.equal((decodeGossip(ok) as { resources: { available: { cpus: number } } }).resources.available.cpus, 0.1 + 0.2)
  })

  it('refuses CBOR features outside the schema (undefined, NaN, Infinity, tags, big ints)', () => {
    refused(new Uint8Array([0xf7]), /not valid CBOR/)
    refused(mutate(m => { m.queue = Number.NaN }), /./)
    refused(mutate(m => { m.queue = Number.POSITIVE_INFINITY }), /./)
    refused(new Uint8Array([0xc1, 0x01]), /not valid CBOR/)
    refused(new Uint8Array([0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /not valid CBOR/)
  })

  it('survives deep nesting without crashing', () => {
    const deep = new Uint8Array(60_000).fill(0x81)
    refused(deep, /./)
  })

  it('validates status requests and replies', () => {
    assert.deepEqual(decodeStatusRequest(encode({ type: 'status' })), { type: 'status' })
    assert.throws(() => decodeStatusRequest(encode({ type: 'stat' })), { name: 'MalformedMessageError' })
    assert.throws(() => decodeStatusRequest(encode({ type: 'status', x: 1 })), { name: 'MalformedMessageError' })
    const { type: _t, ...self } = good
    const reply = { type: 'status', fabric: 'default', self, peers: [{ info: self, state: 'alive', lastHeardMsAgo: 12 }] }
    assert.deepEqual(decodeStatusReply(encode(reply)), reply)
    assert.throws(() => decodeStatusReply(encode({ ...reply, peers: [{ info: self, state: 'zombie', lastHeardMsAgo: 1 }] })), /state/)
    assert.deepEqual(decodeStatusReply(encode({ type: 'error', error: { name: 'X', message: 'm', retryable: false } })),
      { type: 'error', error: { name: 'X', message: 'm', retryable: false } })
  })

  it('encodeFrame: frames decode as cborg\'s own encoding does (fast path and fallback), keys in insertion order on the fast path', () => {
    const frames: object[] = [
      { type: 'run', id: '7', component: 'bafkreico4voyja3i6jplcgfhpzmjy3262ou5wgxf5yvjfvikdyhnyp5pyu', name: 'noop', args: new Uint8Array([0x80]), options: { cpus: 1, gpus: 0, memoryMb: 0, resources: {}, maxRetries: 3 }, job: 'k' },
      { type: 'result', id: '7', ok: true, value: new Uint8Array(70_000).fill(3), nested: [{ id: 'a', value: new Uint8Array([1]) }, { id: 'b', cid: 'bafy', size: 1 << 30 }] },
      { type: 'result', id: '', ok: false, error: { name: 'TaskError', message: 'non-ASCII: päivää ✓', retryable: false, kind: 'quota' } },
      { type: 'call', id: 3, method: 'add', args: new Uint8Array(0), timeoutMs: 1500, seq: 2 ** 40, ratio: 0.1, neg: -5 }
    ]
    for (const f of frames) assert.deepEqual(cborg.decode(encodeFrame(f)), cborg.decode(cborg.encode(f)))
    // The fast path keeps the order the frame was built in (cborg would sort 'id' before 'type').
    assert.deepEqual(Object.keys(cborg.decode(encodeFrame({ type: 'x', id: '1' })) as object), ['type', 'id'])
  })
})
