// Mocha's spec reporter plus the plain closing line CI reads: "N passed, N failed, N skipped".
'use strict'
const Mocha = require('mocha')

class FabricReporter extends Mocha.reporters.Spec {
  constructor (runner, options) {
    super(runner, options)
    runner.once('end', () => {
      const s = runner.stats ?? {}
      process.stdout.write(`\n${s.passes ?? 0} passed, ${s.failures ?? 0} failed, ${s.pending ?? 0} skipped\n`)
    })
  }
}

module.exports = FabricReporter
