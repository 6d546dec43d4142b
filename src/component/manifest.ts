// The one check of a component's manifest, wherever it comes from: a guest's `describe` (an
// untrusted sandbox) or a peer's describe reply. Each caller says how a failure is reported.
import type { Manifest } from './interface.js'

/** Most tasks, classes, or methods of one class a manifest may list. */
export const MAX_MANIFEST_ENTRIES = 4096
/** Longest name (task, class, method) a manifest may hold. */
export const MAX_MANIFEST_NAME_CHARS = 256

/** Reports a bad field: `path` names it (`manifest.actors[0].streaming`), `what` says what was wrong. */
export type ManifestFailure = (path: string, what: string) => never

/**
 * Check a manifest field by field and return it in its current shape. An actor class without
 * `streaming` (a component built before the WIT had it) has no streaming methods: its generator
 * methods keep returning one array. A streaming method must be one of the class's methods.
 *
 * @example
 * const manifest = parseManifest(raw, (path, what) => { throw new TypeError(`${path}: ${what}`) })
 */
export function parseManifest (v: unknown, fail: ManifestFailure): Manifest {
  const o = record(v, 'manifest', fail)
  onlyKeys(o, ['sdk', 'tasks', 'actors'], 'manifest', fail)
  if (typeof o.sdk !== 'string' || o.sdk.length > MAX_MANIFEST_NAME_CHARS) fail('manifest.sdk', `expected a string of at most ${MAX_MANIFEST_NAME_CHARS} chars`)
  return {
    sdk: o.sdk,
    tasks: list(o.tasks, 'manifest.tasks', fail).map((t, i) => {
      const path = `manifest.tasks[${i}]`
      const r = record(t, path, fail)
      onlyKeys(r, ['name', 'streaming', 'memo'], path, fail)
      if (typeof r.streaming !== 'boolean') fail(`${path}.streaming`, 'expected a boolean')
      if (r.memo !== undefined && typeof r.memo !== 'boolean') fail(`${path}.memo`, 'expected a boolean')
      return { name: name(r.name, `${path}.name`, fail), streaming: r.streaming, ...(r.memo === true ? { memo: true } : {}) }
    }),
    actors: list(o.actors, 'manifest.actors', fail).map((a, i) => {
      const path = `manifest.actors[${i}]`
      const r = record(a, path, fail)
      onlyKeys(r, ['name', 'methods', 'streaming'], path, fail)
      const methods = list(r.methods, `${path}.methods`, fail).map((m, j) => name(m, `${path}.methods[${j}]`, fail))
      const streaming = r.streaming === undefined ? [] : list(r.streaming, `${path}.streaming`, fail).map((m, j) => name(m, `${path}.streaming[${j}]`, fail))
      for (const [j, m] of streaming.entries()) {
        if (!methods.includes(m)) fail(`${path}.streaming[${j}]`, `'${m}' is not one of the class's methods (${methods.join(', ') || 'none'})`)
      }
      return { name: name(r.name, `${path}.name`, fail), methods, streaming }
    })
  }
}

function record (v: unknown, path: string, fail: ManifestFailure): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(path, 'expected a record')
  return v as Record<string, unknown>
}

function onlyKeys (o: Record<string, unknown>, keys: string[], path: string, fail: ManifestFailure): void {
  const extra = Object.keys(o).filter(k => !keys.includes(k))
  if (extra.length > 0) fail(path, `unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (known: ${keys.join(', ')})`)
}

function list (v: unknown, path: string, fail: ManifestFailure): unknown[] {
  if (!Array.isArray(v) || v.length > MAX_MANIFEST_ENTRIES) fail(path, `expected a list of at most ${MAX_MANIFEST_ENTRIES}`)
  return v
}

function name (v: unknown, path: string, fail: ManifestFailure): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_MANIFEST_NAME_CHARS) fail(path, `expected a name of 1-${MAX_MANIFEST_NAME_CHARS} chars`)
  return v
}
