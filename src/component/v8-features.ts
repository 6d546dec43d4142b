// V8 flags the component area needs, set once when the area is first imported (flags are
// process-wide and must be set before the first compile or validate).
//
// QuickJS core modules use extended constant expressions (`i32.add` in globals), which V8 in
// Node 20 validates and compiles only behind this flag; Node 22+ ships it.
import v8 from 'node:v8'

if (Number(process.versions.node.split('.')[0]) < 22) {
  v8.setFlagsFromString('--experimental-wasm-extended-const')
}
