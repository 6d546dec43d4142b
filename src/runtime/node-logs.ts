// A node's guest log lines (the logs API behind `fabric logs` and a driver's printed lines): each
// line stamped with its node, job, task or actor and the function that wrote it; the last lines in
// memory for followers and quick tails, and, with a folder, every line on disk as JSON lines,
// rotated by size so a chatty or hostile guest costs the node a bounded amount of disk.
import fs from 'node:fs'
import path from 'node:path'
import type { LogFilterWire, WireLogLine } from '../net/index.js'

/** A guest's log line, as the node keeps and sends it (the logs protocol's line: see net/log-protocol.ts). */
export type LogLine = WireLogLine

/** Which lines: each field given must match (`of`: the job, task or actor id). */
export type LogFilter = LogFilterWire

/** How a node keeps its guests' log lines. */
export interface LogBookInit {
  /** The node's PeerId, stamped on every line. @default '' */
  node?: string
  /** Where lines are written (guest.log, then guest.log.1 ... as it rotates). @default memory only */
  dir?: string
  /** Rotate the file past this many bytes. @default 16 MiB */
  maxFileBytes?: number
  /** Rotated files kept besides the current one. @default 4 */
  maxFiles?: number
  /** Lines kept in memory. @default 10,000 */
  memoryLines?: number
}

/** A line longer than this is cut (and says so). */
export const MAX_LOG_MESSAGE_CHARS = 16 * 1024

const FILE = 'guest.log'

/**
 * The node's log book.
 *
 * @example
 * const book = new LogBook({ node: peerId, dir: '/var/lib/fabric/node/logs' })
 * const stop = book.follow({ job }, line => { print(line) })
 * book.append({ level: 'info', job, task, name: 'add', message: 'hi' })
 * book.query({ of: task }, 100)   // the last 100 lines of that task
 */
export class LogBook {
  private readonly ring: Array<LogLine | undefined>
  private next = 0
  private seq = 0
  private readonly followers = new Set<{ filter: LogFilter, on: (line: LogLine) => void }>()
  private fd: number | undefined
  private fileBytes = 0
  private readonly maxFileBytes: number
  private readonly maxFiles: number
  private failed = false
  /** Lines of an earlier run of the node are on disk (only the files have them). */
  private hadEarlierRun = false

  constructor (private readonly init: LogBookInit = {}) {
    this.ring = new Array<LogLine | undefined>(Math.max(1, init.memoryLines ?? 10_000))
    this.maxFileBytes = Math.max(4096, init.maxFileBytes ?? 16 * 2 ** 20)
    this.maxFiles = Math.max(0, init.maxFiles ?? 4)
    if (init.dir !== undefined) {
      fs.mkdirSync(init.dir, { recursive: true })
      const file = path.join(init.dir, FILE)
      this.fd = fs.openSync(file, 'a', 0o600)
      this.fileBytes = fs.fstatSync(this.fd).size
      this.hadEarlierRun = this.fileBytes > 0 || fs.existsSync(`${file}.1`)
    }
  }

  /** The PeerId stamped on the lines ('' on an embedded fabric). */
  get node (): string {
    return this.init.node ?? ''
  }

  /** Name the node its lines come from, once it is known (a node's PeerId comes after its runtime). */
  set node (peer: string) {
    this.init.node = peer
  }

  /** The number of the last line appended (0: none yet). */
  get lastSeq (): number {
    return this.seq
  }

  /** Keep a line (stamped with seq, time and node), tell its followers. */
  append (line: Omit<LogLine, 'seq' | 'time' | 'node'>): LogLine {
    const message = line.message.length > MAX_LOG_MESSAGE_CHARS ? `${line.message.slice(0, MAX_LOG_MESSAGE_CHARS)}... (${line.message.length - MAX_LOG_MESSAGE_CHARS} more chars cut)` : line.message
    const full: LogLine = { seq: ++this.seq, time: Date.now(), level: line.level, node: this.init.node ?? '', ...defined(line), message }
    this.ring[this.next] = full
    this.next = (this.next + 1) % this.ring.length
    this.write(full)
    for (const f of this.followers) {
      if (!matches(full, f.filter)) continue
      try {
        f.on(full)
      } catch { /* a follower's failure is its own */ }
    }
    return full
  }

  /** Tell `on` of every line matching `filter` from now on; returns the unsubscribe. */
  follow (filter: LogFilter, on: (line: LogLine) => void): () => void {
    const f = { filter, on }
    this.followers.add(f)
    return () => { this.followers.delete(f) }
  }

