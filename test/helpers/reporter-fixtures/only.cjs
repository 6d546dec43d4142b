// A run for test/helpers/reporter.spec.ts: a forgotten `.only`, which must fail the run.
'use strict'
describe('suite', () => {
  it.only('the only one', () => {})
  it('another', () => {})
})
