// Who may reach a node: without a swarm key it listens on loopback only; opening it to a network
// takes a key (`--secret FILE`, made by `fabric keygen FILE`) or an explicit, warned-about
// `insecureOpen`. Any peer that can reach a node of an open, keyless fabric may join it and run work.
import { NetConfigError } from '../net/index.js'

/** Where a node listens when it is given no addresses: loopback, or every interface once it has a key (or is opened on purpose). */
export const LOOPBACK_LISTEN = ['/ip4/127.0.0.1/tcp/7400']
export const OPEN_LISTEN = ['/ip4/0.0.0.0/tcp/7400']

/** How to open a node, for errors and the start-up hint. */
export const HOW_TO_OPEN = 'give it a swarm key (--secret FILE; `fabric keygen FILE` makes one, and every node of the fabric needs the same file) or open it without one on purpose (--insecure-open)'

/** Whether a listen multiaddr is reachable from this machine only. */
export function isLoopback (addr: string): boolean {
  return /^\/ip4\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}(\/|$)/.test(addr) || /^\/ip6\/::1(\/|$)/.test(addr)
}

/**
 * The addresses a node listens on, by the rule above.
 *
 * @throws NetConfigError for a non-loopback address without a key or `insecureOpen`, naming both ways to open
 * @example
 * listenAddresses({})                              // ['/ip4/127.0.0.1/tcp/7400']
 * listenAddresses({ swarmKey })                    // ['/ip4/0.0.0.0/tcp/7400']
 * listenAddresses({ listen: ['/ip4/0.0.0.0/tcp/0'] }) // throws: say --secret or --insecure-open
 */
export function listenAddresses (init: { listen?: string[], swarmKey?: Uint8Array, insecureOpen?: boolean }): string[] {
  const open = init.swarmKey !== undefined || init.insecureOpen === true
  if (init.listen === undefined) return open ? OPEN_LISTEN : LOOPBACK_LISTEN
  if (!open) {
    const exposed = init.listen.filter(a => !isLoopback(a))
    if (exposed.length > 0) throw new NetConfigError(`listening on ${exposed.join(', ')} would let anyone who can reach it join this fabric and run work: ${HOW_TO_OPEN}`)
  }
  return init.listen
}
