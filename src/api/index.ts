// The driver API's public surface.
export { Fabric, type FabricInit, type GetOptions, type WaitOptions, type UntypedModule } from './fabric.js'
export type { GuestModule, RemoteFunction, RemoteActorClass, ActorHandle, TaskOptions, ActorOptions, RemoteArgs, RemoteResult } from './interface.js'
export { ConnectedFabric, type ConnectInit } from './connected-fabric.js'
