// A throwaway libp2p client for asking a node's status (`fabric status`): fresh identity, no
// listener, no gossip. Offers both encrypters so it can talk to a node configured with either.
import './polyfill.js'
import { noise } from '@libp2p/noise'
import './xsalsa20-memory.js'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { yamux } from '@libp2p/yamux'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { NetConfigError, PeerUnreachableError } from './errors.js'
import type { Stream } from '@libp2p/interface'
import type { StatusReply } from './interface.js'
import { requestStatus } from './status-protocol.js'
import { requestState, type StateReply, type StateRequest } from './state-protocol.js'
import type { RequestStatusOptions } from './status-protocol.js'

/** A client of `/fabric/status/1`. */
export interface StatusClient {
  status: (addr: string, options?: RequestStatusOptions) => Promise<StatusReply>
  /** Ask the node at `addr` for state rows (`/fabric/state/1`; the node asks its peers unless `local`). */
  list: (addr: string, req: Omit<StateRequest, 'type'>, options?: { timeoutMs?: number }) => Promise<StateReply>
  /** Open a stream of `protocol` to the node at `addr` (the logs and jobs clients use it). @throws PeerUnreachableError */
  dial: (addr: string, protocol: string, options?: { signal?: AbortSignal }) => Promise<Stream>
  /** Idempotent. */
  stop: () => Promise<void>
}

/**
 * @example
 * ```ts
 * const client = await createStatusClient({ swarmKey })
 * try { console.log(await client.status('/ip4/127.0.0.1/tcp/7400')) } finally { await client.stop() }
 * ```
 */
export async function createStatusClient (init: { swarmKey?: Uint8Array } = {}): Promise<StatusClient> {
  const libp2p = await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [tls(), noise()],
    streamMuxers: [yamux()],
    ...(init.swarmKey === undefined ? {} : { connectionProtector: preSharedKey({ psk: init.swarmKey }) }),
    // A one-shot client: no need to ping the node it asks.
    connectionMonitor: { enabled: false }
  })
  let stopped = false
  const parse = (addr: string): Multiaddr => {
    try {
      return multiaddr(addr)
    } catch (err) {
      throw new NetConfigError(`invalid multiaddr '${addr}': ${(err as Error).message}`, { cause: err })
    }
  }
  return {
    async status (addr, options) {
      return await requestStatus(libp2p, parse(addr), options)
    },
    async list (addr, req, options) {
      return await requestState(libp2p, parse(addr), { type: 'list', ...req }, { timeoutMs: options?.timeoutMs ?? 30_000 })
    },
    async dial (addr, protocol, options) {
      try {
        return await libp2p.dialProtocol(parse(addr), protocol, options)
      } catch (err) {
        if (err instanceof NetConfigError) throw err
        throw new PeerUnreachableError(`cannot open ${protocol} to ${addr}: ${(err as Error).message}`, { cause: err })
      }
    },
    async stop () {
      if (stopped) return
      stopped = true
      await libp2p.stop()
    }
  }
}
