// The bench suite as a smoke test: `bench/run.ts --quick` must run every benchmark without an
// error and write its report. Timings are never checked here.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { REPO, tempDir } from '../helpers/fixtures.js'

describe('bench suite (smoke, --quick)', function () {
  this.timeout(480_000)
  let out: ReturnType<typeof tempDir>

  before(() => { out = tempDir('fabric-bench-') })
  after(() => out?.remove())

  it('runs every benchmark without an error and writes the JSON, markdown and charts', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench', 'run.ts'), '--quick', '--results-dir', out.dir], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 460_000)
      child.on('exit', (c) => { clearTimeout(timer); resolve(c) })
    })
    assert.equal(code, 0, output.slice(-4000))
    const files = fs.readdirSync(out.dir)
    const json = files.find(f => f.endsWith('.json'))
    assert.ok(json !== undefined && files.some(f => f.endsWith('.md')), `report files: ${files.join(', ')}`)
    const report = JSON.parse(fs.readFileSync(path.join(out.dir, json), 'utf8')) as { benchmarks: Array<{ name: string, rows: unknown[], error?: unknown }> }
    assert.deepEqual(report.benchmarks.map(b => b.name).sort(), ['component', 'data', 'gossip', 'gpu', 'isolation', 'memo', 'metrics', 'net', 'ray', 'remote', 'rl', 'scale', 'serve', 'train', 'tune'])
    for (const b of report.benchmarks) {
      assert.equal(b.error, undefined, `${b.name} failed`)
      assert.ok(b.rows.length > 0)
    }
    const charts = fs.readdirSync(path.join(out.dir, json.replace(/\.json$/, '')))
    assert.ok(charts.some(f => f.endsWith('.svg')), `charts: ${charts.join(', ')}`)
  })
})
