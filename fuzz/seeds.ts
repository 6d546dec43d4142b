// Writes the committed seed corpora (fuzz/corpus/<target>/): small, meaningful inputs built with
// the project's own encoders, so each target starts from messages that pass validation and the
// fuzzer spends its time near the interesting edges. Run again after a wire format changes:
//   npx tsx fuzz/seeds.ts
// Component seeds are assembled from WAT with wasm-tools, plus a real AssemblyScript component
// when the test suite has built one (.cache/test-components/math-as-*).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { encode as encodeValue } from '../src/objects/codec.js'
import { ObjectRef } from '../src/objects/object-ref.js'
import { cidOfBytesSync } from '../src/objects/cid.js'
import { encode as encodeMessage } from '../src/net/messages.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CORPUS = path.join(ROOT, 'fuzz', 'corpus')

function write (target: string, name: string, bytes: Uint8Array): void {
  const dir = path.join(CORPUS, target)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, name), bytes)
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
const withChoice = (choice: number, bytes: Uint8Array): Uint8Array => Uint8Array.of(choice, ...bytes)
const cid = (n: number): string => cidOfBytesSync(Uint8Array.of(n))
const PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

// ---- codec ----------------------------------------------------------------------------------------
const values: Record<string, unknown> = {
  'ints': [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32, Number.MAX_SAFE_INTEGER, -1, -24, -25, Number.MIN_SAFE_INTEGER],
  'floats': [1.5, -0, 0.1, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN],
  'bigints': [2n ** 64n, -(2n ** 64n) - 1n, 2n ** 200n, 2n ** 60n],
  'strings': ['', 'ascii', 'héllo ✓', '\u{1F600}', 'x'.repeat(30)],
  'simple': [true, false, null, undefined],
  'bytes': new Uint8Array([0, 1, 0xff, 0x9c, 0xb9]),
  'nested': { a: [1, { b: [2, [3, [4, { c: 'd' }]]] }], e: {} },
  'map-keys': new Map<unknown, unknown>([[1, 'one'], ['k', [1]], [true, null], [new Uint8Array([1]), 2]]),
  'typed-arrays': [new Int8Array([-1, 2]), new Uint8ClampedArray([3]), new Int16Array([-300]), new Uint16Array([60000]), new Int32Array([-70000]),
    new Uint32Array([4e9]), new Float32Array([1.5, -0]), new Float64Array([Math.PI]), new BigInt64Array([-5n]), new BigUint64Array([2n ** 63n])],
  'refs': { x: new ObjectRef(cid(1)), list: [new ObjectRef('task-1'), new Map([['r', new ObjectRef(cid(2))]])] },
  'deep': JSON.parse('['.repeat(40) + ']'.repeat(40)) as unknown,
  'call-args': [[1, 2, 3], { scale: 2 }, new Float64Array(8)]
}
for (const [name, v] of Object.entries(values)) write('codec', name, encodeValue(v))
write('codec', 'indefinite', hex('9f 01 bf 61 61 02 ff 5f 41 00 ff 7f 61 78 ff ff'))
write('codec', 'proto-key', hex('a1 69 5f 5f 70 72 6f 74 6f 5f 5f a1 61 78 01'))
write('codec', 'unknown-tag', hex('d8 63 01'))
write('codec', 'non-minimal-int', hex('1b 00 00 00 00 00 00 00 01'))

