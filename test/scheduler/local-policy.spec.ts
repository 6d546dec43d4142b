// The local policy without processes: queue order, CPU lending, where guests' nested work runs,
// and admission (spillback) against a view held in memory.
import assert from 'node:assert/strict'
import { createLocalPolicy, type NodeEntry } from '../../src/scheduler/index.js'
import { resources, type Resources } from '../../src/scheduler/resources.js'

function node (peer: string, total: Partial<Resources>, opts: { available?: Partial<Resources>, queue?: number, seq?: number, state?: 'alive' | 'suspected' } = {}): NodeEntry {
  return {
    state: opts.state ?? 'alive',
    info: { peer, seq: opts.seq ?? 1, queue: opts.queue ?? 0, labels: {}, resources: { total: resources(total), available: resources(opts.available ?? total) } }
  }
}
const cpu = resources({ cpus: 1 })
const self = (cpus: number, free: number, queued = 0, active = 0): { total: Resources, available: Resources, queued: number, active: number } =>
  ({ total: resources({ cpus }), available: resources({ cpus: free }), queued, active })

describe('scheduler/local-policy', () => {
  it('queues driver work last and nested, retried and awaited work first; blocked guests lend their CPUs', () => {
    const p = createLocalPolicy()
    assert.equal(p.urgent('driver'), false)
    for (const k of ['nested', 'retry', 'awaited'] as const) assert.equal(p.urgent(k), true)
    assert.equal(p.lendsBlockedCpus, true)
  })

  it('keeps nested work here until half the CPUs are taken, not counting the waiting caller', () => {
    const p = createLocalPolicy()
    assert.equal(p.nested(self(4, 4), cpu, 0), 'here')
    assert.equal(p.nested(self(4, 3), cpu, 1), 'here') // the caller's own CPU does not count
    assert.equal(p.nested(self(4, 2), cpu, 1), 'here') // 1 other + 1 new = 2 = half
    assert.equal(p.nested(self(4, 1), cpu, 1), 'elsewhere')
    assert.equal(p.nested(self(4, 4, 1), cpu, 0), 'here') // queued tasks count as taken
    assert.equal(p.nested(self(4, 4, 2), cpu, 0), 'elsewhere')
    assert.equal(p.nested(self(1, 0), cpu, 1), 'here') // one CPU: at least one child stays
    assert.equal(p.nested(self(4, 0), resources({ cpus: 0 }), 0), 'here') // no CPU asked: never spread
    assert.equal(p.nested(self(4, 4), resources({ cpus: 1, gpus: 1 }), 0), 'elsewhere') // can never run here
    assert.equal(createLocalPolicy({ nestedPackShare: 1 }).nested(self(4, 1), cpu, 1), 'here')
  })

  it('admits while the queue is short, and sends work back to an idle node only', () => {
    const p = createLocalPolicy()
    const idle = node('idle', { cpus: 2 })
    const busy = node('busy', { cpus: 2 }, { queue: 3, available: { cpus: 0 } })
    assert.equal(p.admit(self(2, 0, 3), cpu, [idle, busy], 'caller'), undefined) // 3 < 2 per CPU x 2
    const back = p.admit(self(2, 0, 4), cpu, [busy, idle], 'caller')
    assert.equal(back?.to, 'idle')
    assert.match(back!.reason, /4 tasks queued on 2 CPUs/)
    assert.equal(p.admit(self(2, 0, 4), cpu, [busy], 'caller'), undefined) // nobody idle: keep it
    assert.equal(p.admit(self(2, 0, 4), cpu, [node('caller', { cpus: 2 })], 'caller'), undefined) // never back to the sender itself
    // Tasks still loading count as queued.
    assert.equal(p.admit(self(2, 2, 0, 6), cpu, [node('idle2', { cpus: 2 })], 'caller')?.to, 'idle2')
  })

  it('sends an idle node at most its room per heartbeat (no storm from a stale view)', () => {
    const p = createLocalPolicy()
    const idle = node('idle', { cpus: 2 }, { seq: 7 })
    const sent = [1, 2, 3].map(() => p.admit(self(2, 0, 10), cpu, [idle], 'caller')?.to)
    assert.deepEqual(sent, ['idle', 'idle', undefined])
    // Its next heartbeat gives it room again.
    assert.equal(p.admit(self(2, 0, 10), cpu, [node('idle', { cpus: 2 }, { seq: 8 })], 'caller')?.to, 'idle')
  })

  it('sends work this node can never run to a node whose totals hold it, alive first', () => {
    const p = createLocalPolicy()
    const gpuTask = resources({ cpus: 1, gpus: 1 })
    const nodes = [node('cpu-only', { cpus: 8 }), node('gpu-suspected', { cpus: 2, gpus: 1 }, { state: 'suspected' }), node('gpu', { cpus: 2, gpus: 1 }, { available: { cpus: 0 } })]
    const back = p.admit(self(2, 2), gpuTask, nodes, 'caller')
    assert.equal(back?.to, 'gpu')
    assert.match(back!.reason, /lacks gpus: needs 1, has 0/)
    assert.equal(p.admit(self(2, 2), gpuTask, [node('cpu-only', { cpus: 8 })], 'caller'), undefined) // nowhere: the run says why
  })
})
