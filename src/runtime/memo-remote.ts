// Memoised results across a fabric: this node's index shared with its peers (gossip of new entries,
// answers to lookups), and the results it lacks found on theirs: a gossiped hint first, else a
// lookup of every alive peer at once; the result is pulled by CID (verified) from a node that said
// it holds it. See net/memo-protocol.ts for the wire, memo.ts for the index.
import { lookupMemo, MemoGossip, type MemoHost, type NetNode, type WireMemoEntry } from '../net/index.js'
import type { MemoIndex } from './memo.js'
import type { MemoRemote } from './interface.js'

/** Peers asked at once when no hint names a holder. */
const MAX_ASKED = 64

/**
 * The {@link MemoRemote} and {@link MemoHost} of a node in a fabric.
 *
 * @example
 * const memo = new FabricMemo(net, runtime.memo)
 * runtime.setMemoRemote(memo); memo.start()
 */
export class FabricMemo implements MemoRemote, MemoHost {
  private readonly gossip: MemoGossip
  readonly counters = { lookups: 0, lookupFailures: 0, pullFailures: 0 }

  constructor (private readonly net: NetNode, private readonly index: MemoIndex, gossipMs = 250) {
    this.gossip = new MemoGossip(net, this, gossipMs)
  }

  start (): void {
    this.gossip.start()
  }

  stop (): void {
    this.gossip.stop()
  }

  held = (names: string[]): WireMemoEntry[] => {
    const out: WireMemoEntry[] = []
    for (const name of names) {
      const e = this.index.get(name)
      if (e !== undefined) out.push([name, e.cid, e.size])
    }
    return out
  }

  heard = (peer: string, entries: WireMemoEntry[]): void => {
    if (peer === this.net.peerId) return
    for (const [name, cid, size] of entries) this.index.hint(name, { cid, size, peer })
  }

  recent = (): WireMemoEntry[] => this.index.drainRecent().map(([name, e]) => [name, e.cid, e.size])

  /** Publish this node's new entries now (tests; the gossip does it every interval). */
  async flush (): Promise<void> {
    await this.gossip.flush()
  }

  async find (name: string): Promise<Uint8Array | undefined> {
    const hint = this.index.hintOf(name)
    if (hint !== undefined && this.alive(hint.peer)) {
      const bytes = await this.pull(hint.cid, [hint.peer])
      if (bytes !== undefined) return bytes
      this.index.forgetHint(name, hint)
    }
    const peers = this.net.view.peers().filter(p => p.state === 'alive' && p.info.peer !== this.net.peerId).map(p => p.info.peer).slice(0, MAX_ASKED)
    if (peers.length === 0) return undefined
    this.counters.lookups++
    const answers = await Promise.allSettled(peers.map(async peer => ({ peer, found: await lookupMemo(this.net, peer, [name]) })))
    const holders: string[] = []
    let cid: string | undefined
    for (const a of answers) {
      if (a.status === 'rejected') {
        this.counters.lookupFailures++
        continue
      }
      const e = a.value.found[0]
      if (e === undefined) continue
      // Two holders of different bytes for one call: the first answer's CID wins (both verified).
      cid ??= e[1]
      if (e[1] === cid) holders.push(a.value.peer)
    }
    if (cid === undefined) return undefined
    return await this.pull(cid, holders)
  }

  private alive (peer: string): boolean {
    return this.net.view.get(peer)?.state === 'alive'
  }

  /** Pull `cid` (verified against it by the object protocol); undefined when no holder gives it. */
  private async pull (cid: string, holders: string[]): Promise<Uint8Array | undefined> {
    try {
      return await this.net.pullObject(cid, holders)
    } catch {
      this.counters.pullFailures++
      return undefined
    }
  }
}
