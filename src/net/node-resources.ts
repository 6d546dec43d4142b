import { resources, type Resources } from '../scheduler/resources.js'
import type { NodeResources } from './interface.js'

/**
 * What a node reports when its capacity does not change: `total` free, nothing queued, an empty
 * store (a driver offers `{}`, no resources at all).
 *
 * @example
 * createNetNode({ dataDir, resources: () => fixedResources({ cpus: 2 }) })
 */
export function fixedResources (total: Partial<Resources> = {}, extra: Partial<NodeResources> = {}): NodeResources {
  const t = resources(total)
  return { resources: { total: t, available: resources(t) }, queue: 0, labels: {}, store: { memoryBytes: 0, diskBytes: 0 }, ...extra }
}
