// The page: the fabric's nodes, task counts over time, tasks (filters, timeline, list), actors,
// objects and store use, jobs and their logs. Filters live in the URL's hash, so a view can be linked.
import { useEffect, useState } from 'preact/hooks'
import { Actors } from './actors.js'
import { apiUrl, usePoll, type FabricReply, type ListReply } from './api.js'
import { clock, short } from './format.js'
import { Jobs, Logs } from './jobs.js'
import { Nodes } from './nodes.js'
import { Objects } from './objects.js'
import { StateChart } from './state-chart.js'
import { Tasks, type TaskFilters } from './tasks.js'

function readHash (): TaskFilters {
  const q = new URLSearchParams(location.hash.slice(1))
  return { state: q.get('state') ?? '', job: q.get('job') ?? '', name: q.get('name') ?? '', node: q.get('node') ?? '' }
}

function writeHash (f: TaskFilters): void {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(f)) if (v !== '') q.set(k, v)
  const s = q.toString()
  history.replaceState(null, '', s === '' ? location.pathname : `#${s}`)
}

export function App () {
  const [filters, setFilters] = useState<TaskFilters>(readHash)
  const fabric = usePoll<FabricReply>(apiUrl('/api/fabric'), 10_000)
  const jobs = usePoll<ListReply>(apiUrl('/api/jobs'))
  const nodes = usePoll<ListReply>(apiUrl('/api/nodes'))
  useEffect(() => {
    const onHash = (): void => { setFilters(readHash()) }
    addEventListener('hashchange', onHash)
    return () => { removeEventListener('hashchange', onHash) }
  }, [])
  const update = (f: TaskFilters): void => {
    writeHash(f)
    setFilters(f)
  }
  const jobIds = jobs.data?.available === true ? jobs.data.rows.map(r => String(r.job)) : []
  const nodeIds = nodes.data?.available === true ? nodes.data.rows.filter(r => r.role === 'node').map(r => String(r.node)) : []
  const f = fabric.data
  return (
    <>
      <header class="top">
        <h1>Fabric <span class="muted">{f?.fabricName ?? ''}</span></h1>
        <span class="muted" title={f?.peerId}>asked node {short(f?.peerId, 12)}</span>
        <span class={fabric.error === undefined ? 'live' : 'live down'}>{fabric.error === undefined ? `live, updated ${clock(jobs.data?.at ?? f?.at)}` : 'server not answering'}</span>
      </header>
      <main>
        <Nodes self={f?.peerId} data={nodes.data} error={nodes.error} />
        <StateChart />
        <Tasks filters={filters} setFilters={update} jobs={jobIds} nodes={nodeIds} />
        <div class="two">
          <Jobs data={jobs.data} error={jobs.error} selected={filters.job} select={job => { update({ ...filters, job }) }} />
          <Logs job={filters.job} />
        </div>
        <div class="two">
          <Actors />
          <Objects nodes={nodes.data} />
        </div>
      </main>
    </>
  )
}
