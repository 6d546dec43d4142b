// A driver program for the e2e test of `fabric run --address`: connects to the running fabric
// (FABRIC_ADDRESS), runs a few tasks of the component given as its argument, prints the results.
import { Fabric, type ObjectRef, type UntypedModule } from '../../src/index.js'

const fabric = await Fabric.connect()
try {
  const m = await fabric.load<UntypedModule>(process.argv[2]!)
  const refs = [1, 2, 3].map(i => m.add!.remote(i, 10) as ObjectRef<number>)
  console.log(`results ${JSON.stringify(await fabric.get(refs))}`)
} finally {
  await fabric.stop()
}
