// Offline checks of Kubernetes manifests (test/deploy/k8s-manifests.spec.ts): YAML parsed with
// `yaml`, each object validated against the Kubernetes OpenAPI schemas that `kubernetes-models`
// ships compiled (ajv validators per API version and kind). No cluster, no network.
import fs from 'node:fs'
import path from 'node:path'
import { parseAllDocuments } from 'yaml'

/** A manifest object as parsed: apiVersion, kind and the rest. */
export interface Manifest { apiVersion: string, kind: string, metadata?: { name?: string, labels?: Record<string, string> }, [k: string]: unknown }

/** One document of a YAML file, or the parse errors of the file. */
export function parseYaml (text: string, file: string): unknown[] {
  const docs = parseAllDocuments(text, { prettyErrors: true, strict: true, uniqueKeys: true })
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`)
  const out: unknown[] = []
  for (const d of docs) {
    const errs = [...d.errors, ...d.warnings]
    if (errs.length > 0) throw new Error(`${file}: ${errs.map(e => e.message).join('; ')}`)
    const v: unknown = d.toJS()
    if (v !== null && v !== undefined) out.push(v)
  }
  return out
}

/** The module of `kubernetes-models` for an apiVersion and kind ('apps/v1', 'StatefulSet' → 'kubernetes-models/apps/v1/StatefulSet'). */
function modelPath (apiVersion: string, kind: string): string {
  if (!/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) throw new Error(`not a Kubernetes apiVersion/kind: ${apiVersion} ${kind}`)
  return `kubernetes-models/${apiVersion}/${kind}`
}

interface Validating { validate: () => void }

/**
 * The schema errors of `obj` (empty when valid): unknown apiVersion/kind, wrong types, missing
 * required fields, bad formats or enums, as the API server's OpenAPI schema says.
 */
export async function schemaErrors (obj: unknown): Promise<string[]> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return ['not an object']
  const { apiVersion, kind } = obj as Partial<Manifest>
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['apiVersion and kind are required strings']
  let Model: new (data: unknown) => Validating
  try {
    const mod = await import(modelPath(apiVersion, kind)) as Record<string, unknown>
    Model = mod[kind] as new (data: unknown) => Validating
    if (typeof Model !== 'function') throw new Error('no model')
  } catch (err) {
    return [`${apiVersion} ${kind}: no schema for this apiVersion and kind (${(err as Error).message.split('\n')[0]!})`]
  }
  try {
    new Model(obj).validate()
    return []
  } catch (err) {
    return [(err as Error).message]
  }
}

/** Every manifest of the YAML files in `dir` (kustomization.yaml aside), with the file each came from. */
export function loadManifests (dir: string): Array<{ file: string, obj: Manifest }> {
  const out: Array<{ file: string, obj: Manifest }> = []
  for (const f of fs.readdirSync(dir).filter(f => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort()) {
    for (const obj of parseYaml(fs.readFileSync(path.join(dir, f), 'utf8'), f)) out.push({ file: f, obj: obj as Manifest })
  }
  return out
}
