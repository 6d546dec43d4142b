import path from 'node:path'
import fs from 'node:fs'
import { Session } from 'node:inspector'
import { cachedBuild } from '../../guest-sdk/src/build/cached-build.js'
import { Fabric, type ObjectRef } from '../../src/index.js'
const shape = process.argv[2] ?? 'tasks_sync'
const root = path.resolve('.cache/bench')
const wasm = await cachedBuild(path.resolve('bench/guests/ray-qjs.ts'), root)
const f = await Fabric.start({ workers: 2, cacheDir: path.join(root, 'transpiled'), log: () => {} })
type M = Record<string, { remote: () => ObjectRef, create: () => Promise<{ noop: { remote: () => ObjectRef } }> }>
const m = await f.load<M>(wasm)
const actor = await m.Sink!.create()
const once = async (): Promise<void> => {
  if (shape === 'tasks_sync') for (let i = 0; i < 1000; i++) await f.get(m.noop!.remote())
  else if (shape === 'tasks_async') await f.get(Array.from({ length: 1000 }, () => m.noop!.remote()))
  else if (shape === 'actor_sync') for (let i = 0; i < 1000; i++) await f.get(actor.noop.remote())
}
for (let i = 0; i < 10; i++) await once()
const s = new Session(); s.connect()
const post = (method: string, params?: object): Promise<any> => new Promise((res, rej) => s.post(method, params, (e, r) => e ? rej(e) : res(r)))
await post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
const N = 10
for (let i = 0; i < N; i++) await once()
const { profile } = await post('HeapProfiler.stopSampling')
const self = new Map<string, number>()
const walk = (n: any): void => { const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + n.selfSize); for (const c of n.children) walk(c) }
walk(profile.head)
const total = [...self.values()].reduce((a, b) => a + b, 0)
console.log(`${shape}: ${(total / (N * 1000)).toFixed(0)} bytes allocated per op`)
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(v / (N * 1000)).toFixed(0).padStart(6)} B/op  ${k}`)
await f.stop()
