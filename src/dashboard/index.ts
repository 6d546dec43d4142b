// The dashboard (`fabric join --dashboard-port`): a web page bundled at build time (Preact, uPlot)
// and read-only JSON endpoints over a node's state and logs APIs, with task counts sampled over time.
export type { DashboardInit, DashboardNode, DashboardServer, ListKind, LogLine, LogQuery, StateSample } from './interface.js'
export { startDashboard } from './start-dashboard.js'
export { startDashboardServer, DEFAULT_DASHBOARD_HOST } from './http-server.js'
export { loadWebAssets, bundleWeb, writeWebBundle, DashboardAssetsError, type WebAssets } from './web-assets.js'
export { DashboardQueryError, parseListQuery, parseLogQuery, LISTS, MAX_LIMIT, MAX_TAIL } from './query.js'
export { TASK_STATES } from './state-history.js'
