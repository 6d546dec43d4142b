// src/cli/progress.ts and the commands that use it: bars and the status line draw on a terminal
// (a fake one here: isTTY, columns, collected writes), let other output pass above them, and write
// nothing at all to a pipe or with progress turned off; `fabric build` and `fabric run` print
// exactly what they did before when their output is not a terminal.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { Command } from 'commander'
import { formatTaskCounts, progressBar, progressBars, progressEnabled, statusLine, type ProgressStream } from '../../src/cli/progress.js'
import { registerBuild } from '../../src/cli/build.js'
import { registerRun, sumJobRows } from '../../src/cli/run.js'
import { REPO, tempDir } from '../helpers/fixtures.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** A terminal that keeps what is written to it. */
function fakeTty (isTTY = true): ProgressStream & { chunks: string[], text: () => string } {
  const chunks: string[] = []
  return { isTTY, columns: 100, chunks, write (s: string) { chunks.push(s); return true }, text: () => chunks.join('') }
}

/** No CI / NO_COLOR / FABRIC_NO_PROGRESS / TERM=dumb: progress on wherever the test runs. */
const ON: NodeJS.ProcessEnv = {}

const ERASE = '\x1b[J'

/** Run `fn` with process.env's progress switches cleared and `stream` posing as a terminal whose writes are kept. */
async function asTerminal (stream: NodeJS.WriteStream, fn: () => Promise<void>): Promise<string> {
  const saved = { CI: process.env.CI, NO_COLOR: process.env.NO_COLOR, FABRIC_NO_PROGRESS: process.env.FABRIC_NO_PROGRESS, TERM: process.env.TERM }
  for (const k of Object.keys(saved)) Reflect.deleteProperty(process.env, k)
  const own = (name: string): PropertyDescriptor | undefined => Object.getOwnPropertyDescriptor(stream, name)
  const was = { isTTY: own('isTTY'), columns: own('columns'), write: own('write') }
  const chunks: string[] = []
  Object.defineProperty(stream, 'isTTY', { value: true, configurable: true, writable: true })
  Object.defineProperty(stream, 'columns', { value: 120, configurable: true, writable: true })
  Object.defineProperty(stream, 'write', { value: (c: unknown) => { chunks.push(String(c)); return true }, configurable: true, writable: true })
  try {
    await fn()
  } finally {
    for (const [k, d] of Object.entries(was)) {
      if (d === undefined) Reflect.deleteProperty(stream, k)
      else Object.defineProperty(stream, k, d)
    }
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v
  }
  return chunks.join('')
}

