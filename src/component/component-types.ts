// The types of a component's imports and exports as the component model defines them (values,
// functions, resources, instances, components), and a WIT-like rendering of them: enough to compare
// what a component imports and exports with the fabric's world (see fabric-signatures.ts).
import { InvalidComponentError } from './errors.js'

export type PrimitiveName = 'bool' | 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64' | 'f32' | 'f64' | 'char' | 'string'

/** A resource type. Each definition or abstract import is a type of its own (compared by identity). */
export interface ResourceType {
  kind: 'resource'
  /** The name it was first imported or exported under in its scope (`tensor`). */
  name?: string
}

export type ValType =
  | { kind: 'primitive', name: PrimitiveName }
  | { kind: 'record', fields: Array<[string, ValType]> }
  | { kind: 'variant', cases: Array<[string, ValType | undefined]> }
  | { kind: 'list', element: ValType }
  | { kind: 'tuple', types: ValType[] }
  | { kind: 'flags', names: string[] }
  | { kind: 'enum', names: string[] }
  | { kind: 'option', type: ValType }
  | { kind: 'result', ok?: ValType, err?: ValType }
  | { kind: 'own', resource: ResourceType }
  | { kind: 'borrow', resource: ResourceType }

export interface FuncType {
  kind: 'func'
  params: Array<[string, ValType]>
  result?: ValType
}

export interface InstanceType {
  kind: 'instance'
  exports: Map<string, Extern>
}

export interface ComponentType {
  kind: 'component'
  imports: Map<string, Extern>
  exports: Map<string, Extern>
}

/** Anything the type index space may hold. */
export type TypeDef = ValType | FuncType | InstanceType | ComponentType | ResourceType

/** What an import or export is, with its type. Core items (modules) carry none. */
export type Extern =
  | { sort: 'func', type: FuncType }
  | { sort: 'instance', type: InstanceType }
  | { sort: 'component', type: ComponentType }
  | { sort: 'type', type: TypeDef }
  | { sort: 'module' }

export function isValType (t: TypeDef): t is ValType {
  return t.kind !== 'func' && t.kind !== 'instance' && t.kind !== 'component' && t.kind !== 'resource'
}

/**
 * Counts the work of type operations (rendering, substitution) against one budget, so a component
 * whose types are built to blow up (a tuple of a tuple of ... each used twice renders in 2^n) is
 * refused after a bounded amount of work instead of holding the thread.
 */
export class TypeBudget {
  constructor (private left: number, private readonly limit: number) {}

  spend (n = 1): void {
    this.left -= n
    if (this.left < 0) {
      throw new InvalidComponentError(
        `the component's types take more than ${this.limit} steps to evaluate (types built to blow up, or far larger than any fabric guest's): ` +
        'the fabric refuses it; rebuild it with `fabric build`',
        { reason: 'too-large' }
      )
    }
  }
}

/**
 * Render a type as WIT-like text: `result<list<u8>, record { kind: string, ... }>`. Records and
 * variants are structural in the component model, so they are written out, not named; a resource
 * is written by the name `names` gives it (the names of the interface being rendered), else as
 * `?name`, so that a handle to a resource of another interface never reads like the expected one.
 */
export function renderType (t: TypeDef, names: Map<ResourceType, string>, budget: TypeBudget): string {
  budget.spend()
  const text = renderNode(t, names, budget)
  // The text's length counts too (a step per 16 characters): long names repeated through shared
  // types would otherwise build huge strings within few steps.
  budget.spend(text.length >> 4)
  return text
}

