/// <reference path="./host-imports.d.ts" />
// Collectives for actors in a group their driver formed (`fabric.collectiveGroup(actors, { name })`):
// every member makes the same calls in the same order. The tensors' elements move between the
// members' hosts, never through guest memory.
//
//   const { rank, size } = collective.info('trainers')
//   const summed = collective.allReduce(grad, { group: 'trainers', op: 'mean' })
import * as col from 'fabric:core/collective@0.1.0'
import { Tensor } from './gpu.js'
import { fromTaskError } from './guest-error.js'

function host<T> (fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw fromTaskError(err)
  }
}

/** The group's name when none is given. */
export const DEFAULT_GROUP = 'default'

export const collective = {
  /** This actor's rank in the group (0 .. size - 1) and the group's size. */
  info (group = DEFAULT_GROUP): { rank: number, size: number } {
    const i = host(() => col.info(group))
    return { rank: i.rank, size: i.size }
  },

  /** Every member gets the combination of every member's `t` (one shape for all): sum, mean or max. */
  allReduce (t: Tensor, options: { group?: string, op?: 'sum' | 'mean' | 'max' } = {}): Tensor {
    return new Tensor(host(() => col.allReduce(options.group ?? DEFAULT_GROUP, t.handle, options.op ?? 'sum')))
  },

  /** Every member gets the root's tensor: the root passes it, the others pass undefined. */
  broadcast (t: Tensor | undefined, options: { root?: number, group?: string } = {}): Tensor {
    return new Tensor(host(() => col.broadcast(options.group ?? DEFAULT_GROUP, t?.handle, options.root ?? 0)))
  },

  /** Returns once every member has called it. */
  barrier (group = DEFAULT_GROUP): void {
    host(() => { col.barrier(group) })
  }
}
