// The scheduler's public surface: every placement decision, behind the two policies of interface.ts.
export type { FabricPolicy, LocalPolicy, LabelSelector, NodeEntry, NodeLoad, PlacementRequest, Scheduling, SpillbackDecision } from './interface.js'
export { defaultFabricPolicy, rankNodes, hasRoom, mayRun, labelsMatch, LOCALITY_MAX_LOAD_PER_CPU } from './fabric-policy.js'
export { createLocalPolicy, SPILL_QUEUE_PER_CPU, type LocalPolicyInit } from './local-policy.js'
export { TaskQueue, shapeKey, type Queueable } from './task-queue.js'
export { InfeasibleTaskError } from './errors.js'
export { adjust, atLeastZero, fits, resources, shortfall, validateRequest, NO_RESOURCES, type Resources } from './resources.js'
export { planBundles, checkBundles, groupDemand, bundleOffer, holdsGpus, heldCpus, groupsOf, isGroupKey, parseGroupKey, withoutGroupKeys, withoutCpus, sumOf, GROUP_ID_RE, PLACEMENT_STRATEGIES, type PlacementStrategy, type BundlePlan } from './placement.js'
