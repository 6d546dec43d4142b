// Profiles of an object transfer (issue 18): a holder process (bench/net/holder.ts) serving N MiB
// over /fabric/object/1 and this process pulling it `rounds` times, each with a V8 CPU profile.
//
//   node --cpu-prof --cpu-prof-dir=<outDir>/puller --import tsx bench/profile-transfer.ts <tls|noise> <outDir> [MiB] [rounds]
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createNetNode, fixedResources } from '../src/net/index.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const [encrypter = 'tls', outArg = '/tmp/prof-transfer', mib = '256', roundsArg = '3'] = process.argv.slice(2) as ['tls' | 'noise', string, string, string]
const out = path.resolve(outArg)
const bytes = Number(mib) * 1024 * 1024
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-prof-transfer-'))
const prof = process.env.PROFILE_HOLDER !== '0' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(out, 'holder')}`] : []
const child = spawn(process.execPath, [...prof, '--import', 'tsx', path.join(here, 'net', 'holder.ts'), String(bytes), encrypter, path.join(dir, 'holder')], { stdio: ['pipe', 'pipe', 'inherit'] })
const info = JSON.parse(await new Promise<string>(resolve => { readline.createInterface({ input: child.stdout! }).once('line', resolve) })) as { addrs: string[], cid: string }
const puller = await createNetNode({ dataDir: path.join(dir, 'puller'), listen: ['/ip4/127.0.0.1/tcp/0'], encrypter, resources: () => fixedResources({ cpus: 1, memoryMb: 1024 }) })
try {
  await puller.pullObject(info.cid, [info.addrs[0]!])
  const cpu0 = process.cpuUsage()
  const h0 = process.hrtime.bigint() / 1000n
  const t0 = performance.now()
  for (let i = 0; i < Number(roundsArg); i++) await puller.pullObject(info.cid, [info.addrs[0]!])
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  console.log(`window ${h0} ${process.hrtime.bigint() / 1000n}`)
  console.log(`${encrypter}: ${(bytes * Number(roundsArg) / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s; puller CPU ${((cpu.user + cpu.system) / 1000 / ms * 100).toFixed(0)}% of the time`)
} finally {
  await puller.stop({ leave: false })
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.stdin!.end()
  await exited
  fs.rmSync(dir, { recursive: true, force: true })
}
