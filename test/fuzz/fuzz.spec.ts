// The fuzz targets of fuzz/ in the test suite: every committed seed and every regression input
// replayed through its target (in this process, so a failure names the file and the violation),
// then each target fuzzed for a few seconds by scripts/fuzz.mjs, which must find no crash.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { REPO, tempDir } from '../helpers/fixtures.js'
// Imported by name (not by a computed path) so the type check covers the targets too.
import * as codec from '../../fuzz/codec.fuzz.js'
import * as messages from '../../fuzz/messages.fuzz.js'
import * as protocols from '../../fuzz/protocols.fuzz.js'
import * as pullBuffer from '../../fuzz/pull-buffer.fuzz.js'
import * as frames from '../../fuzz/frames.fuzz.js'
import * as component from '../../fuzz/component.fuzz.js'

const MODULES: Record<string, { fuzz: (data: Uint8Array) => unknown }> = { codec, messages, protocols, 'pull-buffer': pullBuffer, frames, component }

interface Target { name: string }
interface Result { target: string, executions: number, crashes: number, crashFiles: string[], finding?: string, log: string }

const TARGETS = JSON.parse(fs.readFileSync(path.join(REPO, 'fuzz', 'targets.json'), 'utf8')) as Target[]
/** Seconds each target is fuzzed for in the suite (two at a time: about 20-25 s in all on 2 cores, most of it start-up). */
const SECONDS = 2

function inputs (target: string): string[] {
  return ['corpus', 'regressions'].flatMap((kind) => {
    const dir = path.join(REPO, 'fuzz', kind, target)
    return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : []
  })
}

describe('fuzz targets', function () {
  it('fuzz/targets.json lists every target this spec replays', () => {
    assert.deepEqual(TARGETS.map((t) => t.name).sort(), Object.keys(MODULES).sort())
  })

  for (const t of TARGETS) {
    it(`${t.name}: replays the committed seeds and regression inputs`, async () => {
      const { fuzz } = MODULES[t.name]!
      const files = inputs(t.name)
      assert.ok(files.length > 0, `no seeds in fuzz/corpus/${t.name}`)
      const failures: string[] = []
      for (const file of files) {
        try {
          await fuzz(fs.readFileSync(file))
        } catch (err) {
          failures.push(`${path.relative(REPO, file)}: ${(err as Error).name}: ${(err as Error).message}`)
        }
      }
      assert.deepEqual(failures, [])
    })
  }

  it(`fuzzes each target for ${SECONDS} s without a crash or hang`, async function () {
    this.timeout(240_000)
    const tmp = tempDir('fabric-fuzz-')
    try {
      const json = path.join(tmp.dir, 'results.json')
      const out = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [path.join(REPO, 'scripts', 'fuzz.mjs'), '--seconds', String(SECONDS), '--jobs', '2', '--json', json], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
        let text = ''
        child.stdout.on('data', (d: Buffer) => { text += d.toString() })
        child.stderr.on('data', (d: Buffer) => { text += d.toString() })
        child.on('close', () => { resolve(text) })
      })
      assert.ok(fs.existsSync(json), `scripts/fuzz.mjs wrote no results:\n${out}`)
      const results = (JSON.parse(fs.readFileSync(json, 'utf8')) as { results: Result[] }).results
      assert.deepEqual(results.map((r) => r.target), TARGETS.map((t) => t.name))
      const crashed = results.filter((r) => r.crashes > 0).map((r) => `${r.target}: ${r.crashFiles.join(', ') || 'no artifact'} (log ${r.log})\n${r.finding ?? ''}`)
      assert.deepEqual(crashed, [], out)
      for (const r of results) assert.ok(r.executions > 0, `${r.target} ran no input:\n${out}`)
    } finally {
      tmp.remove()
    }
  })
})
