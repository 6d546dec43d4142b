// The driver API's public surface.
export type { GuestModule, RemoteFunction, RemoteActorClass, ActorHandle, TaskOptions, ActorOptions, RemoteArgs, RemoteResult } from './interface.js'
