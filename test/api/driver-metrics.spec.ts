// Libraries' metrics on a driver's endpoint (FabricDriver.addMetrics): joined after the node's own,
// each read on every scrape, one that fails said in a comment while the rest still answer.
import assert from 'node:assert/strict'
import { DriverMetrics } from '../../src/api/driver-metrics.js'

describe('api/driver-metrics', () => {
  it("joins the node's metrics and each library's, removes one on request, says which failed", async () => {
    const m = new DriverMetrics({ contentType: 'text/plain; version=0.0.4; charset=utf-8', metrics: async () => 'node_up 1\n' })
    let n = 0
    const off = m.add(async () => `lib_calls ${++n}`)
    m.add(async () => { throw new Error('broken\nregistry') })
    assert.equal(await m.metrics(), "node_up 1\nlib_calls 1\n# a library's metrics failed: broken registry\n")
    assert.equal(await m.metrics(), "node_up 1\nlib_calls 2\n# a library's metrics failed: broken registry\n", 'read on each scrape')
    off()
    assert.equal(await m.metrics(), "node_up 1\n# a library's metrics failed: broken registry\n")
    assert.throws(() => m.add(42 as never), /addMetrics: give a function returning Prometheus text/)
    assert.equal(await new DriverMetrics().metrics(), '')
    assert.match(new DriverMetrics().contentType, /^text\/plain; version=0\.0\.4/)
  })
})
