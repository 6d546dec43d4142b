// Who can reach a `fabric join` node (issue 13, membership): with no flags it listens on loopback
// only and says how to open it, so it is not reachable on this machine's other addresses; a
// non-loopback --listen without a key is refused, naming --secret and --insecure-open;
// `fabric keygen` writes a key (never over an existing file) that opens a node; --insecure-open
// opens one with a warning.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { readSwarmKey } from '../../src/net/index.js'
import { skipBecause } from '../helpers/skip.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CLI = path.join(ROOT, 'test/e2e/fabric-cli.ts')

interface Run { proc: ChildProcess, stdout: () => string, stderr: () => string, exit: Promise<number | null> }

function cli (args: string[]): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d })
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d })
  return { proc, stdout: () => out, stderr: () => err, exit: new Promise(resolve => proc.once('exit', resolve)) }
}

/** Wait for `ready` (or the process to end). */
async function ready (r: Run): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!r.stdout().split('\n').includes('ready')) {
    if (r.proc.exitCode !== null) throw new Error(`fabric join exited ${r.proc.exitCode}: ${r.stderr()}`)
    if (Date.now() > deadline) throw new Error(`fabric join was not ready in 30 s: ${r.stderr()}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

async function stop (r: Run): Promise<void> {
  if (r.proc.exitCode !== null || r.proc.signalCode !== null) return
  r.proc.kill('SIGTERM')
  const t = setTimeout(() => r.proc.kill('SIGKILL'), 5000)
  await r.exit
  clearTimeout(t)
}

/** Whether a TCP connection to host:port opens. */
async function connects (host: string, port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const s = net.connect({ host, port, timeout: 2000 })
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
    s.once('timeout', () => { s.destroy(); resolve(false) })
  })
}

/** An IPv4 address of this machine that is not loopback, if it has one. */
function externalIpv4 (): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  return undefined
}

describe('e2e: who can reach a node (fabric join, fabric keygen)', function () {
  this.timeout(90_000)
  let dir: string
  const runs: Run[] = []
  const start = (args: string[]): Run => { const r = cli(args); runs.push(r); return r }

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-membership-')) })
  afterEach(async () => { await Promise.all(runs.splice(0).map(stop)) })
  after(() => { fs.rmSync(dir, { recursive: true, force: true }) })

  it('with no flags a node listens on loopback only, says how to open it, and is not reachable on another address', async function () {
    const n = start(['join', '--data-dir', path.join(dir, 'plain'), '--cpus', '1'])
    await ready(n)
    const listening = n.stdout().split('\n').filter(l => l.startsWith('listening ')).map(l => l.slice(10))
    assert.ok(listening.length > 0)
    for (const a of listening) assert.match(a, /^\/ip4\/127\.0\.0\.1\/tcp\/7400\/p2p\//, a)
    assert.match(n.stderr(), /listening on loopback only.*--secret FILE.*fabric keygen FILE.*--insecure-open/)
    assert.equal(await connects('127.0.0.1', 7400), true)
    const other = externalIpv4()
    if (other === undefined) skipBecause(this, 'this machine has no non-loopback IPv4 address to try the node on')
    assert.equal(await connects(other, 7400), false, `reachable on ${other}:7400`)
  })

  it('refuses a non-loopback --listen without a key, naming both ways to open the node', async () => {
    const n = start(['join', '--data-dir', path.join(dir, 'refused'), '--listen', '/ip4/0.0.0.0/tcp/0', '--cpus', '1'])
    assert.equal(await n.exit, 1)
    assert.match(n.stderr(), /^fabric join: listening on \/ip4\/0\.0\.0\.0\/tcp\/0 would let anyone .*--secret FILE.*fabric keygen FILE.*--insecure-open/m)
    assert.doesNotMatch(n.stdout(), /ready/)
  })

  it('`fabric keygen` writes a key once; with it a node listens on every interface', async () => {
    const key = path.join(dir, 'swarm.key')
    const k = start(['keygen', key])
    assert.equal(await k.exit, 0, k.stderr())
    assert.equal((await readSwarmKey(key)).byteLength, 95)
    assert.equal(fs.statSync(key).mode & 0o777, 0o600)
    const again = start(['keygen', key])
    assert.equal(await again.exit, 1)
    assert.match(again.stderr(), /exists already: a key is never overwritten/)
    const n = start(['join', '--data-dir', path.join(dir, 'keyed'), '--secret', key, '--listen', '/ip4/0.0.0.0/tcp/0', '--cpus', '1'])
    await ready(n)
    assert.doesNotMatch(n.stderr(), /WARNING|loopback only/)
  })

  it('--insecure-open opens a node without a key, with a warning', async () => {
    const n = start(['join', '--data-dir', path.join(dir, 'open'), '--insecure-open', '--listen', '/ip4/0.0.0.0/tcp/0', '--cpus', '1'])
    await ready(n)
    assert.match(n.stderr(), /WARNING: open without a swarm key \(--insecure-open\)/)
  })
})
