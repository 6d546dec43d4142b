// Vectorised calls of a task: `fabric:<mode>:<task>` runs the task over a list of items in one
// call, the loop inside the guest. The names, the guest SDKs that take them, and the one host check.
import { TaskError } from '../exec/errors.js'
import type { Manifest } from '../component/index.js'

/** How a vectorised call combines the task's results over its items. */
export const VECTORISED_MODES = ['map', 'filter', 'flatMap'] as const
export type VectorisedMode = typeof VECTORISED_MODES[number]

/** The prefix of every reserved call name: a guest's own tasks may not start with it. */
export const RESERVED_PREFIX = 'fabric:'

/** The guest SDKs whose components run vectorised calls (the manifest's `sdk`). */
export const VECTORISED_SDKS: readonly string[] = ['fabric-qjs/0.1.0']

/** The call name of task `task` run over a list in mode `mode`. */
export function vectorisedName (mode: VectorisedMode, task: string): string {
  return `${RESERVED_PREFIX}${mode}:${task}`
}

/**
 * The mode and task of a reserved call name; undefined for an ordinary task name.
 *
 * @throws TaskError (`unknown-task`) for a `fabric:` name that is not `fabric:<map|filter|flatMap>:<task>`
 */
export function parseVectorisedName (name: string): { mode: VectorisedMode, task: string } | undefined {
  if (!name.startsWith(RESERVED_PREFIX)) return undefined
  const rest = name.slice(RESERVED_PREFIX.length)
  const colon = rest.indexOf(':')
  const mode = rest.slice(0, colon) as VectorisedMode
  const task = rest.slice(colon + 1)
  if (colon < 0 || !VECTORISED_MODES.includes(mode) || task.length === 0) {
    throw new TaskError(`"${name}" is not a call this fabric knows: reserved names are fabric:<${VECTORISED_MODES.join('|')}>:<task> (a vectorised call of a task)`, { kind: 'unknown-task' })
  }
  return { mode, task }
}

/**
 * Check a call's name against the component's manifest: an ordinary task it lists, or a
 * vectorised call of a non-streaming task it lists, of an SDK that takes vectorised calls.
 * Returns the task's manifest entry (a vectorised call is never streaming).
 *
 * @throws TaskError (`unknown-task`) saying what was wrong and what to call instead
 */
export function checkCallName (name: string, manifest: Manifest, cid: string): { name: string, streaming: boolean } {
  const vector = parseVectorisedName(name)
  const taskName = vector?.task ?? name
  const task = manifest.tasks.find(t => t.name === taskName)
  if (task === undefined) {
    throw new TaskError(`component ${cid} has no task named "${taskName}" (it has: ${manifest.tasks.map(t => t.name).join(', ') || 'none'})`, { kind: 'unknown-task' })
  }
  if (vector === undefined) return task
  checkVectorisable(vector.mode, task, manifest.sdk, cid)
  return { name, streaming: false }
}

/**
 * Refuse a vectorised call of a streaming task, or of a component whose SDK does not run them.
 *
 * @throws TaskError (`unknown-task`)
 */
export function checkVectorisable (mode: VectorisedMode, task: { name: string, streaming: boolean }, sdk: string, cid: string): void {
  const why = vectorisedRefusal(mode, task, sdk, cid)
  if (why !== undefined) throw new TaskError(why, { kind: 'unknown-task' })
}

/** Why task `task` cannot be called vectorised (in mode `mode`), or undefined when it can. */
export function vectorisedRefusal (mode: VectorisedMode, task: { name: string, streaming: boolean }, sdk: string, cid: string): string | undefined {
  if (!VECTORISED_SDKS.includes(sdk)) {
    return `component ${cid} (${sdk}) takes vectorised calls (${mode} of task '${task.name}') only from TypeScript guests; call the task per item or use a TypeScript guest`
  }
  if (task.streaming) {
    return `task '${task.name}' is a generator (streaming): it cannot be called vectorised (${mode}); call it per item with .remote(), or make it a plain function`
  }
  return undefined
}
