// End to end, chaos (issue 13, item 8): a bounded run of scripts/chaos.ts — four `fabric join`
// processes run a job of tasks, tasks passing large objects by ref, tasks returning refs and calls
// to actors with state, while nodes are SIGKILLed (and started again later), hung (SIGSTOP, then
// SIGCONT) and restarted (same data dir), one kind after another from a fixed seed. Every result
// is checked against the value the driver computes itself; large objects held to the end are read
// back (rebuilt from lineage when their nodes died); every actor answer must follow from the calls
// before it on the same instance, restarts stay within each actor's budget, and a call may fail
// only with the typed error the docs promise once that budget is spent. Cleanup (processes, temp dir) is runChaos's own, also when it throws. The
// partition faults are test/e2e/partition.spec.ts.
import assert from 'node:assert/strict'
import { failuresBesides, formatReport, runChaos, type ChaosReport } from '../../scripts/chaos.js'

/**
 * Failures of bugs known and not fixed yet (scripts/chaos.ts KNOWN_BUGS) that the test leaves out;
 * none today (the two the first runs found, actor-never-returns and actor-restart-gives-up, are
 * fixed). Every failure fails the test.
 */
const TOLERATED: string[] = []

describe('e2e: chaos — a job on 4 nodes while nodes are killed, hung and restarted', function () {
  this.timeout(180_000)
  let report: ChaosReport | undefined

  before(async () => {
    const started = Date.now()
    report = await runChaos({ nodes: 4, tasks: 1500, seconds: 24, seed: 13, gapMs: [2500, 4000], drainMs: 60_000 })
    console.log(formatReport(report).split('\n').map(l => `      ${l}`).join('\n'))
    console.log(`      (chaos run: ${((Date.now() - started) / 1000).toFixed(1)} s in all)`)
  })

  it('injects a kill, a hang and a restart, and sees each node back afterwards', () => {
    const r = report!
    const kinds = new Set(r.faults.map(f => f.kind))
    assert.deepEqual([...kinds].sort(), ['hang', 'kill', 'restart'], JSON.stringify(r.faults))
    for (const f of r.faults) {
      assert.ok(f.driverSuspectMs !== undefined, `the driver never suspected ${f.nodes.join(',')} (${f.kind})`)
      assert.ok(f.backMs !== undefined, `the driver never saw ${f.nodes.join(',')} alive again after the ${f.kind}`)
      if (f.kind !== 'hang') assert.ok(f.readyMs !== undefined, `${f.nodes.join(',')} was not started again`)
    }
  })

  it('every result is correct, no task failed, and no object that lineage can rebuild was lost', () => {
    const r = report!
    assert.deepEqual(failuresBesides(r, TOLERATED), [])
    assert.equal(r.tasks.wrong, 0)
    assert.ok(r.tasks.correct > 0)
    assert.equal(r.objects.lost, 0)
    assert.equal(r.objects.rebuildFailed, 0)
    assert.ok(r.objects.largeChecked > 0)
  })

  it('tasks and actors on the killed nodes ran again elsewhere; actors within their budgets', () => {
    const r = report!
    const deaths = r.faults.filter(f => f.kind !== 'hang')
    assert.ok(deaths.some(f => f.tasksLost > 0 && f.firstRetryDoneMs !== undefined), `no lost task ran again: ${JSON.stringify(deaths)}`)
    assert.ok(r.tasks.retried > 0)
    // Every actor with restarts left on a node that died was restarted (where the next fault on the node came later).
    for (const f of deaths.filter(d => d.nextFaultMs === undefined)) {
      assert.equal(f.actorRestartMs.length, f.actorsHit - f.actorsOutOfBudget, `${f.kind} ${f.nodes.join(',')}: ${f.actorsHit} actors hit, ${f.actorsOutOfBudget} out of budget, ${f.actorRestartMs.length} restarted`)
    }
    for (const a of r.actors) {
      assert.ok(a.restarts <= a.maxRestarts, `${a.name}: ${a.restarts} restarts of ${a.maxRestarts}`)
      assert.ok(a.incarnations - 1 <= a.restarts, `${a.name}: ${a.incarnations} instances answered, ${a.restarts} restarts counted`)
      // Calls failed only with the typed errors the docs promise, and only once the budget was spent (in failuresBesides()).
      for (const name of Object.keys(a.errors)) assert.ok(['ActorDiedError', 'ActorNotFoundError'].includes(name), `${a.name}: ${name}`)
    }
    assert.ok(r.actors.some(a => a.restarts > 0), 'no actor was restarted')
  })
})