// ---- messages -------------------------------------------------------------------------------------
const resources = { cpus: 8, gpus: 1, memoryMb: 16384, custom: { tpu: 2 } }
const info = {
  peer: PEER, seq: 1733480000000, ts: 1733480000123, addrs: ['/ip4/127.0.0.1/tcp/7400'],
  resources: { total: resources, available: { ...resources, cpus: 6 } }, queue: 0,
  labels: { zone: 'a' }, store: { memoryBytes: 1024, diskBytes: 0 }, gpuModel: 'H100', work: { running: 1, actors: 0, objects: 3 }
}
write('messages', 'cbor-map', withChoice(0, encodeMessage({ a: 1, b: [true, null], c: { d: 'e' } })))
write('messages', 'cbor-map-frame', withChoice(1, encodeMessage({ type: 'get', cid: cid(1) })))
write('messages', 'gossip-resources', withChoice(2, encodeMessage({ type: 'resources', ...info })))
write('messages', 'gossip-leave', withChoice(2, encodeMessage({ type: 'leave', peer: PEER, seq: 7 })))
write('messages', 'status-request', withChoice(3, encodeMessage({ type: 'status' })))
write('messages', 'status-reply', withChoice(4, encodeMessage({ type: 'status', fabric: 'default', self: info, peers: [{ info, state: 'alive', lastHeardMsAgo: 120 }] })))
write('messages', 'status-error', withChoice(4, encodeMessage({ type: 'error', error: { name: 'MalformedMessageError', message: 'bad frame', retryable: false } })))
write('messages', 'node-info', withChoice(5, encodeMessage(info)))
write('messages', 'manifest', withChoice(6, encodeMessage({ sdk: 'ts', tasks: [{ name: 'add', streaming: false }], actors: [{ name: 'Counter', methods: ['inc', 'stream'], streaming: ['stream'] }] })))

// ---- protocols ------------------------------------------------------------------------------------
const args = encodeValue([1, 2])
write('protocols', 'object-get', withChoice(0, encodeMessage({ type: 'get', cid: cid(1), offset: 0, length: null })))
write('protocols', 'object-get-range', withChoice(0, encodeMessage({ type: 'get', cid: cid(1), offset: 4096, length: 65536 })))
write('protocols', 'task-run', withChoice(1, encodeMessage({
  type: 'run', id: 't1', component: cid(3), name: 'add', args, timeoutMs: 1000, options: { cpus: 1, maxRetries: 2 },
  refs: [{ index: 1, cid: cid(4), size: 10, holders: [PEER] }], nested: [{ id: 'n1', value: args }, { id: 'n2', cid: cid(5), size: 3, holders: [PEER] }], spilled: 1
})))
write('protocols', 'task-release', withChoice(1, encodeMessage({ type: 'release', cids: [cid(1), cid(2)] })))
write('protocols', 'task-describe', withChoice(1, encodeMessage({ type: 'describe', id: 'd1', component: cid(3) })))
write('protocols', 'task-cancel', withChoice(1, encodeMessage({ type: 'cancel', id: 't1' })))
write('protocols', 'nested', withChoice(2, encodeMessage([{ id: 'n1', value: args }, { id: 'n2', cid: cid(5), size: 3, holders: [PEER] }])))
write('protocols', 'result-refs', withChoice(3, encodeMessage([{ id: 'r1', value: args }, { id: 'r2', cid: cid(6), size: 9 }, { id: 'r3', error: { name: 'TaskError', message: 'boom', retryable: false } }])))
write('protocols', 'actor-create', withChoice(4, encodeMessage({ type: 'create', component: cid(3), cls: 'Counter', args, options: { name: 'c', maxRestarts: 1 }, nested: [{ id: 'n1', value: args }] })))
write('protocols', 'actor-attach', withChoice(4, encodeMessage({ type: 'attach', name: 'c' })))
write('protocols', 'actor-attach-id', withChoice(4, encodeMessage({ type: 'attach-id', actor: 'a-1' })))
write('protocols', 'actor-call', withChoice(5, encodeMessage({ type: 'call', id: 3, method: 'inc', args, timeoutMs: 500, retries: 2, stream: true })))
write('protocols', 'actor-kill', withChoice(5, encodeMessage({ type: 'kill' })))
write('protocols', 'actor-result', withChoice(6, Uint8Array.of(0, ...encodeMessage({ type: 'result', id: 3, ok: true, value: args, nested: [{ id: 'r1', cid: cid(7), size: 1 }] }))))
write('protocols', 'actor-result-error', withChoice(6, Uint8Array.of(0, ...encodeMessage({ type: 'result', id: 3, ok: false, error: { name: 'ActorDiedError', message: 'died', retryable: true, kind: 'crash', cause: { name: 'Error', message: 'trap', retryable: false } } }))))
write('protocols', 'actor-restarted', withChoice(6, Uint8Array.of(1, ...encodeMessage({ type: 'restarted', restarts: 2 }))))
write('protocols', 'actor-item', withChoice(6, Uint8Array.of(0, ...encodeMessage({ type: 'item', id: 3, value: args }))))

