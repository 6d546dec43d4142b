// Task counts by state over time (uPlot), from the server's sampled history: a page opened now shows
// the last half hour at once.
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import { apiUrl, usePoll, type HistoryReply } from './api.js'
import { STATE_COLORS } from './format.js'
import { Panel } from './parts.js'

export function StateChart () {
  const { data, error } = usePoll<HistoryReply>(apiUrl('/api/history'))
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const states = data?.states.join(',')

  useEffect(() => {
    if (box.current === null || data === undefined) return
    const el = box.current
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 220,
      scales: { x: { time: true } },
      axes: [{}, { label: 'tasks', size: 60 }],
      series: [{}, ...data.states.map(s => ({ label: s, stroke: STATE_COLORS[s] ?? '#888', width: 2, points: { show: false } }))]
    }
    plot.current = new uPlot(opts, [[], ...data.states.map(() => [])], el)
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, el.clientWidth), height: 220 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.current?.destroy()
      plot.current = null
    }
  }, [states])

  useEffect(() => {
    if (data === undefined || plot.current === null) return
    const xs = data.samples.map(s => s.t / 1000)
    plot.current.setData([xs, ...data.states.map(st => data.samples.map(s => s.counts[st] ?? 0))])
  }, [data])

  const last = data?.samples.at(-1)
  return (
    <Panel id="task-states" title="Tasks by state over time" note={data === undefined ? undefined : `sampled every ${data.sampleMs / 1000} s, last ${Math.round(data.historyMs / 60_000)} min kept; now: ${last === undefined ? '-' : data.states.filter(s => (last.counts[s] ?? 0) > 0).map(s => `${s} ${last.counts[s]}`).join(', ') || 'none'}`}>
      <div ref={box} class="chart" />
      {error !== undefined && <p class="error">{error}</p>}
    </Panel>
  )
}
