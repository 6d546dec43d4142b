// Diagnostic, not a benchmark of the suite: 4 all-reduces of 64 MiB between two `fabric join`
// processes (one member each), timed; with PROF=1 each node writes a CPU profile to /tmp/arprof.
// It reproduces a chunk send that fails about 2 runs in 3 (see issue 17's note).
//
//   npx tsx bench/allreduce-profile.mts        PROF=1 npx tsx bench/allreduce-profile.mts
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Fabric } from '../src/index.js'
import { cachedBuild } from '../guest-sdk/src/build/cached-build.js'
import { spawn } from 'node:child_process'
import { stopNode, type JoinedNode } from './join.js'
async function joinNode (dataDir: string, o: { bootstrap?: string, env?: unknown } = {}): Promise<JoinedNode> {
  const args = [...(process.env.PROF === '1' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/arprof'] : []), 'bin/fabric.js', 'join', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dataDir, '--cpus', '1', ...(o.bootstrap === undefined ? [] : ['--bootstrap', o.bootstrap])]
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  return await new Promise(resolve => {
    let buf = ''; let peer = ''
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      for (const l of buf.split('\n')) {
        if (l.startsWith('peer ')) peer = l.slice(5)
        if (l.startsWith('listening ') && buf.includes('ready')) resolve({ proc, peer, addr: l.slice(10), readyAt: Date.now(), joined: new Map() })
      }
    })
  })
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ar-prof-'))
const env = {}
const nodes: JoinedNode[] = []
nodes.push(await joinNode(path.join(dir, 'n0'), { env }))
nodes.push(await joinNode(path.join(dir, 'n1'), { bootstrap: nodes[0]!.addr, env }))
const f = await Fabric.start({ address: nodes[0]!.addr })
while (f.nodes().length < 2) await new Promise(r => setTimeout(r, 50))
const col: any = await f.load(await cachedBuild(path.join(process.cwd(), 'bench/guests/collective-bench.ts'), path.join(process.cwd(), '.cache/bench')))
const m = [await col.Member.options({ scheduling: 'spread' }).create(), await col.Member.options({ scheduling: 'spread' }).create()]
await f.collectiveGroup(m, { name: 'p' })
const n = 16 * 1024 * 1024
await f.get(m.map((a: any) => a.rounds.remote(n, 1, 'p')))
const t0 = performance.now()
await f.get(m.map((a: any) => a.rounds.remote(n, 4, 'p')))
console.log('4 x 64 MiB:', ((performance.now() - t0) / 1000).toFixed(2), 's')
await f.stop()
await Promise.all(nodes.map(stopNode))
