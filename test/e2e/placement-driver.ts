// A driver for the e2e placement test: reserves a group of one bundle per node holding all of its
// CPUs, prints `ready <group id>` once placed, then waits to be killed.
import { Fabric } from '../../src/index.js'

const fabric = await Fabric.connect()
// Every node in view first: the group takes all of their CPUs.
while (fabric.nodes().filter(n => n.state === 'alive').length < Number(process.env.NODES ?? 3)) await new Promise(resolve => setTimeout(resolve, 100))
const pg = fabric.placementGroup({ bundles: fabric.nodes().map(n => ({ cpus: n.cpus.total })), strategy: 'STRICT_SPREAD', name: 'doomed' })
await pg.ready({ timeoutMs: 30_000 })
console.log(`ready ${pg.id}`)
await new Promise(() => {})
