// What the dashboard offers (`fabric join --dashboard-port`) and what it reads: a FabricNode's state
// and logs APIs. Nothing here reaches below api/.
import type { FabricNode } from '../api/create-node.js'

/** Options of {@link startDashboard}. */
export interface DashboardInit {
  /** The port to listen on (0: a free one; see `url`). */
  port: number
  /** The address to listen on; beyond loopback only when named here (`--dashboard-host`). @default '127.0.0.1' */
  host?: string
  /** How often the task counts by state are sampled for the chart. @default 2000 */
  sampleMs?: number
  /** How much of that history is kept (a ring of historyMs / sampleMs samples). @default 1_800_000 (30 min) */
  historyMs?: number
  /** Where the frontend bundle is cached when it is built from source. @default $FABRIC_CACHE or ~/.cache/fabric */
  cacheDir?: string
}

/** A running dashboard. */
export interface DashboardServer {
  /** `http://HOST:PORT/`: the page. */
  readonly url: string
  /** Stop sampling, close the server and its connections. Idempotent. */
  stop: () => Promise<void>
}

/** What the dashboard reads of a node: its state API and its logs API, each merged across the fabric. */
export type DashboardNode = Pick<FabricNode, 'peerId' | 'fabricName' | 'state' | 'logs'>

/** Which log lines a logs query asks for (FabricNode.logs' filter). */
export type LogQuery = Parameters<FabricNode['logs']>[0]

/** One log line as the node's logs API gives it. */
export type LogLine = Awaited<ReturnType<FabricNode['logs']>>['lines'][number]

/** A list the dashboard serves: every kind the state API lists. */
export type ListKind = Parameters<FabricNode['state']>[0]['what']

/** Task counts by state at one time (a sample of the history ring). */
export interface StateSample {
  /** ms since the epoch */
  t: number
  counts: Record<string, number>
}
