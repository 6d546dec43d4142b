// The closing lines CI reads (test/reporter.cjs) and the run settings (.mocharc.cjs): tests stopped
// by a failed hook are counted as not run, the hook as failed; `.only` fails the run; naming a spec
// file runs that file alone.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { REPO } from './fixtures.js'

const MOCHA = path.join(REPO, 'node_modules', 'mocha', 'bin', 'mocha.js')
const FIXTURES = path.join(REPO, 'test', 'helpers', 'reporter-fixtures')

function mocha (args: string[]): { status: number | null, lines: string[], out: string } {
  const r = spawnSync(process.execPath, [MOCHA, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } })
  const out = r.stdout + r.stderr
  return { status: r.status, lines: r.stdout.trim().split('\n'), out }
}

describe('test reporter and mocha settings', function () {
  this.timeout(60_000)

  it('counts the tests a failed before hook stopped as not run and the hook as a failure; the last line keeps its shape', () => {
    const r = mocha(['--no-config', '--reporter', './test/reporter.cjs', path.join(FIXTURES, 'hook-fails.cjs')])
    assert.equal(r.lines.at(-1), '1 passed, 2 failed, 1 skipped', r.out)
    assert.match(r.lines.at(-1)!, /^\d+ passed, \d+ failed(, \d+ skipped)?$/)
    assert.equal(r.lines.at(-2), '6 tests in all: 3 ran, 3 not run (stopped by a failed hook); 2 failed (1 of them a hook)', r.out)
    assert.equal(r.status, 2, 'mocha exits with the number of failures')
  })

  it('refuses a forgotten .only under the repository settings', () => {
    const r = mocha([path.join(FIXTURES, 'only.cjs')])
    assert.notEqual(r.status, 0, r.out)
    assert.match(r.out, /\.only` forbidden/, r.out)
  })

  it('a spec file named on the command line runs alone (the suite glob is not added)', () => {
    const r = mocha(['--forbid-only=false', path.join(FIXTURES, 'hook-fails.cjs')])
    assert.equal(r.lines.at(-1), '1 passed, 2 failed, 1 skipped', r.out)
  })
})
