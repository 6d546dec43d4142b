// Progress on the terminal for long CLI work (`fabric build` of several files, `fabric bench`,
// `fabric submit`, `fabric run`'s task counts): bars that cli-progress formats and times, and one
// status line, kept below other output. Drawn only on a terminal; everywhere else a no-op.
import { MultiBar, Presets, type Options, type SingleBar } from 'cli-progress'

/** The part of a stream progress uses: a TTY's `isTTY` and `columns`, and `write`. */
export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write: (chunk: string) => boolean
}

/** Whether `value` turns a switch on (set, and not '' / '0' / 'false'). */
function on (value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}

/**
 * Whether progress draws on `stream`: a terminal (not TERM=dumb), and none of `CI`,
 * `FABRIC_NO_PROGRESS` (set and not '0' / 'false') or `NO_COLOR` (set at all) in `env`.
 */
export function progressEnabled (stream: ProgressStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb' && !on(env.CI) && !on(env.FABRIC_NO_PROGRESS) && env.NO_COLOR === undefined
}

/** One bar. Every method is a no-op when progress does not draw. */
export interface Progress {
  /** Whether this bar draws (a terminal, progress not turned off). */
  readonly active: boolean
  /** Set the count done; `detail` (shown after the bar) replaces the last one when given. */
  update: (value: number, detail?: string) => void
  /** Add `by` (default 1) to the count done. */
  increment: (by?: number, detail?: string) => void
  /** Change what the bar counts to (work found on the way). */
  setTotal: (total: number) => void
  /** Take the bar off the terminal (for {@link progressBar}'s: end the display). Idempotent. */
  stop: () => void
}

/** Options of a bar. */
export interface BarInit {
  /** What the bar counts to. */
  total: number
  /** Words before the bar, e.g. 'build'. @default '' */
  label?: string
  /** What is counted, after the numbers, e.g. 'files'. @default '' */
  unit?: string
  /** How the count and total print (e.g. bytes as MiB). @default String */
  formatValue?: (n: number) => string
}

/** Options of a display: where its switches are read. */
export interface DisplayInit {
  /** Read for CI / NO_COLOR / FABRIC_NO_PROGRESS. @default process.env */
  env?: NodeJS.ProcessEnv
}

/** Several bars at once (concurrent uploads, say), drawn together. */
export interface ProgressBars {
  readonly active: boolean
  /** A new bar below the others; its `stop()` takes just it away. */
  add: (init: BarInit) => Progress
  /** Take every bar off the terminal. Idempotent. */
  stop: () => void
}

/** A line of text redrawn from `render` until stopped. */
export interface StatusLine {
  readonly active: boolean
  /** Take the line off the terminal. Idempotent. */
  stop: () => void
}

type Write = (...args: unknown[]) => boolean
interface Writable { write: Write }

/** Whether a chunk given to `write` ends a line (so the display can go back below it). */
function endsLine (chunk: unknown): boolean {
  if (typeof chunk === 'string') return chunk.endsWith('\n')
  if (chunk instanceof Uint8Array) return chunk.length > 0 && chunk[chunk.length - 1] === 10
  return true
}

/** The one display drawing now: a second one in the same process stays idle instead of fighting it. */
let drawing: TerminalLines | undefined

/**
 * Lines at the bottom of a terminal. While they show, writes to the stream (and to stdout and
 * stderr where they are terminals too) first erase them and draw them again below what was
 * written, so output from anywhere in the process passes above them.
 */
class TerminalLines {
  private lines: string[] = []
  private drawn = 0
  /** Written text that has not ended its line: drawing waits for it. */
  private partial = false
  private stopped = false
  private readonly write: (s: string) => void
  private readonly hooks: Array<() => void> = []
  private readonly onExit = (): void => { this.stop() }

  constructor (private readonly stream: ProgressStream) {
    const original = (stream as unknown as Writable).write
    this.write = (s) => { original.call(stream, s) }
    const streams = new Set<ProgressStream>([stream])
    if (process.stdout.isTTY) streams.add(process.stdout as unknown as ProgressStream)
    if (process.stderr.isTTY) streams.add(process.stderr as unknown as ProgressStream)
    for (const s of streams) this.hook(s as unknown as Writable)
    process.on('exit', this.onExit)
    drawing = this
  }

