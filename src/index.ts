// Fabric's public entry (`import { ... } from 'fabric'`).
export type { GuestModule, RemoteFunction, RemoteActorClass, ActorHandle, TaskOptions, ActorOptions, RemoteArgs, RemoteResult } from './api/index.js'
export { ObjectRef } from './objects/object-ref.js'
