// Where a node's durable actors' snapshots are copied (runtime/durable.ts SnapshotTransport): to
// other nodes of the fabric chosen by rendezvous hashing of the actor's key over the alive nodes
// that run work (the same ones while they live, so a page is sent to a replica once), over
// one `/fabric/snapshot/1` session per replica; a restore pulls the objects by CID.
import { createHash } from 'node:crypto'
import { SnapshotSessions, type NetNode } from '../net/index.js'
import type { SnapshotTransport } from './durable.js'

/**
 * @example
 * runtime.setSnapshotTransport(new FabricSnapshots(net))
 */
export class FabricSnapshots implements SnapshotTransport {
  private readonly sessions: SnapshotSessions

  constructor (private readonly net: NetNode) {
    this.sessions = new SnapshotSessions(net)
  }

  get self (): string {
    return this.net.peerId
  }

  replicasFor (key: string, count: number): string[] {
    const score = (peer: string): string => createHash('sha256').update(`${key}\0${peer}`).digest('hex')
    return this.net.view.peers()
      .filter(p => p.state === 'alive' && p.info.peer !== this.net.peerId && p.info.resources.total.cpus > 0)
      .map(p => ({ peer: p.info.peer, score: score(p.info.peer) }))
      .sort((a, b) => a.score < b.score ? -1 : 1)
      .slice(0, count)
      .map(p => p.peer)
  }

  async hold (peer: string, req: { key: string, owner?: string, manifest: Uint8Array, pages: Uint8Array[], full: boolean }): Promise<void> {
    await this.sessions.hold(peer, req)
  }

  async drop (peer: string, key: string): Promise<void> {
    await this.sessions.drop(peer, key)
  }

  async pull (cid: string, holders: string[]): Promise<Uint8Array> {
    return await this.net.pullObject(cid, this.usable(holders))
  }

  /** Holders the view takes for alive first (a snapshot's own node is often the one that died). */
  private usable (holders: string[]): string[] {
    const rank = (h: string): number => {
      const state = this.net.view.get(h)?.state
      return state === 'alive' ? 0 : state === undefined ? 1 : 2
    }
    return [...holders].sort((a, b) => rank(a) - rank(b))
  }

  async getMany (holder: string, cids: string[]): Promise<Array<Uint8Array | null>> {
    return await this.sessions.get(holder, cids)
  }

  /** Close the sessions with the replicas (the node stops). */
  close (): void {
    this.sessions.close()
  }
}
