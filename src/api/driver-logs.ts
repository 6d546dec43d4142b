// A connected driver's guest log lines: it follows its own job's lines on every node that offers
// CPUs (and on each that joins later), over `/fabric/logs/1`, and prints them prefixed with the
// function, task or actor and node that wrote them, as a Ray driver prints its workers' lines.
import { printLine, type LogLine } from '../runtime/index.js'
import type { NetNode } from '../net/index.js'

/** Where a driver's guest log lines go. */
export type DriverLogSink = (line: LogLine) => void

/** Lines a node already has when the driver starts following it (its job's, logged before the follow opened). */
const FOLLOW_TAIL = 1000

/** Prints a line: info and below to stdout, warn and error to stderr, each with its prefix. */
export const printLogLine: DriverLogSink = (line) => { printLine(line) }

/** Follows job `job`'s lines on the nodes in `net`'s view until stopped. */
export class DriverLogs {
  private readonly followed = new Map<string, AbortController>()
  private stopped = false

  constructor (private readonly net: NetNode, private readonly job: string, private readonly sink: DriverLogSink) {}

  start (): void {
    for (const p of this.net.view.peers()) this.follow(p.info.peer, p.info.resources.total.cpus)
    this.net.view.on('join', this.onJoin)
    this.net.view.on('alive', this.onJoin)
  }

  stop (): void {
    this.stopped = true
    this.net.view.off('join', this.onJoin)
    this.net.view.off('alive', this.onJoin)
    for (const c of this.followed.values()) c.abort()
    this.followed.clear()
  }

  private readonly onJoin = (e: { info: { peer: string, resources: { total: { cpus: number } } } }): void => {
    this.follow(e.info.peer, e.info.resources.total.cpus)
  }

  /** Follow `peer` unless already following it; a follow that ends (the node went) may start again when it is back. */
  private follow (peer: string, cpus: number): void {
    if (this.stopped || cpus <= 0 || this.followed.has(peer)) return
    const ctl = new AbortController()
    this.followed.set(peer, ctl)
    const seen = new Set<number>()
    void (async () => {
      const { LOGS_PROTOCOL, requestLogs } = await import('../net/index.js')
      await requestLogs(async s => await this.net.dialProtocol(peer, LOGS_PROTOCOL, { signal: s }), { filter: { job: this.job }, tail: FOLLOW_TAIL, follow: true, local: true }, f => {
        if (f.type === 'lines') {
          for (const line of f.lines) {
            // A node answers for itself; a line comes once even if it is both tail and new.
            if (line.node !== peer || seen.has(line.seq)) continue
            if (seen.size > 100_000) seen.clear()
            seen.add(line.seq)
            this.sink(line)
          }
        } else if (f.type === 'dropped') {
          this.sink({ seq: 0, time: Date.now(), level: 'warn', node: peer, name: 'fabric', message: `${f.count} log line(s) of this job were dropped by the node (this driver read them too slowly)` })
        }
      }, ctl.signal)
    })().catch(() => { /* the node went or does not speak the logs protocol: its lines are in `fabric logs` */ }).finally(() => {
      if (this.followed.get(peer) === ctl) this.followed.delete(peer)
    })
  }
}