describe('cli: progress', function () {
  this.timeout(20_000)

  it('draws only on a terminal, and not with CI, NO_COLOR or FABRIC_NO_PROGRESS set', () => {
    assert.equal(progressEnabled(fakeTty(), ON), true)
    assert.equal(progressEnabled(fakeTty(false), ON), false)
    assert.equal(progressEnabled({ write: () => true }, ON), false)
    assert.equal(progressEnabled(fakeTty(), { CI: 'true' }), false)
    assert.equal(progressEnabled(fakeTty(), { CI: 'false' }), true)
    assert.equal(progressEnabled(fakeTty(), { NO_COLOR: '' }), false)
    assert.equal(progressEnabled(fakeTty(), { FABRIC_NO_PROGRESS: '1' }), false)
    assert.equal(progressEnabled(fakeTty(), { FABRIC_NO_PROGRESS: '0' }), true)
    assert.equal(progressEnabled(fakeTty(), { TERM: 'dumb' }), false)
  })

  it('a bar draws its label, count, unit and detail on a terminal, and stop() erases it', async () => {
    const tty = fakeTty()
    const bar = progressBar(tty, { total: 3, label: 'build', unit: 'files', env: ON })
    assert.equal(bar.active, true)
    bar.update(1, 'b.ts')
    assert.match(tty.text(), /^build .* 0\/3 files \| 0s\r\x1b\[Jbuild .* 1\/3 files \| \ds \| b\.ts$/)
    bar.stop()
    assert.ok(tty.text().endsWith(ERASE), JSON.stringify(tty.text()))
    const after = tty.chunks.length
    bar.increment()
    bar.stop()
    await sleep(300)
    assert.equal(tty.chunks.length, after, 'a stopped bar writes no more')
  })

  it('writes nothing to a stream that is not a terminal, or with progress turned off', async () => {
    for (const [stream, env] of [[fakeTty(false), ON], [fakeTty(), { FABRIC_NO_PROGRESS: '1' }], [fakeTty(), { CI: '1' }]] as const) {
      const bar = progressBar(stream, { total: 2, label: 'x', env })
      const bars = progressBars(stream, { env })
      const line = statusLine(stream, () => 'status', { env })
      assert.equal(bar.active || bars.active || line.active, false)
      bar.update(1, 'one')
      bars.add({ total: 5 }).increment()
      await sleep(300)
      bar.stop()
      bars.stop()
      line.stop()
      assert.deepEqual(stream.chunks, [])
    }
  })

  it('other output passes above the lines: erased, written, drawn again below (after a partial line, once it ends)', async () => {
    const tty = fakeTty()
    const ownWrite = Object.getOwnPropertyDescriptor(tty, 'write')
    const line = statusLine(tty, () => 'tasks: 1 running', { env: ON })
    assert.equal(tty.text(), 'tasks: 1 running')
    tty.write('hello\n')
    assert.equal(tty.text(), `tasks: 1 running\r${ERASE}hello\ntasks: 1 running`)
    tty.chunks.length = 0
    tty.write('no end yet')
    assert.equal(tty.text(), `\r${ERASE}no end yet`, 'not drawn over a line still being written')
    await sleep(300)
    assert.equal(tty.text(), `\r${ERASE}no end yet`)
    tty.write(' ... ended\n')
    assert.equal(tty.text(), `\r${ERASE}no end yet ... ended\ntasks: 1 running`)
    line.stop()
    assert.ok(tty.text().endsWith(`\r${ERASE}`))
    assert.deepEqual(Object.getOwnPropertyDescriptor(tty, 'write'), ownWrite, 'write is the stream\'s own again')
  })

  it('several bars draw as lines together; erasing goes back over all of them; one display at a time', async () => {
    const tty = fakeTty()
    const bars = progressBars(tty, { env: ON })
    const a = bars.add({ total: 10, label: 'upload a.wasm', unit: 'MiB' })
    const b = bars.add({ total: 4, label: 'upload b.wasm', formatValue: n => n.toFixed(1) })
    a.update(5)
    b.update(2)
    await sleep(450)
    assert.match(tty.text(), /upload a\.wasm .* 5\/10 MiB .*\nupload b\.wasm .* 2\.0\/4\.0 \|/)
    assert.equal(progressBars(tty, { env: ON }).active, false, 'a second display waits its turn')
    assert.equal(statusLine(tty, () => 'x', { env: ON }).active, false)
    tty.chunks.length = 0
    tty.write('log\n')
    assert.ok(tty.text().startsWith(`\r\x1b[1A${ERASE}log\n`), JSON.stringify(tty.text()))
    bars.stop()
    const next = progressBars(tty, { env: ON })
    assert.equal(next.active, true, 'free again once stopped')
    next.stop()
  })

  it('a status line shows nothing while render() has nothing, redraws only on change, and keeps no timer alive', async () => {
    const tty = fakeTty()
    let text: string | undefined
    const timers = (): number => process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
    const before = timers()
    const line = statusLine(tty, () => text, { env: ON, intervalMs: 20 })
    assert.equal(timers(), before)
    await sleep(60)
    assert.deepEqual(tty.chunks, [])
    text = 'tasks: 0 running'
    await sleep(100)
    assert.equal(tty.text(), 'tasks: 0 running')
    text = 'tasks: 2 running'
    await sleep(100)
    assert.equal(tty.text(), `tasks: 0 running\r${ERASE}tasks: 2 running`)
    line.stop()
  })

  it('task counts: formatted, and a job\'s rows from the state API summed', () => {
    assert.equal(formatTaskCounts({ running: 2, queued: 5, finished: 10, failed: 1 }), 'tasks: 2 running, 5 queued, 10 finished, 1 failed')
    assert.equal(formatTaskCounts({ running: 0, queued: 0, waiting: 3, finished: 0, failed: 2, cancelled: 2 }), 'tasks: 0 running, 0 queued, 3 waiting, 0 finished, 2 failed, 2 cancelled')
    assert.deepEqual(sumJobRows([
      { job: 'job-1', tasks: 6, running: 1, queued: 2, 'waiting-for-resources': 1, finished: 2, node: 'a' },
      { job: 'job-1', tasks: 4, 'waiting-for-args': 1, failed: 1, cancelled: 1, finished: 1, node: 'b' }
    ]), { running: 1, queued: 3, waiting: 1, finished: 3, failed: 2, cancelled: 1 })
  })

  describe('the commands', () => {
    let tmp: ReturnType<typeof tempDir>
    before(() => {
      tmp = tempDir('fabric-progress-')
      // A driver importing the fabric the CLI runs from, as bin/fabric.js arranges for 'wasm-fabric'.
      fs.writeFileSync(path.join(tmp.dir, 'driver.mts'), [
        `import { Fabric } from ${JSON.stringify(path.join(REPO, 'src', 'index.ts'))}`,
        'const fabric = await Fabric.start({ workers: 1 })',
        "console.log('driver: started')",
        'await new Promise(resolve => setTimeout(resolve, 400))',
        "console.log('driver: done')",
        'await fabric.stop()',
        ''
      ].join('\n'))
    })
    after(() => tmp?.remove())

    /** `fabric <args>` in a separate process with piped output. */
    async function piped (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
      return await new Promise((resolve, reject) => {
        const env = { ...process.env }
        delete env.CI
        const proc = spawn(process.execPath, [path.join(REPO, 'bin', 'fabric.js'), ...args], { cwd: tmp.dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
        let stdout = ''
        let stderr = ''
        proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
        proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
        proc.once('error', reject)
        proc.once('exit', code => { resolve({ code, stdout, stderr }) })
      })
    }

    it('fabric run, piped: the driver\'s output and nothing else', async () => {
      const r = await piped(['run', 'driver.mts'])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, 'driver: started\ndriver: done\n')
      assert.equal(r.stderr, '')
    })

    it('fabric run on a terminal: the job\'s task counts below the driver\'s output, erased at the end', async () => {
      const program = new Command().exitOverride()
      registerRun(program)
      const argv = process.argv
      const out = await asTerminal(process.stdout, async () => {
        try {
          await program.parseAsync(['node', 'fabric', 'run', path.join(tmp.dir, 'driver.mts')])
        } finally {
          process.argv = argv
        }
      })
      assert.match(out, /driver: started\ntasks: 0 running, 0 queued, 0 finished, 0 failed/)
      assert.match(out, /\r\x1b\[Jdriver: done\ntasks: /)
      assert.ok(out.endsWith(`\r${ERASE}`), JSON.stringify(out))
    })

    it('fabric build of several files, piped: the same lines as before, no bar', async () => {
      const r = await piped(['build', 'a.ts', 'b.ts'])
      assert.equal(r.code, 1)
      assert.equal(r.stdout, '')
      assert.equal(r.stderr, 'fabric build: entry file not found: a.ts\nfabric build: entry file not found: b.ts\n')
      const one = await piped(['build', 'a.ts', 'b.ts', '-o', 'x.wasm'])
      assert.equal(one.code, 1)
      assert.match(one.stderr, /-o names one component, and 2 entries were given/)
    })

    it('fabric build of several files on a terminal: a bar over the files on stderr, erased at the end', async () => {
      const program = new Command().exitOverride()
      registerBuild(program)
      const cwd = process.cwd()
      process.chdir(tmp.dir)
      let err = ''
      try {
        err = await asTerminal(process.stderr, async () => {
          await program.parseAsync(['node', 'fabric', 'build', 'a.ts', 'b.ts', 'c.ts'])
        })
      } finally {
        process.chdir(cwd)
        process.exitCode = undefined
      }
      assert.match(err, /^build .* 0\/3 files \| 0s\r\x1b\[Jbuild .* 0\/3 files \| 0s \| a\.ts\r\x1b\[Jfabric build: entry file not found: a\.ts\n/)
      assert.match(err, /fabric build: entry file not found: a\.ts\n/)
      assert.match(err, /fabric build: entry file not found: c\.ts\n/)
      assert.ok(err.endsWith(ERASE), JSON.stringify(err))
    })
  })
})
