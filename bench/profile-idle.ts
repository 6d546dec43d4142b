// What an idle fabric costs: N `fabric join` processes (through the first), 20 s at rest, then
// each process's CPU and bytes written over 10 s, read from /proc (kernel time, every thread and
// the TLS and yamux framing included). Prints the median, least and most CPU per node, their total
// and the median bytes written per node per second.
//
// `npx tsx bench/profile-idle.ts [N]` (default 32); PROFILE_FIRST=dir gives the first node
// `--cpu-prof` into dir (it is the bootstrap, so it holds the most connections).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { joinNode, stopNode, type JoinedNode } from './join.js'
import { processUsage, USER_HZ } from './gossip-sim.js'

const n = Number(process.argv[2] ?? 32)
if (!(n >= 2)) throw new Error('usage: profile-idle.ts [nodes >= 2]')
const profileDir = process.env.PROFILE_FIRST
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-profile-idle-'))
const nodes: JoinedNode[] = []
try {
  nodes.push(await joinNode(path.join(dir, 'n0'), { execArgv: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] }))
  while (nodes.length < n) {
    const batch = Math.min(4, n - nodes.length)
    nodes.push(...await Promise.all(Array.from({ length: batch }, async (_, i) => await joinNode(path.join(dir, `n${nodes.length + i}`), { bootstrap: nodes[0]!.addr }))))
  }
  console.log(`${n} nodes started; 20 s at rest, then 10 s measured`)
  await new Promise(resolve => setTimeout(resolve, 20_000))
  const before = nodes.map(x => processUsage(x.proc.pid!))
  const t0 = performance.now()
  await new Promise(resolve => setTimeout(resolve, 10_000))
  const after = nodes.map(x => processUsage(x.proc.pid!))
  const seconds = (performance.now() - t0) / 1000
  const cpu = after.map((a, i) => (a.cpuTicks - before[i]!.cpuTicks) / USER_HZ / seconds * 100).sort((a, b) => a - b)
  const written = after.map((a, i) => (a.written - before[i]!.written) / seconds).sort((a, b) => a - b)
  const total = cpu.reduce((s, x) => s + x, 0)
  console.log(`${n} idle nodes: CPU per node median ${cpu[n >> 1]!.toFixed(1)}% of a core (${cpu[0]!.toFixed(1)}-${cpu[n - 1]!.toFixed(1)}), ${total.toFixed(0)}% in all; written per node median ${(written[n >> 1]! / 1024).toFixed(1)} KiB/s; load average ${os.loadavg()[0]!.toFixed(1)}`)
} finally {
  await Promise.all(nodes.map(stopNode))
  fs.rmSync(dir, { recursive: true, force: true })
}
