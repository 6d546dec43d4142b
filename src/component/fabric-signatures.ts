// GENERATED from wit/fabric.wit by test/component/gen-fabric-signatures.ts: do not edit. After a WIT
// change run `npx tsx test/component/gen-fabric-signatures.ts` (fabric-signatures.spec.ts fails until then).
//
// Every item of every fabric:core interface with its type as validate.ts renders it: what a guest
// may import (a subset of each interface, each item exactly so) and must export (guest, exactly).
// Each item lists the shape of the current WIT first, then earlier shapes this host still runs
// (task-info without memo; actor-class without streaming).

/** Interface (unversioned) → item → rendered types accepted (the current one first). */
export const FABRIC_SIGNATURES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  types: {
    'task-error': ['type = record { kind: string, message: string, retryable: bool }'],
    'task-info': [
      'type = record { name: string, streaming: bool, memo: bool }',
      'type = record { name: string, streaming: bool }'
    ],
    'actor-class': [
      'type = record { name: string, methods: list<string>, streaming: list<string> }',
      'type = record { name: string, methods: list<string> }'
    ],
    manifest: [
      'type = record { sdk: string, tasks: list<record { name: string, streaming: bool, memo: bool }>, actors: list<record { name: string, methods: list<string>, streaming: list<string> }> }',
      'type = record { sdk: string, tasks: list<record { name: string, streaming: bool }>, actors: list<record { name: string, methods: list<string>, streaming: list<string> }> }',
      'type = record { sdk: string, tasks: list<record { name: string, streaming: bool }>, actors: list<record { name: string, methods: list<string> }> }'
    ]
  },
  gpu: {
    tensor: ['resource'],
    dtype: ['type = enum { f32 }'],
    'task-error': ['type = record { kind: string, message: string, retryable: bool }'],
    '[static]tensor.from-bytes': ['func(shape: list<u32>, dtype: enum { f32 }, data: list<u8>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    '[static]tensor.from-object': ['func(id: string, shape: option<list<u32>>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    '[method]tensor.shape': ['func(self: borrow<tensor>) -> list<u32>'],
    '[method]tensor.dtype': ['func(self: borrow<tensor>) -> enum { f32 }'],
    '[method]tensor.read': ['func(self: borrow<tensor>) -> result<list<u8>, record { kind: string, message: string, retryable: bool }>'],
    backend: ['func() -> string'],
    matmul: ['func(a: borrow<tensor>, b: borrow<tensor>, transpose-a: bool, transpose-b: bool) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    linear: ['func(x: borrow<tensor>, w: borrow<tensor>, b: option<borrow<tensor>>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    add: ['func(a: borrow<tensor>, b: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    sub: ['func(a: borrow<tensor>, b: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    mul: ['func(a: borrow<tensor>, b: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    div: ['func(a: borrow<tensor>, b: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    scale: ['func(a: borrow<tensor>, factor: f32) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    relu: ['func(a: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    gelu: ['func(a: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    exp: ['func(a: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    softmax: ['func(a: borrow<tensor>, axis: s32) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    sum: ['func(a: borrow<tensor>, axis: option<s32>, keep-dims: bool) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    mean: ['func(a: borrow<tensor>, axis: option<s32>, keep-dims: bool) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    transpose: ['func(a: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    reshape: ['func(a: borrow<tensor>, shape: list<s32>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    conv2d: ['func(input: borrow<tensor>, weight: borrow<tensor>, bias: option<borrow<tensor>>, stride: u32, padding: u32) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    log: ['func(a: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    sqrt: ['func(a: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    tanh: ['func(a: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    'log-softmax': ['func(a: borrow<tensor>, axis: s32) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    expand: ['func(a: borrow<tensor>, shape: list<u32>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    dropout: ['func(a: borrow<tensor>, p: f32, seed: u32) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    'relu-grad': ['func(x: borrow<tensor>, grad: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    'gelu-grad': ['func(x: borrow<tensor>, grad: borrow<tensor>) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    'softmax-grad': ['func(y: borrow<tensor>, grad: borrow<tensor>, axis: s32, log: bool) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    'conv2d-grad-input': ['func(grad: borrow<tensor>, weight: borrow<tensor>, input-shape: list<u32>, stride: u32, padding: u32) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    'conv2d-grad-weight': ['func(input: borrow<tensor>, grad: borrow<tensor>, weight-shape: list<u32>, stride: u32, padding: u32) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>']
  },
  collective: {
    'group-info': ['type = record { rank: u32, size: u32 }'],
    'task-error': ['type = record { kind: string, message: string, retryable: bool }'],
    tensor: ['resource'],
    'reduce-op': ['type = enum { sum, mean, max }'],
    info: ['func(group: string) -> result<record { rank: u32, size: u32 }, record { kind: string, message: string, retryable: bool }>'],
    'all-reduce': ['func(group: string, t: borrow<tensor>, op: enum { sum, mean, max }) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    broadcast: ['func(group: string, t: option<borrow<tensor>>, root: u32) -> result<own<tensor>, record { kind: string, message: string, retryable: bool }>'],
    barrier: ['func(group: string) -> result<_, record { kind: string, message: string, retryable: bool }>']
  },
  log: {
    level: ['type = enum { trace, debug, info, warn, error }'],
    log: ['func(level: enum { trace, debug, info, warn, error }, message: string)']
  },
  objects: {
    'task-error': ['type = record { kind: string, message: string, retryable: bool }'],
    get: ['func(id: string) -> result<list<u8>, record { kind: string, message: string, retryable: bool }>'],
    put: ['func(data: list<u8>) -> result<string, record { kind: string, message: string, retryable: bool }>']
  },
  tasks: {
    'task-error': ['type = record { kind: string, message: string, retryable: bool }'],
    submit: ['func(component: string, name: string, args: list<u8>, options: list<u8>) -> result<string, record { kind: string, message: string, retryable: bool }>'],
    get: ['func(id: string, timeout-ms: option<u32>) -> result<list<u8>, record { kind: string, message: string, retryable: bool }>'],
    wait: ['func(ids: list<string>, num-returns: u32, timeout-ms: option<u32>) -> result<list<string>, record { kind: string, message: string, retryable: bool }>']
  },
  guest: {
    'task-error': ['type = record { kind: string, message: string, retryable: bool }'],
    manifest: [
      'type = record { sdk: string, tasks: list<record { name: string, streaming: bool, memo: bool }>, actors: list<record { name: string, methods: list<string>, streaming: list<string> }> }',
      'type = record { sdk: string, tasks: list<record { name: string, streaming: bool }>, actors: list<record { name: string, methods: list<string>, streaming: list<string> }> }',
      'type = record { sdk: string, tasks: list<record { name: string, streaming: bool }>, actors: list<record { name: string, methods: list<string> }> }'
    ],
    actor: ['resource'],
    '[static]actor.create': ['func(class: string, args: list<u8>) -> result<own<actor>, record { kind: string, message: string, retryable: bool }>'],
    '[method]actor.invoke': ['func(self: borrow<actor>, method: string, args: list<u8>) -> result<list<u8>, record { kind: string, message: string, retryable: bool }>'],
    describe: [
      'func() -> record { sdk: string, tasks: list<record { name: string, streaming: bool, memo: bool }>, actors: list<record { name: string, methods: list<string>, streaming: list<string> }> }',
      'func() -> record { sdk: string, tasks: list<record { name: string, streaming: bool }>, actors: list<record { name: string, methods: list<string>, streaming: list<string> }> }',
      'func() -> record { sdk: string, tasks: list<record { name: string, streaming: bool }>, actors: list<record { name: string, methods: list<string> }> }'
    ],
    call: ['func(name: string, args: list<u8>) -> result<list<u8>, record { kind: string, message: string, retryable: bool }>']
  }
}