  private hook (s: Writable): void {
    const own = Object.prototype.hasOwnProperty.call(s, 'write')
    const original = s.write
    const lines = this
    const wrapped: Write = function (this: unknown, ...args) {
      lines.erase()
      const r = original.apply(this, args)
      lines.partial = !endsLine(args[0])
      lines.draw()
      return r
    }
    s.write = wrapped
    this.hooks.push(() => {
      if (s.write !== wrapped) return
      if (own) s.write = original
      else delete (s as Partial<Writable>).write
    })
  }

  /** Show `lines` in place of what shows now. */
  show (lines: string[]): void {
    if (this.stopped) return
    const same = lines.length === this.lines.length && lines.every((l, i) => l === this.lines[i])
    this.lines = lines
    if (same && this.drawn > 0) return
    this.erase()
    this.draw()
  }

  private erase (): void {
    if (this.drawn === 0) return
    this.write(`\r${this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : ''}\x1b[J`)
    this.drawn = 0
  }

  private draw (): void {
    if (this.stopped || this.partial || this.drawn > 0 || this.lines.length === 0) return
    // Cut to the width: a line that wraps would take two rows and erase would miss one.
    const columns = this.stream.columns ?? 0
    const width = (columns > 10 ? columns : 80) - 1
    this.write(this.lines.map(l => l.length > width ? l.slice(0, width) : l).join('\n'))
    this.drawn = this.lines.length
  }

  stop (): void {
    if (this.stopped) return
    this.erase()
    this.stopped = true
    for (const unhook of this.hooks) unhook()
    process.off('exit', this.onExit)
    if (drawing === this) drawing = undefined
  }
}

/**
 * A stand-in for cli-progress's terminal: the bars render into it (cli-progress keeps their
 * values, times and format), and what they rendered goes to {@link TerminalLines}.
 */
class CapturedTerminal {
  rendered: string[] = []
  constructor (private readonly stream: ProgressStream) {}
  isTTY (): boolean { return true }
  getWidth (): number { return (this.stream.columns ?? 0) > 10 ? this.stream.columns! - 1 : 79 }
  write (s: string): void { this.rendered.push(s) }
  cursorRelativeReset (): void { this.rendered = [] }
  cursorSave (): void {}
  cursorRestore (): void {}
  cursor (): void {}
  cursorTo (): void {}
  cursorRelative (): void {}
  clearRight (): void {}
  clearLine (): void {}
  clearBottom (): void {}
  newline (): void {}
  lineWrapping (): void {}
}

const IDLE_BAR: Progress = { active: false, update () {}, increment () {}, setTotal () {}, stop () {} }

/** Braces would read as cli-progress tokens. */
const literal = (s: string): string => s.replace(/[{}]/g, '')

class Bars implements ProgressBars {
  private readonly lines: TerminalLines
  private readonly multi: MultiBar
  private stopped = false

  constructor (stream: ProgressStream) {
    this.lines = new TerminalLines(stream)
    const terminal = new CapturedTerminal(stream)
    // forceRedraw: every bar renders every frame, so the captured lines are always all of them.
    const options: Options & { terminal: CapturedTerminal } = { terminal, forceRedraw: true, fps: 5, barsize: 24, hideCursor: null, linewrap: null, clearOnComplete: true }
    this.multi = new MultiBar(options, Presets.shades_classic)
    this.multi.on('redraw-post', () => { this.lines.show(terminal.rendered) })
  }

  readonly active = true

  add (init: BarInit): Progress {
    if (this.stopped) return IDLE_BAR
    const unit = init.unit === undefined || init.unit === '' ? '' : ` ${literal(init.unit)}`
    const label = init.label === undefined || init.label === '' ? '' : `${literal(init.label)} `
    const format = `${label}{bar} {value}/{total}${unit} | {duration_formatted}{detail}`
    const fmt = init.formatValue
    const formatValue = fmt === undefined ? undefined : (v: number, _o: Options, type: string): string => type === 'value' || type === 'total' ? fmt(v) : String(v)
    const bar: SingleBar = this.multi.create(init.total, 0, { detail: '' }, { format, ...(formatValue === undefined ? {} : { formatValue }) })
    // Drawn at once, not a frame later: short work shows too.
    this.multi.update()
    const payload = (detail?: string): Record<string, string> => detail === undefined ? {} : { detail: detail === '' ? '' : ` | ${detail}` }
    let removed = false
    // A new detail (the next file) shows at once; counts alone at the next frame.
    const now = (detail?: string): void => { if (detail !== undefined && !removed && !this.stopped) this.multi.update() }
    return {
      active: true,
      update: (value, detail) => { bar.update(value, payload(detail)); now(detail) },
      increment: (by = 1, detail) => { bar.increment(by, payload(detail)); now(detail) },
      setTotal: (total) => { bar.setTotal(total) },
      stop: () => {
        if (removed || this.stopped) return
        removed = true
        this.multi.remove(bar)
      }
    }
  }

