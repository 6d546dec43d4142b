// The fabric policy's rankNodes against a view held in memory: feasibility (and what an infeasible demand lacks), node
// affinity, alive before suspected, locality unless busy, load per CPU, spread taking turns, and the
// warm node among equals.
import assert from 'node:assert/strict'
import { mayRun, rankNodes } from '../../src/scheduler/index.js'
import type { PeerEntry } from '../../src/net/index.js'
import { resources, type Resources } from '../../src/scheduler/resources.js'

function entry (peer: string, total: Partial<Resources>, opts: { available?: Partial<Resources>, state?: 'alive' | 'suspected' } = {}): PeerEntry {
  const t = resources(total)
  return {
    info: { peer, seq: 1, ts: 0, addrs: [], resources: { total: t, available: resources(opts.available ?? total) }, queue: 0, labels: {}, store: { memoryBytes: 0, diskBytes: 0 } },
    state: opts.state ?? 'alive',
    lastHeardAt: 0
  }
}

/** The view as the policy sees it: the peers, in the order gossip gave them. */
function view (entries: PeerEntry[]): PeerEntry[] {
  return entries
}

const cpu = resources({ cpus: 1 })
const names = (es: PeerEntry[]): string[] => es.map(e => e.info.peer)

describe('scheduler/fabric-policy (rankNodes)', () => {
  it('keeps only nodes whose totals hold the demand, and says what each lacks when none does', () => {
    const v = view([entry('a', { cpus: 4 }), entry('b', { cpus: 2, gpus: 1 }), entry('driver', {})])
    assert.deepEqual(names(rankNodes(v, { demand: resources({ cpus: 1, gpus: 1 }), what: "task 'x'" }, () => 0)), ['b'])
    assert.throws(() => rankNodes(v, { demand: resources({ gpus: 2 }), what: "task 'x'" }, () => 0),
      (err: Error) => err.name === 'InfeasibleTaskError' && /gpus: needs 2, has 0/.test(err.message) && /gpus: needs 2, has 1/.test(err.message))
    assert.throws(() => rankNodes(view([entry('driver', {})]), { demand: cpu, what: "task 'x'" }, () => 0), /no node offering CPUs/)
    assert.throws(() => rankNodes(v, { demand: cpu, what: "task 'x'", exclude: new Set(['a', 'b']) }, () => 0), /no node is left/)
  })

  it('node affinity: hard pins (or says why it cannot), soft only prefers', () => {
    const v = view([entry('a', { cpus: 4 }), entry('b', { cpus: 1 })])
    assert.deepEqual(names(rankNodes(v, { demand: cpu, scheduling: { nodeAffinity: 'b' }, what: 't' }, p => p === 'b' ? 50 : 0)), ['b'])
    assert.throws(() => rankNodes(v, { demand: cpu, scheduling: { nodeAffinity: 'zz' }, what: 't' }, () => 0), /not in this caller's view/)
    assert.throws(() => rankNodes(v, { demand: resources({ cpus: 2 }), scheduling: { nodeAffinity: 'b' }, what: 't' }, () => 0), /lacks cpus: needs 2, has 1/)
    assert.equal(rankNodes(v, { demand: cpu, scheduling: { nodeAffinity: 'b', soft: true }, what: 't' }, p => p === 'b' ? 50 : 0)[0]!.info.peer, 'b')
    assert.equal(rankNodes(v, { demand: cpu, scheduling: { nodeAffinity: 'zz', soft: true }, what: 't' }, () => 0).length, 2)
    // A pinned node that holds the demand but already failed the work.
    assert.throws(() => rankNodes(v, { demand: cpu, scheduling: { nodeAffinity: 'b' }, what: 't', exclude: new Set(['b']) }, () => 0), /node b \(nodeAffinity\), which already failed it/)
    // The view is never changed by ranking it.
    assert.deepEqual(names(v), ['a', 'b'])
  })

  it('hard labels: only matching nodes; none matching says which labels; with labels no node can hold the demand, what each lacks', () => {
    const zoned = (peer: string, zone: string, total: Partial<Resources>): PeerEntry => ({ ...entry(peer, total), info: { ...entry(peer, total).info, labels: { zone } } })
    const v = view([zoned('a', 'eu', { cpus: 1 }), zoned('b', 'us', { cpus: 4 }), zoned('c', 'eu', { cpus: 2 })])
    const eu = { match: { zone: 'eu' } }
    assert.deepEqual(names(rankNodes(v, { demand: cpu, labels: eu, what: 't' }, () => 0)).sort(), ['a', 'c'])
    assert.throws(() => rankNodes(v, { demand: cpu, labels: { match: { zone: 'ap' } }, what: "task 'x'" }, () => 0),
      (err: Error) => err.name === 'InfeasibleTaskError' && /no node in this caller's view has the labels task 'x' needs \(zone=ap\)/.test(err.message))
    assert.throws(() => rankNodes(v, { demand: resources({ cpus: 3 }), labels: eu, what: "task 'x'" }, () => 0),
      (err: Error) => /no node can run task 'x': a: cpus: needs 3, has 1; c: cpus: needs 3, has 2$/.test(err.message))
    assert.throws(() => rankNodes(v, { demand: cpu, labels: eu, scheduling: { nodeAffinity: 'b' }, what: 't' }, () => 0), /node b \(nodeAffinity\), which is not in this caller's view of the fabric with the labels it needs/)
    // Soft labels only prefer.
    assert.equal(rankNodes(v, { demand: cpu, labels: { match: { zone: 'us' }, soft: true }, what: 't' }, () => 0)[0]!.info.peer, 'b')
  })

  it('alive nodes first; suspected ones only when no alive one is left', () => {
    const v = view([entry('s', { cpus: 8 }, { state: 'suspected' }), entry('a', { cpus: 1 })])
    assert.deepEqual(names(rankNodes(v, { demand: cpu, what: 't' }, () => 0)), ['a'])
    assert.deepEqual(names(rankNodes(v, { demand: cpu, what: 't', exclude: new Set(['a']) }, () => 0)), ['s'])
  })

  it('default: locality unless the holder is busy, then load per CPU, then room, then the warm node', () => {
    const v = view([entry('a', { cpus: 2 }), entry('b', { cpus: 2 }), entry('c', { cpus: 4 }, { available: { cpus: 0 } })])
    const local = (p: string): number => p === 'b' ? 1e6 : 0
    assert.equal(rankNodes(v, { demand: cpu, what: 't', localBytes: local }, () => 0)[0]!.info.peer, 'b')
    // b busy (2 in flight per CPU): locality no longer wins.
    assert.notEqual(rankNodes(v, { demand: cpu, what: 't', localBytes: local }, p => p === 'b' ? 4 : 0)[0]!.info.peer, 'b')
    // Load per CPU: c has 4 CPUs, so 2 in flight there is less than 2 on a.
    assert.deepEqual(names(rankNodes(v, { demand: cpu, what: 't' }, p => ({ a: 2, b: 3, c: 2 } as Record<string, number>)[p]!)), ['c', 'a', 'b'])
    // Equal load: room now (as gossiped) before a full node, then the warm node.
    assert.deepEqual(names(rankNodes(v, { demand: cpu, what: 't', warm: 'b' }, () => 0)), ['b', 'a', 'c'])
  })

  it('spread takes turns over equal nodes and ignores locality', () => {
    const v = view([entry('a', { cpus: 1 }), entry('b', { cpus: 1 }), entry('c', { cpus: 1 })])
    const placed: Record<string, number> = { a: 3, b: 1, c: 2 }
    assert.deepEqual(names(rankNodes(v, { demand: cpu, scheduling: 'spread', what: 't', localBytes: p => p === 'a' ? 1e9 : 0 }, () => 0, p => placed[p]!)), ['b', 'c', 'a'])
  })
})

describe('scheduler/fabric-policy (labels)', () => {
  const labelled = (peer: string, labels: Record<string, string>, available = 4): PeerEntry => {
    const e = entry(peer, { cpus: 4 }, { available: { cpus: available } })
    e.info.labels = labels
    return e
  }
  const v = view([labelled('eu', { zone: 'eu', disk: 'ssd' }), labelled('us', { zone: 'us' }), labelled('eu-full', { zone: 'eu' }, 0)])

  it('runs work with hard labels only on nodes that have them (`!v`: not v)', () => {
    assert.deepEqual(names(rankNodes(v, { demand: cpu, what: "task 'x'", labels: { match: { zone: 'eu' } } }, () => 0)).sort(), ['eu', 'eu-full'])
    assert.deepEqual(names(rankNodes(v, { demand: cpu, what: "task 'x'", labels: { match: { zone: 'eu', disk: 'ssd' } } }, () => 0)), ['eu'])
    assert.deepEqual(names(rankNodes(v, { demand: cpu, what: "task 'x'", labels: { match: { zone: '!eu' } } }, () => 0)), ['us'])
  })

  it('refuses hard labels no node has, saying which and how to relax them', () => {
    assert.throws(() => rankNodes(v, { demand: cpu, what: "task 'x'", labels: { match: { zone: 'ap' } } }, () => 0),
      (err: Error) => err.name === 'InfeasibleTaskError' && /zone=ap/.test(err.message) && /softLabelSelector/.test(err.message))
  })

  it('puts nodes with soft labels and room first, and runs elsewhere when none has them', () => {
    const ranked = names(rankNodes(v, { demand: cpu, what: "task 'x'", labels: { match: { zone: 'us' }, soft: true } }, () => 0))
    assert.equal(ranked[0], 'us')
    assert.equal(ranked.length, 3)
    assert.equal(names(rankNodes(v, { demand: cpu, what: "task 'x'", labels: { match: { zone: 'ap' }, soft: true } }, () => 0)).length, 3)
    // A matching node that is full does not beat one with room.
    const full = names(rankNodes(view([labelled('eu-full', { zone: 'eu' }, 0), labelled('us', { zone: 'us' })]), { demand: cpu, what: "task 'x'", labels: { match: { zone: 'eu' }, soft: true } }, () => 0))
    assert.equal(full[0], 'us')
  })
})

describe('scheduler/fabric-policy (mayRun: the node a spillback names)', () => {
  it('accepts a node whose totals hold the demand and that has the hard labels; soft labels do not bar it', () => {
    const n = entry('n', { cpus: 2 })
    n.info.labels = { zone: 'eu' }
    assert.equal(mayRun(n, cpu), true)
    assert.equal(mayRun(n, resources({ cpus: 4 })), false)
    assert.equal(mayRun(n, cpu, { match: { zone: 'eu' } }), true)
    assert.equal(mayRun(n, cpu, { match: { zone: 'us' } }), false)
    assert.equal(mayRun(n, cpu, { match: { zone: 'us' }, soft: true }), true)
  })
  it('orders a small view (sorted in place) and a large one (Array.prototype.sort) alike: load per CPU, then free CPUs, ties in view order', () => {
    for (const n of [3, 12, 16, 17, 40]) {
      // Loads repeat every 5 nodes and free CPUs every 3, so both keys and plain ties occur.
      const es = Array.from({ length: n }, (_, i) => entry(`n${String(i).padStart(2, '0')}`, { cpus: 4 }, { available: { cpus: i % 3 } }))
      const load = (p: string): number => Number(p.slice(1)) % 5
      const expected = [...es].sort((a, b) => load(a.info.peer) - load(b.info.peer) || b.info.resources.available.cpus - a.info.resources.available.cpus)
      assert.deepEqual(names(rankNodes(view(es), { demand: cpu, what: 't' }, load)), names(expected), `a view of ${n}`)
    }
  })
})
