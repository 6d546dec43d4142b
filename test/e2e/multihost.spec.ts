// End to end, many machines (issue 14, item 6): three `fabric join` nodes, each in its own network
// namespace with a veth to one bridge and a real 10.x address (test/e2e/chaos-cluster.ts), listening
// there with a swarm key made by `fabric keygen`; a driver in a fourth namespace on the same bridge
// (test/deploy/multihost-driver.ts under `ip netns exec`) connects to the first node's address and
// runs tasks that land on all three hosts. Needs root and `ip` (and `iptables`, which the cluster
// helper checks for); skipped, saying which is missing, without them. Every namespace, veth, bridge,
// process and temp dir goes also when the run fails (and a killed run's are swept by the next).
import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { ChaosCluster, netnsUnavailable } from './chaos-cluster.js'
import { ROOT } from './cluster.js'
import { fixtureComponent } from '../helpers/fixtures.js'
import { skipBecause } from '../helpers/skip.js'

const CLI = path.join(ROOT, 'test/e2e/fabric-cli.ts')
const DRIVER = path.join(ROOT, 'test/deploy/multihost-driver.ts')
/** This run's prefix for the driver's namespace and veth (pid in base 36, as chaos-cluster.ts). */
const TAG = `mh${process.pid.toString(36)}`
const TAG_RE = /^mh([0-9a-z]+)(?:-drv|d)$/

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Remove the driver namespaces and veths of runs killed before their cleanup (the cluster sweeps its own). */
function sweepStaleDrivers (): void {
  for (const n of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map(l => l.split(' ')[0]!)) {
    const m = TAG_RE.exec(n)
    if (m === null || alive(parseInt(m[1]!, 36))) continue
    for (const pid of execFileSync('ip', ['netns', 'pids', n], { encoding: 'utf8' }).split('\n').filter(p => p !== '')) try { process.kill(Number(pid), 'SIGKILL') } catch {}
    try { execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' }) } catch {}
  }
  for (const l of execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map(x => /^\d+: ([^:@]+)/.exec(x)?.[1])) {
    const m = l === undefined ? null : TAG_RE.exec(l)
    if (m !== null && !alive(parseInt(m[1]!, 36))) try { execFileSync('ip', ['link', 'del', l!], { stdio: 'ignore' }) } catch {}
  }
}

/** The interface that holds `ip` in the root namespace (the cluster's bridge holds the driver address). */
function interfaceWith (ip: string): string {
  const line = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).split('\n').find(l => l.includes(` inet ${ip}/`))
  const name = line === undefined ? undefined : /^\d+:\s+(\S+)/.exec(line)?.[1]
  if (name === undefined) throw new Error(`multihost: no interface holds ${ip}`)
  return name
}

interface DriverResult { ids: string[], sums: number[], ranOn: string[][], echoed: boolean[], spread: number[], connectedMs: number, totalMs: number }