  /**
   * The last `tail` lines matching `filter`, oldest first: from the files when the node keeps
   * them (older than memory holds), else from memory. `truncated`: more matched than `tail`.
   */
  async query (filter: LogFilter, tail: number): Promise<{ lines: LogLine[], truncated: boolean }> {
    const fromMemory = this.memory(filter)
    // Memory has the newest lines; the files are needed only for lines it no longer (or never) had.
    if (this.init.dir === undefined || this.failed || fromMemory.length >= tail || (!this.wrapped() && !this.hadEarlierRun)) return cut(fromMemory, tail)
    const found: LogLine[] = []
    // Every line is on disk (written as appended): read the files alone, oldest first.
    for (let i = this.maxFiles; i >= 0; i--) {
      let text: string
      try {
        text = await fs.promises.readFile(path.join(this.init.dir, i === 0 ? FILE : `${FILE}.${i}`), 'utf8')
      } catch {
        continue
      }
      for (const raw of text.split('\n')) {
        if (raw === '') continue
        let line: LogLine
        try {
          line = JSON.parse(raw) as LogLine
        } catch {
          continue // a line cut by a crash mid-write
        }
        if (matches(line, filter)) found.push(line)
        if (found.length > 4 * tail) found.splice(0, found.length - tail)
      }
    }
    return cut(found, tail)
  }

  /** Whether memory has dropped lines of this run. */
  private wrapped (): boolean {
    return this.seq > this.ring.length
  }

  /** Close the file; followers are dropped. Idempotent. */
  close (): void {
    this.followers.clear()
    if (this.fd !== undefined) {
      try { fs.closeSync(this.fd) } catch { /* already closed */ }
      this.fd = undefined
    }
  }

  private memory (filter: LogFilter): LogLine[] {
    const out: LogLine[] = []
    for (let k = 0; k < this.ring.length; k++) {
      const line = this.ring[(this.next + k) % this.ring.length]
      if (line !== undefined && matches(line, filter)) out.push(line)
    }
    return out
  }

  private write (line: LogLine): void {
    if (this.fd === undefined || this.failed) return
    const bytes = Buffer.from(JSON.stringify(line) + '\n')
    try {
      if (this.fileBytes + bytes.byteLength > this.maxFileBytes && this.fileBytes > 0) this.rotate()
      fs.writeSync(this.fd, bytes)
      this.fileBytes += bytes.byteLength
    } catch (err) {
      // A full disk must not stop the node: lines stay in memory, and the operator is told once.
      this.failed = true
      process.stderr.write(`fabric: guest log lines are no longer written to ${this.init.dir!} (${(err as Error).message}); the last ${this.ring.length} stay in memory\n`)
    }
  }

  private rotate (): void {
    const dir = this.init.dir!
    fs.closeSync(this.fd!)
    this.fd = undefined
    if (this.maxFiles === 0) {
      fs.rmSync(path.join(dir, FILE), { force: true })
    } else {
      fs.rmSync(path.join(dir, `${FILE}.${this.maxFiles}`), { force: true })
      for (let i = this.maxFiles - 1; i >= 1; i--) {
        const from = path.join(dir, `${FILE}.${i}`)
        if (fs.existsSync(from)) fs.renameSync(from, path.join(dir, `${FILE}.${i + 1}`))
      }
      fs.renameSync(path.join(dir, FILE), path.join(dir, `${FILE}.1`))
    }
    this.fd = fs.openSync(path.join(dir, FILE), 'a', 0o600)
    this.fileBytes = 0
  }
}

/** Whether `line` passes `filter`. */
export function matches (line: LogLine, filter: LogFilter): boolean {
  if (filter.job !== undefined && line.job !== filter.job) return false
  if (filter.task !== undefined && line.task !== filter.task) return false
  if (filter.actor !== undefined && line.actor !== filter.actor) return false
  if (filter.of !== undefined && line.job !== filter.of && line.task !== filter.of && line.actor !== filter.of) return false
  return true
}

/** The prefix a driver prints before a guest's line, as Ray prints `(task pid=…)`. */
export function logPrefix (line: Pick<LogLine, 'name' | 'task' | 'actor' | 'node'>): string {
  const who = line.actor !== undefined ? `actor=${line.actor.slice(0, 12)}` : line.task !== undefined ? `task=${line.task}` : undefined
  const node = line.node === '' ? undefined : `node=${line.node.slice(-8)}`
  return `(${[line.name, who, node].filter(s => s !== undefined).join(' ')})`
}

/**
 * Print a guest's line as a driver does: its prefix, the level unless info, the message; warn and
 * error on stderr, the rest on stdout.
 */
export function printLine (line: Pick<LogLine, 'name' | 'task' | 'actor' | 'node' | 'level' | 'message'>): void {
  const text = `${logPrefix(line)} ${line.level === 'info' ? '' : `${line.level}: `}${line.message}\n`
  ;(line.level === 'warn' || line.level === 'error' ? process.stderr : process.stdout).write(text)
}

function cut (lines: LogLine[], tail: number): { lines: LogLine[], truncated: boolean } {
  return lines.length > tail ? { lines: lines.slice(lines.length - tail), truncated: true } : { lines, truncated: false }
}

function defined (line: Omit<LogLine, 'seq' | 'time' | 'node' | 'level' | 'message'>): Omit<LogLine, 'seq' | 'time' | 'node' | 'level' | 'message'> {
  return {
    ...(line.job === undefined ? {} : { job: line.job }),
    ...(line.task === undefined ? {} : { task: line.task }),
    ...(line.actor === undefined ? {} : { actor: line.actor }),
    name: line.name
  }
}
