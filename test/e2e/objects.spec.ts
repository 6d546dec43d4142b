// End to end: objects between separate OS processes on 127.0.0.1 over /fabric/object/1 — a
// 256 MiB object pulled intact from one holder, and from two holders at once with one of them
// SIGKILLed mid-pull.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createNetNode, fixedResources, type NetNode } from '../../src/net/index.js'
import { waitFor } from '../helpers/wait-for.js'
import { seededBytes } from './object-holder.js'

const HOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'object-holder.ts')
const MIB = 1024 * 1024

/** A holder process; `served`: the requests it has reported. */
interface Holder { proc: ChildProcess, peer: string, addrs: string[], cid: string, served: number }

describe('e2e: objects between processes (/fabric/object/1)', function () {
  this.timeout(180_000)
  let dir: string
  let puller: NetNode
  const holders: Holder[] = []

  async function holder (name: string, bytes: number, seed: string, stallFrom?: number): Promise<Holder> {
    const proc = spawn(process.execPath, ['--import', 'tsx', HOLDER, String(bytes), seed, path.join(dir, name), ...(stallFrom === undefined ? [] : [String(stallFrom)])], { stdio: ['pipe', 'pipe', 'inherit'] })
    const rl = readline.createInterface({ input: proc.stdout! })
    const line = await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve)
      proc.once('exit', (code) => reject(new Error(`holder ${name} exited (${String(code)}) before it was ready`)))
    })
    const h: Holder = { proc, served: 0, ...(JSON.parse(line) as { peer: string, addrs: string[], cid: string }) }
    rl.on('line', (l) => { h.served = (JSON.parse(l) as { served: number }).served })
    holders.push(h)
    return h
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-e2e-objects-'))
    puller = await createNetNode({ dataDir: path.join(dir, 'puller'), listen: ['/ip4/127.0.0.1/tcp/0'], resources: () => fixedResources({ cpus: 1, memoryMb: 1024 }) })
  })

  after(async () => {
    await puller?.stop({ leave: false })
    for (const h of holders) {
      if (h.proc.exitCode === null && h.proc.signalCode === null) {
        const exited = new Promise(resolve => h.proc.once('exit', resolve))
        h.proc.stdin!.end()
        const t = setTimeout(() => h.proc.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(t)
      }
    }
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('a 256 MiB object moves from one process to another intact', async () => {
    const h = await holder('big', 256 * MIB, 'one')
    const t = performance.now()
    const got = await puller.pullObject(h.cid, [h.addrs[0]!])
    const ms = performance.now() - t
    console.log(`      (256 MiB in ${(ms / 1000).toFixed(1)} s, ${(256 / (ms / 1000)).toFixed(0)} MiB/s, verified against ${h.cid.slice(0, 16)}…)`)
    assert.equal(got.byteLength, 256 * MIB)
    const want = createHash('sha256').update(seededBytes(256 * MIB, 'one')).digest('hex')
    assert.equal(createHash('sha256').update(got).digest('hex'), want)
  })

  it('pulls from two holders at once and finishes from the survivor when one is SIGKILLed', async () => {
    // a answers the size probe, then hangs on the range it is asked for (as a holder dying mid-pull
    // does) until it is killed; b serves its own range meanwhile.
    const a = await holder('a', 64 * MIB, 'two', 2)
    const b = await holder('b', 64 * MIB, 'two')
    assert.equal(a.cid, b.cid)
    const retries: number[] = []
    const pulling = puller.pullObject(a.cid, [a.addrs[0]!, b.addrs[0]!], { onRetry: (_h, _e, at) => retries.push(at) })
    // Both holders are asked before either finishes: the ranges are pulled at once.
    await waitFor(() => a.served >= 2 && b.served >= 1, `a range request on each holder (a: ${a.served}, b: ${b.served})`, 30_000, 10)
    a.proc.kill('SIGKILL')
    const got = await pulling
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(seededBytes(64 * MIB, 'two')).digest('hex'))
    console.log(`      (requests: a ${a.served}, b ${b.served}; range resumed at byte ${retries.join(', ')} on the survivor)`)
    assert.ok(retries.length >= 1, 'the killed holder\'s range was never taken up again')
    assert.ok(b.served >= 2, `the survivor served its own range and the killed holder's (${b.served} requests)`)
  })
})