  stop (): void {
    if (this.stopped) return
    this.stopped = true
    this.multi.stop()
    this.lines.stop()
  }
}

const IDLE_BARS: ProgressBars = { active: false, add: () => IDLE_BAR, stop () {} }

/**
 * Several bars drawn together on `stream` (for work done concurrently); idle (every call a
 * no-op) unless {@link progressEnabled}, or while another display of this process draws.
 * Call `stop()` when done (in a `finally`): until then the bars' timer keeps the process alive.
 *
 * @example
 * const bars = progressBars(process.stderr)
 * const a = bars.add({ total: 3, label: 'upload a.wasm', unit: 'MiB' })
 * a.increment()
 * bars.stop()
 */
export function progressBars (stream: ProgressStream, init: DisplayInit = {}): ProgressBars {
  if (!progressEnabled(stream, init.env) || drawing !== undefined) return IDLE_BARS
  return new Bars(stream)
}

/**
 * One bar on `stream`: `label [████░░░░] 2/5 files | 00:12 | detail`. Idle unless
 * {@link progressEnabled}; `stop()` takes it off the terminal (print a summary after, if any),
 * and must be called: until then the bar's timer keeps the process alive.
 *
 * @example
 * const bar = progressBar(process.stderr, { total: files.length, label: 'build', unit: 'files' })
 * for (const f of files) { bar.update(done, f); await build(f); bar.increment() }
 * bar.stop()
 */
export function progressBar (stream: ProgressStream, init: BarInit & DisplayInit): Progress {
  const bars = progressBars(stream, init)
  const bar = bars.add(init)
  return { active: bar.active, update: bar.update, increment: bar.increment, setTotal: bar.setTotal, stop: () => { bars.stop() } }
}

const IDLE_LINE: StatusLine = { active: false, stop () {} }

/**
 * A status line on `stream`, `render()` drawn again every `intervalMs` (no line while it returns
 * undefined). Its timer does not keep the process alive; the line is erased at exit, if not stopped
 * before. Idle unless {@link progressEnabled}.
 */
export function statusLine (stream: ProgressStream, render: () => string | undefined, init: DisplayInit & {
  /** How often the line is drawn again. @default 250 */
  intervalMs?: number
} = {}): StatusLine {
  if (!progressEnabled(stream, init.env) || drawing !== undefined) return IDLE_LINE
  const lines = new TerminalLines(stream)
  const tick = (): void => {
    let text: string | undefined
    try {
      text = render()
    } catch {
      text = undefined
    }
    lines.show(text === undefined ? [] : [text])
  }
  tick()
  const timer = setInterval(tick, init.intervalMs ?? 250)
  timer.unref()
  let stopped = false
  return {
    active: true,
    stop () {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      lines.stop()
    }
  }
}

/** A job's tasks by state (NodeStats.tasks, or the sum of `fabric list jobs` rows). */
export interface TaskCounts {
  running: number
  queued: number
  /** Waiting for their arguments. */
  waiting?: number
  finished: number
  failed: number
  /** Of `failed`, those cancelled. */
  cancelled?: number
}

/** `tasks: 3 running, 12 queued, 40 finished, 1 failed` (waiting and cancelled when there are some). */
export function formatTaskCounts (c: TaskCounts): string {
  const parts = [`${c.running} running`, `${c.queued} queued`]
  if ((c.waiting ?? 0) > 0) parts.push(`${c.waiting ?? 0} waiting`)
  parts.push(`${c.finished} finished`, `${c.failed} failed`)
  if ((c.cancelled ?? 0) > 0) parts.push(`${c.cancelled ?? 0} cancelled`)
  return `tasks: ${parts.join(', ')}`
}
