// Mocha's settings. A config `spec` is ADDED to the files named on the command line, so with a
// fixed spec `npx mocha test/x.spec.ts` ran the whole suite: the suite's glob applies only when
// no spec is named (docs/testing.md). `.only` fails the run, so a forgotten one cannot shrink it.
'use strict'
const fs = require('node:fs')

// Options whose next argument is a value, not a spec.
const TAKES_VALUE = new Set(['--config', '--package', '--reporter', '-R', '--reporter-option', '--reporter-options', '-O', '--require', '-r',
  '--file', '--ignore', '--exclude', '--extension', '--grep', '-g', '--fgrep', '-f', '--timeout', '-t', '--slow', '-s', '--ui', '-u',
  '--node-option', '-n', '--retries', '--jobs', '-j', '--watch-files', '--watch-ignore', '--delay-ms'])

/** Whether the command line names specs of its own (positional paths or globs, or --spec). */
function namesSpecs (argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--spec' || a.startsWith('--spec=')) return true
    if (TAKES_VALUE.has(a)) { i++; continue }
    if (a.startsWith('-')) continue
    if (a.includes('*') || fs.existsSync(a)) return true
  }
  return false
}

module.exports = {
  ...(namesSpecs(process.argv.slice(2)) ? {} : { spec: ['test/**/*.spec.ts'] }),
  reporter: './test/reporter.cjs',
  timeout: 60000,
  exit: true,
  forbidOnly: true,
  'node-option': ['expose-gc', 'import=tsx']
}
