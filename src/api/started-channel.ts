// Tools that run a user's driver (`fabric run`'s task counts) learn of each fabric it starts on a
// diagnostics channel, rather than by wrapping Fabric.start: channels are process-wide by name, so
// it works whichever copy of the package the driver imported, and costs nothing unsubscribed.
import diagnostics from 'node:diagnostics_channel'
import type { EmbeddedFabric } from './embedded-fabric.js'
import type { ConnectedFabric } from './connected-fabric.js'

/** The channel's name: `diagnostics_channel.subscribe(FABRIC_STARTED_CHANNEL, (msg) => ...)`. */
export const FABRIC_STARTED_CHANNEL = 'wasm-fabric:fabric-started'

/** What the channel carries: a fabric this process has just started or connected. */
export type FabricStarted = { kind: 'embedded', fabric: EmbeddedFabric } | { kind: 'connected', fabric: ConnectedFabric }

const channel = diagnostics.channel(FABRIC_STARTED_CHANNEL)

/** Tell subscribers (if any) of a fabric just started. */
export function announceStarted (msg: FabricStarted): void {
  if (channel.hasSubscribers) channel.publish(msg)
}