// ---- pull-buffer: size (u16), segment size, then writes (place, signed offset, length) ------------
write('pull-buffer', 'fill-in-order', Uint8Array.of(100, 0, 15, 0, 0, 40, 102, 0, 40, 204, 0, 40))
write('pull-buffer', 'out-of-range', Uint8Array.of(64, 0, 7, 255, 1, 1, 0, 0xff, 3, 255, 0, 0))
write('pull-buffer', 'empty-object', Uint8Array.of(0, 0, 3, 0, 0, 0, 0, 0, 1))

// ---- frames: max length (u16), cuts, cut sizes, then the stream's bytes ---------------------------
write('frames', 'two-frames', Uint8Array.of(100, 0, 1, 3, 3, 1, 2, 3, 2, 9, 9))
write('frames', 'oversized', Uint8Array.of(10, 0, 0, 20, ...new Uint8Array(20)))
write('frames', 'long-prefix', Uint8Array.of(200, 0, 0, 0x80, 0x80, 0x80, 0x01, 0))
write('frames', 'cut-short', Uint8Array.of(50, 0, 2, 1, 1, 5, 1, 2))

// ---- component: the limits (0: defaults, 1: tight), then the component's bytes ---------------------
const { parse } = await import('@bytecodealliance/jco-transpile/wasm-tools')
const valid = await parse('(component (import "fabric:core/log@0.1.0" (instance)) (instance $guest) (export "fabric:core/guest@0.1.0" (instance $guest)))')
write('component', 'valid-empty-guest', withChoice(0, valid))
write('component', 'valid-empty-guest-tight', withChoice(1, valid))
const fixtures = path.join(ROOT, 'test', 'fixtures', 'components')
for (const name of ['wasi-imports', 'future-version', 'memory']) write('component', `${name}.wat`, withChoice(0, await parse(fs.readFileSync(path.join(fixtures, `${name}.wat`), 'utf8'))))
write('component', 'nested', withChoice(0, await parse(`(component
  (core module $m (func (export "f") (param i32) (result i32) local.get 0) (memory (export "memory") 1))
  (core instance $i (instantiate $m))
  (type $t (func (param "x" u32) (result u32)))
  (alias core export $i "f" (core func $f))
  (func $g (type $t) (canon lift (core func $f)))
  (component $inner (import "x" (func (param "x" u32) (result u32))))
  (instance $guest (export "run" (func $g)))
  (export "fabric:core/guest@0.1.0" (instance $guest)))`)))
write('component', 'truncated-header', withChoice(0, hex('00 61 73 6d 0d 00')))
write('component', 'section-too-long', withChoice(0, hex('00 61 73 6d 0d 00 01 00 07 80 01 00')))
const built = path.join(ROOT, '.cache', 'test-components')
const math = fs.existsSync(built) ? fs.readdirSync(built).filter((d) => d.startsWith('math-as-')).map((d) => path.join(built, d, 'math.wasm')).find((f) => fs.existsSync(f)) : undefined
if (math !== undefined) write('component', 'math-as', withChoice(0, fs.readFileSync(math)))
else console.log('no AssemblyScript math component in .cache/test-components: run the test suite once for that seed')
