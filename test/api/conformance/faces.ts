// The two faces the driver conformance suite runs against: an embedded fabric in this process and
// a driver connected to three `fabric join` processes (started once for the whole suite). Each
// face says how many objects its fabric keeps, so release on garbage collection can be checked.
import { Fabric, type FabricDriver } from '../../../src/index.js'
import type { NetNode } from '../../../src/net/index.js'
import { Cluster } from '../../e2e/cluster.js'
import { tempDir } from '../../helpers/fixtures.js'

/** One face under test: how to start and stop it, and what its fabric keeps. */
export interface Face {
  name: string
  start: () => Promise<FabricDriver>
  stop: () => Promise<void>
  /** Refs the driver holds now. */
  heldRefs: (fabric: FabricDriver) => number
  /** Objects the fabric's stores hold now (gossiped for a connected face: up to a heartbeat late). */
  storedObjects: (fabric: FabricDriver) => number
  /** Objects the driver has pulled from nodes so far (none embedded: there is nothing to pull from). */
  driverPulls: () => number
}

export function embeddedFace (): Face {
  let cache: ReturnType<typeof tempDir> | undefined
  let fabric: Fabric | undefined
  return {
    name: 'embedded (Fabric.start, 2 workers)',
    start: async () => {
      cache = tempDir()
      fabric = await Fabric.start({ address: 'local', workers: 2, cacheDir: cache.dir, log: () => {} })
      return fabric
    },
    stop: async () => {
      await fabric?.stop()
      cache?.remove()
    },
    driverPulls: () => 0,
    heldRefs: f => (f as Fabric).embedded!.stats().refs,
    storedObjects: f => (f as Fabric).embedded!.stats().store.objects
  }
}

export function connectedFace (): Face {
  const cluster = new Cluster()
  let fabric: Fabric | undefined
  let pulls = 0
  return {
    name: 'connected (Fabric.start() with FABRIC_ADDRESS set, 3 fabric join processes)',
    start: async () => {
      const [first] = await cluster.start(3)
      // As `fabric run --address` does: the same Fabric.start() call connects.
      const before = process.env.FABRIC_ADDRESS
      process.env.FABRIC_ADDRESS = first!.addr
      try {
        fabric = await Fabric.start()
      } finally {
        if (before === undefined) delete process.env.FABRIC_ADDRESS
        else process.env.FABRIC_ADDRESS = before
      }
      if (fabric.kind !== 'connected') throw new Error(`Fabric.start() with FABRIC_ADDRESS set gave a ${fabric.kind} fabric`)
      // Count what the driver pulls from nodes: refs passed on must not come through it.
      const net = (fabric.connected as unknown as { net: NetNode }).net
      const pull = net.pullObject.bind(net)
      net.pullObject = async (...args) => { pulls++; return await pull(...args) }
      const deadline = Date.now() + 30_000
      while (fabric.nodes().filter(n => n.state === 'alive').length < 3) {
        if (Date.now() > deadline) throw new Error(`the driver did not see 3 nodes in 30 s: ${JSON.stringify(fabric.nodes())}`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      return fabric
    },
    stop: async () => {
      await fabric?.stop()
      await cluster.stop()
    },
    driverPulls: () => pulls,
    heldRefs: f => (f as Fabric).connected!.heldRefs(),
    storedObjects: f => {
      // The nodes' own count, as they last gossiped it.
      const net = ((f as Fabric).connected as unknown as { net: NetNode }).net
      return net.view.peers().reduce((n, p) => n + (p.info.work?.objects ?? 0), 0)
    }
  }
}