describe('e2e: three hosts in network namespaces on a bridge, a driver on a fourth', function () {
  const unavailable = netnsUnavailable()
  let component: string
  let cluster: ChaosCluster | undefined
  let driverNs: string | undefined
  let driverProc: ChildProcess | undefined

  before(async function () {
    this.timeout(180_000) // a cold build of the fixture component (cached afterwards)
    if (unavailable === undefined) component = await fixtureComponent('guests/ts/kitchen.ts')
  })

  after(async function () {
    this.timeout(20_000)
    if (driverProc !== undefined && driverProc.exitCode === null && driverProc.signalCode === null) driverProc.kill('SIGKILL')
    if (driverNs !== undefined) {
      try { execFileSync('ip', ['link', 'del', `${TAG}d`], { stdio: 'ignore' }) } catch {}
      try { execFileSync('ip', ['netns', 'del', driverNs], { stdio: 'ignore' }) } catch {}
    }
    await cluster?.stop()
  })

  it('nodes on 10.x addresses with a fabric keygen key; the driver reaches them across the bridge and its tasks land on all three', async function () {
    if (unavailable !== undefined) skipBecause(this, unavailable)
    this.timeout(60_000)
    const started = Date.now()
    sweepStaleDrivers()
    cluster = new ChaosCluster({ mode: 'netns', sharedCache: true })
    // The swarm key of the fabric, made as an operator would: `fabric keygen` (it never overwrites).
    fs.rmSync(cluster.keyFile)
    const keygen = execFileSync(process.execPath, ['--import', 'tsx', CLI, 'keygen', cluster.keyFile], { cwd: ROOT, encoding: 'utf8' })
    assert.match(keygen, /^wrote /)
    assert.match(fs.readFileSync(cluster.keyFile, 'utf8'), /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n?$/)
    assert.equal(fs.statSync(cluster.keyFile).mode & 0o777, 0o600)

    const nodes = await cluster.start(3)
    for (const n of nodes) {
      assert.match(n.ip, /^10\.\d+\.\d+\.\d+$/)
      assert.ok(n.addr.startsWith(`/ip4/${n.ip}/tcp/`), `${n.name} listens on ${n.addr}, not its namespace's address`)
    }

    // The fourth host: its own namespace, a veth to the cluster's bridge, an address of the subnet.
    const subnet = cluster.driverIp.replace(/\.1$/, '')
    const driverIp = `${subnet}.100`
    driverNs = `${TAG}-drv`
    execFileSync('ip', ['netns', 'add', driverNs])
    execFileSync('ip', ['link', 'add', `${TAG}d`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', driverNs])
    execFileSync('ip', ['link', 'set', `${TAG}d`, 'master', interfaceWith(cluster.driverIp), 'up'])
    execFileSync('ip', ['-n', driverNs, 'link', 'set', 'lo', 'up'])
    execFileSync('ip', ['-n', driverNs, 'addr', 'add', `${driverIp}/24`, 'dev', 'eth0'])
    execFileSync('ip', ['-n', driverNs, 'link', 'set', 'eth0', 'up'])

    const proc = spawn('ip', ['netns', 'exec', driverNs, process.execPath, '--import', 'tsx', DRIVER], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MH_ADDRESS: nodes[0]!.addr, MH_SWARM_KEY: cluster.keyFile, MH_LISTEN: `/ip4/${driverIp}/tcp/0`, MH_COMPONENT: component, MH_NODES: '3' }
    })
    driverProc = proc
    let out = ''
    let err = ''
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d })
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err = (err + d).slice(-4000) })
    // The driver gets what is left of 55 s, so the test ends (and cleans up) inside its 60 s.
    const budgetMs = Math.max(5_000, 55_000 - (Date.now() - started))
    const code = await new Promise<number | null>((resolve, reject) => {
      const t = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`the driver did not finish in ${budgetMs} ms: ${out}\n${err}`)) }, budgetMs)
      proc.once('exit', c => { clearTimeout(t); resolve(c) })
    })
    assert.equal(code, 0, `the driver failed: ${out}\n${err}`)
    const line = out.split('\n').find(l => l.startsWith('result '))
    assert.ok(line !== undefined, `no result line: ${out}\n${err}`)
    const r = JSON.parse(line.slice(7)) as DriverResult

    const peers = nodes.map(n => n.peer).sort()
    assert.deepEqual([...r.ids].sort(), peers, 'the driver sees exactly the three nodes')
    assert.deepEqual(r.sums, r.ids.map((_, i) => i + 1000))
    // Each pinned task ran on its own host: its large result is held there (and nowhere else first).
    assert.deepEqual(r.ranOn.map(h => h[0]), r.ids)
    assert.deepEqual(new Set(r.ranOn.map(h => h[0])), new Set(peers), 'tasks landed on all three hosts')
    assert.deepEqual(r.echoed, [true, true, true])
    assert.deepEqual(r.spread, Array.from({ length: 12 }, (_, i) => { let s = 0; for (let k = 0; k < 100 + i; k++) s += k * k; return s }))
    console.log(`      (3 hosts on ${subnet}.0/24, driver at ${driverIp}: connected in ${r.connectedMs} ms, driver done in ${r.totalMs} ms, ${Date.now() - started} ms in all)`)
  })
})
