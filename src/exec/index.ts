// The execution area's public surface.
export { createExecPool } from './pool.js'
export { takeDigest } from './digests.js'
export * from './errors.js'
export type { ExecPool, ExecPoolInit, CallOptions, AheadOptions, CancelSignal, ActorRef, PoolStats, HostServices, HostContext, HostFailure, CollectiveCall } from './interface.js'
