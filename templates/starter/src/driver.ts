// The driver: plain Node. It starts an embedded fabric (or, with `fabric run --address <multiaddr>`,
// connects to a running one), loads the component `npm run build` made, and calls its tasks.
import { Fabric } from '__PACKAGE__'
import type { Module } from '../build/tasks.js'

const fabric = await Fabric.start()
try {
  const m = await fabric.load<Module>('build/tasks.wasm')
  // Refs as arguments: the squares go to `add` without passing through the driver.
  const sum = m.add.remote(m.square.remote(3), m.square.remote(4))
  console.log(`3² + 4² = ${await fabric.get(sum)}`)
  console.log(`fib(12) = ${await fabric.get(m.fib.remote(12))}`)
} finally {
  await fabric.stop()
}
