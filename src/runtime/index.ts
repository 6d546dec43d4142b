// The runtime's public surface: the embedded node and its errors.
export { LocalNode, resolveTaskOptions, resolveActorOptions, type StreamReader } from './local-node.js'
export * from './errors.js'
export type { NodeInit, NodeStats, ArgSpec, TaskSubmission, ResolvedTaskOptions, ResolvedActorOptions, NestedOffload, OffloadArg } from './interface.js'
export { FabricOffload } from './nested-offload.js'
export { RemoteTaskExecutor, RemoteRunner, type RemoteSubmitOptions, type RemoteResult } from './remote.js'
export { RemoteActor, RemoteActorHost, findNamedActor, type RemoteActorInit } from './remote-actor.js'
export { rankNodes, type PlacementRequest, type Scheduling } from './placement.js'
export { RemoteObjects, RemoteObject, type Held, type Lineage } from './remote-objects.js'
