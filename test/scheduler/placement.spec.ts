import assert from 'node:assert/strict'
import { bundleOffer, groupDemand, groupsOf, heldCpus, holdsGpus, isGroupKey, parseGroupKey, planBundles, withoutCpus, withoutGroupKeys, type PlacementStrategy } from '../../src/scheduler/placement.js'
import { resources, type NodeEntry } from '../../src/scheduler/index.js'

const G = 'pg0123456789abcdef01234567'

function node (peer: string, cpus: number, free = cpus, state: NodeEntry['state'] = 'alive'): NodeEntry {
  return { state, info: { peer, seq: 1, queue: 0, labels: {}, resources: { total: resources({ cpus }), available: resources({ cpus: free }) } } }
}

const plan = (nodes: NodeEntry[], bundles: number[], strategy: PlacementStrategy, fixed = new Map<number, string>()): ReturnType<typeof planBundles> =>
  planBundles(nodes, bundles.map(c => resources({ cpus: c })), strategy, bundles.map((_c, i) => i).filter(i => !fixed.has(i)), fixed)

const nodesOf = (p: ReturnType<typeof planBundles>): string[] => {
  assert.ok(p.ok, `planned: ${JSON.stringify(p)}`)
  return [...p.nodes.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n)
}

describe('placement: bundle names', () => {
  it('names a bundle\'s resources per bundle and per group, and parses them back', () => {
    const offer = bundleOffer(G, 2, resources({ cpus: 1, gpus: 1, custom: { ssd: 2 } }))
    assert.deepEqual(offer, {
      [`cpus_group_2_${G}`]: 1, [`cpus_group_${G}`]: 1,
      [`gpus_group_2_${G}`]: 1, [`gpus_group_${G}`]: 1,
      [`ssd_group_2_${G}`]: 2, [`ssd_group_${G}`]: 2
    })
    assert.deepEqual(parseGroupKey(`my_res_group_3_${G}`), { kind: 'my_res', group: G, index: 3 })
    assert.deepEqual(parseGroupKey(`cpus_group_${G}`), { kind: 'cpus', group: G })
    assert.equal(parseGroupKey('cpus'), undefined)
    assert.equal(isGroupKey('cpus_group_0_pgnothex'), false)
  })

  it('turns a demand into the bundle\'s names (one bundle, or any bundle of the group)', () => {
    const d = resources({ cpus: 1, gpus: 1 })
    assert.deepEqual(groupDemand(G, 0, d).custom, { [`cpus_group_0_${G}`]: 1, [`cpus_group_${G}`]: 1, [`gpus_group_0_${G}`]: 1, [`gpus_group_${G}`]: 1 })
    assert.deepEqual(groupDemand(G, -1, d).custom, { [`cpus_group_${G}`]: 1, [`gpus_group_${G}`]: 1 })
    assert.equal(groupDemand(G, 0, d).cpus, 0)
    assert.ok(holdsGpus(groupDemand(G, 0, d)))
    assert.ok(!holdsGpus(groupDemand(G, 0, resources({ cpus: 1 }))))
    assert.deepEqual(heldCpus(groupDemand(G, 0, d)).custom, { [`cpus_group_0_${G}`]: 1, [`cpus_group_${G}`]: 1 })
    assert.deepEqual(withoutCpus(groupDemand(G, 0, d)).custom, { [`gpus_group_0_${G}`]: 1, [`gpus_group_${G}`]: 1 })
    assert.deepEqual(groupsOf(groupDemand(G, 1, d)), [G])
    assert.deepEqual(withoutGroupKeys(resources({ cpus: 2, custom: { ssd: 1, ...bundleOffer(G, 0, d) } })).custom, { ssd: 1 })
  })
})

describe('placement: planning bundles by strategy', () => {
  const three = (): NodeEntry[] => [node('a', 4), node('b', 4), node('c', 4)]

  it('PACK fills one node before using another', () => {
    assert.deepEqual(nodesOf(plan(three(), [1, 1, 1], 'PACK')), ['a', 'a', 'a'])
    const spill = nodesOf(plan(three(), [3, 3], 'PACK'))
    assert.equal(new Set(spill).size, 2)
  })

  it('SPREAD uses a node per bundle while there are nodes, then shares', () => {
    assert.equal(new Set(nodesOf(plan(three(), [1, 1, 1], 'SPREAD'))).size, 3)
    assert.equal(new Set(nodesOf(plan(three(), [1, 1, 1, 1], 'SPREAD'))).size, 3)
  })

  it('STRICT_PACK puts all on one node or waits; says when no node could ever hold them', () => {
    assert.deepEqual(nodesOf(plan(three(), [2, 2], 'STRICT_PACK')), ['a', 'a'])
    const busy = plan([node('a', 4, 1), node('b', 4, 3)], [2, 2], 'STRICT_PACK')
    assert.ok(!busy.ok && !busy.never, JSON.stringify(busy))
    const never = plan(three(), [3, 3], 'STRICT_PACK')
    assert.ok(!never.ok && never.never && /one node with cpus: 6/.test(never.reason), JSON.stringify(never))
  })

  it('STRICT_SPREAD needs a node per bundle, apart from the group\'s placed bundles', () => {
    assert.equal(new Set(nodesOf(plan(three(), [1, 1, 1], 'STRICT_SPREAD'))).size, 3)
    const tooMany = plan(three(), [1, 1, 1, 1], 'STRICT_SPREAD')
    assert.ok(!tooMany.ok && tooMany.never && /needs 4 nodes/.test(tooMany.reason), JSON.stringify(tooMany))
    // Bundle 1 lost with its node: it goes to the node without one of the group's.
    const again = plan(three(), [1, 1, 1], 'STRICT_SPREAD', new Map([[0, 'a'], [2, 'c']]))
    assert.deepEqual(again.ok ? [...again.nodes] : again, [[1, 'b']])
  })

  it('skips suspected nodes and nodes offering no CPUs (drivers), and waits for free resources', () => {
    const p = plan([node('a', 4, 4, 'suspected'), node('driver', 0), node('b', 2, 2)], [1], 'PACK')
    assert.deepEqual(nodesOf(p), ['b'])
    const full = plan([node('a', 4, 0)], [1], 'PACK')
    assert.ok(!full.ok && !full.never, JSON.stringify(full))
    const none = plan([], [1], 'PACK')
    assert.ok(!none.ok && none.never, JSON.stringify(none))
  })

  it('says never when the bundles together exceed what the nodes have, even empty', () => {
    const full = plan([node('a', 2, 0)], [1, 1], 'PACK')
    assert.ok(!full.ok && !full.never, 'two bundles fit the node once it is free')
    const never = plan([node('a', 2, 2)], [1, 1, 1], 'PACK')
    assert.ok(!never.ok && never.never, JSON.stringify(never))
  })

  it('plans against free resources as it goes: two bundles do not both take the last CPU', () => {
    const p = plan([node('a', 4, 1), node('b', 4, 1)], [1, 1], 'PACK')
    assert.deepEqual(nodesOf(p).sort(), ['a', 'b'])
  })
})
