// The fabric's actors: class, name, namespace, state, node, restarts.
import { apiUrl, usePoll, type ListReply } from './api.js'
import { short } from './format.js'
import { Badge, ListNotes, Panel } from './parts.js'

export function Actors () {
  const { data, error } = usePoll<ListReply>(apiUrl('/api/actors', { limit: 200 }))
  const rows = data?.available === true ? data.rows : []
  return (
    <Panel id="actors" title="Actors" note={data?.available === true ? `${rows.length}${data.truncated ? '+' : ''}` : undefined}>
      {rows.length > 0 && (
        <table>
          <thead><tr><th>actor</th><th>class</th><th>name</th><th>namespace</th><th>state</th><th>node</th><th>restarts</th><th>detached</th><th>error</th></tr></thead>
          <tbody>
            {rows.map(r => (
              <tr key={`${String(r.node)}/${String(r.id)}`} data-actor={String(r.id)} data-node={String(r.node)} data-class={String(r.class)} data-state={String(r.state)}>
                <td class="mono" title={String(r.id)}>{short(r.id, 14)}</td>
                <td>{String(r.class)}</td>
                <td>{String(r.name ?? '')}</td>
                <td class="mono" title={String(r.namespace ?? '')}>{short(r.namespace, 8)}</td>
                <td><Badge state={String(r.state)} /></td>
                <td class="mono" title={String(r.node)}>{short(r.node)}</td>
                <td>{String(r.restarts)}</td>
                <td>{r.detached === true ? 'yes' : 'no'}</td>
                <td class="why">{String(r.error ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListNotes error={error} unavailable={data?.available === false ? data.reason : undefined} truncated={data?.available === true && data.truncated} empty={data !== undefined && rows.length === 0} what="actors" />
    </Panel>
  )
}
