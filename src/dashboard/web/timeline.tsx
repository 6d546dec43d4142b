// A timeline of tasks (SVG): a lane per node, a bar per task from its start (or submission) to its
// end (or now), coloured by state; a dashed line before the bar is the time it waited. Tasks that
// ran at the same time on a node (several CPUs) get rows of their own within its lane.
import type { Row } from './api.js'
import { duration, num, short, STATE_COLORS } from './format.js'

const ROW_H = 10
const LABEL_W = 130
const WIDTH = 1000
const MAX_ROWS_PER_LANE = 8

interface Bar { row: Row, from: number, start: number, end: number }

export function Timeline (props: { rows: Row[] }) {
  const now = Date.now()
  const bars: Bar[] = []
  for (const r of props.rows) {
    const from = num(r.submittedAt)
    if (from === undefined) continue
    const start = num(r.startedAt) ?? num(r.endedAt) ?? now
    bars.push({ row: r, from, start, end: Math.max(start, num(r.endedAt) ?? now) })
  }
  if (bars.length === 0) return <p class="muted timeline-empty">no tasks to draw</p>
  const t0 = Math.min(...bars.map(b => b.from))
  const t1 = Math.max(t0 + 1, ...bars.map(b => b.end))
  const x = (t: number): number => LABEL_W + ((t - t0) / (t1 - t0)) * (WIDTH - LABEL_W - 10)
  const lanes = new Map<string, Bar[][]>()
  // Rows within a lane are packed by the bars (the run); wait lines may overlap another row's.
  for (const b of [...bars].sort((a, b) => a.start - b.start)) {
    const node = String(b.row.node)
    const rows = lanes.get(node) ?? []
    lanes.set(node, rows)
    let row = rows.find(bs => bs.at(-1)!.end <= b.start)
    if (row === undefined && rows.length < MAX_ROWS_PER_LANE) rows.push(row = [])
    ;(row ?? rows.at(-1)!).push(b)
  }
  const laneList = [...lanes.entries()].sort(([a], [b]) => a.localeCompare(b))
  let y = 4
  const height = laneList.reduce((h, [, rows]) => h + rows.length * (ROW_H + 2) + 10, 26)
  return (
    <svg class="timeline" viewBox={`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label="task timeline by node">
      {laneList.map(([node, rows]) => {
        const top = y
        y += rows.length * (ROW_H + 2) + 10
        return (
          <g key={node} data-lane={node}>
            <rect x={0} y={top - 3} width={WIDTH} height={rows.length * (ROW_H + 2) + 6} class="lane" />
            <text x={4} y={top + ROW_H} class="lane-label"><title>{node}</title>{short(node, 14)}</text>
            {rows.flatMap((bs, i) => bs.map(b => {
              const by = top + i * (ROW_H + 2)
              const color = STATE_COLORS[String(b.row.state)] ?? '#888'
              return (
                <g key={`${String(b.row.id)}`}>
                  {b.start > b.from && <line x1={x(b.from)} x2={x(b.start)} y1={by + ROW_H / 2} y2={by + ROW_H / 2} stroke={color} stroke-width={1} stroke-dasharray="2 2" opacity={0.6} />}
                  <rect x={x(b.start)} y={by} width={Math.max(1.5, x(b.end) - x(b.start))} height={ROW_H} fill={color} rx={2}>
                    <title>{`${String(b.row.name)} ${String(b.row.id)}: ${String(b.row.state)}, waited ${duration(b.start - b.from)}, ran ${duration(b.end - b.start)}`}</title>
                  </rect>
                </g>
              )
            }))}
          </g>
        )
      })}
      <text x={LABEL_W} y={height - 6} class="axis">{new Date(t0).toLocaleTimeString([], { hour12: false })}</text>
      <text x={WIDTH - 10} y={height - 6} class="axis" text-anchor="end">{new Date(t1).toLocaleTimeString([], { hour12: false })} ({duration(t1 - t0)})</text>
    </svg>
  )
}
