// Memoised results across a fabric: this node's index shared with its peers (gossip of new entries,
// answers to lookups), and the results it lacks found on theirs: a gossiped hint first, else a
// lookup of every alive peer at once; the result is pulled by CID (verified) from a node that said
// it holds it. See net/memo-protocol.ts for the wire, memo.ts for the index.
import { createHash } from 'node:crypto'
import { MemoGossip, MemoLookups, INLINE_RESULT_BYTES, type FoundMemoEntry, type MemoHost, type NetNode } from '../net/index.js'
import { mayHoldRefs, parseCid } from '../objects/index.js'
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
  private readonly lookups: MemoLookups
  readonly counters = { lookups: 0, lookupFailures: 0, pullFailures: 0 }

  constructor (private readonly net: NetNode, private readonly index: MemoIndex, gossipMs = 250) {
    this.gossip = new MemoGossip(net, this, gossipMs)
    this.lookups = new MemoLookups(net)
  }

  start (): void {
    this.gossip.start()
  }

  stop (): void {
    this.gossip.stop()
    this.lookups.close()
  }

  held = async (names: string[], inlineBytes: number): Promise<FoundMemoEntry[]> => {
    const out: FoundMemoEntry[] = []
    let room = inlineBytes
    for (const name of names) {
      const e = this.index.get(name)
      if (e === undefined) continue
      const inline = e.size <= INLINE_RESULT_BYTES && e.size <= room
      if (inline) room -= e.size
      const bytes = inline ? await this.index.bytesOf(e) : undefined
      out.push(bytes === undefined ? [name, e.cid, e.size] : [name, e.cid, e.size, bytes])
    }
    return out
  }

  heard = (peer: string, names: string[]): void => {
    if (peer === this.net.peerId) return
    for (const name of names) this.index.hint(name, { peer })
  }

  recent = (): string[] => this.index.drainRecent().map(([name]) => name)

  /** Publish this node's new entries now (tests; the gossip does it every interval). */
  async flush (): Promise<void> {
    await this.gossip.flush()
  }

  async find (name: string): Promise<Uint8Array | undefined> {
    // The node gossip says holds it is asked first, alone.
    const hint = this.index.hintOf(name)
    if (hint !== undefined && this.alive(hint.peer)) {
      const bytes = await this.ask([hint.peer], name)
      if (bytes !== undefined) return bytes
      this.index.forgetHint(name, hint)
    }
    // Nodes that run work hold results; drivers never do.
    const peers = this.net.view.peers().filter(p => p.state === 'alive' && p.info.peer !== this.net.peerId && p.info.resources.total.cpus > 0 && p.info.peer !== hint?.peer).map(p => p.info.peer).slice(0, MAX_ASKED)
    return await this.ask(peers, name)
  }

  /** Ask `peers` at once; the result's bytes from the first that holds it (checked against its CID), or undefined. */
  private async ask (peers: string[], name: string): Promise<Uint8Array | undefined> {
    if (peers.length === 0) return undefined
    this.counters.lookups++
    // The first node that holds it answers for all: the others' answers are not waited for.
    let cid: string | undefined
    let bytes: Uint8Array | undefined
    const holders: string[] = []
    await new Promise<void>(resolve => {
      let left = peers.length
      for (const peer of peers) {
        this.lookups.lookup(peer, [name]).then(found => {
          const e = found[0]
          if (e !== undefined && (cid === undefined || e[1] === cid)) {
            cid ??= e[1]
            // A small result came with the answer: taken only if it hashes to its CID.
            if (bytes === undefined && e[3] !== undefined && matches(e[3], cid)) bytes = e[3]
            holders.push(peer)
            resolve()
          }
        }, () => { this.counters.lookupFailures++ }).finally(() => { if (--left === 0) resolve() })
      }
    })
    if (cid === undefined) return undefined
    const got = bytes ?? await this.pull(cid, holders)
    // A result holding refs names another node's objects, not content: never a memo's (a node that
    // says otherwise is wrong or hostile). The call runs here instead.
    return got === undefined || mayHoldRefs(got) ? undefined : got
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

/** Whether `bytes` are the object `cid` names (its SHA-256). */
function matches (bytes: Uint8Array, cid: string): boolean {
  return Buffer.compare(createHash('sha256').update(bytes).digest(), parseCid(cid).multihash.digest) === 0
}
