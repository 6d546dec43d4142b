// startDashboard(node, init): the page's files (prebuilt or bundled from source, cached), then the
// server; what `fabric join --dashboard-port` calls.
import type { DashboardInit, DashboardNode, DashboardServer } from './interface.js'
import { startDashboardServer } from './http-server.js'
import { loadWebAssets } from './web-assets.js'

const INIT_NAMES: readonly string[] = ['port', 'host', 'sampleMs', 'historyMs', 'cacheDir'] satisfies ReadonlyArray<keyof DashboardInit>

/**
 * Serve the dashboard of `node` (a FabricNode) on `http://HOST:PORT/`.
 *
 * @example
 * const node = await createNode({ dataDir })
 * const dashboard = await startDashboard(node, { port: 8265 })
 * console.log(dashboard.url) // http://127.0.0.1:8265/
 * await dashboard.stop()
 * await node.stop()
 *
 * @throws DashboardAssetsError when the page is neither prebuilt nor buildable; TypeError for an
 *   unknown option; RangeError for a bad port; the listen error (EADDRINUSE, EADDRNOTAVAIL) when it cannot be bound
 */
export async function startDashboard (node: DashboardNode, init: DashboardInit): Promise<DashboardServer> {
  const unknown = Object.keys(init).filter(k => !INIT_NAMES.includes(k))
  if (unknown.length > 0) throw new TypeError(`startDashboard: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${INIT_NAMES.join(', ')})`)
  if (!Number.isInteger(init.port) || init.port < 0 || init.port > 65535) throw new RangeError(`dashboard port must be an integer 0-65535, got ${String(init.port)}`)
  const assets = await loadWebAssets(init.cacheDir)
  return await startDashboardServer(node, assets, init)
}
