// The driver API's public surface: the contract (FabricDriver), its entry point (Fabric) and its two faces.
export { Fabric, type FabricInit } from './fabric.js'
export { EmbeddedFabric, type EmbeddedInit } from './embedded-fabric.js'
export { ConnectedFabric, type ConnectInit } from './connected-fabric.js'
export { createNode, type CreateNodeInit, type FabricNode } from './create-node.js'
export type {
  FabricDriver, GuestModule, RemoteFunction, RemoteActorClass, ActorHandle, TaskOptions, ActorOptions, RemoteArgs, RemoteResult,
  GetOptions, GetActorOptions, WaitOptions, UntypedModule, ValuesOf, NodeSummary, VectorisedFunction, VectorisedFilter,
  PlacementGroup, PlacementGroupOptions, PlacementStrategy, BundleSpec, CollectiveGroup, CollectiveGroupOptions
} from './interface.js'
export { FABRIC_STARTED_CHANNEL, type FabricStarted } from './started-channel.js'
// The value codec drivers and libraries write objects with (what `put` stores and files of values hold).
export { encode, decode, CodecError } from '../objects/codec.js'
