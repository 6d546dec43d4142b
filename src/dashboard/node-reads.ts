// The dashboard's reads of a node: state lists and log lines, merged across the fabric by the node
// (FabricNode.state and .logs), as the page gets them. A list the node refuses as a kind (a node of
// a version without it) is "not available" on the page instead of an error.
import type { DashboardNode, ListKind, LogLine, LogQuery } from './interface.js'

type Reply = Awaited<ReturnType<DashboardNode['state']>>

/** A list as the page gets it. */
export type ListResult =
  | { available: true, rows: Reply['rows'], truncated: boolean, unreachable?: string[] }
  | { available: false, reason: string }

/** Log lines as the page gets them. */
export interface LogsResult { available: true, lines: LogLine[], truncated: boolean, unreachable?: string[] }

/** Rows of `what` that match `filters`, at most `limit`. */
export async function readList (node: DashboardNode, what: ListKind, filters: Record<string, string>, limit: number): Promise<ListResult> {
  try {
    const reply = await node.state({ what, ...(Object.keys(filters).length === 0 ? {} : { filters }), limit })
    return { available: true, rows: reply.rows, truncated: reply.truncated, ...(reply.unreachable === undefined ? {} : { unreachable: reply.unreachable }) }
  } catch (err) {
    const message = (err as Error).message
    if (/what must be one of/.test(message)) return { available: false, reason: `the node does not list ${what} (${message})` }
    throw err
  }
}

/** The last `tail` log lines matching `query`, oldest first. */
export async function readLogs (node: DashboardNode, query: LogQuery, tail: number): Promise<LogsResult> {
  const reply = await node.logs(query, { tail })
  return { available: true, lines: reply.lines, truncated: reply.truncated, ...(reply.unreachable === undefined ? {} : { unreachable: reply.unreachable }) }
}
