// Collective groups as both driver faces form them: the handles checked, each member's node and
// actor id found, the group joined on every member's node, and destroyed there again.
import { MAX_GROUP_MEMBERS, newGroupId, type GroupSpec } from '../runtime/index.js'
import type { CollectiveGroup, CollectiveGroupOptions } from './interface.js'

/** The default time a member waits for another's data. */
export const DEFAULT_COLLECTIVE_TIMEOUT_MS = 300_000

/** How a face reaches its members' nodes. */
export interface GroupNodes {
  /** The member's node and its actor id there, from a handle's actorId (throws for an unknown handle). */
  locate: (actorId: string) => { peer: string, actor: string }
  join: (peer: string, spec: GroupSpec) => Promise<void>
  leave: (peer: string, id: string) => Promise<void>
}

/**
 * Form a group of `actors` (rank = place in the list) on their nodes.
 *
 * @throws TypeError naming what is wrong with the arguments; the nodes' refusals
 */
export async function formGroup (actors: ReadonlyArray<{ actorId: string }>, options: CollectiveGroupOptions, nodes: GroupNodes): Promise<CollectiveGroup> {
  const what = 'collectiveGroup'
  if (!Array.isArray(actors) || actors.length === 0 || actors.length > MAX_GROUP_MEMBERS) throw new TypeError(`${what}: give 1-${MAX_GROUP_MEMBERS} actor handles`)
  if (typeof options !== 'object' || options === null) throw new TypeError(`${what}: options must be an object like { name: 'trainers' }`)
  const unknown = Object.keys(options).filter(k => k !== 'name' && k !== 'timeoutMs')
  if (unknown.length > 0) throw new TypeError(`${what}: unknown option ${unknown.join(', ')} (known: name, timeoutMs)`)
  const name = options.name ?? 'default'
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) throw new TypeError(`${what}: name must be a string of 1-128 characters`)
  const timeoutMs = options.timeoutMs ?? DEFAULT_COLLECTIVE_TIMEOUT_MS
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 86_400_000) throw new TypeError(`${what}: timeoutMs must be an integer from 1 to 86,400,000`)
  const ids = actors.map((a, i) => {
    const id = (a as { actorId?: unknown } | null)?.actorId
    if (typeof id !== 'string') throw new TypeError(`${what}: actors[${i}] is not an actor handle`)
    return id
  })
  if (new Set(ids).size !== ids.length) throw new TypeError(`${what}: an actor may be in a group once`)
  const members = ids.map((id, rank) => ({ rank, ...nodes.locate(id) }))
  const spec: GroupSpec = { id: newGroupId(), name, members, timeoutMs }
  const peers = [...new Set(members.map(m => m.peer))]
  const joined = await Promise.allSettled(peers.map(async p => { await nodes.join(p, spec) }))
  const failed = joined.find(r => r.status === 'rejected')
  if (failed !== undefined) {
    // All or none: the nodes that joined leave again.
    await Promise.all(peers.filter((_p, i) => joined[i]!.status === 'fulfilled').map(async p => { await nodes.leave(p, spec.id).catch(() => {}) }))
    throw (failed as PromiseRejectedResult).reason
  }
  let destroyed = false
  return {
    id: spec.id,
    name,
    size: members.length,
    destroy: async () => {
      if (destroyed) return
      destroyed = true
      await Promise.all(peers.map(async p => { await nodes.leave(p, spec.id).catch(() => {}) }))
    }
  }
}
