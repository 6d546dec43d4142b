// Isolation of guest glue: what a transpiled component's JavaScript can reach where it runs, and
// what moving it into a child process under Node's permission model would block and cost.
//
// The same small guest runtime (load the glue, instantiate a QuickJS guest, answer echo calls) runs
// three ways: in a worker thread as the exec pool starts them (the baseline), in a worker thread
// with an empty environment, and in a child process started with `--experimental-permission
// --allow-fs-read=<cache dir>` (Node 20), talking over IPC. Each also runs a capability probe:
// the code a hostile glue would run (read and write files, spawn, connect, load an addon, ...).
// The real exec pool's round trip is measured too, for reference.
//
// `npx tsx bench/isolation.bench.ts [--quick]` prints the table and writes JSON.
import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { loadComponent, type CacheMeta } from '../src/component/index.js'
import { createExecPool } from '../src/exec/index.js'
import { encode } from '../src/objects/codec.js'
import { DEFAULT_ADDON_PATH } from '../src/gpu/index.js'
import { measure, summarize, table, writeResults, type Row } from './harness.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 5 : 15
const cacheRoot = path.join(here, '..', '.cache', 'bench')
const cacheDir = path.join(cacheRoot, 'transpiled')

// The guest runtime, plain JavaScript (worker threads and the child run it without a loader).
// Messages: {type:'load', jsUrl, modules | files} → {type:'loaded'}; {type:'call', id, args} →
// {type:'done', id, value}; {type:'probe', ctx} → {type:'probe', result}.
const RUNTIME = String.raw`
import { parentPort } from 'node:worker_threads'
import { readFileSync } from 'node:fs'
const send = parentPort ? (m) => parentPort.postMessage(m) : (m) => process.send(m)
const onMessage = (f) => parentPort ? parentPort.on('message', f) : process.on('message', f)
let guest
const fail = () => { throw { kind: 'unavailable', message: 'no host here', retryable: false } }
const iface = { log: { log () {} }, objects: { get: fail, put: fail }, tasks: { submit: fail, get: fail, wait: fail }, types: {} }
const imports = {}
for (const [name, impl] of Object.entries(iface)) { imports['fabric:core/' + name] = impl; imports['fabric:core/' + name + '@0.1.0'] = impl }

async function probe (ctx) {
  const result = {}
  const t = async (name, f) => {
    try { result[name] = { allowed: true, detail: String(await f()).slice(0, 60) } }
    catch (e) { result[name] = { allowed: false, detail: String(e?.code ?? e?.message ?? e).slice(0, 60) } }
  }
  await t('read process.env', () => { const n = Object.keys(process.env).length; if (n === 0) throw { code: 'empty' }; return n + ' variables' })
  await t('read /proc/self/environ', async () => (await import('node:fs')).readFileSync('/proc/self/environ').length + ' bytes')
  await t('read a file outside the cache', async () => (await import('node:fs')).readFileSync(ctx.outsideFile).length + ' bytes')
  await t('write a file', async () => { const fs = await import('node:fs'); fs.writeFileSync(ctx.writeFile, 'x'); fs.rmSync(ctx.writeFile); return 'written' })
  await t('spawn a process', async () => { (await import('node:child_process')).execFileSync('/bin/true'); return 'spawned' })
  await t('connect to a TCP port', async () => { const net = await import('node:net'); await new Promise((resolve, reject) => { const s = net.connect(ctx.port, '127.0.0.1', () => { s.end(); resolve() }); s.on('error', reject) }); return 'connected' })
  await t('load a native addon', () => { if (!ctx.addon) throw { code: 'no addon built' }; process.dlopen({ exports: {} }, ctx.addon); return 'loaded' })
  await t('start a worker thread', async () => { const { Worker } = await import('node:worker_threads'); const w = new Worker('1', { eval: true }); await w.terminate(); return 'started' })
  await t('process.binding', () => typeof process.binding('fs'))
  await t('signal the node process', () => process.kill(ctx.nodePid, 0))
  return result
}

onMessage(async (msg) => {
  if (msg.type === 'load') {
    const t0 = performance.now()
    const modules = msg.modules ?? Object.fromEntries(Object.entries(msg.files).map(([n, p]) => [n, new WebAssembly.Module(readFileSync(p))]))
    const { instantiate } = await import(msg.jsUrl)
    const root = instantiate((name) => modules[name], imports)
    guest = root['fabric:core/guest@0.1.0'] ?? root.guest
    send({ type: 'loaded', ms: performance.now() - t0, rss: process.memoryUsage().rss })
  } else if (msg.type === 'call') {
    send({ type: 'done', id: msg.id, value: guest.call('echo', msg.args) })
  } else if (msg.type === 'probe') {
    send({ type: 'probe', result: await probe(msg.ctx) })
  }
})
send({ type: 'ready' })
`

/** The core module files of a cached component, by the name its glue asks for. */
function readCacheEntryFiles (dir: string, cid: string): Record<string, string> {
  const entry = path.join(dir, 'components', cid)
  const meta = JSON.parse(fs.readFileSync(path.join(entry, 'meta.json'), 'utf8')) as CacheMeta
  return Object.fromEntries(Object.keys(meta.files).filter((n) => n.endsWith('.wasm')).map((n) => [n, path.join(entry, n)]))
}

