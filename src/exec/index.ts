// The execution area's public surface.
export { createExecPool } from './pool.js'
export * from './errors.js'
export type { ExecPool, ExecPoolInit, CallOptions, ActorRef, PoolStats, HostServices, HostContext, HostFailure } from './interface.js'
