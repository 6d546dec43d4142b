// Fabric's public entry (`import { ... } from 'wasm-fabric'`).
export { Fabric, EmbeddedFabric, ConnectedFabric, type ConnectInit, type FabricInit, type EmbeddedInit, type GetOptions, type GetActorOptions, type WaitOptions, type UntypedModule } from './api/index.js'
export { createNode, type CreateNodeInit, type FabricNode } from './api/index.js'
export { createLocalPolicy, defaultFabricPolicy, type LocalPolicy, type FabricPolicy, type LabelSelector } from './scheduler/index.js'
export type { FabricDriver, GuestModule, RemoteFunction, RemoteActorClass, ActorHandle, TaskOptions, ActorOptions, RemoteArgs, RemoteResult, ValuesOf, NodeSummary, VectorisedFunction, VectorisedFilter, PlacementGroup, PlacementGroupOptions, PlacementStrategy, BundleSpec, CollectiveGroup, CollectiveGroupOptions } from './api/index.js'
export { ObjectRef } from './objects/object-ref.js'
export { encode, decode, CodecError } from './objects/codec.js'
export { loadComponent, InvalidComponentError, type CompiledComponent, type Manifest } from './component/index.js'
export {
  createExecPool, TaskError, TaskTimeoutError, GuestTrapError, GuestOutOfMemoryError, WorkerCrashedError,
  ActorDiedError, PoolStoppedError, TaskCancelledError,
  type ExecPool, type ExecPoolInit, type CallOptions, type ActorRef, type HostServices
} from './exec/index.js'
export {
  GetTimeoutError, RetriesExhaustedError, DependencyFailedError, ObjectReleasedError, ForeignRefError,
  InfeasibleTaskError, ActorNotFoundError, FabricStoppedError, PlacementGroupRemovedError, CollectiveError
} from './runtime/index.js'
export { FabricError, PermissionDeniedError, QuotaExceededError, type SerializedError, type QuotaName } from './errors/index.js'