function renderNode (t: TypeDef, names: Map<ResourceType, string>, budget: TypeBudget): string {
  switch (t.kind) {
    case 'primitive': return t.name
    case 'record': return `record { ${t.fields.map(([n, f]) => `${n}: ${renderType(f, names, budget)}`).join(', ')} }`
    case 'variant': return `variant { ${t.cases.map(([n, c]) => c === undefined ? n : `${n}(${renderType(c, names, budget)})`).join(', ')} }`
    case 'list': return `list<${renderType(t.element, names, budget)}>`
    case 'tuple': return `tuple<${t.types.map((e) => renderType(e, names, budget)).join(', ')}>`
    case 'flags': return `flags { ${t.names.join(', ')} }`
    case 'enum': return `enum { ${t.names.join(', ')} }`
    case 'option': return `option<${renderType(t.type, names, budget)}>`
    case 'result': {
      if (t.ok === undefined && t.err === undefined) return 'result'
      const ok = t.ok === undefined ? '_' : renderType(t.ok, names, budget)
      return t.err === undefined ? `result<${ok}>` : `result<${ok}, ${renderType(t.err, names, budget)}>`
    }
    case 'own': return `own<${resourceName(t.resource, names)}>`
    case 'borrow': return `borrow<${resourceName(t.resource, names)}>`
    case 'resource': return 'resource'
    case 'func': {
      const params = t.params.map(([n, p]) => `${n}: ${renderType(p, names, budget)}`).join(', ')
      return t.result === undefined ? `func(${params})` : `func(${params}) -> ${renderType(t.result, names, budget)}`
    }
    case 'instance': return `instance { ${[...t.exports].map(([n, e]) => `${n}: ${renderExtern(e, names, budget)}`).join('; ')} }`
    case 'component': return 'component'
  }
}

function resourceName (r: ResourceType, names: Map<ResourceType, string>): string {
  return names.get(r) ?? `?${r.name ?? 'resource'}`
}

/** Render an import's or export's type (`func(...)`, `type = record {...}`, `resource`). */
export function renderExtern (e: Extern, names: Map<ResourceType, string>, budget: TypeBudget): string {
  switch (e.sort) {
    case 'func': return renderType(e.type, names, budget)
    case 'type': return e.type.kind === 'resource' ? 'resource' : `type = ${renderType(e.type, names, budget)}`
    case 'instance': return renderType(e.type, names, budget)
    case 'component': return 'component'
    case 'module': return 'core module'
  }
}

/** The resources an instance exports, by their export names: how its functions' handles are written. */
export function resourceNames (instance: InstanceType): Map<ResourceType, string> {
  const names = new Map<ResourceType, string>()
  for (const [name, e] of instance.exports) {
    if (e.sort === 'type' && e.type.kind === 'resource' && !names.has(e.type)) names.set(e.type, name)
  }
  return names
}

/**
 * Replace resource types by others (`map`) throughout `t`: what instantiating a component with
 * resource arguments does to the types of its exports. Shared subterms are rewritten once (`memo`).
 */
export function substitute<T extends TypeDef> (t: T, map: Map<ResourceType, ResourceType>, memo: Map<TypeDef, TypeDef>, budget: TypeBudget): T {
  if (map.size === 0) return t
  const known = memo.get(t)
  if (known !== undefined) return known as T
  budget.spend()
  const s = <U extends TypeDef>(u: U): U => substitute(u, map, memo, budget)
  let out: TypeDef
  switch (t.kind) {
    case 'resource': out = map.get(t) ?? t; break
    case 'primitive': case 'flags': case 'enum': out = t; break
    case 'record': out = { kind: 'record', fields: t.fields.map(([n, f]) => [n, s(f)]) }; break
    case 'variant': out = { kind: 'variant', cases: t.cases.map(([n, c]) => [n, c === undefined ? undefined : s(c)]) }; break
    case 'list': out = { kind: 'list', element: s(t.element) }; break
    case 'tuple': out = { kind: 'tuple', types: t.types.map(s) }; break
    case 'option': out = { kind: 'option', type: s(t.type) }; break
    case 'result': out = { kind: 'result', ok: t.ok === undefined ? undefined : s(t.ok), err: t.err === undefined ? undefined : s(t.err) }; break
    case 'own': case 'borrow': out = { kind: t.kind, resource: s(t.resource) }; break
    case 'func': out = { kind: 'func', params: t.params.map(([n, p]) => [n, s(p)]), result: t.result === undefined ? undefined : s(t.result) }; break
    case 'instance': out = { kind: 'instance', exports: substituteExterns(t.exports, map, memo, budget) }; break
    case 'component': out = { kind: 'component', imports: substituteExterns(t.imports, map, memo, budget), exports: substituteExterns(t.exports, map, memo, budget) }; break
  }
  memo.set(t, out)
  return out as T
}

export function substituteExterns (externs: Map<string, Extern>, map: Map<ResourceType, ResourceType>, memo: Map<TypeDef, TypeDef>, budget: TypeBudget): Map<string, Extern> {
  const out = new Map<string, Extern>()
  for (const [name, e] of externs) {
    out.set(name, e.sort === 'module' ? e : { sort: e.sort, type: substitute(e.type, map, memo, budget) } as Extern)
  }
  return out
}
