// The fabric's objects and store use: per node the store's bytes in memory and on disk (from the
// nodes list), and the objects themselves (size, holders, spilled) where the state API lists them.
import { apiUrl, usePoll, type ListReply } from './api.js'
import { bytes, short } from './format.js'
import { ListNotes, Panel } from './parts.js'

export function Objects (props: { nodes?: ListReply }) {
  const { data, error } = usePoll<ListReply>(apiUrl('/api/objects', { limit: 200 }))
  const rows = data?.available === true ? data.rows : []
  const stores = props.nodes?.available === true ? props.nodes.rows.filter(r => r.role === 'node') : []
  const total = (k: string): number => stores.reduce((n, r) => n + Number(r[k] ?? 0), 0)
  return (
    <Panel id="objects" title="Objects and store" note={`${stores.reduce((n, r) => n + Number(r.objects ?? 0), 0)} objects; ${bytes(total('storeMemoryBytes'))} in memory, ${bytes(total('storeDiskBytes'))} spilled to disk`}>
      <div class="stores">
        {stores.map(r => {
          const mem = Number(r.storeMemoryBytes ?? 0)
          const disk = Number(r.storeDiskBytes ?? 0)
          return (
            <div class="store" key={String(r.node)} title={String(r.node)}>
              <span class="mono">{short(r.node, 12)}</span> {String(r.objects)} objects, {bytes(mem)} memory, {bytes(disk)} disk
            </div>
          )
        })}
      </div>
      {rows.length > 0 && (
        <table>
          <thead><tr><th>ref</th><th>cid</th><th>size</th><th>holders</th><th>spilled</th><th>job</th><th>node</th></tr></thead>
          <tbody>
            {rows.map(r => (
              <tr key={`${String(r.node)}/${String(r.ref ?? r.cid)}`} data-object={String(r.ref ?? r.cid)}>
                <td class="mono" title={String(r.ref ?? '')}>{short(r.ref, 14)}</td>
                <td class="mono" title={String(r.cid ?? '')}>{short(r.cid, 14)}</td>
                <td>{bytes(r.size)}</td>
                <td>{String(r.holders ?? '')}</td>
                <td>{r.spilled === true ? 'yes' : 'no'}</td>
                <td class="mono" title={String(r.job ?? '')}>{short(r.job, 12)}</td>
                <td class="mono" title={String(r.node)}>{short(r.node)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListNotes error={error} unavailable={data?.available === false ? data.reason : undefined} truncated={data?.available === true && data.truncated} empty={data?.available === true && rows.length === 0} what="objects" />
    </Panel>
  )
}