type Reply = { type: 'ready' } | { type: 'loaded', ms: number, rss: number } | { type: 'done', id: number, value: Uint8Array } | { type: 'probe', result: Record<string, { allowed: boolean, detail: string }> }

/** One place the runtime runs: a worker thread or a child process, the same protocol. */
interface Host {
  name: string
  send: (msg: unknown) => void
  next: () => Promise<Reply>
  stop: () => Promise<void>
  /** Whether modules may be posted compiled (threads) or must be compiled from files (processes). */
  thread: boolean
}

function queue (): { push: (r: Reply) => void, next: () => Promise<Reply>, fail: (err: Error) => void } {
  const replies: Reply[] = []
  const waiting: Array<{ resolve: (r: Reply) => void, reject: (err: Error) => void }> = []
  let failed: Error | undefined
  return {
    push: (r) => { const w = waiting.shift(); if (w !== undefined) w.resolve(r); else replies.push(r) },
    next: async () => {
      const r = replies.shift()
      if (r !== undefined) return r
      if (failed !== undefined) throw failed
      return await new Promise((resolve, reject) => waiting.push({ resolve, reject }))
    },
    fail: (err) => { failed = err; for (const w of waiting.splice(0)) w.reject(err) }
  }
}

function threadHost (script: string, env: NodeJS.ProcessEnv | undefined): Host {
  // As the exec pool starts its workers (src/exec/pool.ts), plus `env` when given.
  const worker = new Worker(script, { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 256 }, ...(env === undefined ? {} : { env }) })
  const q = queue()
  worker.on('message', q.push)
  worker.on('error', q.fail)
  return { name: env === undefined ? 'worker thread (pool)' : 'worker thread, env {}', send: (m) => worker.postMessage(m), next: q.next, stop: async () => { await worker.terminate() }, thread: true }
}

