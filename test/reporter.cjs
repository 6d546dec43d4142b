// Mocha's spec reporter plus two closing lines. The last is the one CI reads and keeps its shape:
// "N passed, N failed, N skipped". The line before it counts what that line cannot show: the
// tests planned in all and those that never ran because a hook failed (a failed `before` stops
// its whole suite; mocha counts the hook as one failure and its tests nowhere).
'use strict'
const Mocha = require('mocha')
const { EVENT_RUN_BEGIN, EVENT_RUN_END, EVENT_TEST_FAIL, EVENT_TEST_PASS, EVENT_TEST_PENDING } = Mocha.Runner.constants

class FabricReporter extends Mocha.reporters.Spec {
  constructor (runner, options) {
    super(runner, options)
    let total = 0
    let passed = 0
    let failedTests = 0
    let failedHooks = 0
    let skipped = 0
    runner.once(EVENT_RUN_BEGIN, () => { total = runner.total })
    runner.on(EVENT_TEST_PASS, () => { passed++ })
    runner.on(EVENT_TEST_PENDING, () => { skipped++ })
    runner.on(EVENT_TEST_FAIL, (test) => { if (test.type === 'hook') failedHooks++; else failedTests++ })
    runner.once(EVENT_RUN_END, () => {
      // A test that fails after passing (an error thrown late) is counted by both events: count it once.
      const ran = Math.min(total, passed + failedTests + skipped)
      const notRun = Math.max(0, total - ran)
      const failed = failedTests + failedHooks
      const hooks = failedHooks === 0 ? '' : ` (${failedHooks} of them ${failedHooks === 1 ? 'a hook' : 'hooks'})`
      const why = notRun === 0 ? '' : failedHooks > 0 ? ' (stopped by a failed hook)' : ''
      process.stdout.write(`\n${total} ${total === 1 ? 'test' : 'tests'} in all: ${ran} ran, ${notRun} not run${why}; ${failed} failed${hooks}\n`)
      process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`)
    })
  }
}

module.exports = FabricReporter
