// The fabric's nodes: liveness, resources in use, work and store, as the asked node's view has them.
import type { ListReply } from './api.js'
import { bytes, short } from './format.js'
import { Badge, ListNotes, Panel } from './parts.js'

export function Nodes (props: { self?: string, data?: ListReply, error?: string }) {
  const { data, error } = props
  const rows = data?.available === true ? data.rows : []
  const nodes = rows.filter(r => r.role === 'node')
  const clients = rows.length - nodes.length
  return (
    <Panel id="nodes" title="Nodes" note={`${nodes.length} node${nodes.length === 1 ? '' : 's'}${clients > 0 ? `, ${clients} driver${clients === 1 ? '' : 's'}` : ''}`}>
      <table>
        <thead><tr><th>node</th><th>state</th><th>CPUs in use</th><th>GPUs</th><th>memory</th><th>running</th><th>queue</th><th>actors</th><th>objects</th><th>store (memory / disk)</th><th>labels</th><th>heard</th></tr></thead>
        <tbody>
          {nodes.map(r => {
            const cpus = Number(r.cpus)
            const used = Math.max(0, cpus - Number(r.cpusFree))
            return (
              <tr key={String(r.node)} data-node={String(r.node)} data-state={String(r.state)}>
                <td class="mono" title={String(r.node)}>{short(r.node, 12)}{r.node === props.self && <span class="tag">this node</span>}</td>
                <td><Badge state={String(r.state)} /></td>
                <td><meter min={0} max={cpus} value={used} /> {used}/{cpus}</td>
                <td>{String(r.gpus)}</td>
                <td>{bytes(Number(r.memoryMb) * 2 ** 20)}</td>
                <td>{String(r.running)}</td>
                <td>{String(r.queue)}</td>
                <td>{String(r.actors)}</td>
                <td>{String(r.objects)}</td>
                <td>{bytes(r.storeMemoryBytes)} / {bytes(r.storeDiskBytes)}</td>
                <td class="mono">{String(r.labels ?? '')}</td>
                <td>{Number(r.heardMsAgo) < 1000 ? 'now' : `${(Number(r.heardMsAgo) / 1000).toFixed(0)} s ago`}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <ListNotes error={error} unavailable={data?.available === false ? data.reason : undefined} empty={data !== undefined && nodes.length === 0} what="nodes" />
    </Panel>
  )
}
