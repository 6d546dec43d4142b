// Which jobs may pull which of this node's objects (and components) by CID: a node serves an
// object to the peer it keeps it for, and to a peer presenting the key of a job it holds the
// object for (the nodes that job sent work to learn its key with the work). A grant is made when
// the object is kept for a job's task, pulled for one, or sent out by one of its guests; it goes
// when the object leaves the store (swept as the table grows).

/** Grants: CID → the job keys that may pull it. */
export class ObjectGrants {
  private readonly byCid = new Map<string, string | Set<string>>()
  private sweepAt = 1024

  /** @param held whether this node still holds `cid` (grants of objects gone are swept) */
  constructor (private readonly held: (cid: string) => boolean) {}

  get size (): number {
    return this.byCid.size
  }

  /** Let a peer presenting `job` pull `cid` (no-op without a job). */
  grant (cid: string, job: string | undefined): void {
    if (job === undefined) return
    const now = this.byCid.get(cid)
    if (now === undefined) {
      this.byCid.set(cid, job)
      if (this.byCid.size >= this.sweepAt) this.sweep()
    } else if (typeof now === 'string') {
      if (now !== job) this.byCid.set(cid, new Set([now, job]))
    } else {
      now.add(job)
    }
  }

  /** The keys of the jobs that may pull `cid`. */
  jobsOf (cid: string): string[] {
    const now = this.byCid.get(cid)
    return now === undefined ? [] : typeof now === 'string' ? [now] : [...now]
  }

  /** Whether a peer presenting `job` may pull `cid`. */
  allows (cid: string, job: string | undefined): boolean {
    if (job === undefined) return false
    const now = this.byCid.get(cid)
    return now === job || (typeof now === 'object' && now.has(job))
  }

  /** Drop every grant of `cid` (the object left this node). */
  drop (cid: string): void {
    this.byCid.delete(cid)
  }

  /** Drop the grants of objects this node no longer holds; the next sweep comes at twice what is left. */
  private sweep (): void {
    for (const cid of this.byCid.keys()) if (!this.held(cid)) this.byCid.delete(cid)
    this.sweepAt = Math.max(1024, this.byCid.size * 2)
  }
}
