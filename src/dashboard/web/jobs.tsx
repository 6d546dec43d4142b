// The fabric's jobs with their task counts; choosing one filters the tasks and shows its logs.
import { apiUrl, usePoll, type ListReply, type LogsReply } from './api.js'
import { clock, short } from './format.js'
import { ListNotes, Panel } from './parts.js'

export function Jobs (props: { data?: ListReply, error?: string, selected: string, select: (job: string) => void }) {
  const { data, error } = props
  const rows = data?.available === true ? data.rows : []
  return (
    <Panel id="jobs" title="Jobs" note={data?.available === true ? `${rows.length}; choose one to see its tasks and logs` : undefined}>
      {rows.length > 0 && (
        <table>
          <thead><tr><th>job</th><th>tasks</th><th>running</th><th>queued</th><th>finished</th><th>failed</th><th>cancelled</th><th>nodes</th></tr></thead>
          <tbody>
            {rows.map(r => {
              const job = String(r.job)
              return (
                <tr key={job} data-job={job} class={job === props.selected ? 'selected' : 'pick'} onClick={() => { props.select(job === props.selected ? '' : job) }}>
                  <td class="mono" title={job}>{job}</td>
                  <td>{String(r.tasks ?? 0)}</td>
                  <td>{String(r.running ?? 0)}</td>
                  <td>{Number(r.queued ?? 0) + Number(r['waiting-for-args'] ?? 0) + Number(r['waiting-for-resources'] ?? 0)}</td>
                  <td>{String(r.finished ?? 0)}</td>
                  <td>{String(r.failed ?? 0)}</td>
                  <td>{String(r.cancelled ?? 0)}</td>
                  <td class="mono" title={String(r.node ?? '')}>{String(r.node ?? '').split(',').map(n => short(n, 4)).join(' ')}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <ListNotes error={error} unavailable={data?.available === false ? data.reason : undefined} empty={data !== undefined && rows.length === 0} what="jobs" />
    </Panel>
  )
}

export function Logs (props: { job: string }) {
  const { data, error } = usePoll<LogsReply>(apiUrl('/api/logs', { job: props.job, tail: 200 }))
  const lines = data?.available === true ? data.lines : []
  return (
    <Panel id="logs" title={props.job === '' ? 'Logs (every job)' : `Logs of ${props.job}`} note={data?.available === true ? `last ${lines.length} lines` : undefined}>
      {lines.length > 0 && (
        <pre class="logs">
          {lines.map(l => (
            <div key={`${l.node}/${l.seq}`} class={`log ${l.level}`}>
              <span class="muted">{clock(l.time)}</span> <span class="mono">{short(l.node, 6)}</span> <span class="muted">{l.name}{l.task !== undefined ? ` ${short(l.task, 8)}` : ''}{l.actor !== undefined ? ` ${short(l.actor, 8)}` : ''}</span> {l.level !== 'info' && <b>{l.level} </b>}{l.message}
            </div>
          ))}
        </pre>
      )}
      {error !== undefined && <p class="error">{error}</p>}
      {data?.available === false && <p class="muted unavailable">not available: {data.reason}</p>}
      {data?.available === true && lines.length === 0 && <p class="muted">no log lines</p>}
    </Panel>
  )
}
