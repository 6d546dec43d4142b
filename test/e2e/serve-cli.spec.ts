// `fabric serve run <app>` and `fabric serve status` (issue 16): the command starts the app
// module's application on an embedded fabric and serves real HTTP until SIGTERM; status reads the
// running ingress; mistakes are one clear line and exit 1.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fixtureComponent, tempDir } from '../helpers/fixtures.js'
import { ROOT } from './cluster.js'

const CLI = path.join(ROOT, 'bin/fabric.js')

async function fabric (...args: string[]): Promise<{ stdout: string, stderr: string, code: number }> {
  return await new Promise(resolve => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 })
    })
  })
}

describe('e2e: fabric serve run | status', function () {
  this.timeout(120_000)
  const dir = tempDir('fabric-serve-cli-')
  after(() => dir.remove())

  it('serves the app module\'s application until SIGTERM; status shows its deployment', async () => {
    const wasm = await fixtureComponent('guests/ts/serve-apps.ts')
    const app = path.join(dir.dir, 'app.mts') // ESM whatever the folder's package.json says
    fs.writeFileSync(app, `import { serve } from ${JSON.stringify(path.join(ROOT, 'src/libs/serve/index.ts'))}
export default async (fabric: any) => {
  const m = await fabric.load(${JSON.stringify(wasm)})
  return serve.deployment(m.Echo, { name: 'echo', numReplicas: 2 }).bind('from the cli')
}
`)
    const proc = spawn(process.execPath, [CLI, 'serve', 'run', app, '--port', '0', '--route-prefix', '/v1', '--metrics-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>(resolve => proc.once('exit', resolve))
    let out = ''
    let err = ''
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no 'serving' line: ${out} ${err}`)), 90_000)
      proc.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d
        const m = /serving (\S+)/.exec(out)
        if (m !== null) { clearTimeout(t); resolve(m[1]!) }
      })
      proc.once('exit', () => { clearTimeout(t); reject(new Error(`exited early: ${out} ${err}`)) })
    })
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
      const answer = await (await fetch(`${url}/text?who=cli`)).text()
      assert.equal(answer, 'from the cli, cli')
      const status = await fabric('serve', 'status', '--url', url)
      assert.equal(status.code, 0, status.stderr)
      assert.match(status.stdout, /DEPLOYMENT\s+REPLICAS\s+ONGOING/)
      assert.match(status.stdout, /echo\s+2\/2\s+0\s+0\s+1\s+0\s+0/)
      const json = JSON.parse((await fabric('serve', 'status', '--url', url, '--json')).stdout) as { deployments: Array<{ name: string }> }
      assert.deepEqual(json.deployments.map(d => d.name), ['echo'])
      assert.equal((await fetch(`${url.replace(/\/v1$/, '')}/-/healthz`)).status, 200)
      // The embedded node's metrics endpoint has serve's after its own.
      const metricsUrl = /metrics URL (\S+)/.exec(out)?.[1]
      assert.match(metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, out)
      const text = await (await fetch(metricsUrl!)).text()
      assert.match(text, /^fabric_tasks_finished_total[{ ]/m)
      assert.match(text, /^fabric_serve_requests_total\{app="127\.0\.0\.1:\d+",deployment="echo",code="200"\} 1$/m)
    } finally {
      proc.kill('SIGTERM')
    }
    assert.equal(await exited, 0, err)
  })

  it('a module that exports no application, or a missing one, is one clear line and exit 1; status with nothing there too', async () => {
    const bad = path.join(dir.dir, 'bad.mjs')
    fs.writeFileSync(bad, 'export default 42\n')
    let r = await fabric('serve', 'run', bad, '--port', '0')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /must export default an application .* it exported number/)
    r = await fabric('serve', 'run', path.join(dir.dir, 'nope.ts'))
    assert.equal(r.code, 1)
    assert.match(r.stderr, /no such app module/)
    r = await fabric('serve', 'status', '--url', 'http://127.0.0.1:9')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /no serve application answered at http:\/\/127\.0\.0\.1:9/)
  })
})
