// The fabric's tasks: filters (state, job, name, node), the list, and a timeline with a lane per node.
import { apiUrl, usePoll, type ListReply, type Row } from './api.js'
import { clock, duration, num, short } from './format.js'
import { Badge, ListNotes, Panel } from './parts.js'
import { TASK_STATES } from '../state-history.js'
import { Timeline } from './timeline.js'

/** An error's first line, cut (the whole of it in the cell's title). */
function firstLine (v: unknown): string {
  const s = String(v ?? '').split(/\n| at /)[0]!
  return s.length > 160 ? `${s.slice(0, 157)}...` : s
}


export interface TaskFilters { state: string, job: string, name: string, node: string }

export function Tasks (props: { filters: TaskFilters, setFilters: (f: TaskFilters) => void, jobs: string[], nodes: string[] }) {
  const f = props.filters
  const { data, error } = usePoll<ListReply>(apiUrl('/api/tasks', { ...f, limit: 500 }))
  const rows: Row[] = data?.available === true ? data.rows : []
  const set = (k: keyof TaskFilters) => (e: Event) => { props.setFilters({ ...f, [k]: (e.currentTarget as HTMLInputElement).value.trim() }) }
  const shown = rows.slice(0, 200)
  return (
    <Panel id="tasks" title="Tasks" note={data?.available === true ? `${rows.length}${data.truncated ? '+' : ''} matching; live first, then the last finished` : undefined}>
      <form class="filters" onSubmit={e => { e.preventDefault() }}>
        <label>state <select id="filter-state" value={f.state} onChange={set('state')}>
          <option value="">any</option>
          {TASK_STATES.map(s => <option key={s} value={s}>{s}</option>)}
        </select></label>
        <label>job <input id="filter-job" list="jobs-known" value={f.job} onChange={set('job')} placeholder="any" size={24} /></label>
        <datalist id="jobs-known">{props.jobs.map(j => <option key={j} value={j} />)}</datalist>
        <label>name <input id="filter-name" value={f.name} onChange={set('name')} placeholder="any" size={12} /></label>
        <label>node <select id="filter-node" value={f.node} onChange={set('node')}>
          <option value="">any</option>
          {props.nodes.map(n => <option key={n} value={n}>{short(n, 12)}</option>)}
        </select></label>
        {(f.state !== '' || f.job !== '' || f.name !== '' || f.node !== '') && <button type="button" onClick={() => { props.setFilters({ state: '', job: '', name: '', node: '' }) }}>clear</button>}
      </form>
      <Timeline rows={rows} />
      <div class="scroll">
        <table>
          <thead><tr><th>task</th><th>name</th><th>kind</th><th>state</th><th>node</th><th>job</th><th>attempts</th><th>submitted</th><th>waited</th><th>ran</th><th>error / why waiting</th></tr></thead>
          <tbody>
            {shown.map(r => {
              const submitted = num(r.submittedAt)
              const started = num(r.startedAt)
              const ended = num(r.endedAt)
              return (
                <tr key={`${String(r.node)}/${String(r.id)}`} data-task={String(r.id)} data-node={String(r.node)} data-state={String(r.state)} data-job={String(r.job ?? '')} data-name={String(r.name)}>
                  <td class="mono" title={String(r.id)}>{short(r.id, 14)}</td>
                  <td>{String(r.name)}</td>
                  <td>{String(r.kind)}</td>
                  <td><Badge state={String(r.state)} /></td>
                  <td class="mono" title={String(r.node)}>{short(r.node)}</td>
                  <td class="mono" title={String(r.job ?? '')}>{short(r.job, 12)}</td>
                  <td>{String(r.attempts ?? '')}</td>
                  <td>{clock(submitted)}</td>
                  <td>{submitted === undefined ? '-' : duration((started ?? ended ?? Date.now()) - submitted)}</td>
                  <td>{started === undefined ? '-' : duration((ended ?? Date.now()) - started)}</td>
                  <td class="why" title={String(r.error ?? r.reason ?? '')}>{firstLine(r.error ?? r.reason)}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      {rows.length > shown.length && <p class="muted">showing the first {shown.length} of {rows.length} (filter to narrow)</p>}
      <ListNotes error={error} unavailable={data?.available === false ? data.reason : undefined} truncated={data?.available === true && data.truncated} unreachable={data?.available === true ? data.unreachable : undefined} empty={data !== undefined && rows.length === 0} what="tasks" />
    </Panel>
  )
}
