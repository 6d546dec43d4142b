// The dashboard's reads of a node: state lists (through FabricNode.state, merged across the fabric)
// and logs, each answering "not available" where the node lacks that part of the API (an older node
// without objects in its state API or without a logs API) instead of failing the page.
import type { DashboardNode, ListKind, LogLine, LogQuery } from './interface.js'

type Reply = Awaited<ReturnType<DashboardNode['state']>>

/** A list as the page gets it. */
export type ListResult =
  | { available: true, rows: Reply['rows'], truncated: boolean, unreachable?: string[] }
  | { available: false, reason: string }

/** Logs as the page gets them. */
export type LogsResult =
  | { available: true, lines: LogLine[], truncated: boolean, unreachable?: string[] }
  | { available: false, reason: string }

/** Rows of `what` that match `filters`, at most `limit`. */
export async function readList (node: DashboardNode, what: ListKind, filters: Record<string, string>, limit: number): Promise<ListResult> {
  // `objects` is newer than some nodes' state API: asked through the same call, typed loosely here
  // only, and a refusal of the kind itself is "not available", not an error.
  const state = node.state as (req: { what: string, filters?: Record<string, string>, limit?: number }) => Promise<Reply>
  try {
    const reply = await state.call(node, { what, ...(Object.keys(filters).length === 0 ? {} : { filters }), limit })
    // A node whose state API predates objects answers that kind in-process with other rows: every
    // object row has its ref or cid.
    if (what === 'objects' && reply.rows.some(r => r.ref === undefined && r.cid === undefined)) return { available: false, reason: 'this node\'s state API does not list objects' }
    return { available: true, rows: reply.rows, truncated: reply.truncated, ...(reply.unreachable === undefined ? {} : { unreachable: reply.unreachable }) }
  } catch (err) {
    const message = (err as Error).message
    if (what === 'objects' && /what must be one of/.test(message)) return { available: false, reason: `this node's state API does not list objects (${message})` }
    throw err
  }
}

/** Log lines matching `query`, when the node has a logs API. */
export async function readLogs (node: DashboardNode, query: LogQuery, tail: number): Promise<LogsResult> {
  if (typeof node.logs !== 'function') return { available: false, reason: 'this node has no logs API' }
  const reply = await node.logs(query, { tail })
  return { available: true, lines: reply.lines, truncated: reply.truncated, ...(reply.unreachable === undefined ? {} : { unreachable: reply.unreachable }) }
}
