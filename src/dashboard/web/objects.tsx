// The fabric's objects and store use: per node the store's bytes in memory and on disk (from the
// nodes list), and the objects themselves: components and values, size, where they are (inline,
// memory, disk), the refs naming them, the nodes holding them, the jobs that may read them.
import { apiUrl, usePoll, type ListReply } from './api.js'
import { bytes, plural, short } from './format.js'
import { ListNotes, Panel } from './parts.js'

export function Objects (props: { nodes?: ListReply }) {
  const { data, error } = usePoll<ListReply>(apiUrl('/api/objects', { limit: 200 }))
  const rows = data?.available === true ? data.rows : []
  const stores = props.nodes?.available === true ? props.nodes.rows.filter(r => r.role === 'node') : []
  const total = (k: string): number => stores.reduce((n, r) => n + Number(r[k] ?? 0), 0)
  return (
    <Panel id="objects" title="Objects and store" note={`${plural(stores.reduce((n, r) => n + Number(r.objects ?? 0), 0), 'object')}; ${bytes(total('storeMemoryBytes'))} in memory, ${bytes(total('storeDiskBytes'))} spilled to disk`}>
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
        <div class="scroll">
          <table>
            <thead><tr><th>object</th><th>kind</th><th>size</th><th>where</th><th>refs</th><th>holders</th><th>jobs</th></tr></thead>
            <tbody>
              {rows.map(r => {
                const id = String(r.cid ?? r.ref)
                return (
                  <tr key={id} data-object={id} data-kind={String(r.kind ?? 'object')} data-where={String(r.where ?? '')}>
                    <td class="mono" title={`${r.cid === undefined ? '' : `cid ${String(r.cid)}\n`}${r.ref === undefined ? '' : `refs ${String(r.ref)}`}`}>{short(id, 14)}</td>
                    <td>{String(r.kind ?? 'object')}</td>
                    <td>{bytes(r.size)}</td>
                    <td>{String(r.where ?? '')}</td>
                    <td>{String(r.refs ?? '')}</td>
                    <td class="mono" title={String(r.holders ?? r.node)}>{String(r.holders ?? r.node).split(',').map(n => short(n, 6)).join(' ')}</td>
                    <td class="mono" title={String(r.job ?? '')}>{String(r.job ?? '').split(',').filter(j => j !== '').map(j => short(j, 8)).join(' ')}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
      <ListNotes error={error} unavailable={data?.available === false ? data.reason : undefined} truncated={data?.available === true && data.truncated} empty={data?.available === true && rows.length === 0} what="objects" />
    </Panel>
  )
}
