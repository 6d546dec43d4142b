// End to end: `fabric join` and `fabric status` as separate OS processes on 127.0.0.1 — a private
// fabric of three nodes, a SIGKILLed node suspected then dropped, a restart keeping its PeerId, a
// node with the wrong secret kept out, and SIGTERM leaving cleanly.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createStatusClient, newSwarmKey } from '../../src/net/index.js'
import type { StatusReply } from '../../src/net/index.js'
import { holdsFor } from '../helpers/wait-for.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CLI = path.join(ROOT, 'test/e2e/fabric-cli.ts')
// Short liveness timeouts keep the test quick; the defaults (3 s / 10 s) are tested in test/net.
const TIMING = ['--heartbeat-ms', '500', '--suspect-after-ms', '2000', '--dead-after-ms', '5000']

interface Child {
  name: string
  proc: ChildProcess
  lines: string[]
  stderr: string[]
  exit: Promise<number | null>
}

/** Poll `fn` until it returns a value (not undefined), or fail after `timeoutMs` saying what was awaited. */
async function until<T> (what: string, timeoutMs: number, fn: () => Promise<T | undefined> | T | undefined, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (true) {
    try {
      const v = await fn()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : ` (last error: ${String(last)})`}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

describe('e2e: fabric join / fabric status (separate processes)', function () {
  this.timeout(90_000)
  const children: Child[] = []
  let dir: string
  let secret: string
  let wrongSecret: string
  let client: Awaited<ReturnType<typeof createStatusClient>>
  const nodes: Record<string, { peer: string, addr: string, child: Child }> = {}

  function cli (name: string, args: string[]): Child {
    const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const child: Child = {
      name,
      proc,
      lines: [],
      stderr: [],
      exit: new Promise(resolve => { proc.once('exit', code => { resolve(code) }) })
    }
    let buf = ''
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      const parts = buf.split('\n')
      buf = parts.pop()!
      child.lines.push(...parts)
    })
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => { child.stderr.push(d) })
    children.push(child)
    return child
  }

  /** Start `fabric join` and wait for its `peer` and `listening` lines. */
  async function join (name: string, extra: string[] = [], key = secret): Promise<{ peer: string, addr: string, child: Child }> {
    const child = cli(name, ['join', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', path.join(dir, name), '--secret', key, '--cpus', '2', '--labels', `name=${name}`, ...TIMING, ...extra])
    const ready = await until(`${name} to print ready`, 20_000, () => {
      if (child.proc.exitCode !== null) throw new Error(`${name} exited ${child.proc.exitCode}: ${child.stderr.join('')}`)
      return child.lines.includes('ready') ? true : undefined
    }, 50)
    assert.ok(ready)
    const peer = child.lines.find(l => l.startsWith('peer '))!.slice(5)
    const addr = child.lines.find(l => l.startsWith('listening '))!.slice(10)
    assert.ok(addr.endsWith(`/p2p/${peer}`), addr)
    const n = { peer, addr, child }
    nodes[name] = n
    return n
  }

  /** `fabric status --json` as a process. */
  async function statusCli (addr: string, key = secret): Promise<{ code: number | null, reply?: StatusReply, stderr: string }> {
    const child = cli('status', ['status', '--address', addr, '--json', '--secret', key, '--timeout-ms', '5000'])
    let out = ''
    child.proc.stdout!.removeAllListeners('data')
    child.proc.stdout!.on('data', (d: string) => { out += d })
    const code = await child.exit
    return { code, reply: code === 0 ? JSON.parse(out) as StatusReply : undefined, stderr: child.stderr.join('') }
  }

  /** The peers (other than itself) a node reports, as `peer → state`. */
  async function view (addr: string): Promise<Map<string, string>> {
    const reply = await client.status(addr, { timeoutMs: 5000 })
    return new Map(reply.peers.map(p => [p.info.peer, p.state]))
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-e2e-'))
    secret = path.join(dir, 'swarm.key')
    wrongSecret = path.join(dir, 'other.key')
    fs.writeFileSync(secret, newSwarmKey())
    fs.writeFileSync(wrongSecret, newSwarmKey())
    client = await createStatusClient({ swarmKey: fs.readFileSync(secret) })
  })

  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL')
    await Promise.all(children.map(async c => await c.exit))
    await client?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('three nodes joined through the first see each other alive within ~10 s', async () => {
    const a = await join('a')
    const t0 = Date.now()
    const [b, c] = await Promise.all([join('b', ['--bootstrap', a.addr]), join('c', ['--bootstrap', a.addr])])
    const t1 = Date.now()
    const all = [a, b, c]
    await until('every node to see the other two alive', 15_000, async () => {
      for (const n of all) {
        const v = await view(n.addr)
        if (!all.every(o => o === n || v.get(o.peer) === 'alive')) return undefined
      }
      return true
    })
    console.log(`      (3 nodes converged ${Date.now() - t0} ms after spawning the 2nd and 3rd, ${Date.now() - t1} ms after both printed ready; polled every 200 ms)`)
    // And as an operator sees it: `fabric status --json` against each node.
    const replies = await Promise.all(all.map(async n => await statusCli(n.addr)))
    for (const [i, r] of replies.entries()) {
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.reply!.self.peer, all[i]!.peer)
      assert.deepEqual(r.reply!.self.labels, { name: ['a', 'b', 'c'][i] })
      assert.deepEqual(new Set(r.reply!.peers.map(p => `${p.info.peer}:${p.state}:${p.info.resources.total.cpus}`)),
        new Set(all.filter(o => o !== all[i]).map(o => `${o.peer}:alive:2`)))
    }
  })

  it('a SIGKILLed node is suspected, then dead and dropped, on the others', async () => {
    const { a, b, c } = nodes
    c!.child.proc.kill('SIGKILL')
    await c!.child.exit
    const killedAt = Date.now()
    await until('c suspected on a and b', 5000, async () =>
      (await view(a!.addr)).get(c!.peer) === 'suspected' && (await view(b!.addr)).get(c!.peer) === 'suspected' ? true : undefined, 100)
    const suspectedMs = Date.now() - killedAt
    await until('c dropped on a and b', 12_000, async () =>
      !(await view(a!.addr)).has(c!.peer) && !(await view(b!.addr)).has(c!.peer) ? true : undefined)
    console.log(`      (suspected after ${suspectedMs} ms, dropped after ${Date.now() - killedAt} ms)`)
    assert.ok(a!.child.lines.some(l => l === `dead ${c!.peer}`), a!.child.lines.join('\n'))
  })

  it('a node restarted with the same --data-dir keeps its PeerId and rejoins', async () => {
    const { a, c: old } = nodes
    const c = await join('c', ['--bootstrap', a!.addr])
    assert.equal(c.peer, old!.peer)
    await until('a to see c alive again', 10_000, async () => (await view(a!.addr)).get(c.peer) === 'alive' ? true : undefined)
  })

  it('a node with the wrong --secret cannot join: it sees only itself, the others never see it', async () => {
    const { a, b, c } = nodes
    const x = await join('x', ['--bootstrap', a!.addr], wrongSecret)
    await until('x to report a failed bootstrap', 10_000, () => x.child.stderr.join('').includes('not reachable yet') ? true : undefined)
    // While it retries (250 ms backoff, doubling), it stays alone: checked all along, not after a sleep.
    await holdsFor(async () => (await Promise.all([a!, b!, c!].map(async n => await view(n.addr)))).every(v => !v.has(x.peer)), 'x unseen by the others', 2000, 100)
    const own = await statusCli(x.addr, wrongSecret)
    assert.equal(own.code, 0, own.stderr)
    assert.equal(own.reply!.self.peer, x.peer)
    assert.deepEqual(own.reply!.peers, [])
    for (const n of [a, b, c]) assert.ok(!(await view(n!.addr)).has(x.peer))
    // Nor can a status client with the wrong key talk to the fabric: a clear one-line error, exit 1.
    const refused = await statusCli(a!.addr, wrongSecret)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /^fabric status: cannot reach .*\n$/)
    x.child.proc.kill('SIGKILL')
    await x.child.exit
  })

  it('SIGTERM: exit code 0, and the others see a leave (not a timeout)', async () => {
    const { a, b, c } = nodes
    const stoppedAt = Date.now()
    b!.child.proc.kill('SIGTERM')
    assert.equal(await b!.child.exit, 0, b!.child.stderr.join(''))
    assert.ok(b!.child.lines.includes('stopped'))
    // Well before the 2 s suspect timeout: it was the leave that removed b.
    await until('a and c to drop b', 1500, async () =>
      !(await view(a!.addr)).has(b!.peer) && !(await view(c!.addr)).has(b!.peer) ? true : undefined, 50)
    assert.ok(Date.now() - stoppedAt < 4000)
    await until('a to log the leave', 2000, () => a!.child.lines.includes(`left ${b!.peer}`) ? true : undefined, 50)
    assert.ok(!a!.child.lines.includes(`dead ${b!.peer}`))
  })

  it('fabric status reports an unreachable address as one line and exit 1', async () => {
    const r = await statusCli('/ip4/127.0.0.1/tcp/1')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^fabric status: cannot reach \/ip4\/127\.0\.0\.1\/tcp\/1: connection refused/)
    assert.equal(r.stderr.trim().split('\n').length, 1)
  })
})