function processHost (script: string): Host {
  const child: ChildProcess = fork(script, [], {
    execArgv: ['--experimental-permission', `--allow-fs-read=${cacheDir}`, '--experimental-wasm-extended-const', '--no-warnings'],
    env: {},
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const q = queue()
  child.on('message', (m) => q.push(m as Reply))
  child.on('error', q.fail)
  child.on('exit', (code) => q.fail(new Error(`child exited (${code})`)))
  return {
    name: 'process + permission model',
    send: (m) => child.send(m as never),
    next: q.next,
    stop: async () => { if (child.exitCode === null) { child.kill(); await new Promise((resolve) => child.once('exit', resolve)) } },
    thread: false
  }
}

async function expect<T extends Reply['type']> (host: Host, type: T): Promise<Extract<Reply, { type: T }>> {
  const r = await host.next()
  if (r.type !== type) throw new Error(`${host.name}: expected ${type}, got ${JSON.stringify(r).slice(0, 200)}`)
  return r as Extract<Reply, { type: T }>
}

export async function run (): Promise<Row[]> {
  const rows: Row[] = []
  const qjsPath = await cachedBuild(path.join(here, 'guests', 'bench-qjs.ts'), cacheRoot)
  const component = await loadComponent(qjsPath, { cacheDir })
  const files = readCacheEntryFiles(cacheDir, component.cid)
  const script = path.join(cacheDir, 'isolation', 'runtime.mjs')
  fs.mkdirSync(path.dirname(script), { recursive: true })
  fs.writeFileSync(script, RUNTIME)
  const load = (h: Host): unknown => h.thread ? { type: 'load', jsUrl: component.jsUrl, modules: component.modules } : { type: 'load', jsUrl: component.jsUrl, files }

  const hosts = {
    thread: () => threadHost(script, undefined),
    bare: () => threadHost(script, {}),
    process: () => processHost(script)
  }

  // Startup, and a cold first call (spawn, load the glue, compile where needed, instantiate, call).
  const args16 = encode([new Uint8Array(16).fill(7)])
  const cold: Record<keyof typeof hosts, { ready: number[], first: number[], load: number[], rss: number[] }> = {
    thread: { ready: [], first: [], load: [], rss: [] }, bare: { ready: [], first: [], load: [], rss: [] }, process: { ready: [], first: [], load: [], rss: [] }
  }
  const kinds = Object.keys(hosts) as Array<keyof typeof hosts>
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    // A different one first each round: the machine's state favours none of them.
    for (const kind of [...kinds.slice(i % kinds.length), ...kinds.slice(0, i % kinds.length)]) {
      const t0 = performance.now()
      const h = hosts[kind]()
      try {
        await expect(h, 'ready')
        const t1 = performance.now()
        h.send(load(h))
        const loaded = await expect(h, 'loaded')
        h.send({ type: 'call', id: 0, args: args16 })
        await expect(h, 'done')
        cold[kind].ready.push(t1 - t0)
        cold[kind].first.push(performance.now() - t0)
        cold[kind].load.push(loaded.ms)
        cold[kind].rss.push(loaded.rss / 2 ** 20)
      } finally {
        await h.stop()
      }
    }
  }
  rows.push({ metric: 'start to ready', unit: 'ms', value: summarize(cold.process.ready), baseline: summarize(cold.thread.ready), baselineName: 'worker thread' })
  rows.push({
    metric: 'cold first call (start, load, instantiate, call)', unit: 'ms', value: summarize(cold.process.first), baseline: summarize(cold.thread.first), baselineName: 'worker thread',
    note: `load + instantiate: process ${summarize(cold.process.load).median.toFixed(1)} ms (compiles from the cache files), thread ${summarize(cold.thread.load).median.toFixed(1)} ms (modules posted compiled)`
  })
  rows.push({ metric: 'worker thread with env {}: start to ready', unit: 'ms', value: summarize(cold.bare.ready), baseline: summarize(cold.thread.ready), baselineName: 'worker thread' })
  rows.push({ metric: 'child process RSS after load', unit: 'MiB', value: summarize(cold.process.rss), note: 'a worker thread shares the node\'s process (its RSS is the whole node\'s)' })

  // Warm round trips through the guest's echo.
  const warm = async (h: Host, payload: number, perRound: number): Promise<number[]> => {
    const args = encode([new Uint8Array(payload).fill(7)])
    let id = 0
    const samples = await measure(async () => {
      for (let i = 0; i < perRound; i++) {
        h.send({ type: 'call', id: id++, args })
        await expect(h, 'done')
      }
    }, { warmup: 2, rounds: ROUNDS })
    return samples.map((ms) => (ms * 1000) / perRound)
  }
  const started: Partial<Record<keyof typeof hosts, Host>> = {}
  try {
    for (const kind of ['thread', 'process'] as const) {
      const h = started[kind] = hosts[kind]()
      await expect(h, 'ready')
      h.send(load(h))
      await expect(h, 'loaded')
    }
    for (const [payload, perRound, label] of [[16, quick ? 500 : 2000, '16 B'], [1 << 20, quick ? 10 : 30, '1 MiB']] as const) {
      const base = summarize(await warm(started.thread!, payload, perRound))
      const value = summarize(await warm(started.process!, payload, perRound))
      rows.push({ metric: `warm round trip ${label} (QuickJS echo)`, unit: 'µs', value, baseline: base, baselineName: 'worker thread' })
    }

    // The real exec pool, for reference (its host-call machinery included).
    const pool = createExecPool({ workers: 1, cacheDir })
    await pool.start()
    try {
      const base = summarize(await warm(started.thread!, 16, quick ? 500 : 2000))
      const samples = await measure(async () => { for (let i = 0; i < (quick ? 500 : 2000); i++) await pool.call(component, 'echo', args16) }, { warmup: 2, rounds: ROUNDS })
      rows.push({ metric: 'exec pool round trip 16 B (today\'s path)', unit: 'µs', value: summarize(samples.map((ms) => (ms * 1000) / (quick ? 500 : 2000))), baseline: base, baselineName: 'bare worker thread' })
    } finally {
      await pool.stop()
    }

    // What glue code can do in each place.
    const server = net.createServer((s) => s.end())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const bare = started.bare = hosts.bare()
    await expect(bare, 'ready')
    try {
      const ctx = {
        port: (server.address() as net.AddressInfo).port,
        outsideFile: path.join(here, '..', 'package.json'),
        writeFile: path.join(os.tmpdir(), `fabric-isolation-${process.pid}.txt`),
        addon: fs.existsSync(DEFAULT_ADDON_PATH) ? DEFAULT_ADDON_PATH : '',
        nodePid: process.pid
      }
      const results: Record<string, Awaited<ReturnType<typeof expect<'probe'>>>['result']> = {}
      for (const [kind, h] of Object.entries(started) as Array<[keyof typeof hosts, Host]>) {
        h.send({ type: 'probe', ctx })
        results[kind] = (await expect(h, 'probe')).result
      }
      for (const capability of Object.keys(results.thread!)) {
        const p = results.process![capability]!
        const t = results.thread![capability]!
        const b = results.bare![capability]!
        rows.push({
          metric: `glue can ${capability} (1 = yes)`,
          unit: '',
          value: summarize([p.allowed ? 1 : 0]),
          baseline: summarize([t.allowed ? 1 : 0]),
          baselineName: 'worker thread',
          note: `process: ${p.allowed ? 'yes' : `no (${p.detail})`}; thread: ${t.allowed ? 'yes' : `no (${t.detail})`}; thread with env {}: ${b.allowed ? 'yes' : `no (${b.detail})`}`
        })
      }
    } finally {
      server.close()
    }
  } finally {
    for (const h of Object.values(started)) await h.stop()
  }
  return rows
}

// Run directly: `npx tsx bench/isolation.bench.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run()
  process.stdout.write(table('isolation', rows) + '\n')
  for (const r of rows) if (r.note !== undefined) process.stdout.write(`- ${r.metric}: ${r.note}\n`)
  process.stdout.write(`\nwrote ${writeResults('isolation', rows)}\n`)
}
