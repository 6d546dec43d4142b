// The JSON endpoints' query strings, checked in one place: each list takes filters on a few named
// fields and a limit; anything else is refused with a message that says what would do.
import { TASK_STATES } from './state-history.js'
import type { ListKind, LogQuery } from './interface.js'

/** Thrown when a query string names an unknown parameter or a bad value (answered with 400). */
export class DashboardQueryError extends Error {
  override name = 'DashboardQueryError'
  constructor (message = 'bad query') {
    super(message)
  }
}

/** Rows one request may ask for at most (the state API's own ceiling). */
export const MAX_LIMIT = 10_000
/** Log lines one request may ask for at most. */
export const MAX_TAIL = 1000
const MAX_VALUE = 256

/** The filters each list takes, and its default limit. */
export const LISTS: Record<ListKind, { filters: readonly string[], limit: number }> = {
  nodes: { filters: ['node', 'state', 'role'], limit: 1000 },
  tasks: { filters: ['state', 'job', 'name', 'node', 'kind', 'id'], limit: 200 },
  actors: { filters: ['state', 'class', 'name', 'namespace', 'node', 'id'], limit: 200 },
  jobs: { filters: ['job'], limit: 200 },
  objects: { filters: ['cid', 'ref', 'job', 'node', 'where', 'kind', 'spilled'], limit: 200 }
}

/** Values some filters must take. */
const ALLOWED: Record<string, readonly string[]> = {
  'tasks.state': TASK_STATES,
  'tasks.kind': ['task', 'actor-call'],
  'nodes.state': ['alive', 'suspected'],
  'actors.state': ['creating', 'alive', 'restarting', 'dead'],
  'objects.spilled': ['true', 'false'],
  'objects.where': ['inline', 'memory', 'disk'],
  'objects.kind': ['object', 'component']
}

function positiveInt (raw: string, name: string, max: number): number {
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new DashboardQueryError(`${name} must be an integer from 1 to ${max}, got '${raw}'`)
  return n
}

function once (params: URLSearchParams, known: readonly string[], where: string): void {
  const seen = new Set<string>()
  for (const key of params.keys()) {
    if (!known.includes(key)) throw new DashboardQueryError(`${where}: unknown parameter '${key}'; use ${known.join(', ')}`)
    if (seen.has(key)) throw new DashboardQueryError(`${where}: '${key}' given twice`)
    seen.add(key)
  }
  for (const [key, value] of params) {
    if (value.length > MAX_VALUE) throw new DashboardQueryError(`${where}: '${key}' is longer than ${MAX_VALUE} characters`)
  }
}

/** The filters and limit of `/api/<kind>?field=value&limit=N`; empty values are no filter. */
export function parseListQuery (kind: ListKind, params: URLSearchParams): { filters: Record<string, string>, limit: number } {
  const spec = LISTS[kind]
  once(params, [...spec.filters, 'limit'], `/api/${kind}`)
  const filters: Record<string, string> = {}
  let limit = spec.limit
  for (const [key, value] of params) {
    if (key === 'limit') {
      limit = positiveInt(value, `/api/${kind}: limit`, MAX_LIMIT)
      continue
    }
    if (value === '') continue
    const allowed = ALLOWED[`${kind}.${key}`]
    if (allowed !== undefined && !allowed.includes(value)) throw new DashboardQueryError(`/api/${kind}: ${key} '${value}' is not one of ${allowed.join(', ')}`)
    filters[key] = value
  }
  return { filters, limit }
}

/** The query of `/api/logs?job=&task=&actor=&tail=N`. */
export function parseLogQuery (params: URLSearchParams): { filter: LogQuery, tail: number } {
  once(params, ['job', 'task', 'actor', 'tail'], '/api/logs')
  const filter: LogQuery = {}
  let tail = 200
  for (const [key, value] of params) {
    if (key === 'tail') tail = positiveInt(value, '/api/logs: tail', MAX_TAIL)
    else if (value !== '') filter[key as 'job' | 'task' | 'actor'] = value
  }
  return { filter, tail }
}

/** A query without parameters (`/api/history`, `/api/fabric`). */
export function parseNoQuery (path: string, params: URLSearchParams): void {
  once(params, [], path)
}
