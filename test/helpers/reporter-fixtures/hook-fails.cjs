// A run for test/helpers/reporter.spec.ts (not a spec of the suite): one suite whose `before`
// fails with three tests under it, one that passes, one that fails and one skipped.
'use strict'
describe('stopped by its before hook', () => {
  before(() => { throw new Error('setup failed') })
  it('never runs 1', () => {})
  it('never runs 2', () => {})
  describe('nested', () => { it('never runs 3', () => {}) })
})
describe('runs', () => {
  it('passes', () => {})
  it('fails', () => { throw new Error('boom') })
  it.skip('is skipped', () => {})
})
